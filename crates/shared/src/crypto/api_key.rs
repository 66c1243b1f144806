//! API keys: `rvk_` + base58(32 random bytes ‖ CRC-32 of them). The prefix makes a leaked key
//! recognisable to secret scanners; the checksum rejects typos and junk without a database trip.
//! Only the SHA-256 of the whole key is stored; the key is shown once.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::CryptoError;

pub const PREFIX: &str = "rvk_";
/// How many characters of a key are kept to tell keys apart in lists.
const DISPLAY_LEN: usize = PREFIX.len() + 8;

pub struct NewApiKey {
    pub plaintext: SecretString,
    pub hash: ApiKeyHash,
    pub display_prefix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyHash(pub [u8; 32]);

pub fn generate() -> NewApiKey {
    let secret = super::random_bytes::<32>();
    let mut body = secret.to_vec();
    body.extend_from_slice(&crc32fast::hash(&secret).to_be_bytes());
    let plaintext = format!("{PREFIX}{}", bs58::encode(body).into_string());
    let display_prefix = plaintext[..DISPLAY_LEN].to_owned();
    let hash = ApiKeyHash(super::sha256(plaintext.as_bytes()));
    NewApiKey { plaintext: SecretString::from(plaintext), hash, display_prefix }
}

/// Checks the shape and checksum of a presented key and returns the hash to look up.
pub fn parse(presented: &str) -> Result<ApiKeyHash, CryptoError> {
    let body = presented.strip_prefix(PREFIX).ok_or(CryptoError::MalformedApiKey)?;
    if body.len() > 60 {
        return Err(CryptoError::MalformedApiKey);
    }
    let bytes = bs58::decode(body).into_vec().map_err(|_| CryptoError::MalformedApiKey)?;
    let (secret, checksum) = bytes.split_at_checked(32).ok_or(CryptoError::MalformedApiKey)?;
    if checksum != crc32fast::hash(secret).to_be_bytes() {
        return Err(CryptoError::MalformedApiKey);
    }
    Ok(ApiKeyHash(super::sha256(presented.as_bytes())))
}

impl NewApiKey {
    pub fn expose(&self) -> &str {
        self.plaintext.expose_secret()
    }
}

/// What an API key may do. Stored as the strings below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "events:write")]
    EventsWrite,
    #[serde(rename = "imports:write")]
    ImportsWrite,
    #[serde(rename = "customers:read")]
    CustomersRead,
    /// Erasing customers.
    #[serde(rename = "customers:write")]
    CustomersWrite,
    #[serde(rename = "messages:read")]
    MessagesRead,
    #[serde(rename = "messages:write")]
    MessagesWrite,
    #[serde(rename = "knowledge:read")]
    KnowledgeRead,
    #[serde(rename = "knowledge:write")]
    KnowledgeWrite,
    #[serde(rename = "conversations:read")]
    ConversationsRead,
    #[serde(rename = "conversations:write")]
    ConversationsWrite,
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::EventsWrite,
        Scope::ImportsWrite,
        Scope::CustomersRead,
        Scope::CustomersWrite,
        Scope::MessagesRead,
        Scope::MessagesWrite,
        Scope::KnowledgeRead,
        Scope::KnowledgeWrite,
        Scope::ConversationsRead,
        Scope::ConversationsWrite,
        Scope::AnalyticsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EventsWrite => "events:write",
            Scope::ImportsWrite => "imports:write",
            Scope::CustomersRead => "customers:read",
            Scope::CustomersWrite => "customers:write",
            Scope::MessagesRead => "messages:read",
            Scope::MessagesWrite => "messages:write",
            Scope::KnowledgeRead => "knowledge:read",
            Scope::KnowledgeWrite => "knowledge:write",
            Scope::ConversationsRead => "conversations:read",
            Scope::ConversationsWrite => "conversations:write",
            Scope::AnalyticsRead => "analytics:read",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_hash_consistently() -> Result<(), CryptoError> {
        let k = generate();
        assert!(k.expose().starts_with("rvk_"));
        assert_eq!(k.display_prefix.len(), 12);
        assert_eq!(parse(k.expose())?, k.hash);
        Ok(())
    }

    #[test]
    fn typos_and_junk_are_rejected_by_the_checksum() {
        let k = generate();
        let key = k.expose();
        let last = key.chars().last().unwrap_or('1');
        let swapped = if last == '2' { '3' } else { '2' };
        let typo = format!("{}{swapped}", &key[..key.len() - 1]);
        assert_eq!(parse(&typo), Err(CryptoError::MalformedApiKey));
        assert_eq!(parse("rvk_"), Err(CryptoError::MalformedApiKey));
        assert_eq!(parse("sk_live_abc"), Err(CryptoError::MalformedApiKey));
        assert_eq!(parse(&format!("rvk_{}", "1".repeat(500))), Err(CryptoError::MalformedApiKey));
    }

    #[test]
    fn scopes_round_trip() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Scope::parse("root"), None);
    }
}
