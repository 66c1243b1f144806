//! `conversations` (one per customer: its 24-hour window, bot or human, needs attention) and the
//! inbound and bot messages of a turn.

use chrono::{DateTime, Utc};

use super::TenantTx;
use crate::Result;
use crate::ids::CustomerId;

/// Stores an inbound message once (by wamid) and opens or extends its conversation's window.
/// Returns the conversation and, when the message is new, its id.
pub async fn receive(
    tx: &mut TenantTx,
    customer: CustomerId,
    account: uuid::Uuid,
    wamid: &str,
    kind: &str,
    body: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(uuid::Uuid, Option<uuid::Uuid>)> {
    let merchant = tx.merchant();
    // A window starts again when the last inbound message is more than 24 hours old.
    let conversation = sqlx::query_scalar!(
        "insert into conversations (merchant_id, customer_id, whatsapp_account_id, window_started_at, last_inbound_at)
         values ($1, $2, $3, $4, $4)
         on conflict (merchant_id, customer_id) do update set
           window_started_at = case when conversations.last_inbound_at is null
                                      or conversations.last_inbound_at < $4 - interval '24 hours'
                                    then $4 else conversations.window_started_at end,
           last_inbound_at = greatest(conversations.last_inbound_at, $4),
           -- A conversation the bot resolved opens again when the customer writes.
           state = case when conversations.state = 'closed' then 'bot' else conversations.state end,
           whatsapp_account_id = $3, updated_at = now()
         returning id",
        merchant.0,
        customer.0,
        account,
        at
    )
    .fetch_one(tx.conn())
    .await?;
    let message = sqlx::query_scalar!(
        // clock_timestamp(), not now(): the messages of one delivery keep their order.
        "insert into messages (merchant_id, conversation_id, customer_id, direction, wa_message_id, kind, body, sent_by,
                               created_at)
         values ($1, $2, $3, 'inbound', $4, $5, $6, 'customer', clock_timestamp())
         on conflict (merchant_id, wa_message_id) where wa_message_id is not null do nothing
         returning id",
        merchant.0,
        conversation,
        customer.0,
        wamid,
        kind,
        body
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok((conversation, message))
}

/// A conversation as a turn sees it, locked for the turn.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: uuid::Uuid,
    pub customer_id: CustomerId,
    /// bot, human or closed.
    pub state: String,
    /// The rolling summary a hosted model keeps of what came before the recent messages.
    pub summary: Option<String>,
}

/// Locks the customer, then the conversation: the order the inbound webhook takes them in
/// (customer upsert, then `receive`), so the two never deadlock.
pub async fn lock(tx: &mut TenantTx, id: uuid::Uuid) -> Result<Option<Conversation>> {
    sqlx::query!(
        "select c.id from customers c join conversations cv on cv.customer_id = c.id where cv.id = $1
         for no key update of c",
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    let row = sqlx::query_as!(
        Conversation,
        r#"select id, customer_id as "customer_id: CustomerId", state, summary from conversations where id = $1 for update"#,
        id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

/// An inbound message not answered yet.
#[derive(Debug, Clone)]
pub struct Unhandled {
    pub id: uuid::Uuid,
    pub kind: String,
    pub body: Option<String>,
    /// Seconds since it arrived, by Postgres's clock (the one that stamped it).
    pub waited_secs: f64,
}

/// The conversation's inbound messages no turn has taken yet, oldest first.
pub async fn unhandled(tx: &mut TenantTx, conversation: uuid::Uuid) -> Result<Vec<Unhandled>> {
    let rows = sqlx::query_as!(
        Unhandled,
        r#"select id, kind, body, extract(epoch from clock_timestamp() - created_at)::float8 as "waited_secs!" from messages
           where conversation_id = $1 and direction = 'inbound' and handled_at is null
           order by created_at, id"#,
        conversation
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

pub async fn mark_handled(tx: &mut TenantTx, ids: &[uuid::Uuid], intent: Option<(&str, f32)>) -> Result<()> {
    sqlx::query!(
        "update messages set handled_at = now(), intent = $2, intent_confidence = $3 where id = any($1)",
        ids,
        intent.map(|(i, _)| i),
        intent.map(|(_, c)| c)
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Moves the conversation to a human (the bot stays silent until an agent releases it). Only
/// the bot hands off, so the audit line names the conversation worker.
pub async fn hand_off(tx: &mut TenantTx, id: uuid::Uuid, reason: &str) -> Result<()> {
    sqlx::query!(
        "update conversations set state = 'human', needs_attention = true, handoff_reason = $2, updated_at = now()
         where id = $1",
        id,
        reason
    )
    .execute(tx.conn())
    .await?;
    let actor = super::audit::Actor::Worker("converse");
    // The kind of reason only ("output guardrail", "the customer sent media"): what follows the
    // colon may quote a draft or an error, and the audit log outlives erasure and purges.
    let kind = reason.split(':').next().unwrap_or(reason);
    let details = serde_json::json!({"reason": kind});
    super::audit::record(tx, &actor, "conversation.hand_off", Some(("conversation", id.to_string())), details)
        .await
}

/// A message arrived while a human has the conversation: it needs their attention.
pub async fn needs_attention(tx: &mut TenantTx, id: uuid::Uuid) -> Result<()> {
    sqlx::query!("update conversations set needs_attention = true, updated_at = now() where id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// A bot reply, recorded before it is sent (like a flow message): what was said, why, and from
/// which chunks.
pub struct BotReply<'a> {
    pub body: &'a str,
    pub intent: Option<&'a str>,
    pub confidence: Option<f32>,
    pub guardrail: serde_json::Value,
    pub cited: &'a [uuid::Uuid],
}

pub async fn record_reply(
    tx: &mut TenantTx,
    conversation: uuid::Uuid,
    customer: CustomerId,
    r: &BotReply<'_>,
) -> Result<uuid::Uuid> {
    let merchant = tx.merchant();
    let id = sqlx::query_scalar!(
        "insert into messages (merchant_id, conversation_id, customer_id, direction, kind, body, status, sent_by,
                               intent, intent_confidence, guardrail, cited_chunk_ids)
         values ($1, $2, $3, 'outbound', 'text', $4, 'pending', 'bot', $5, $6, $7, $8)
         returning id",
        merchant.0,
        conversation,
        customer.0,
        r.body,
        r.intent,
        r.confidence,
        r.guardrail,
        r.cited
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// Records what WhatsApp answered to a reply.
pub async fn reply_outcome(
    tx: &mut TenantTx,
    message: uuid::Uuid,
    wamid: Option<&str>,
    error: Option<&str>,
    delivered: bool,
) -> Result<()> {
    let status = match (error, delivered) {
        (Some(_), _) => "failed",
        (None, true) => "delivered",
        (None, false) => "sent",
    };
    sqlx::query!(
        "update messages set wa_message_id = coalesce($2, wa_message_id), error_reason = $3, status_at = now(),
                status = case when message_status_rank(coalesce(status, 'pending')) > message_status_rank($4)
                              then status else $4 end
         where id = $1",
        message,
        wamid,
        error,
        status
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Conversations with inbound messages waiting longer than `before` for a turn, across
/// merchants (SECURITY DEFINER look-up): their job may have been lost with Redis.
pub async fn waiting(
    pool: &sqlx::PgPool,
    before: DateTime<Utc>,
    limit: i32,
) -> Result<Vec<(crate::ids::MerchantId, uuid::Uuid)>> {
    let rows = sqlx::query!(
        r#"select merchant_id as "merchant_id!: crate::ids::MerchantId", conversation_id as "conversation_id!"
           from revive_private.turns_waiting($1, $2)"#,
        before,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.merchant_id, r.conversation_id)).collect())
}

/// A conversation in the agents' inbox (no phone number: the customer is shown by name).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub id: uuid::Uuid,
    pub customer_id: CustomerId,
    pub customer_name: Option<String>,
    /// bot, human or closed.
    pub state: String,
    pub needs_attention: bool,
    pub handoff_reason: Option<String>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// Free text can be sent until then (WhatsApp's customer-service window).
    pub window_open: bool,
    /// The e-mail of the user who took the conversation over, while it is theirs.
    pub taken_over_by: Option<String>,
    pub taken_over_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// The inbox, those needing attention first, then by latest activity.
pub async fn list(
    tx: &mut TenantTx,
    needs_attention: Option<bool>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Summary>> {
    summaries(tx, None, needs_attention, now, limit).await
}

pub async fn summary(tx: &mut TenantTx, id: uuid::Uuid, now: DateTime<Utc>) -> Result<Summary> {
    summaries(tx, Some(id), None, now, 1).await?.pop().ok_or(crate::Error::NotFound)
}

async fn summaries(
    tx: &mut TenantTx,
    id: Option<uuid::Uuid>,
    needs_attention: Option<bool>,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Summary>> {
    let rows = sqlx::query_as!(
        Summary,
        r#"select cv.id, cv.customer_id as "customer_id: CustomerId", c.name as customer_name, cv.state,
                  cv.needs_attention, cv.handoff_reason, cv.last_inbound_at,
                  coalesce(cv.last_inbound_at > $3::timestamptz - interval '24 hours', false) as "window_open!",
                  u.email as "taken_over_by?", cv.taken_over_at, cv.updated_at
           from conversations cv join customers c on c.id = cv.customer_id
           left join merchant_users u on u.id = cv.taken_over_by
           where ($1::uuid is null or cv.id = $1) and ($2::boolean is null or cv.needs_attention = $2)
           order by cv.needs_attention desc, cv.updated_at desc limit $4"#,
        id,
        needs_attention,
        now,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows)
}

/// One message of a conversation, with what the bot decided about it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: uuid::Uuid,
    /// inbound or outbound.
    pub direction: String,
    pub kind: String,
    pub body: Option<String>,
    /// customer, bot, agent or flow.
    pub sent_by: Option<String>,
    pub status: Option<String>,
    pub intent: Option<String>,
    pub intent_confidence: Option<f32>,
    /// The guardrail verdicts of a bot reply.
    pub guardrail: Option<serde_json::Value>,
    /// The knowledge chunks a bot reply was drawn from.
    pub cited_chunk_ids: Vec<uuid::Uuid>,
    /// The sources of those chunks that still exist (a source edited since was chunked anew).
    pub cited_sources: Vec<CitedSource>,
    pub created_at: DateTime<Utc>,
}

/// A knowledge source a reply cited, by title.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CitedSource {
    pub chunk_id: uuid::Uuid,
    pub source_id: uuid::Uuid,
    pub title: String,
}

pub async fn messages(tx: &mut TenantTx, conversation: uuid::Uuid, limit: i64) -> Result<Vec<Message>> {
    let rows = sqlx::query!(
        r#"select id, direction, kind, body, sent_by, status, intent, intent_confidence, guardrail, cited_chunk_ids,
                  created_at
           from (select * from messages where conversation_id = $1 order by created_at desc, id desc limit $2) m
           order by created_at, id"#,
        conversation,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    let cited: Vec<uuid::Uuid> = rows.iter().flat_map(|r| r.cited_chunk_ids.iter().copied()).collect();
    let sources: std::collections::HashMap<uuid::Uuid, CitedSource> = if cited.is_empty() {
        Default::default()
    } else {
        sqlx::query_as!(
            CitedSource,
            "select kc.id as chunk_id, ks.id as source_id, ks.title
             from knowledge_chunks kc join knowledge_sources ks on ks.id = kc.source_id
             where kc.id = any($1)",
            &cited
        )
        .fetch_all(tx.conn())
        .await?
        .into_iter()
        .map(|s| (s.chunk_id, s))
        .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| Message {
            cited_sources: r.cited_chunk_ids.iter().filter_map(|c| sources.get(c).cloned()).collect(),
            id: r.id,
            direction: r.direction,
            kind: r.kind,
            body: r.body,
            sent_by: r.sent_by,
            status: r.status,
            intent: r.intent,
            intent_confidence: r.intent_confidence,
            guardrail: r.guardrail,
            cited_chunk_ids: r.cited_chunk_ids,
            created_at: r.created_at,
        })
        .collect())
}

/// Sets who answers: `human` (an agent took over, also after the bot handed off: it records
/// who; the bot stays silent) or `bot` (released: nothing needs attention any more and no one
/// holds it). `by` is the user taking over; an API key leaves it empty.
pub async fn set_state(
    tx: &mut TenantTx,
    id: uuid::Uuid,
    state: &str,
    by: Option<crate::ids::UserId>,
) -> Result<()> {
    let done = sqlx::query!(
        "update conversations set state = $2,
                needs_attention = case when $2 = 'bot' then false else needs_attention end,
                handoff_reason = case when $2 = 'bot' then null else coalesce(handoff_reason, 'taken over by an agent') end,
                taken_over_by = case when $2 = 'bot' then null else $3::uuid end,
                taken_over_at = case when $2 = 'bot' then null else now() end,
                updated_at = now()
         where id = $1",
        id,
        state,
        by.map(|u| u.0)
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}

/// An agent's reply, recorded before it is sent; answering clears "needs attention".
pub async fn record_agent_reply(
    tx: &mut TenantTx,
    conversation: uuid::Uuid,
    customer: CustomerId,
    body: &str,
    kind: &str,
) -> Result<uuid::Uuid> {
    let merchant = tx.merchant();
    let id = sqlx::query_scalar!(
        "insert into messages (merchant_id, conversation_id, customer_id, direction, kind, body, status, sent_by)
         values ($1, $2, $3, 'outbound', $5, $4, 'pending', 'agent')
         returning id",
        merchant.0,
        conversation,
        customer.0,
        body,
        kind
    )
    .fetch_one(tx.conn())
    .await?;
    sqlx::query!(
        "update conversations set needs_attention = false, updated_at = now() where id = $1",
        conversation
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// The conversation's text messages before this turn (answered inbound and sent outbound), oldest
/// first, at most `limit`: the history a reply is written with.
pub async fn history(
    tx: &mut TenantTx,
    conversation: uuid::Uuid,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"select coalesce(sent_by, 'customer') as "from!", body as "body!" from (
             select sent_by, body, created_at, id from messages
             where conversation_id = $1 and body is not null
               and (direction = 'outbound' or handled_at is not null)
             order by created_at desc, id desc limit $2) m
           order by created_at, id"#,
        conversation,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.from, r.body)).collect())
}

/// Keeps the rolling summary a hosted model wrote this turn.
pub async fn set_summary(tx: &mut TenantTx, id: uuid::Uuid, summary: &str) -> Result<()> {
    sqlx::query!("update conversations set summary = $2, updated_at = now() where id = $1", id, summary)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The bot resolved the conversation: closed until the customer writes again.
pub async fn resolve(tx: &mut TenantTx, id: uuid::Uuid) -> Result<()> {
    sqlx::query!(
        "update conversations set state = 'closed', needs_attention = false, updated_at = now()
         where id = $1 and state = 'bot'",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The customer's latest order in a sentence: number, what was in it, when it arrived. What a
/// reply may say about "my order".
pub async fn order_context(tx: &mut TenantTx, customer: CustomerId) -> Result<Option<String>> {
    let row = sqlx::query!(
        r#"select o.order_number, o.status, o.placed_at, o.delivered_at,
                  coalesce((select string_agg(li.quantity || ' x ' || li.title, ', ' order by li.title)
                            from order_line_items li where li.order_id = o.id), '') as "items!"
           from orders o where o.customer_id = $1
           order by coalesce(o.placed_at, o.created_at) desc limit 1"#,
        customer.0
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| {
        let mut out = format!("order {}", r.order_number.as_deref().unwrap_or("(no number)"));
        if !r.items.is_empty() {
            out.push_str(&format!(" with {}", r.items));
        }
        if let Some(placed) = r.placed_at {
            out.push_str(&format!(", placed {}", placed.format("%Y-%m-%d")));
        }
        match r.delivered_at {
            Some(at) => out.push_str(&format!(", delivered {}", at.format("%Y-%m-%d"))),
            None => out.push_str(&format!(", status {}", r.status)),
        }
        out
    }))
}

/// The customer's conversation, if they ever wrote.
pub async fn of_customer(tx: &mut TenantTx, customer: CustomerId) -> Result<Option<uuid::Uuid>> {
    let id = sqlx::query_scalar!("select id from conversations where customer_id = $1", customer.0)
        .fetch_optional(tx.conn())
        .await?;
    Ok(id)
}

/// What an agent's template reply needs about the customer: their consent, and the values of the
/// template's variables (from their latest order).
pub struct TemplateTarget {
    pub consent_utility: bool,
    pub consent_marketing: bool,
    pub values: crate::retention::send::Values,
}

pub async fn template_target(tx: &mut TenantTx, customer: CustomerId) -> Result<TemplateTarget> {
    let row = sqlx::query!(
        r#"select split_part(c.name, ' ', 1) as first_name, c.name, c.consent_utility, c.consent_marketing,
                  m.name as "store!", o.order_number as "order_number?",
                  (select li.title from order_line_items li where li.order_id = o.id
                   order by li.unit_price_cents * li.quantity desc nulls last, li.title limit 1) as product
           from customers c
           join merchants m on m.id = c.merchant_id
           left join lateral (select id, order_number from orders where customer_id = c.id
                              order by coalesce(placed_at, created_at) desc limit 1) o on true
           where c.id = $1"#,
        customer.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(crate::Error::NotFound)?;
    Ok(TemplateTarget {
        consent_utility: row.consent_utility,
        consent_marketing: row.consent_marketing,
        values: crate::retention::send::Values {
            first_name: row.first_name,
            name: row.name,
            order_number: row.order_number,
            product: row.product,
            store: row.store,
        },
    })
}
