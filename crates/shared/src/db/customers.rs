//! Customers. The phone number is stored encrypted, with a keyed blind index for look-up; it is
//! never written in plaintext.

use super::TenantTx;
use crate::crypto::{BlindIndexer, FieldCipher};
use crate::ids::{CustomerId, MerchantId};
use crate::phone::PhoneE164;
use crate::{Error, Result};

/// Associated data binding a phone ciphertext to its merchant.
fn phone_context(merchant: MerchantId) -> String {
    format!("customers.phone:{merchant}")
}

/// What an event says about a customer besides the phone. `None` fields leave what is stored.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerUpdate<'a> {
    pub name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub locale: Option<&'a str>,
    pub timezone: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Finds the customer with this phone number, or creates one, and applies `update`.
pub async fn upsert(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    index: &BlindIndexer,
    phone: &PhoneE164,
    update: &CustomerUpdate<'_>,
) -> Result<CustomerId> {
    let merchant = tx.merchant();
    let bidx = index.phone(merchant, phone);
    let enc = cipher.encrypt_str(phone.expose(), &phone_context(merchant))?;
    let email_enc =
        update.email.map(|e| cipher.encrypt_str(e, &format!("customers.email:{merchant}"))).transpose()?;
    let id = sqlx::query_scalar!(
        r#"insert into customers (merchant_id, phone_enc, phone_bidx, name, external_customer_id, locale, timezone, email_enc)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (merchant_id, phone_bidx) where phone_bidx is not null
           do update set name = coalesce(excluded.name, customers.name),
                         external_customer_id = coalesce(excluded.external_customer_id, customers.external_customer_id),
                         locale = coalesce(excluded.locale, customers.locale),
                         timezone = coalesce(excluded.timezone, customers.timezone),
                         email_enc = coalesce(excluded.email_enc, customers.email_enc),
                         updated_at = now()
           returning id as "id: CustomerId""#,
        merchant.0,
        enc,
        bidx,
        update.name,
        update.external_id,
        update.locale,
        update.timezone,
        email_enc
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

/// The customer the store knows by `external_id` (events without a phone refer to one).
pub async fn find_by_external(tx: &mut TenantTx, external_id: &str) -> Result<Option<CustomerId>> {
    let id = sqlx::query_scalar!(
        r#"select id as "id: CustomerId" from customers where external_customer_id = $1 and erased_at is null
           order by created_at limit 1"#,
        external_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(id)
}

/// Consent purposes of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Order-related messages (the check-in).
    Utility,
    /// Reviews, replenishment, upsell.
    Marketing,
    /// Automated replies to the customer's own messages.
    AiReplies,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Utility => "utility",
            Purpose::Marketing => "marketing",
            Purpose::AiReplies => "ai_replies",
        }
    }
}

/// Appends a consent statement to the ledger and updates the customer's current state, unless
/// the ledger already holds a newer statement for that purpose (statements can arrive out of
/// order). `event` makes the same statement idempotent. Returns the resulting state.
pub async fn record_consent(
    tx: &mut TenantTx,
    customer: CustomerId,
    purpose: Purpose,
    granted: bool,
    source: &str,
    at: chrono::DateTime<chrono::Utc>,
    event: Option<uuid::Uuid>,
) -> Result<bool> {
    let merchant = tx.merchant();
    sqlx::query!(
        "insert into customer_consent_events (merchant_id, customer_id, purpose, granted, source, occurred_at, event_id)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (event_id, purpose) where event_id is not null do nothing",
        merchant.0,
        customer.0,
        purpose.as_str(),
        granted,
        source,
        at,
        event
    )
    .execute(tx.conn())
    .await?;
    // The newest statement wins; on a tie, a refusal wins.
    let state = sqlx::query_scalar!(
        r#"with latest as (
             select granted from customer_consent_events
             where customer_id = $1 and purpose = $2
             order by occurred_at desc, granted asc limit 1)
           update customers set
             consent_utility = case when $2 = 'utility' then (select granted from latest) else consent_utility end,
             consent_marketing = case when $2 = 'marketing' then (select granted from latest) else consent_marketing end,
             consent_ai_replies = case when $2 = 'ai_replies' then (select granted from latest) else consent_ai_replies end,
             updated_at = now()
           where id = $1
           returning (select granted from latest) as "granted!""#,
        customer.0,
        purpose.as_str()
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(state)
}

/// Finds the customer with this phone number, or creates one.
pub async fn upsert_by_phone(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    index: &BlindIndexer,
    phone: &PhoneE164,
    name: Option<&str>,
) -> Result<CustomerId> {
    let merchant = tx.merchant();
    let bidx = index.phone(merchant, phone);
    let enc = cipher.encrypt_str(phone.expose(), &phone_context(merchant))?;
    // `do update` (not `do nothing`) so the id comes back for an existing customer too.
    let id = sqlx::query_scalar!(
        r#"insert into customers (merchant_id, phone_enc, phone_bidx, name)
           values ($1, $2, $3, $4)
           on conflict (merchant_id, phone_bidx) where phone_bidx is not null
           do update set name = coalesce(excluded.name, customers.name), updated_at = now()
           returning id as "id: CustomerId""#,
        merchant.0,
        enc,
        bidx,
        name
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(id)
}

pub async fn find_by_phone(
    tx: &mut TenantTx,
    index: &BlindIndexer,
    phone: &PhoneE164,
) -> Result<Option<CustomerId>> {
    let bidx = index.phone(tx.merchant(), phone);
    let id =
        sqlx::query_scalar!(r#"select id as "id: CustomerId" from customers where phone_bidx = $1"#, bidx)
            .fetch_optional(tx.conn())
            .await?;
    Ok(id)
}

/// The customer WhatsApp knows by this business-scoped user id (`US.…`), learnt from statuses.
pub async fn find_by_wa_user_id(tx: &mut TenantTx, user_id: &str) -> Result<Option<CustomerId>> {
    let id = sqlx::query_scalar!(
        r#"select id as "id: CustomerId" from customers where wa_user_id = $1 and erased_at is null
           order by created_at limit 1"#,
        user_id
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(id)
}

/// Decrypts a customer's phone number (for sending; never for logging).
pub async fn phone_of(tx: &mut TenantTx, cipher: &FieldCipher, id: CustomerId) -> Result<PhoneE164> {
    let merchant = tx.merchant();
    let enc = sqlx::query_scalar!("select phone_enc from customers where id = $1", id.0)
        .fetch_optional(tx.conn())
        .await?
        .flatten()
        .ok_or(Error::NotFound)?;
    let raw = cipher.decrypt_string(&enc, &phone_context(merchant))?;
    PhoneE164::parse(&raw, None).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Gives a customer a name when they have none (the simulator's made-up customers; WhatsApp's
/// profile names are not read from deliveries).
pub async fn name_if_unnamed(tx: &mut TenantTx, id: CustomerId, name: &str) -> Result<()> {
    sqlx::query!(
        "update customers set name = $2, updated_at = now() where id = $1 and name is null",
        id.0,
        name
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
