//! A merchant's WhatsApp account: the Meta phone number and its encrypted access token, or the
//! sandbox when none is connected.

use secrecy::SecretString;

use super::TenantTx;
use crate::Result;
use crate::crypto::FieldCipher;

fn token_context(merchant: crate::ids::MerchantId) -> String {
    format!("whatsapp_accounts.access_token:{merchant}")
}

pub enum Account {
    Sandbox,
    Meta { phone_number_id: String, token: SecretString, messages_per_second: i32 },
}

/// The merchant's newest account; the sandbox when there is none.
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

/// Connects a Meta phone number (its access token stored encrypted).
pub async fn connect_meta(
    tx: &mut TenantTx,
    cipher: &FieldCipher,
    phone_number_id: &str,
    token: &str,
) -> Result<uuid::Uuid> {
    let merchant = tx.merchant();
    let enc = cipher.encrypt_str(token, &token_context(merchant))?;
    let id = sqlx::query_scalar!(
        "insert into whatsapp_accounts (merchant_id, mode, phone_number_id, access_token_enc)
         values ($1, 'meta', $2, $3) returning id",
        merchant.0,
        phone_number_id,
        enc
    )
    .fetch_one(tx.conn())
    .await
    .map_err(|e| crate::Error::on_unique_violation(e, "this phone number is already connected"))?;
    Ok(id)
}
