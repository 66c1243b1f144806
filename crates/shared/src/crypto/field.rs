//! AES-256-GCM field encryption with a key id in every ciphertext.
//!
//! Layout: `0x01 | key id length (1 byte) | key id | 12-byte nonce | ciphertext + 16-byte tag`.
//! The caller's context (table, column, merchant) is the associated data, so a ciphertext copied
//! to another row or tenant fails to decrypt. Rotation: encrypt with the current key, decrypt with
//! whichever key the ciphertext names.

use std::collections::HashMap;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Generate, KeyInit, Nonce, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use super::CryptoError;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// The configured keys: one current key for encryption and any number of older ones.
pub struct KeyRing {
    pub current_id: String,
    pub current: SecretString,
    /// `(id, base64 key)` pairs still needed for decryption.
    pub previous: Vec<(String, SecretString)>,
}

#[derive(Clone)]
pub struct FieldCipher {
    current_id: String,
    keys: HashMap<String, Aes256Gcm>,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldCipher").field("current_id", &self.current_id).finish_non_exhaustive()
    }
}

/// Decodes a base64 key and checks it is 32 bytes. `name` goes into the error, never the key.
pub fn decode_key(b64: &SecretString, name: &'static str) -> Result<[u8; 32], CryptoError> {
    let bytes = STANDARD.decode(b64.expose_secret().trim()).map_err(|_| CryptoError::BadKey(name))?;
    bytes.try_into().map_err(|_| CryptoError::BadKey(name))
}

impl FieldCipher {
    pub fn new(ring: &KeyRing) -> Result<Self, CryptoError> {
        if ring.current_id.is_empty() || ring.current_id.len() > 32 {
            return Err(CryptoError::BadKey("ENCRYPTION_KEY_ID"));
        }
        let mut keys = HashMap::new();
        for (id, key) in &ring.previous {
            let key = decode_key(key, "ENCRYPTION_PREVIOUS_KEYS")?;
            keys.insert(id.clone(), aes(&key));
        }
        let current = decode_key(&ring.current, "ENCRYPTION_KEY")?;
        keys.insert(ring.current_id.clone(), aes(&current));
        Ok(Self { current_id: ring.current_id.clone(), keys })
    }

    pub fn current_key_id(&self) -> &str {
        &self.current_id
    }

    pub fn encrypt(&self, plaintext: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        let cipher = self
            .keys
            .get(&self.current_id)
            .ok_or_else(|| CryptoError::UnknownKey(self.current_id.clone()))?;
        let nonce = Nonce::<Aes256Gcm>::generate();
        let sealed = cipher
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Tampered)?;
        let id = self.current_id.as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.push(id.len() as u8); // checked <= 32 in new()
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, blob: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        let (&version, rest) = blob.split_first().ok_or(CryptoError::Malformed)?;
        if version != VERSION {
            return Err(CryptoError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(CryptoError::Malformed)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let id = std::str::from_utf8(id).map_err(|_| CryptoError::Malformed)?;
        let cipher = self.keys.get(id).ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| CryptoError::Malformed)?;
        cipher
            .decrypt(&nonce, Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Tampered)
    }

    pub fn encrypt_str(&self, plaintext: &str, context: &str) -> Result<Vec<u8>, CryptoError> {
        self.encrypt(plaintext.as_bytes(), context)
    }

    pub fn decrypt_string(&self, blob: &[u8], context: &str) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt(blob, context)?).map_err(|_| CryptoError::Malformed)
    }

    /// The key id a ciphertext was sealed with, so a re-encryption job can find stale rows.
    pub fn key_id_of(blob: &[u8]) -> Option<&str> {
        let id_len = usize::from(*blob.get(1)?);
        std::str::from_utf8(blob.get(2..2 + id_len)?).ok()
    }
}

fn aes(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(key.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretString {
        SecretString::from(STANDARD.encode([byte; 32]))
    }

    fn ring(current: (&str, u8), previous: &[(&str, u8)]) -> KeyRing {
        KeyRing {
            current_id: current.0.to_owned(),
            current: key(current.1),
            previous: previous.iter().map(|(id, b)| ((*id).to_owned(), key(*b))).collect(),
        }
    }

    #[test]
    fn round_trip() -> Result<(), CryptoError> {
        let c = FieldCipher::new(&ring(("k1", 1), &[]))?;
        let blob = c.encrypt_str("+4915123456789", "customers.phone:m1")?;
        assert!(!blob.windows(13).any(|w| w == b"4915123456789"));
        assert_eq!(c.decrypt_string(&blob, "customers.phone:m1")?, "+4915123456789");
        assert_eq!(FieldCipher::key_id_of(&blob), Some("k1"));
        Ok(())
    }

    #[test]
    fn rotation_decrypts_old_and_encrypts_with_new() -> Result<(), CryptoError> {
        let old = FieldCipher::new(&ring(("k1", 1), &[]))?;
        let blob_k1 = old.encrypt_str("secret", "ctx")?;

        let rotated = FieldCipher::new(&ring(("k2", 2), &[("k1", 1)]))?;
        assert_eq!(rotated.decrypt_string(&blob_k1, "ctx")?, "secret");
        let blob_k2 = rotated.encrypt_str("secret", "ctx")?;
        assert_eq!(FieldCipher::key_id_of(&blob_k2), Some("k2"));

        // The old process, which never learned k2, cannot read the new ciphertext.
        assert_eq!(old.decrypt(&blob_k2, "ctx"), Err(CryptoError::UnknownKey("k2".into())));
        // Once k1 is retired, its ciphertexts are unreadable: rotation must re-encrypt first.
        let retired = FieldCipher::new(&ring(("k2", 2), &[]))?;
        assert_eq!(retired.decrypt(&blob_k1, "ctx"), Err(CryptoError::UnknownKey("k1".into())));
        Ok(())
    }

    #[test]
    fn tampering_is_rejected() -> Result<(), CryptoError> {
        let c = FieldCipher::new(&ring(("k1", 1), &[]))?;
        let blob = c.encrypt_str("secret", "ctx")?;
        for i in 2 + 2..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            assert_eq!(c.decrypt(&bad, "ctx"), Err(CryptoError::Tampered), "flipped byte {i}");
        }
        assert_eq!(c.decrypt(&blob, "other-ctx"), Err(CryptoError::Tampered));
        assert_eq!(c.decrypt(&blob[..10], "ctx"), Err(CryptoError::Malformed));
        assert_eq!(c.decrypt(&[], "ctx"), Err(CryptoError::Malformed));
        Ok(())
    }

    #[test]
    fn bad_keys_are_named() {
        let bad =
            KeyRing { current_id: "k1".into(), current: SecretString::from("c2hvcnQ="), previous: vec![] };
        assert_eq!(FieldCipher::new(&bad).err(), Some(CryptoError::BadKey("ENCRYPTION_KEY")));
    }
}
