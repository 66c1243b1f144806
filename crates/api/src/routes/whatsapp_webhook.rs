//! `GET/POST /webhooks/whatsapp` and `/webhooks/whatsapp/{account_id}` (PROTOCOLS.md §2.1–2.4).
//!
//! Two addresses because Meta signs with the secret of the *app* that subscribed: the platform
//! app (`WHATSAPP_APP_SECRET`, changes routed to merchants by `metadata.phone_number_id`), or a
//! merchant's own app (that account's secret; changes for any other number are skipped). Either
//! way the signature is checked on the raw bytes before anything is parsed, and a bad one is a
//! 401 that spends the caller's per-IP budget.
//!
//! Statuses and marketing preferences are applied in the request (a few indexed updates, in one
//! transaction per merchant) and then answered 200, so Meta's retries after a failure redo
//! them harmlessly: statuses merge by precedence and preferences are keyed by their content.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use revive_shared::crypto::signature;
use revive_shared::db::message_status;
use revive_shared::db::{conversations, customers, whatsapp_accounts};
use revive_shared::ids::MerchantId;
use revive_shared::jobs::Converse;
use revive_shared::phone::PhoneE164;
use revive_shared::whatsapp::inbound::{self, Inbound};
use revive_shared::whatsapp::webhook::{self, Delivery, UserPreference};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::rate_limit;
use crate::state::AppState;

/// Meta's payloads can reach 3 MB (PROTOCOLS.md §2.2).
const MAX_BODY: usize = 3 * 1024 * 1024;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/webhooks/whatsapp", get(verify_platform).post(receive_platform))
        .route("/webhooks/whatsapp/{account_id}", get(verify_account).post(receive_account))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

#[derive(Deserialize)]
struct Subscribe {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

impl Subscribe {
    /// The challenge to echo, when this is a subscription whose token `matches`.
    fn answer(self, matches: impl FnOnce(&str) -> bool) -> ApiResult<String> {
        match (self.mode.as_deref(), self.verify_token, self.challenge) {
            (Some("subscribe"), Some(token), Some(challenge)) if matches(&token) => Ok(challenge),
            _ => Err(ApiError::Forbidden("the verify token does not match")),
        }
    }
}

async fn verify_platform(State(state): State<AppState>, Query(q): Query<Subscribe>) -> ApiResult<String> {
    let expected = state.config.whatsapp.verify_token.as_ref();
    q.answer(|token| {
        use subtle::ConstantTimeEq;
        expected.is_some_and(|e| bool::from(e.expose_secret().as_bytes().ct_eq(token.as_bytes())))
    })
}

async fn verify_account(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<Subscribe>,
) -> ApiResult<String> {
    let account = match id.parse::<uuid::Uuid>() {
        Ok(id) => whatsapp_accounts::webhook_account(state.db.pool(), &state.config.cipher, id).await?,
        Err(_) => None,
    };
    q.answer(|token| account.is_some_and(|a| a.verify_token_matches(token)))
}

/// What a delivery did, for logs and tests; Meta reads only the status code.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct WhatsAppAck {
    /// Statuses that moved a message forward.
    pub statuses_applied: usize,
    /// Statuses already known, older than what we have, or for messages that are not ours.
    pub statuses_unchanged: usize,
    pub preferences_applied: usize,
    /// Customer messages stored (each gets a conversation turn) and ones already stored.
    pub messages_stored: usize,
    pub messages_duplicate: usize,
    /// Items for numbers this address does not serve, unreadable items, and system errors.
    pub skipped: usize,
}

fn unauthorized(state: &AppState, peer: &SocketAddr) -> ApiError {
    rate_limit::unsigned_webhook(&state.limiters, peer, "whatsapp")
}

fn signature_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok())
}

async fn receive_platform(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WhatsAppAck>> {
    let secret = state.config.whatsapp.app_secret.as_ref();
    let signed = secret.zip(signature_header(&headers)).is_some_and(|(secret, header)| {
        signature::verify_meta(secret.expose_secret().as_bytes(), &body, header)
    });
    if !signed {
        if secret.is_none() {
            tracing::warn!("a WhatsApp webhook arrived but WHATSAPP_APP_SECRET is not set; refused");
        }
        return Err(unauthorized(&state, &peer));
    }
    let delivery = parse(&body)?;
    // Route each business number to its merchant; numbers no merchant connected are skipped.
    let mut routes = BTreeMap::new();
    for pnid in phone_number_ids(&delivery) {
        if let Some(found) = whatsapp_accounts::by_phone_number_id(state.db.pool(), &pnid).await? {
            routes.insert(pnid, found);
        }
    }
    apply(&state, delivery, &routes).await.map(Json)
}

async fn receive_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<WhatsAppAck>> {
    let id = id.parse::<uuid::Uuid>().map_err(|_| unauthorized(&state, &peer))?;
    receive_for_account(&state, &peer, id, signature_header(&headers), &body).await.map(Json)
}

/// A delivery to one account's webhook: checked with that account's secret, then applied. The
/// simulator sends the deliveries it makes up through here too.
pub(crate) async fn receive_for_account(
    state: &AppState,
    peer: &SocketAddr,
    id: uuid::Uuid,
    signature: Option<&str>,
    body: &[u8],
) -> ApiResult<WhatsAppAck> {
    let header = signature.ok_or_else(|| unauthorized(state, peer))?;
    let account = whatsapp_accounts::webhook_account(state.db.pool(), &state.config.cipher, id)
        .await?
        .ok_or_else(|| unauthorized(state, peer))?;
    let secret = account.app_secret.as_ref().ok_or_else(|| unauthorized(state, peer))?;
    if !signature::verify_meta(secret.expose_secret().as_bytes(), body, header) {
        return Err(unauthorized(state, peer));
    }
    let delivery = parse(body)?;
    let routes =
        BTreeMap::from([(account.phone_number_id.clone(), (account.merchant_id, account.account_id))]);
    apply(state, delivery, &routes).await
}

fn parse(body: &[u8]) -> ApiResult<Delivery> {
    webhook::parse(body).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn phone_number_ids(d: &Delivery) -> std::collections::BTreeSet<String> {
    let statuses = d.statuses.iter().map(|s| &s.phone_number_id);
    let prefs = d.preferences.iter().map(|p| &p.phone_number_id);
    let messages = d.messages.iter().map(|m| &m.phone_number_id);
    statuses.chain(prefs).chain(messages).flatten().cloned().collect()
}

/// Applies a delivery's statuses and preferences, one transaction per merchant.
async fn apply(
    state: &AppState,
    delivery: Delivery,
    routes: &BTreeMap<String, (MerchantId, uuid::Uuid)>,
) -> ApiResult<WhatsAppAck> {
    let mut ack = WhatsAppAck { skipped: delivery.skipped, ..WhatsAppAck::default() };
    let route = |pnid: &Option<String>| pnid.as_ref().and_then(|p| routes.get(p)).copied();
    // Per account: its merchant and what the delivery holds for it.
    let mut by_account: BTreeMap<uuid::Uuid, (MerchantId, Items)> = BTreeMap::new();
    for s in delivery.statuses {
        match route(&s.phone_number_id) {
            Some((merchant, account)) => {
                by_account.entry(account).or_insert((merchant, Items::default())).1.statuses.push(s.item)
            }
            None => ack.skipped += 1,
        }
    }
    for p in delivery.preferences {
        match route(&p.phone_number_id) {
            Some((merchant, account)) => {
                by_account.entry(account).or_insert((merchant, Items::default())).1.preferences.push(p.item)
            }
            None => ack.skipped += 1,
        }
    }
    for m in delivery.messages {
        match (route(&m.phone_number_id), inbound::read(&m.item)) {
            (Some((merchant, account)), Some(message)) => {
                by_account.entry(account).or_insert((merchant, Items::default())).1.messages.push(message)
            }
            _ => ack.skipped += 1,
        }
    }
    let now = state.clock.now();
    for (account, (merchant, mut items)) in by_account {
        // Two deliveries naming the same messages take their row locks in one order, so they
        // queue behind each other instead of deadlocking. The sort is stable: a message's own
        // statuses keep Meta's order (precedence makes any order safe, this keeps the trail tidy).
        items.statuses.sort_by(|a, b| a.id.cmp(&b.id));
        let mut tx = state.db.begin(merchant).await?;
        if !items.statuses.is_empty() {
            whatsapp_accounts::saw_statuses(&mut tx, account, now).await?;
        }
        for status in &items.statuses {
            if message_status::apply(&mut tx, status, now).await? {
                ack.statuses_applied += 1;
            } else {
                ack.statuses_unchanged += 1;
            }
        }
        for pref in &items.preferences {
            if apply_preference(state, &mut tx, account, pref).await? {
                ack.preferences_applied += 1;
            } else {
                ack.skipped += 1;
            }
        }
        let mut turns = Vec::new();
        for message in &items.messages {
            let Ok(phone) = PhoneE164::parse(&format!("+{}", message.from), None) else {
                ack.skipped += 1;
                continue;
            };
            let customer = customers::upsert_by_phone(
                &mut tx,
                &state.config.cipher,
                &state.config.blind_index,
                &phone,
                None,
            )
            .await?;
            let (conversation, stored) = conversations::receive(
                &mut tx,
                customer,
                account,
                &message.wamid,
                &message.kind,
                message.text.as_deref(),
                message.at,
            )
            .await?;
            match stored {
                Some(message_id) => {
                    ack.messages_stored += 1;
                    turns.push(Converse { merchant_id: merchant, conversation_id: conversation, message_id });
                }
                None => ack.messages_duplicate += 1,
            }
        }
        tx.commit().await?;
        // After the commit, so a turn always finds its messages. A push Redis does not take is
        // made up by the sweeper (conversations with unanswered messages).
        // Two seconds beyond the quiet period: apalis runs delayed jobs by the whole second, up
        // to one early, and a turn run inside the quiet period leaves its message to a later job.
        let after = revive_workers::converse::QUIET_PERIOD + std::time::Duration::from_secs(2);
        if let Err(e) = state.queues.push_turns(&turns, after, std::time::Duration::from_millis(1500)).await {
            tracing::warn!(error = %e, "could not queue conversation turns; the sweeper will");
        }
    }
    metrics::counter!("revive_webhooks_total", "source" => "whatsapp", "outcome" => "stored").increment(1);
    Ok(ack)
}

/// What one delivery holds for one account.
#[derive(Default)]
struct Items {
    statuses: Vec<webhook::Status>,
    preferences: Vec<UserPreference>,
    messages: Vec<Inbound>,
}

/// A user's marketing stop / resume, recorded in the consent ledger as of Meta's timestamp (so
/// an older preference arriving late does not undo a newer one). `false` when the user is not a
/// customer of this merchant or the preference is not about marketing.
async fn apply_preference(
    state: &AppState,
    tx: &mut revive_shared::db::TenantTx,
    account: uuid::Uuid,
    pref: &UserPreference,
) -> ApiResult<bool> {
    let Some(granted) = pref.marketing_consent() else { return Ok(false) };
    let mut customer = None;
    if let Some(wa_id) = pref.wa_id.as_deref()
        && let Ok(phone) = PhoneE164::parse(&format!("+{wa_id}"), None)
    {
        customer = customers::find_by_phone(tx, &state.config.blind_index, &phone).await?;
    }
    if customer.is_none()
        && let Some(user_id) = pref.user_id.as_deref()
    {
        customer = customers::find_by_wa_user_id(tx, user_id).await?;
    }
    let Some(customer) = customer else { return Ok(false) };
    // The same preference delivered twice is one ledger entry.
    let who = pref.wa_id.as_deref().or(pref.user_id.as_deref()).unwrap_or_default();
    let key = format!("whatsapp-preference:{account}:{who}:{}:{}", pref.value, pref.timestamp.timestamp());
    let digest = revive_shared::crypto::sha256(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let event = uuid::Uuid::from_bytes(bytes);
    customers::record_consent(
        tx,
        customer,
        customers::Purpose::Marketing,
        granted,
        "whatsapp",
        pref.timestamp,
        Some(event),
    )
    .await?;
    Ok(true)
}
