//! Crypto primitives: field encryption with key rotation, blind indexes, password hashing,
//! API keys and opaque tokens.

pub mod api_key;
pub mod blind_index;
pub mod field;
pub mod password;
pub mod signature;
pub mod token;

pub use api_key::{ApiKeyHash, NewApiKey, Scope};
pub use blind_index::BlindIndexer;
pub use field::{FieldCipher, KeyRing};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("ciphertext is malformed")]
    Malformed,
    #[error("ciphertext was encrypted with unknown key id {0:?}")]
    UnknownKey(String),
    #[error("ciphertext failed authentication")]
    Tampered,
    #[error("key must be 32 bytes of base64 ({0})")]
    BadKey(&'static str),
    #[error("API key is malformed")]
    MalformedApiKey,
    #[error("password hashing failed")]
    PasswordHash,
}

/// SHA-256 of `data`. Used for stored hashes of high-entropy secrets (tokens, API keys), where a
/// slow hash adds nothing.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// Fills a fresh array from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // getrandom only fails when the OS has no entropy source at all; nothing sensible can run then.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("operating system random number generator is unavailable");
    buf
}
