//! Opaque bearer tokens (session cookies): 256 random bits, base64url; only their SHA-256 is
//! stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};

pub struct NewToken {
    pub plaintext: SecretString,
    pub hash: [u8; 32],
}

pub fn generate() -> NewToken {
    let plaintext = URL_SAFE_NO_PAD.encode(super::random_bytes::<32>());
    let hash = super::sha256(plaintext.as_bytes());
    NewToken { plaintext: SecretString::from(plaintext), hash }
}

pub fn hash(presented: &str) -> [u8; 32] {
    super::sha256(presented.as_bytes())
}

/// The CSRF token that goes with a session token: derived from it, so it needs no storage, and
/// unguessable without the (HttpOnly) session cookie.
pub fn csrf_for(session_token: &SecretString) -> String {
    let mut input = b"revive-csrf:".to_vec();
    input.extend_from_slice(session_token.expose_secret().as_bytes());
    URL_SAFE_NO_PAD.encode(super::sha256(&input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_matches() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plaintext.expose_secret(), b.plaintext.expose_secret());
        assert_eq!(hash(a.plaintext.expose_secret()), a.hash);
        assert_eq!(a.plaintext.expose_secret().len(), 43);
        assert_ne!(csrf_for(&a.plaintext), csrf_for(&b.plaintext));
    }
}
