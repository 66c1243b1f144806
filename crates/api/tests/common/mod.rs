//! Test harness: the real application on port 0 against real Postgres (as the application role,
//! under RLS) and real Redis. Each test makes its own merchants, so tests run in parallel.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;

use revive_api::app::Application;
use revive_shared::config::Config;
use revive_shared::db::Db;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

pub const TEST_ENCRYPTION_KEY: &str = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=";
pub const TEST_BLIND_INDEX_KEY: &str = "YmxpbmQtaW5kZXgta2V5LWZvci10ZXN0cy1vbmx5ISE=";

pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

pub fn app_db_url() -> String {
    env_or("TEST_DATABASE_URL", "postgres://revive_app:revive_app@127.0.0.1:5432/revive_test")
}

pub fn owner_db_url() -> String {
    env_or("TEST_DATABASE_OWNER_URL", "postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test")
}

pub fn redis_url() -> String {
    env_or("TEST_REDIS_URL", "redis://127.0.0.1:6379")
}

/// The settings every test app gets; `extra` overrides them.
pub fn test_vars(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = vec![
        ("BIND_ADDR".into(), "127.0.0.1:0".into()),
        ("DATABASE_URL".into(), app_db_url()),
        ("DATABASE_OWNER_URL".into(), owner_db_url()),
        ("DATABASE_MAX_CONNECTIONS".into(), "4".into()),
        ("REDIS_URL".into(), redis_url()),
        ("ENCRYPTION_KEY".into(), TEST_ENCRYPTION_KEY.into()),
        ("BLIND_INDEX_KEY".into(), TEST_BLIND_INDEX_KEY.into()),
        ("RATE_LIMIT_PER_IP_PER_MINUTE".into(), "100000".into()),
        ("RATE_LIMIT_PER_API_KEY_PER_HOUR".into(), "100000".into()),
        ("RATE_LIMIT_PER_MERCHANT_PER_HOUR".into(), "100000".into()),
        ("LOG_FORMAT".into(), "pretty".into()),
        ("WEB_DIST_DIR".into(), concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/public").into()),
        // Each app gets its own queues, so tests can count jobs without seeing each other's.
        ("QUEUE_PREFIX".into(), format!("test-{}", Uuid::new_v4().simple())),
        ("SWEEP_INTERVAL_SECS".into(), "1".into()),
    ];
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push(((*k).to_owned(), (*v).to_owned()));
    }
    vars
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub config: Config,
    /// Pool as the application role, no tenant set.
    pub app_pool: PgPool,
    pub db: Db,
    /// The clock the app's jobs decide by; tests move it.
    pub clock: revive_shared::clock::Clock,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let config = Config::from_vars(test_vars(extra)).expect("test config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let clock = revive_shared::clock::Clock::system();
    let app =
        Application::build_with_clock(config.clone(), listener, clock.clone()).await.expect("build app");
    let addr = app.local_addr().expect("addr");
    let db = app.state().db.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.serve(async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        config,
        app_pool: db.pool().clone(),
        db,
        clock,
        _shutdown: tx,
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().expect("client")
}

pub fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.test", Uuid::new_v4().simple())
}

pub const PASSWORD: &str = "correct horse battery";

/// A logged-in dashboard user with their own cookie jar.
pub struct Account {
    pub client: reqwest::Client,
    pub base: String,
    pub email: String,
    pub csrf: String,
    pub merchant_id: Uuid,
    pub user_id: Uuid,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs up a new merchant and returns its logged-in owner.
    pub async fn signup(&self) -> Account {
        Account::signup_at(&self.base, &unique_email("owner"), PASSWORD).await
    }

    /// Logs in an existing user with a fresh cookie jar.
    pub async fn login(&self, email: &str, password: &str) -> Account {
        let client = client();
        let res = client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "login failed");
        let body: Value = res.json().await.unwrap();
        Account {
            client,
            base: self.base.clone(),
            email: email.to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            merchant_id: body["merchant"]["id"].as_str().unwrap().parse().unwrap(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        }
    }
}

impl Account {
    /// Signs up a new merchant at a running Revive (in this process or not).
    pub async fn signup_at(base: &str, email: &str, password: &str) -> Account {
        let client = client();
        let res = client
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({"merchant_name": "Test Store", "email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "signup failed");
        let body: Value = res.json().await.unwrap();
        Account {
            client,
            base: base.to_owned(),
            email: email.to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            merchant_id: body["merchant"]["id"].as_str().unwrap().parse().unwrap(),
            user_id: body["user"]["id"].as_str().unwrap().parse().unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.post(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.patch(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap()
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.client.delete(self.url(path)).header("x-csrf-token", &self.csrf).send().await.unwrap()
    }

    /// Adds a team member with `role` and returns their email.
    pub async fn add_member(&self, role: &str) -> String {
        let email = unique_email(role);
        let res =
            self.post("/api/v1/users", json!({"email": email, "password": PASSWORD, "role": role})).await;
        assert_eq!(res.status(), 201, "adding a {role}");
        email
    }

    /// Creates an API key with `scopes`; returns (id, key).
    pub async fn create_key(&self, scopes: &[&str]) -> (Uuid, String) {
        let res = self.post("/api/v1/api-keys", json!({"name": "test key", "scopes": scopes})).await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        (body["api_key"]["id"].as_str().unwrap().parse().unwrap(), body["key"].as_str().unwrap().to_owned())
    }
}

/// Polls `check` until it returns `Some`, failing the test after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub const SHOP: &str = "revive-test.myshopify.com";

impl Account {
    /// Connects a Shopify integration; returns (integration id, webhook secret).
    pub async fn connect_shopify(&self) -> (Uuid, String) {
        let secret = format!("shpss_{}", Uuid::new_v4().simple());
        let shop = format!("s{}.myshopify.com", &Uuid::new_v4().simple().to_string()[..12]);
        let res = self
            .post(
                "/api/v1/integrations",
                json!({"kind": "shopify", "name": "My shop", "shop_domain": shop, "webhook_secret": secret}),
            )
            .await;
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        assert!(!body.to_string().contains(&secret), "the secret must never be echoed");
        (body["id"].as_str().unwrap().parse().unwrap(), secret)
    }

    /// The shop domain of an integration.
    pub async fn shop_of(&self, integration: Uuid) -> String {
        let body: Value =
            self.get(&format!("/api/v1/integrations/{integration}")).await.json().await.unwrap();
        body["shop_domain"].as_str().unwrap().to_owned()
    }
}

/// Posts a signed Shopify delivery the way Shopify does.
pub async fn post_shopify(
    base: &str,
    integration: Uuid,
    shop: &str,
    topic: &str,
    body: &[u8],
    secret: &str,
    webhook_id: &str,
) -> reqwest::Response {
    let hmac = revive_shared::crypto::signature::sign_shopify(secret.as_bytes(), body);
    reqwest::Client::new()
        .post(format!("{base}/webhooks/shopify/{integration}"))
        .header("content-type", "application/json")
        .header("x-shopify-hmac-sha256", hmac)
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", shop)
        .header("x-shopify-api-version", "2026-07")
        .header("x-shopify-webhook-id", webhook_id)
        .header("x-shopify-event-id", format!("ev-{webhook_id}"))
        .header("x-shopify-triggered-at", "2026-11-30T10:00:00.000000Z")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

/// Number of jobs the app's event queue holds or has held (apalis keeps task data by id).
pub async fn queued_jobs(app: &TestApp) -> usize {
    let client =
        redis::Client::open(secrecy::ExposeSecret::expose_secret(&app.config.redis_url).to_owned()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{}:process_event:data", app.config.jobs.queue_prefix);
    redis::cmd("HLEN").arg(key).query_async::<usize>(&mut conn).await.unwrap()
}

/// Events of a merchant, as the owner role sees them (bypassing nothing: the test reads through
/// the application's tenant transaction).
pub async fn event_rows(app: &TestApp, merchant: Uuid) -> Vec<(String, String, Option<String>, i32)> {
    let mut tx = app.db.begin(merchant.into()).await.unwrap();
    let rows = sqlx::query_as::<_, (String, String, Option<String>, i32)>(
        "select event_type, status, reason, attempts from external_events order by received_at",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    rows
}

/// Asserts the documented error shape and returns the error code.
/// `POST /api/v1/events` with an API key, as a store's own system calls it.
pub async fn post_event(app: &TestApp, key: &str, event: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .header("x-api-key", key)
        .json(event)
        .send()
        .await
        .unwrap()
}

pub async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("error body is JSON");
    let code = body["error"]["code"].as_str().expect("error.code").to_owned();
    assert!(body["error"]["message"].is_string(), "error.message: {body}");
    code
}

impl Account {
    pub async fn put(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.put(self.url(path)).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap()
    }
}

/// Posts a WhatsApp webhook delivery signed the way Meta signs it (`secret` = the app secret).
pub async fn post_whatsapp(base: &str, path: &str, body: &[u8], secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", revive_shared::crypto::signature::sign_meta(secret.as_bytes(), body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

impl TestApp {
    /// Disconnects whichever merchant holds `phone_number_id` (unique across Revive), so a test
    /// that must use a fixture's number can run again on the same database.
    pub async fn free_phone_number_id(&self, phone_number_id: &str) {
        if let Some((merchant, _)) =
            revive_shared::db::whatsapp_accounts::by_phone_number_id(self.db.pool(), phone_number_id)
                .await
                .unwrap()
        {
            let mut tx = self.db.begin(merchant).await.unwrap();
            revive_shared::db::whatsapp_accounts::disconnect(&mut tx).await.unwrap();
            tx.commit().await.unwrap();
        }
    }
}

/// A Redis server of the test's own, on a free port, so stopping it disturbs no other test.
pub struct OwnRedis {
    pub port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    pub fn start(port: u16) -> Self {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed by scripts/setup-services.sh");
        OwnRedis { port, child }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub async fn wait_ready(&self) {
        let url = self.url();
        eventually(10, "redis-server to accept connections", || {
            let url = url.clone();
            async move {
                let client = redis::Client::open(url).ok()?;
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
            }
        })
        .await;
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Killed and started again on the same port: without persistence, empty.
    pub fn restart(&mut self) {
        self.kill();
        *self = OwnRedis::start(self.port);
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
