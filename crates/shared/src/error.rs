//! The one error type of `revive-shared`. The API maps it to HTTP in one place.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Stored data that does not parse (a role or phone number the code cannot read): a bug or a
    /// manual edit, never the caller's fault.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// A model provider (an OpenAI-compatible endpoint) failed or answered nonsense, after its
    /// own retries. Never carries the API key.
    #[error("model provider: {0}")]
    Provider(String),
    #[error("migration error")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl Error {
    /// Maps a unique-constraint violation to `Conflict`, leaving other errors as they are.
    pub fn on_unique_violation(err: sqlx::Error, what: &'static str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(what),
            _ => Error::Database(err),
        }
    }
}
