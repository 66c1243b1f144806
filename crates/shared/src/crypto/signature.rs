//! Webhook signatures: HMAC-SHA256 of the raw body, compared in constant time. Shopify sends it
//! base64-encoded, Meta as `sha256=` + hex (PROTOCOLS.md §1.2, §2.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// True when `signature` (raw bytes) is the HMAC-SHA256 of `body` under `secret`.
pub fn verify(secret: &[u8], body: &[u8], signature: &[u8]) -> bool {
    // HMAC takes keys of any length; the error arm cannot happen.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return false };
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

/// Shopify's `X-Shopify-Hmac-Sha256`: base64 of the HMAC. True when any of `secrets` signed it
/// (two during a rotation).
pub fn verify_shopify<S: AsRef<[u8]>>(secrets: &[S], body: &[u8], header: &str) -> bool {
    let Ok(signature) = STANDARD.decode(header.trim()) else { return false };
    // Every secret is tried, so the time taken does not tell which one matched.
    secrets.iter().fold(false, |ok, s| verify(s.as_ref(), body, &signature) | ok)
}

/// Base64 signature of `body`, as Shopify computes it (tests and benchmarks sign with it).
pub fn sign_shopify(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Meta's `X-Hub-Signature-256`: `sha256=` + lowercase hex of the HMAC under the app secret.
pub fn verify_meta(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else { return false };
    let Ok(signature) = hex::decode(hex_sig) else { return false };
    verify(secret, body, &signature)
}

/// `X-Hub-Signature-256` of `body`, as Meta computes it (tests and benchmarks sign with it).
pub fn sign_meta(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shopify_test_vector() {
        // PROTOCOLS.md §1.2: key "secret", body "test".
        assert_eq!(sign_shopify(b"secret", b"test"), "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ=");
        assert!(verify_shopify(&["secret"], b"test", "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="));
        assert!(verify_shopify(&["old", "secret"], b"test", "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="));
        assert!(!verify_shopify(&["secret"], b"test ", "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="));
        assert!(!verify_shopify(&["other"], b"test", "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="));
        assert!(!verify_shopify(&["secret"], b"test", "not base64!"));
        assert!(!verify_shopify::<&str>(&[], b"test", "Aymga2LNFrM+tnkr6MYLFY2Jou46h2/Omogeu0iMCRQ="));
    }

    #[test]
    fn meta_signature_is_hex_with_a_prefix() {
        let header = sign_meta(b"app-secret", b"{\"a\":1}");
        assert!(header.starts_with("sha256=") && header.len() == 7 + 64, "{header}");
        assert!(verify_meta(b"app-secret", b"{\"a\":1}", &header));
        assert!(!verify_meta(b"app-secret", b"{\"a\": 1}", &header));
        assert!(!verify_meta(b"other", b"{\"a\":1}", &header));
        assert!(!verify_meta(b"app-secret", b"{\"a\":1}", header.trim_start_matches("sha256=")));
        assert!(!verify_meta(b"app-secret", b"{\"a\":1}", "sha256=zz"));
    }
}
