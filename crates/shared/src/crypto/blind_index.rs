//! Keyed blind index: HMAC-SHA256 of a normalized value, scoped to the merchant, so rows can be
//! found by phone number without storing the number, and the same person at two merchants is not
//! linkable through the index.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ids::MerchantId;
use crate::phone::PhoneE164;

#[derive(Clone)]
pub struct BlindIndexer {
    key: [u8; 32],
}

impl std::fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexer(..)")
    }
}

impl BlindIndexer {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    pub fn phone(&self, merchant: MerchantId, phone: &PhoneE164) -> Vec<u8> {
        self.index(merchant, "phone", phone.expose().as_bytes())
    }

    fn index(&self, merchant: MerchantId, purpose: &str, value: &[u8]) -> Vec<u8> {
        // The key is 32 bytes; HMAC accepts any key length, so this cannot fail.
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(merchant.0.as_bytes());
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_per_merchant_and_key() -> Result<(), crate::phone::PhoneError> {
        let p = PhoneE164::parse("+4915123456789", None)?;
        let (m1, m2) = (MerchantId::new(), MerchantId::new());
        let idx = BlindIndexer::new([7; 32]);
        assert_eq!(idx.phone(m1, &p), idx.phone(m1, &p));
        assert_ne!(idx.phone(m1, &p), idx.phone(m2, &p));
        assert_ne!(idx.phone(m1, &p), BlindIndexer::new([8; 32]).phone(m1, &p));
        Ok(())
    }
}
