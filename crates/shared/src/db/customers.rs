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
