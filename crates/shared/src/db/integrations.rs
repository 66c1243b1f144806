//! Store connections: Shopify (shop domain + encrypted webhook secret), CSV and API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

use super::TenantTx;
use crate::crypto::FieldCipher;
use crate::ids::{IntegrationId, MerchantId};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Shopify,
    Csv,
    Api,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Shopify => "shopify",
            Kind::Csv => "csv",
            Kind::Api => "api",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "shopify" => Ok(Kind::Shopify),
            "csv" => Ok(Kind::Csv),
            "api" => Ok(Kind::Api),
            other => Err(Error::Corrupt(format!("integration kind {other:?}"))),
        }
    }
}

/// An integration as the dashboard sees it: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Integration {
    pub id: IntegrationId,
    pub kind: Kind,
    pub name: String,
    /// `active` or `paused`. Events for a paused integration are stored as `ignored`.
    pub status: String,
    pub shop_domain: Option<String>,
    /// True while a rotated-out webhook secret is still accepted.
    pub rotating_secret: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_event_at: Option<DateTime<Utc>>,
}

struct Row {
    id: IntegrationId,
    kind: String,
    name: String,
    status: String,
    shop_domain: Option<String>,
    rotating_secret: Option<bool>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_event_at: Option<DateTime<Utc>>,
}

impl TryFrom<Row> for Integration {
    type Error = Error;
    fn try_from(r: Row) -> Result<Self> {
        Ok(Integration {
            id: r.id,
            kind: Kind::parse(&r.kind)?,
            name: r.name,
            status: r.status,
            shop_domain: r.shop_domain,
            rotating_secret: r.rotating_secret.unwrap_or(false),
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_event_at: r.last_event_at,
        })
    }
}

/// Associated data binding a webhook secret ciphertext to its merchant.
fn secret_context(merchant: MerchantId) -> String {
    format!("integrations.webhook_secret:{merchant}")
}

pub struct NewIntegration<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub shop_domain: Option<&'a str>,
    pub webhook_secret: Option<&'a str>,
}

pub async fn create(tx: &mut TenantTx, cipher: &FieldCipher, new: NewIntegration<'_>) -> Result<Integration> {
    let merchant = tx.merchant();
    let secret_enc =
        new.webhook_secret.map(|s| cipher.encrypt_str(s, &secret_context(merchant))).transpose()?;
    let row = sqlx::query_as!(
        Row,
        r#"insert into integrations (merchant_id, kind, name, shop_domain, webhook_secret_enc)
           values ($1, $2, $3, $4, $5)
           returning id as "id: IntegrationId", kind, name, status, shop_domain,
                     previous_secret_expires_at > now() as rotating_secret, created_at, updated_at,
                     last_event_at"#,
        merchant.0,
        new.kind.as_str(),
        new.name,
        new.shop_domain,
        secret_enc
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| Error::on_unique_violation(e, "this shop is already connected"))?;
    row.try_into()
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<Integration>> {
    let rows = sqlx::query_as!(
        Row,
        r#"select id as "id: IntegrationId", kind, name, status, shop_domain,
                  previous_secret_expires_at > now() as rotating_secret, created_at, updated_at,
                  last_event_at
           from integrations order by created_at"#
    )
    .fetch_all(tx.conn())
    .await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

pub async fn get(tx: &mut TenantTx, id: IntegrationId) -> Result<Integration> {
    let row = sqlx::query_as!(
        Row,
        r#"select id as "id: IntegrationId", kind, name, status, shop_domain,
                  previous_secret_expires_at > now() as rotating_secret, created_at, updated_at,
                  last_event_at
           from integrations where id = $1"#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(Error::NotFound)?;
    row.try_into()
}

/// Renames or pauses / resumes an integration.
pub async fn update(
    tx: &mut TenantTx,
    id: IntegrationId,
    name: Option<&str>,
    status: Option<&str>,
) -> Result<()> {
    let found = sqlx::query_scalar!(
        r#"update integrations set name = coalesce($2, name), status = coalesce($3, status), updated_at = now()
           where id = $1 returning id as "id: IntegrationId""#,
        id.0,
        name,
        status
    )
    .fetch_optional(tx.conn())
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// Replaces a Shopify webhook secret. The old one stays valid for `overlap`, because Shopify
/// keeps signing with it for a while after a rotation.
pub async fn rotate_secret(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    id: IntegrationId,
    secret: &str,
    overlap: chrono::Duration,
) -> Result<()> {
    let merchant = tx.merchant();
    let enc = cipher.encrypt_str(secret, &secret_context(merchant))?;
    let until = Utc::now() + overlap;
    let found = sqlx::query_scalar!(
        r#"update integrations
           set previous_webhook_secret_enc = webhook_secret_enc, previous_secret_expires_at = $3,
               webhook_secret_enc = $2, updated_at = now()
           where id = $1 and kind = 'shopify' returning id as "id: IntegrationId""#,
        id.0,
        enc,
        until
    )
    .fetch_optional(tx.conn())
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// Deletes an integration. Its events stay (their `integration_id` becomes null).
pub async fn delete(tx: &mut TenantTx, id: IntegrationId) -> Result<()> {
    let found = sqlx::query_scalar!(
        r#"delete from integrations where id = $1 returning id as "id: IntegrationId""#,
        id.0
    )
    .fetch_optional(tx.conn())
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// The merchant's newest integration of `kind`, if any: CSV imports and API events attach to it.
pub async fn newest_of_kind(tx: &mut TenantTx, kind: Kind) -> Result<Option<(IntegrationId, bool)>> {
    let row = sqlx::query!(
        r#"select id as "id: IntegrationId", status = 'active' as "active!"
           from integrations where kind = $1 order by created_at desc limit 1"#,
        kind.as_str()
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.id, r.active)))
}

pub async fn touch_last_event(tx: &mut TenantTx, id: IntegrationId) -> Result<()> {
    // At most once a minute: a burst of webhooks must not serialize on this row.
    sqlx::query!(
        "update integrations set last_event_at = now()
         where id = $1 and (last_event_at is null or last_event_at < now() - interval '1 minute')",
        id.0
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The integration a Shopify webhook is addressed to, found before the tenant is known, with
/// its secrets decrypted.
pub struct WebhookTarget {
    pub merchant_id: MerchantId,
    pub kind: Kind,
    pub active: bool,
    pub shop_domain: Option<String>,
    /// The current secret first, then the previous one while its rotation window is open.
    pub secrets: Vec<secrecy::SecretString>,
}

pub async fn webhook_target(
    pool: &PgPool,
    cipher: &FieldCipher,
    id: IntegrationId,
) -> Result<Option<WebhookTarget>> {
    let Some(row) = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", kind as "kind!", status as "status!",
                  shop_domain, secret_enc, previous_secret_enc
           from revive_private.webhook_integration($1)"#,
        id.0
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let context = secret_context(row.merchant_id);
    let secrets = [row.secret_enc, row.previous_secret_enc]
        .into_iter()
        .flatten()
        .map(|enc| cipher.decrypt_string(&enc, &context).map(secrecy::SecretString::from))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Some(WebhookTarget {
        merchant_id: row.merchant_id,
        kind: Kind::parse(&row.kind)?,
        active: row.status == "active",
        shop_domain: row.shop_domain,
        secrets,
    }))
}
