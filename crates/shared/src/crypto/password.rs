//! argon2id password hashing. Log-in always runs exactly one verification, also for unknown
//! emails (against a dummy hash), so response time does not tell whether an account exists.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use super::CryptoError;

static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// A real argon2id hash of a random password, computed once, verified against when the account
/// does not exist.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let random = super::random_bytes::<16>();
    hash_password(&String::from_utf8_lossy(&random)).ok()
});

pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| CryptoError::PasswordHash)
}

/// Verifies `password` against `stored` (a PHC string), or against the dummy hash when there is
/// no stored hash. Returns false for unknown accounts, malformed hashes and wrong passwords.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let (phc, known) = match stored {
        Some(s) => (s, true),
        None => match DUMMY_HASH.as_deref() {
            Some(d) => (d, false),
            None => return false,
        },
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Counted right at the expensive step, so a test sees whether argon2 really ran.
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
    let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
    ok && known
}

/// Number of argon2 verifications this process has run: lets tests check that an unknown email
/// takes the same path as a wrong password.
pub fn verification_count() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

/// Forces the dummy hash to be computed now (at start-up) rather than on the first failed log-in.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() -> Result<(), CryptoError> {
        let h = hash_password("correct horse battery staple")?;
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("anything", None));
        assert!(!verify_password("anything", Some("not a phc string")));
        Ok(())
    }
}
