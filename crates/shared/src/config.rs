//! Configuration from the environment (and a `.env` file when present), typed once at start-up.
//! Every setting is listed, with a comment, in `.env.example`. A missing or malformed value stops
//! start-up with an error that names the variable, never its (possibly secret) value.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

use crate::crypto::{BlindIndexer, FieldCipher, KeyRing, field::decode_key};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {name} is required but not set")]
    Missing { name: String },
    #[error("configuration: {name} is invalid: {reason}")]
    Invalid { name: String, reason: String },
}

/// Raw settings as read from the environment; envy maps `database_url` to `DATABASE_URL`.
#[derive(Deserialize)]
struct Raw {
    #[serde(default = "defaults::bind_addr")]
    bind_addr: String,
    #[serde(default = "defaults::public_base_url")]
    public_base_url: String,
    database_url: Option<SecretString>,
    database_owner_url: Option<SecretString>,
    #[serde(default = "defaults::run_migrations")]
    run_migrations: String,
    #[serde(default = "defaults::db_max_connections")]
    database_max_connections: String,
    redis_url: Option<SecretString>,
    encryption_key: Option<SecretString>,
    #[serde(default = "defaults::encryption_key_id")]
    encryption_key_id: String,
    encryption_previous_keys: Option<SecretString>,
    blind_index_key: Option<SecretString>,
    #[serde(default = "defaults::session_ttl_hours")]
    session_ttl_hours: String,
    cookie_secure: Option<String>,
    #[serde(default = "defaults::rate_ip")]
    rate_limit_per_ip_per_minute: String,
    #[serde(default = "defaults::rate_key")]
    rate_limit_per_api_key_per_hour: String,
    #[serde(default = "defaults::rate_merchant")]
    rate_limit_per_merchant_per_hour: String,
    #[serde(default = "defaults::max_body_bytes")]
    max_body_bytes: String,
    #[serde(default = "defaults::request_timeout_secs")]
    request_timeout_secs: String,
    #[serde(default = "defaults::shutdown_grace_secs")]
    shutdown_grace_secs: String,
    sentry_dsn: Option<String>,
    worker_metrics_addr: Option<String>,
    #[serde(default = "defaults::app_env")]
    app_env: String,
    #[serde(default = "defaults::log_format")]
    log_format: String,
    #[serde(default = "defaults::web_dist_dir")]
    web_dist_dir: String,
    #[serde(default = "defaults::queue_prefix")]
    queue_prefix: String,
    #[serde(default = "defaults::run_workers")]
    run_workers: String,
    #[serde(default = "defaults::worker_concurrency")]
    worker_concurrency: String,
    #[serde(default = "defaults::sweep_interval_secs")]
    sweep_interval_secs: String,
    #[serde(default = "defaults::ingest_max_body_bytes")]
    ingest_max_body_bytes: String,
    #[serde(default = "defaults::import_max_bytes")]
    import_max_bytes: String,
    #[serde(default = "defaults::import_wait_secs")]
    import_wait_secs: String,
    #[serde(default = "defaults::meta_graph_base_url")]
    meta_graph_base_url: String,
    #[serde(default = "defaults::meta_graph_version")]
    meta_graph_version: String,
    whatsapp_app_secret: Option<SecretString>,
    whatsapp_verify_token: Option<SecretString>,
    #[serde(default = "defaults::send_stuck_secs")]
    send_stuck_secs: String,
    #[serde(default = "defaults::event_recheck_secs")]
    event_recheck_secs: String,
    #[serde(default = "defaults::send_recipient_gap_secs")]
    send_recipient_gap_secs: String,
    #[serde(default)]
    demo_seed: Option<String>,
    #[serde(default = "defaults::demo_email")]
    demo_email: String,
    demo_password: Option<SecretString>,
    openai_api_key: Option<SecretString>,
    #[serde(default = "defaults::openai_base_url")]
    openai_base_url: String,
    #[serde(default = "defaults::ai_chat_model")]
    ai_chat_model: String,
    #[serde(default = "defaults::ai_embedding_model")]
    ai_embedding_model: String,
    #[serde(default = "defaults::ai_timeout_secs")]
    ai_timeout_secs: String,
    #[serde(default = "defaults::knowledge_reembed")]
    knowledge_reembed: String,
}

mod defaults {
    pub fn bind_addr() -> String {
        "0.0.0.0:8080".into()
    }
    pub fn public_base_url() -> String {
        "http://localhost:8080".into()
    }
    pub fn run_migrations() -> String {
        "true".into()
    }
    pub fn db_max_connections() -> String {
        "10".into()
    }
    pub fn encryption_key_id() -> String {
        "k1".into()
    }
    pub fn session_ttl_hours() -> String {
        "336".into()
    }
    pub fn rate_ip() -> String {
        "100".into()
    }
    pub fn rate_key() -> String {
        "1000".into()
    }
    pub fn rate_merchant() -> String {
        "5000".into()
    }
    pub fn max_body_bytes() -> String {
        "1048576".into()
    }
    pub fn request_timeout_secs() -> String {
        "30".into()
    }
    pub fn shutdown_grace_secs() -> String {
        "25".into()
    }
    pub fn app_env() -> String {
        "development".into()
    }
    pub fn log_format() -> String {
        "json".into()
    }
    pub fn web_dist_dir() -> String {
        "web/dist".into()
    }
    pub fn queue_prefix() -> String {
        "revive".into()
    }
    pub fn run_workers() -> String {
        "true".into()
    }
    pub fn worker_concurrency() -> String {
        "4".into()
    }
    pub fn sweep_interval_secs() -> String {
        "5".into()
    }
    pub fn ingest_max_body_bytes() -> String {
        "5242880".into()
    }
    pub fn import_max_bytes() -> String {
        "209715200".into()
    }
    pub fn import_wait_secs() -> String {
        "20".into()
    }
    pub fn meta_graph_base_url() -> String {
        "https://graph.facebook.com".into()
    }
    pub fn send_stuck_secs() -> String {
        "600".into()
    }
    pub fn event_recheck_secs() -> String {
        "600".into()
    }
    pub fn send_recipient_gap_secs() -> String {
        "60".into()
    }
    pub fn meta_graph_version() -> String {
        "v23.0".into()
    }
    pub fn demo_email() -> String {
        "demo@revive.local".into()
    }
    pub fn openai_base_url() -> String {
        "https://api.openai.com/v1".into()
    }
    pub fn ai_chat_model() -> String {
        "gpt-4o-mini".into()
    }
    pub fn ai_embedding_model() -> String {
        "text-embedding-3-small".into()
    }
    pub fn ai_timeout_secs() -> String {
        "30".into()
    }
    pub fn knowledge_reembed() -> String {
        "true".into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone)]
pub struct RateLimits {
    pub per_ip_per_minute: u32,
    pub per_api_key_per_hour: u32,
    pub per_merchant_per_hour: u32,
}

#[derive(Debug, Clone)]
pub struct DemoSeed {
    pub email: String,
    pub password: SecretString,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub public_base_url: String,
    /// The application role: no table ownership, no BYPASSRLS.
    pub database_url: SecretString,
    /// The owner role that runs migrations; `None` when migrations are applied elsewhere.
    pub database_owner_url: Option<SecretString>,
    pub run_migrations: bool,
    pub database_max_connections: u32,
    pub redis_url: SecretString,
    pub cipher: FieldCipher,
    pub blind_index: BlindIndexer,
    pub session_ttl_hours: u32,
    pub cookie_secure: bool,
    pub rate_limits: RateLimits,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
    pub sentry_dsn: Option<String>,
    /// Where a standalone `revive-workers` serves `/metrics` (unset: it serves none; the API's
    /// in-process workers report on the API's `/metrics`).
    pub worker_metrics_addr: Option<SocketAddr>,
    pub app_env: String,
    pub log_format: LogFormat,
    pub web_dist_dir: PathBuf,
    pub demo_seed: Option<DemoSeed>,
    pub jobs: JobSettings,
    pub ingest: IngestSettings,
    pub whatsapp: WhatsAppSettings,
    pub ai: AiSettings,
}

/// The hosted model, when `OPENAI_API_KEY` is set; without it the built-in local providers run.
#[derive(Debug, Clone)]
pub struct AiSettings {
    pub api_key: Option<SecretString>,
    /// Any OpenAI-compatible endpoint (a mock in tests, Ollama or vLLM for self-hosters).
    pub base_url: String,
    pub chat_model: String,
    /// Must produce (or be asked for) 1536-dimensional vectors, the column's size.
    pub embedding_model: String,
    /// Per request, retries included.
    pub timeout_secs: u64,
    /// Embed sources made by another model again (the sweeper, a batch at a time). Off only
    /// where processes with different models share one database (some tests).
    pub reembed: bool,
}

/// The Meta Graph API, for merchants who connected a WhatsApp number.
#[derive(Debug, Clone)]
pub struct WhatsAppSettings {
    /// Base URL without a trailing slash (a mock or proxy in tests and staging).
    pub graph_base_url: String,
    /// Pinned Graph API version, e.g. `v23.0`.
    pub graph_version: String,
    /// The platform Meta app's secret, which signs `POST /webhooks/whatsapp`. Merchants with their
    /// own Meta app use `/webhooks/whatsapp/{account_id}` and their account's secret instead.
    pub app_secret: Option<SecretString>,
    /// The token Meta echoes when `/webhooks/whatsapp` is subscribed.
    pub verify_token: Option<SecretString>,
}

/// Background jobs: where their queues live and how they run.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Prefix of every Redis key the queues write (`revive:process_event:data`, ...), so several
    /// deployments (or test runs) can share one Redis.
    pub queue_prefix: String,
    /// Run the workers inside `revive-api` as well (single-machine mode).
    pub run_in_api: bool,
    /// Jobs one worker process runs at once, per queue.
    pub concurrency: u32,
    /// How often the sweeper looks for events that the queue may not hold.
    pub sweep_interval_secs: u64,
    /// A send left `sending` this long (its worker stopped mid-send) is reconciled.
    pub send_stuck_secs: u64,
    /// An event queued this long without being processed is pushed again, in case Redis lost
    /// its job (a restart without persistence). Pushes are idempotent, so a lower value costs
    /// only sweeper queries.
    pub event_recheck_secs: u64,
    /// The least time between two retention messages to one customer (0: no gap). WhatsApp
    /// itself refuses more than about one message per 6 s to a recipient (131056).
    pub send_recipient_gap_secs: u64,
}

#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// Largest webhook body or events-API batch accepted (Shopify orders can be large).
    pub ingest_max_body_bytes: usize,
    /// Largest CSV upload accepted.
    pub import_max_bytes: u64,
    /// How long an upload request waits for its import to finish before answering 202 with the
    /// import to poll.
    pub import_wait_secs: u64,
}

impl Config {
    /// Reads `.env` (if present; real environment variables win) and then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal in production; a malformed one is not.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            // dotenvy's message quotes the offending line, which may hold a key: report where.
            Err(dotenvy::Error::LineParse(_, index)) => {
                return Err(invalid(".env", format!("cannot parse the line at byte {index}")));
            }
            Err(_) => return Err(invalid(".env", "cannot be read")),
        }
        Self::from_vars(std::env::vars())
    }

    /// Builds the configuration from explicit variables (tests use this).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        // Empty values count as unset, the way `.env.example` leaves optional settings.
        let vars: HashMap<String, String> = vars.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect();
        let raw: Raw = envy::from_iter(vars).map_err(|e| match e {
            envy::Error::MissingValue(name) => ConfigError::Missing { name: name.to_uppercase() },
            envy::Error::Custom(msg) => ConfigError::Invalid { name: "environment".into(), reason: msg },
        })?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: Raw) -> Result<Self, ConfigError> {
        let ring = KeyRing {
            current_id: raw.encryption_key_id.clone(),
            current: required(raw.encryption_key, "ENCRYPTION_KEY")?,
            previous: parse_previous_keys(raw.encryption_previous_keys)?,
        };
        let cipher = FieldCipher::new(&ring).map_err(|e| invalid_crypto(&e))?;
        let blind_key = required(raw.blind_index_key, "BLIND_INDEX_KEY")?;
        let blind_index =
            BlindIndexer::new(decode_key(&blind_key, "BLIND_INDEX_KEY").map_err(|e| invalid_crypto(&e))?);
        let public_base_url = raw.public_base_url.trim_end_matches('/').to_owned();
        if !(public_base_url.starts_with("http://") || public_base_url.starts_with("https://")) {
            return Err(invalid("PUBLIC_BASE_URL", "must start with http:// or https://"));
        }
        let cookie_secure = match raw.cookie_secure {
            Some(v) => parse_bool(&v, "COOKIE_SECURE")?,
            None => public_base_url.starts_with("https://"),
        };
        let app_env = raw.app_env;
        let demo_seed = match raw.demo_seed {
            Some(v) if parse_bool(&v, "DEMO_SEED")? => Some(DemoSeed {
                email: raw.demo_email.trim().to_lowercase(),
                password: required(raw.demo_password, "DEMO_PASSWORD")?,
            }),
            _ => None,
        };
        Ok(Config {
            bind_addr: raw
                .bind_addr
                .parse()
                .map_err(|_| invalid("BIND_ADDR", "expected host:port, e.g. 0.0.0.0:8080"))?,
            public_base_url,
            database_url: required(raw.database_url, "DATABASE_URL")?,
            database_owner_url: raw.database_owner_url,
            run_migrations: parse_bool(&raw.run_migrations, "RUN_MIGRATIONS")?,
            database_max_connections: parse_positive(
                &raw.database_max_connections,
                "DATABASE_MAX_CONNECTIONS",
            )?,
            redis_url: required(raw.redis_url, "REDIS_URL")?,
            cipher,
            blind_index,
            session_ttl_hours: parse_positive(&raw.session_ttl_hours, "SESSION_TTL_HOURS")?,
            cookie_secure,
            rate_limits: RateLimits {
                per_ip_per_minute: parse_positive(
                    &raw.rate_limit_per_ip_per_minute,
                    "RATE_LIMIT_PER_IP_PER_MINUTE",
                )?,
                per_api_key_per_hour: parse_positive(
                    &raw.rate_limit_per_api_key_per_hour,
                    "RATE_LIMIT_PER_API_KEY_PER_HOUR",
                )?,
                per_merchant_per_hour: parse_positive(
                    &raw.rate_limit_per_merchant_per_hour,
                    "RATE_LIMIT_PER_MERCHANT_PER_HOUR",
                )?,
            },
            max_body_bytes: parse_positive(&raw.max_body_bytes, "MAX_BODY_BYTES")? as usize,
            request_timeout_secs: u64::from(parse_positive(
                &raw.request_timeout_secs,
                "REQUEST_TIMEOUT_SECS",
            )?),
            shutdown_grace_secs: u64::from(parse_positive(&raw.shutdown_grace_secs, "SHUTDOWN_GRACE_SECS")?),
            worker_metrics_addr: raw
                .worker_metrics_addr
                .filter(|a| !a.trim().is_empty())
                .map(|a| a.trim().parse())
                .transpose()
                .map_err(|_| invalid("WORKER_METRICS_ADDR", "expected host:port, e.g. 0.0.0.0:9091"))?,
            sentry_dsn: raw.sentry_dsn,
            app_env,
            log_format: match raw.log_format.as_str() {
                "json" => LogFormat::Json,
                "pretty" => LogFormat::Pretty,
                _ => return Err(invalid("LOG_FORMAT", "expected json or pretty")),
            },
            web_dist_dir: PathBuf::from(raw.web_dist_dir),
            demo_seed,
            jobs: JobSettings {
                queue_prefix: parse_queue_prefix(&raw.queue_prefix)?,
                run_in_api: parse_bool(&raw.run_workers, "RUN_WORKERS")?,
                concurrency: parse_positive(&raw.worker_concurrency, "WORKER_CONCURRENCY")?,
                sweep_interval_secs: u64::from(parse_positive(
                    &raw.sweep_interval_secs,
                    "SWEEP_INTERVAL_SECS",
                )?),
                send_stuck_secs: u64::from(parse_positive(&raw.send_stuck_secs, "SEND_STUCK_SECS")?),
                event_recheck_secs: u64::from(parse_positive(&raw.event_recheck_secs, "EVENT_RECHECK_SECS")?),
                send_recipient_gap_secs: raw
                    .send_recipient_gap_secs
                    .trim()
                    .parse::<u32>()
                    .map(u64::from)
                    .map_err(|_| {
                        invalid(
                            "SEND_RECIPIENT_GAP_SECS",
                            "expected a whole number of seconds (0 for no gap)",
                        )
                    })?,
            },
            whatsapp: WhatsAppSettings {
                graph_base_url: {
                    let url = raw.meta_graph_base_url.trim().trim_end_matches('/').to_owned();
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(invalid("META_GRAPH_BASE_URL", "must start with http:// or https://"));
                    }
                    url
                },
                graph_version: {
                    let v = raw.meta_graph_version.trim();
                    let ok = v
                        .strip_prefix('v')
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit() || c == '.'));
                    if !ok {
                        return Err(invalid("META_GRAPH_VERSION", "expected a version like v23.0"));
                    }
                    v.to_owned()
                },
                // Empty variables were dropped above: set means non-empty.
                app_secret: raw.whatsapp_app_secret,
                verify_token: raw.whatsapp_verify_token,
            },
            ai: AiSettings {
                api_key: raw.openai_api_key,
                base_url: {
                    let url = raw.openai_base_url.trim().trim_end_matches('/').to_owned();
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return Err(invalid("OPENAI_BASE_URL", "must start with http:// or https://"));
                    }
                    url
                },
                chat_model: raw.ai_chat_model.trim().to_owned(),
                embedding_model: raw.ai_embedding_model.trim().to_owned(),
                timeout_secs: u64::from(parse_positive(&raw.ai_timeout_secs, "AI_TIMEOUT_SECS")?),
                reembed: parse_bool(&raw.knowledge_reembed, "KNOWLEDGE_REEMBED")?,
            },
            ingest: IngestSettings {
                ingest_max_body_bytes: parse_positive(&raw.ingest_max_body_bytes, "INGEST_MAX_BODY_BYTES")?
                    as usize,
                import_max_bytes: raw
                    .import_max_bytes
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        invalid("IMPORT_MAX_BYTES", "expected a positive whole number of bytes")
                    })?,
                import_wait_secs: raw
                    .import_wait_secs
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| invalid("IMPORT_WAIT_SECS", "expected a whole number of seconds"))?,
            },
        })
    }
}

/// Redis key prefixes: letters, digits, `-`, `_` and `:` only, so keys stay readable and safe.
fn parse_queue_prefix(v: &str) -> Result<String, ConfigError> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':'));
    if ok { Ok(v.to_owned()) } else { Err(invalid("QUEUE_PREFIX", "expected 1 to 64 of a-z, 0-9, -, _, :")) }
}

fn required(v: Option<SecretString>, name: &str) -> Result<SecretString, ConfigError> {
    v.ok_or_else(|| ConfigError::Missing { name: name.to_owned() })
}

fn invalid(name: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { name: name.to_owned(), reason: reason.into() }
}

fn invalid_crypto(e: &crate::crypto::CryptoError) -> ConfigError {
    match e {
        crate::crypto::CryptoError::BadKey("ENCRYPTION_KEY_ID") => {
            invalid("ENCRYPTION_KEY_ID", "must be 1 to 32 characters")
        }
        crate::crypto::CryptoError::BadKey(name) => {
            invalid(name, "must be 32 bytes, base64-encoded (head -c 32 /dev/urandom | base64)")
        }
        other => invalid("ENCRYPTION_KEY", other.to_string()),
    }
}

fn parse_bool(v: &str, name: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, "expected true or false")),
    }
}

fn parse_positive(v: &str, name: &str) -> Result<u32, ConfigError> {
    match v.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(invalid(name, format!("expected a positive whole number, got {v:?}"))),
    }
}

/// `ENCRYPTION_PREVIOUS_KEYS` = `id:base64,id:base64`.
fn parse_previous_keys(v: Option<SecretString>) -> Result<Vec<(String, SecretString)>, ConfigError> {
    use secrecy::ExposeSecret;
    let Some(v) = v else { return Ok(Vec::new()) };
    v.expose_secret()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (id, key) = pair.split_once(':').ok_or_else(|| {
                invalid("ENCRYPTION_PREVIOUS_KEYS", "expected id:base64key[,id:base64key...]")
            })?;
            Ok((id.trim().to_owned(), SecretString::from(key.trim().to_owned())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(String, String)> {
        [
            ("DATABASE_URL", "postgres://a@localhost/revive"),
            ("REDIS_URL", "redis://localhost"),
            ("ENCRYPTION_KEY", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="),
            ("BLIND_INDEX_KEY", "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut vars = base();
        vars.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Config::from_vars(vars)
    }

    #[test]
    fn defaults_apply() -> Result<(), ConfigError> {
        let c = with(&[])?;
        assert_eq!(c.rate_limits.per_ip_per_minute, 100);
        assert_eq!(c.bind_addr.port(), 8080);
        assert!(!c.cookie_secure);
        Ok(())
    }

    #[test]
    fn bad_values_are_named_without_echoing_secrets() {
        let e = with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "lots")]).err().map(|e| e.to_string());
        assert!(e.as_deref().is_some_and(|m| m.contains("RATE_LIMIT_PER_IP_PER_MINUTE")), "{e:?}");

        let e = with(&[("ENCRYPTION_KEY", "c2VjcmV0LXRvby1zaG9ydA==")]).err().map(|e| e.to_string());
        let msg = e.unwrap_or_default();
        assert!(msg.contains("ENCRYPTION_KEY"), "{msg}");
        assert!(!msg.contains("c2VjcmV0"), "{msg}");

        let mut vars = base();
        vars.retain(|(k, _)| k != "REDIS_URL");
        let e = Config::from_vars(vars).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("REDIS_URL"), "{e}");
    }

    #[test]
    fn previous_keys_enable_rotation() -> Result<(), ConfigError> {
        let c = with(&[
            ("ENCRYPTION_KEY_ID", "k2"),
            ("ENCRYPTION_PREVIOUS_KEYS", "k1:AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="),
        ])?;
        assert_eq!(c.cipher.current_key_id(), "k2");
        Ok(())
    }
}
