//! A merchant's WhatsApp account: the Meta phone number with its encrypted access token and app
//! secret, or the sandbox when none is connected. One account per merchant.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use sqlx::PgPool;

use super::TenantTx;
use crate::crypto::{FieldCipher, sha256};
use crate::ids::MerchantId;
use crate::{Error, Result};

fn token_context(merchant: MerchantId) -> String {
    format!("whatsapp_accounts.access_token:{merchant}")
}

fn secret_context(merchant: MerchantId) -> String {
    format!("whatsapp_accounts.app_secret:{merchant}")
}

pub enum Account {
    Sandbox,
    Meta { phone_number_id: String, token: SecretString, messages_per_second: i32 },
}

/// The merchant's account; the sandbox when there is none.
pub async fn current(tx: &mut TenantTx, cipher: &FieldCipher) -> Result<Account> {
    let merchant = tx.merchant();
    let row = sqlx::query!(
        "select mode, phone_number_id, access_token_enc, messages_per_second from whatsapp_accounts
         order by created_at desc limit 1"
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(match row {
        Some(r) if r.mode == "meta" => match r.access_token_enc {
            Some(enc) => Account::Meta {
                phone_number_id: r.phone_number_id,
                token: SecretString::from(cipher.decrypt_string(&enc, &token_context(merchant))?),
                messages_per_second: r.messages_per_second,
            },
            None => Account::Sandbox,
        },
        _ => Account::Sandbox,
    })
}

/// The account as the API shows it: no token, no secret, only whether they are set.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: uuid::Uuid,
    pub phone_number_id: String,
    pub waba_id: Option<String>,
    pub messages_per_second: i32,
    pub has_access_token: bool,
    pub has_app_secret: bool,
    pub has_verify_token: bool,
    /// When a status webhook last arrived for this number.
    pub statuses_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn view(tx: &mut TenantTx) -> Result<Option<AccountView>> {
    let row = sqlx::query_as!(
        AccountView,
        r#"select id, phone_number_id, waba_id, messages_per_second,
                  access_token_enc is not null as "has_access_token!",
                  app_secret_enc is not null as "has_app_secret!",
                  verify_token_hash is not null as "has_verify_token!",
                  statuses_seen_at, created_at, updated_at
           from whatsapp_accounts where mode = 'meta' order by created_at desc limit 1"#
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

/// What a merchant sends to connect (or change) their Meta number.
pub struct Connect<'a> {
    pub phone_number_id: &'a str,
    pub waba_id: Option<&'a str>,
    pub access_token: &'a str,
    pub app_secret: Option<&'a str>,
    pub verify_token: Option<&'a str>,
    pub messages_per_second: Option<i32>,
}

/// Connects a Meta number, replacing the merchant's previous one; secrets stored encrypted, the
/// verify token as a hash. 409 when another merchant already connected this number.
pub async fn connect(tx: &mut TenantTx, cipher: &FieldCipher, c: &Connect<'_>) -> Result<uuid::Uuid> {
    let merchant = tx.merchant();
    let token = cipher.encrypt_str(c.access_token, &token_context(merchant))?;
    let secret = c.app_secret.map(|s| cipher.encrypt_str(s, &secret_context(merchant))).transpose()?;
    let verify = c.verify_token.map(|t| sha256(t.as_bytes()).to_vec());
    let existing = sqlx::query_scalar!("select id from whatsapp_accounts order by created_at desc limit 1")
        .fetch_optional(tx.conn())
        .await?;
    let id = match existing {
        Some(id) => {
            sqlx::query_scalar!(
                "update whatsapp_accounts set mode = 'meta', phone_number_id = $2, waba_id = $3,
                    access_token_enc = $4,
                    -- The sandbox's secret signs the simulator's deliveries, never Meta's.
                    app_secret_enc = case when mode = 'sandbox' then $5 else coalesce($5, app_secret_enc) end,
                    verify_token_hash = coalesce($6, verify_token_hash),
                    messages_per_second = coalesce($7, messages_per_second),
                    statuses_seen_at = case when phone_number_id = $2 then statuses_seen_at end,
                    updated_at = now()
             where id = $1 returning id",
                id,
                c.phone_number_id,
                c.waba_id,
                token,
                secret,
                verify,
                c.messages_per_second
            )
            .fetch_one(tx.conn())
            .await
        }
        None => {
            sqlx::query_scalar!(
            "insert into whatsapp_accounts (merchant_id, mode, phone_number_id, waba_id, access_token_enc,
                                            app_secret_enc, verify_token_hash, messages_per_second)
             values ($1, 'meta', $2, $3, $4, $5, $6, coalesce($7, 80)) returning id",
            merchant.0,
            c.phone_number_id,
            c.waba_id,
            token,
            secret,
            verify,
            c.messages_per_second
        )
            .fetch_one(tx.conn())
            .await
        }
    }
    .map_err(|e| Error::on_unique_violation(e, "this phone number is already connected"))?;
    Ok(id)
}

/// Connects a Meta number with only its access token (tests and the demo seed).
pub async fn connect_meta(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    phone_number_id: &str,
    token: &str,
) -> Result<uuid::Uuid> {
    let c = Connect {
        phone_number_id,
        waba_id: None,
        access_token: token,
        app_secret: None,
        verify_token: None,
        messages_per_second: None,
    };
    connect(tx, cipher, &c).await
}

/// Disconnects the merchant's number: messages go to the sandbox again. `false` when none was connected.
pub async fn disconnect(tx: &mut TenantTx) -> Result<bool> {
    let done = sqlx::query!("delete from whatsapp_accounts").execute(tx.conn()).await?;
    Ok(done.rows_affected() > 0)
}

/// Notes that status webhooks arrive for this account (written at most once a minute).
pub async fn saw_statuses(tx: &mut TenantTx, account: uuid::Uuid, now: DateTime<Utc>) -> Result<()> {
    sqlx::query!(
        "update whatsapp_accounts set statuses_seen_at = $2
         where id = $1 and (statuses_seen_at is null or statuses_seen_at < $2::timestamptz - interval '1 minute')",
        account,
        now
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether the merchant's status webhooks are known to arrive: a status seen within `within`
/// (or the sandbox, which needs none: it cannot deliver anything twice to a real phone).
pub async fn statuses_flowing(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    within: chrono::Duration,
) -> Result<bool> {
    let row =
        sqlx::query!("select mode, statuses_seen_at from whatsapp_accounts order by created_at desc limit 1")
            .fetch_optional(tx.conn())
            .await?;
    Ok(match row {
        None => true,
        Some(r) if r.mode == "sandbox" => true,
        Some(r) => r.statuses_seen_at.is_some_and(|at| at > now - within),
    })
}

/// The account a per-account webhook URL names, with its app secret decrypted.
pub struct WebhookAccount {
    pub merchant_id: MerchantId,
    pub account_id: uuid::Uuid,
    pub phone_number_id: String,
    pub app_secret: Option<SecretString>,
    verify_token_hash: Option<Vec<u8>>,
}

impl WebhookAccount {
    /// Compares Meta's `hub.verify_token` with the stored hash, in constant time.
    pub fn verify_token_matches(&self, token: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.verify_token_hash.as_deref().is_some_and(|h| bool::from(h.ct_eq(&sha256(token.as_bytes()))))
    }
}

pub async fn webhook_account(
    pool: &PgPool,
    cipher: &FieldCipher,
    id: uuid::Uuid,
) -> Result<Option<WebhookAccount>> {
    let Some(row) = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", phone_number_id as "phone_number_id!",
                  app_secret_enc, verify_token_hash
           from revive_private.webhook_whatsapp_account($1)"#,
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let app_secret = row
        .app_secret_enc
        .map(|enc| cipher.decrypt_string(&enc, &secret_context(row.merchant_id)).map(SecretString::from))
        .transpose()?;
    Ok(Some(WebhookAccount {
        merchant_id: row.merchant_id,
        account_id: id,
        phone_number_id: row.phone_number_id,
        app_secret,
        verify_token_hash: row.verify_token_hash,
    }))
}

/// The merchant and account of a business phone number (for the platform webhook's routing).
pub async fn by_phone_number_id(
    pool: &PgPool,
    phone_number_id: &str,
) -> Result<Option<(MerchantId, uuid::Uuid)>> {
    let row = sqlx::query!(
        r#"select merchant_id as "merchant_id!: MerchantId", account_id as "account_id!"
           from revive_private.whatsapp_account_by_phone_number_id($1)"#,
        phone_number_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.merchant_id, r.account_id)))
}

/// The sandbox's webhook identity: its account id, phone number id and app secret, created on
/// first use. The simulator signs the deliveries it makes up with this secret and sends them down
/// the per-account webhook path, so they are checked and stored like Meta's. `None` when the
/// merchant connected a real number (a simulated customer must never be answered on a real one).
pub async fn sandbox_identity(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
) -> Result<Option<(uuid::Uuid, String, SecretString)>> {
    let merchant = tx.merchant();
    let row = sqlx::query!(
        "select id, mode, phone_number_id, app_secret_enc from whatsapp_accounts
         order by created_at desc limit 1 for update"
    )
    .fetch_optional(tx.conn())
    .await?;
    let context = secret_context(merchant);
    let fresh = || -> Result<(String, Vec<u8>)> {
        let secret = hex::encode(crate::crypto::random_bytes::<32>());
        let enc = cipher.encrypt_str(&secret, &context)?;
        Ok((secret, enc))
    };
    match row {
        Some(r) if r.mode == "meta" => Ok(None),
        Some(r) => match r.app_secret_enc {
            Some(enc) => {
                let secret = SecretString::from(cipher.decrypt_string(&enc, &context)?);
                Ok(Some((r.id, r.phone_number_id, secret)))
            }
            None => {
                let (secret, enc) = fresh()?;
                sqlx::query!("update whatsapp_accounts set app_secret_enc = $2 where id = $1", r.id, enc)
                    .execute(tx.conn())
                    .await?;
                Ok(Some((r.id, r.phone_number_id, SecretString::from(secret))))
            }
        },
        None => {
            let (secret, enc) = fresh()?;
            let phone_number_id = format!("sandbox-{}", merchant.0.simple());
            let id = sqlx::query_scalar!(
                "insert into whatsapp_accounts (merchant_id, mode, phone_number_id, app_secret_enc)
                 values ($1, 'sandbox', $2, $3) returning id",
                merchant.0,
                phone_number_id,
                enc
            )
            .fetch_one(tx.conn())
            .await?;
            Ok(Some((id, phone_number_id, SecretString::from(secret))))
        }
    }
}
