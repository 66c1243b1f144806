//! The fault suite: the whole system as separate processes (one `revive-api`, three
//! `revive-workers`, a PostgreSQL and a Redis of its own, a Meta mock and an OpenAI-compatible
//! mock), fed a stream of signed Shopify webhooks and customer replies while it SIGKILLs workers,
//! restarts Redis (losing everything it held), restarts PostgreSQL (immediate shutdown, as a
//! crash) and makes Meta answer 429, 500 and slowly. Then it checks the books:
//! - every acknowledged webhook became exactly one event, and every event was processed;
//! - every due message was sent exactly once or has a recorded reason;
//! - no inbound message was answered twice, and every one was answered;
//! - nothing is stuck without a reason.
//!
//! Short form (`make test`): `FAULT_SUITE_SECS` unset, 40 s of faults. Long form:
//! `FAULT_SUITE_SECS=600 cargo test -p revive-api --test faults -- --nocapture` (see
//! docs/reliability.md). The books are printed either way, and the processes' logs are scanned for
//! phone numbers, keys and tokens.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    OwnRedis, PASSWORD, TEST_BLIND_INDEX_KEY, TEST_ENCRYPTION_KEY, eventually, fixture, free_port,
    unique_email,
};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const APP_SECRET: &str = "fault-suite-meta-app-secret";
const SHOPIFY_SECRET: &str = "shpss_fault_suite_secret_0123456789";
const ACCESS_TOKEN: &str = "EAAG-fault-suite-token-0123456789";
const OPENAI_KEY: &str = "sk-fault-suite-0123456789";
const WORKERS: usize = 3;

/// A line of the books (a `String`).
macro_rules! booksln {
    ($books:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($books, $($arg)*);
    }};
}

/// Runs a PostgreSQL tool as the `postgres` user when this process is root (PostgreSQL refuses
/// to run as root).
fn pg_command(tool: &Path) -> Command {
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(tool);
        c
    } else {
        Command::new(tool)
    }
}

/// A PostgreSQL server of the suite's own, so restarting it disturbs nothing else.
struct OwnPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Self {
        let out = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .expect("pg_config (setup-services.sh installs it)");
        let bin = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
        let dir = std::env::temp_dir().join(format!("revive-faults-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = Command::new("chown").args(["postgres:postgres"]).arg(&dir).status();
        let pg = OwnPostgres { dir, bin, port: free_port() };
        let ok = pg_command(&pg.bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-D"])
            .arg(pg.dir.join("data"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb");
        pg.up();
        let setup = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &pg.port.to_string(),
                "-U",
                "postgres",
                "-q",
                "-v",
                "owner_password=revive_owner",
            ])
            .args(["-v", "app_password=revive_app", "-f"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/db-setup.sql"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(setup.success(), "deploy/db-setup.sql");
        pg
    }

    fn up(&self) {
        let ok = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
                self.port,
                self.dir.display()
            ))
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "start"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start");
    }

    /// An immediate shutdown: no checkpoint, every connection cut, recovery at the next start.
    fn crash(&self) {
        let _ = pg_command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status();
    }

    fn url(&self, role: &str) -> String {
        format!("postgres://{role}:{role}@127.0.0.1:{}/revive", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.crash();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed when the suite ends, its output kept for the log scan.
struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    fn start(binary: &Path, vars: &[(String, String)], log: PathBuf) -> Self {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = Command::new(binary)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars.iter().cloned())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        Process { child, log }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `revive-workers` sits beside `revive-api` in the target folder: `cargo test --workspace`
/// builds both, and `scripts/fault-suite.sh` builds it before running this test alone. (Building
/// it from here would wait for the lock the running `cargo test` holds.)
fn workers_binary() -> PathBuf {
    let workers = PathBuf::from(env!("CARGO_BIN_EXE_revive-api")).with_file_name("revive-workers");
    assert!(
        workers.exists(),
        "{} is missing: run `cargo build -p revive-workers` (or scripts/fault-suite.sh) first",
        workers.display()
    );
    workers
}

/// How Meta answers sends right now.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
enum MetaMode {
    Ok = 0,
    TooMany = 1,
    Broken = 2,
    Slow = 3,
}

/// The Meta Graph API: answers by the current mode and counts accepted sends per callback (the
/// scheduled message or reply id the sender echoes).
struct Meta {
    mode: AtomicU8,
    accepted: Mutex<HashMap<String, usize>>,
    accepted_to: Mutex<Vec<(String, String, String)>>,
    refused: AtomicUsize,
}

/// The mock's side of [`Meta`] (wiremock needs a type of this crate).
struct MetaMock(Arc<Meta>);

impl Respond for MetaMock {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let this = &*self.0;
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let mode = this.mode.load(Ordering::SeqCst);
        if mode == MetaMode::TooMany as u8 || mode == MetaMode::Broken as u8 {
            this.refused.fetch_add(1, Ordering::SeqCst);
            let (status, code) = if mode == MetaMode::TooMany as u8 { (429, 130429) } else { (500, 1) };
            return ResponseTemplate::new(status).set_body_json(json!({"error": {"message": "fault suite",
                "type": "OAuthException", "code": code, "fbtrace_id": "Afault"}}));
        }
        let callback = body["biz_opaque_callback_data"].as_str().unwrap_or("none").to_owned();
        let wamid = format!("wamid.{callback}.{}", uuid::Uuid::new_v4().simple());
        *this.accepted.lock().unwrap().entry(callback.clone()).or_default() += 1;
        this.accepted_to.lock().unwrap().push((
            wamid.clone(),
            callback,
            body["to"].as_str().unwrap_or("").to_owned(),
        ));
        let answer = ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}], "messages": [{"id": wamid}]}));
        // Slow: longer than the sender's 20 s time-out, so the outcome is unknown to it (but the
        // message was accepted, as Meta may do).
        if mode == MetaMode::Slow as u8 {
            answer.set_delay(Duration::from_secs(25))
        } else {
            answer.set_delay(Duration::from_millis(20))
        }
    }
}

/// An OpenAI-compatible endpoint: embeddings by the built-in hashing embedder, intents by the
/// lexical classifier, replies that pass the guardrails.
struct OpenAi;

impl Respond for OpenAi {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        if req.url.path().ends_with("/embeddings") {
            let data: Vec<Value> = body["input"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    json!({"object": "embedding", "index": i,
                    "embedding": revive_shared::ai::embed::hash_embed(t.as_str().unwrap_or(""))})
                })
                .collect();
            return ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": data,
                "model": body["model"], "usage": {"prompt_tokens": 7, "total_tokens": 7}}));
        }
        let content = match body["response_format"]["json_schema"]["name"].as_str() {
            Some("classify") => {
                let text = body["messages"][1]["content"].as_str().unwrap_or("");
                let (intent, confidence) = revive_shared::ai::intent::classify_local(text);
                json!({"intent": intent, "confidence": confidence})
            }
            _ => json!({"reply": "Thank you for writing! We ship within two days.", "action": "continue",
                        "cited_chunk_ids": [], "summary": "The customer asked about shipping."}),
        };
        ResponseTemplate::new(200).set_body_json(json!({"id": "chatcmpl-fault", "object": "chat.completion",
            "created": 1_764_000_000, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content.to_string()}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}))
    }
}

fn sign_meta(body: &[u8]) -> String {
    revive_shared::crypto::signature::sign_meta(APP_SECRET.as_bytes(), body)
}

/// One store order, delivered so that its T+3 check-in comes due `due_in` from now.
fn order_pair(n: usize, phone: &str, due_in: chrono::Duration) -> (Vec<u8>, Vec<u8>) {
    let delivered = chrono::Utc::now() - chrono::Duration::hours(72) + due_in;
    let placed = delivered - chrono::Duration::days(2);
    let id = 7_000_000_000_000 + n as u64;
    let mut order: Value = serde_json::from_slice(&fixture("shopify_orders_create.json")).unwrap();
    order["id"] = json!(id);
    order["name"] = json!(format!("#F{n}"));
    order["order_number"] = json!(n);
    order["created_at"] = json!(placed.to_rfc3339());
    order["updated_at"] = json!(placed.to_rfc3339());
    order["cancelled_at"] = Value::Null;
    order["customer"]["id"] = json!(9_000_000_000_000 + n as u64);
    order["customer"]["phone"] = json!(phone);
    let mut fulfilled: Value =
        serde_json::from_slice(&fixture("shopify_fulfillments_update_delivered.RECONSTRUCTED.json")).unwrap();
    fulfilled["id"] = json!(id + 1);
    fulfilled["order_id"] = json!(id);
    fulfilled["updated_at"] = json!(delivered.to_rfc3339());
    (serde_json::to_vec(&order).unwrap(), serde_json::to_vec(&fulfilled).unwrap())
}

/// Delivers a webhook until it is acknowledged, as Shopify and Meta retry; returns how many
/// attempts it took.
async fn deliver(build: impl Fn() -> reqwest::RequestBuilder) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match build().send().await {
            Ok(r) if r.status().is_success() => return attempts,
            Ok(r) if r.status().is_client_error() && r.status() != 429 => {
                panic!("webhook refused: {} {}", r.status(), r.text().await.unwrap_or_default())
            }
            _ if Instant::now() > deadline => panic!("a webhook was not acknowledged for 120 s"),
            _ => tokio::time::sleep(Duration::from_millis(300)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_books_balance_after_kills_restarts_and_a_misbehaving_meta() {
    let fault_secs: u64 = std::env::var("FAULT_SUITE_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let pg = OwnPostgres::start();
    let mut redis = OwnRedis::start(free_port());
    let meta_state = Arc::new(Meta {
        mode: AtomicU8::new(MetaMode::Ok as u8),
        accepted: Mutex::default(),
        accepted_to: Mutex::default(),
        refused: AtomicUsize::new(0),
    });
    let meta = MockServer::start().await;
    Mock::given(method("POST")).respond_with(MetaMock(meta_state.clone())).mount(&meta).await;
    let llm = MockServer::start().await;
    Mock::given(method("POST")).respond_with(OpenAi).mount(&llm).await;

    let api_port = free_port();
    let base = format!("http://127.0.0.1:{api_port}");
    let logs = std::env::temp_dir().join(format!("revive-faults-logs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&logs).unwrap();
    // Kept when the suite fails, for the post-mortem.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("fault suite: process logs in {}\n", logs.display()).as_bytes(),
    );
    let vars: Vec<(String, String)> = [
        ("BIND_ADDR", format!("127.0.0.1:{api_port}")),
        ("PUBLIC_BASE_URL", base.clone()),
        ("DATABASE_URL", pg.url("revive_app")),
        ("DATABASE_OWNER_URL", pg.url("revive_owner")),
        ("DATABASE_MAX_CONNECTIONS", "16".into()),
        ("REDIS_URL", format!("redis://127.0.0.1:{}", redis.port)),
        ("ENCRYPTION_KEY", TEST_ENCRYPTION_KEY.into()),
        ("BLIND_INDEX_KEY", TEST_BLIND_INDEX_KEY.into()),
        ("WHATSAPP_APP_SECRET", APP_SECRET.into()),
        ("META_GRAPH_BASE_URL", meta.uri()),
        ("OPENAI_API_KEY", OPENAI_KEY.into()),
        ("OPENAI_BASE_URL", format!("{}/v1", llm.uri())),
        ("AI_CHAT_MODEL", "mock-chat".into()),
        ("AI_EMBEDDING_MODEL", "mock-embed".into()),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "1000000".into()),
        ("RATE_LIMIT_PER_API_KEY_PER_HOUR", "1000000".into()),
        ("RATE_LIMIT_PER_MERCHANT_PER_HOUR", "1000000".into()),
        ("RUN_WORKERS", "false".into()),
        ("WORKER_CONCURRENCY", "8".into()),
        ("SWEEP_INTERVAL_SECS", "1".into()),
        ("SEND_STUCK_SECS", "15".into()),
        // Redis restarts empty here: queued events it lost are pushed again after 20 s, not 10 min.
        ("EVENT_RECHECK_SECS", "20".into()),
        ("LOG_FORMAT", "json".into()),
        ("RUST_LOG", "info,sqlx=warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut api = Process::start(Path::new(env!("CARGO_BIN_EXE_revive-api")), &vars, logs.join("api.log"));
    let workers_bin = workers_binary();
    let mut workers: Vec<Process> = (0..WORKERS)
        .map(|i| Process::start(&workers_bin, &vars, logs.join(format!("worker-{i}.log"))))
        .collect();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    eventually(60, "revive-api to answer /healthz", || async {
        http.get(format!("{base}/healthz")).send().await.ok().filter(|r| r.status().is_success()).map(|_| ())
    })
    .await;

    // The merchant: a Shopify store, a real (mocked) WhatsApp number, an approved check-in
    // template, no quiet hours, and a knowledge source for the bot.
    let owner = common::Account::signup_at(&base, &unique_email("faults"), PASSWORD).await;
    let res = owner
        .post(
            "/api/v1/integrations",
            json!({"kind": "shopify", "name": "Faults", "shop_domain": "faults.myshopify.com",
            "webhook_secret": SHOPIFY_SECRET}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let integration: Value = res.json().await.unwrap();
    let integration = integration["id"].as_str().unwrap().to_owned();
    let pnid = format!("40{}", uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000);
    let res = owner
        .put("/api/v1/whatsapp-account", json!({"phone_number_id": pnid, "access_token": ACCESS_TOKEN}))
        .await;
    assert_eq!(res.status(), 200);
    let template: Value = owner
        .post("/api/v1/templates", json!({"flow": "checkin", "name": "checkin", "language": "en", "category": "utility",
            "body": "Hi {{first_name}}, how is order {{order_number}}?", "meta_template_name": "order_checkin"}))
        .await
        .json()
        .await
        .unwrap();
    let approve = json!({"status": "approved"});
    assert_eq!(
        owner
            .patch(&format!("/api/v1/templates/{}", template["id"].as_str().unwrap()), approve)
            .await
            .status(),
        200
    );
    let no_quiet = json!({"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"});
    assert_eq!(owner.patch("/api/v1/settings/retention", no_quiet).await.status(), 200);
    let faq = json!({"kind": "faq", "title": "Shipping", "content": "We ship within two days. Returns are free for 30 days."});
    assert_eq!(owner.post("/api/v1/knowledge/sources", faq).await.status(), 201);

    // The stream: orders (each a create and a delivery, check-ins due over the run) and
    // customer replies, until the faults are over.
    let stream_until = Instant::now() + Duration::from_secs(fault_secs);
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let inbound: Arc<Mutex<Vec<String>>> = Arc::default();
    let retries = Arc::new(AtomicUsize::new(0));
    // One customer per order (a customer's second order within a minute would be held back by
    // the per-recipient gap, which is not what this suite is about).
    let phones: Vec<String> = (0..20_000).map(|i| format!("+49151234{i:05}")).collect();
    let stream = {
        let (http, base, integration, acked, inbound, retries, phones, pnid) = (
            http.clone(),
            base.clone(),
            integration.clone(),
            acked.clone(),
            inbound.clone(),
            retries.clone(),
            phones.clone(),
            pnid.clone(),
        );
        tokio::spawn(async move {
            let mut n = 0usize;
            while Instant::now() < stream_until {
                let phone = &phones[n];
                // Due from now to the end of the run (and a few already due).
                let due_in = chrono::Duration::seconds((n as i64 % (fault_secs as i64 + 5)) - 5);
                let (order, delivered) = order_pair(n, phone, due_in);
                for (topic, body, id) in [
                    ("orders/create", &order, format!("fc-{n}")),
                    ("fulfillments/update", &delivered, format!("fd-{n}")),
                ] {
                    let hmac =
                        revive_shared::crypto::signature::sign_shopify(SHOPIFY_SECRET.as_bytes(), body);
                    let tries = deliver(|| {
                        http.post(format!("{base}/webhooks/shopify/{integration}"))
                            .header("content-type", "application/json")
                            .header("x-shopify-hmac-sha256", &hmac)
                            .header("x-shopify-topic", topic)
                            .header("x-shopify-shop-domain", "faults.myshopify.com")
                            .header("x-shopify-api-version", "2026-07")
                            .header("x-shopify-webhook-id", &id)
                            .header("x-shopify-triggered-at", chrono::Utc::now().to_rfc3339())
                            .body(body.clone())
                    })
                    .await;
                    retries.fetch_add(tries - 1, Ordering::SeqCst);
                    acked.lock().unwrap().push(id);
                }
                // Every third order, a customer writes (a question, now and then a STOP).
                if n.is_multiple_of(3) {
                    let wamid = format!("wamid.customer-{n}");
                    let text = if n.is_multiple_of(30) { "STOP" } else { "Hi, how long does shipping take?" };
                    let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "waba",
                        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550000000", "phone_number_id": pnid},
                            "contacts": [{"profile": {"name": "Fault Customer"}, "wa_id": phone.trim_start_matches('+')}],
                            "messages": [{"from": phone.trim_start_matches('+'), "id": wamid,
                                "timestamp": chrono::Utc::now().timestamp().to_string(), "type": "text", "text": {"body": text}}]}}]}]}))
                    .unwrap();
                    let signature = sign_meta(&body);
                    let tries = deliver(|| {
                        http.post(format!("{base}/webhooks/whatsapp"))
                            .header("content-type", "application/json")
                            .header("x-hub-signature-256", &signature)
                            .body(body.clone())
                    })
                    .await;
                    retries.fetch_add(tries - 1, Ordering::SeqCst);
                    inbound.lock().unwrap().push(wamid);
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            n
        })
    };

    // Meta's status webhooks for what it accepted (each `sent`), as Meta would send them.
    let statuses = {
        let (http, base, meta_state, pnid) = (http.clone(), base.clone(), meta_state.clone(), pnid.clone());
        tokio::spawn(async move {
            let mut done = 0usize;
            loop {
                let batch: Vec<(String, String, String)> =
                    meta_state.accepted_to.lock().unwrap()[done..].to_vec();
                for (wamid, callback, to) in &batch {
                    let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "waba",
                        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "15550000000", "phone_number_id": pnid},
                            "statuses": [{"id": wamid, "status": "sent", "timestamp": chrono::Utc::now().timestamp().to_string(),
                                "recipient_id": to, "biz_opaque_callback_data": callback}]}}]}]}))
                    .unwrap();
                    let signature = sign_meta(&body);
                    deliver(|| {
                        http.post(format!("{base}/webhooks/whatsapp"))
                            .header("content-type", "application/json")
                            .header("x-hub-signature-256", &signature)
                            .body(body.clone())
                    })
                    .await;
                }
                done += batch.len();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };

    // The faults, in turn, until the stream ends.
    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let step = Duration::from_secs(4);
    let mut round = 0usize;
    while Instant::now() < stream_until {
        tokio::time::sleep(step).await;
        match round % 6 {
            0 => {
                let w = round / 6 % WORKERS;
                workers[w].kill();
                workers[w] = Process::start(&workers_bin, &vars, logs.join(format!("worker-{w}.log")));
                *faults.entry("worker SIGKILLed and restarted").or_default() += 1;
            }
            1 => {
                meta_state.mode.store(MetaMode::TooMany as u8, Ordering::SeqCst);
                *faults.entry("Meta answering 429").or_default() += 1;
            }
            2 => {
                meta_state.mode.store(MetaMode::Broken as u8, Ordering::SeqCst);
                redis.restart();
                *faults.entry("Meta answering 500").or_default() += 1;
                *faults.entry("Redis restarted empty").or_default() += 1;
            }
            3 => {
                meta_state.mode.store(MetaMode::Slow as u8, Ordering::SeqCst);
                *faults.entry("Meta answering after 25 s (past the sender's time-out)").or_default() += 1;
            }
            4 => {
                meta_state.mode.store(MetaMode::Ok as u8, Ordering::SeqCst);
                pg.crash();
                tokio::time::sleep(Duration::from_secs(1)).await;
                pg.up();
                *faults.entry("PostgreSQL crashed and restarted").or_default() += 1;
            }
            _ => {
                // A calm round: Meta well, everything up.
                meta_state.mode.store(MetaMode::Ok as u8, Ordering::SeqCst);
            }
        }
        round += 1;
    }
    meta_state.mode.store(MetaMode::Ok as u8, Ordering::SeqCst);
    let orders = stream.await.unwrap();

    // Settle: every due check-in out of `scheduled`/`sending`, every event processed, every
    // inbound message handled. The sweeper and the stuck-send reconciliation do the work.
    let app_url = pg.url("postgres");
    let db = sqlx::PgPool::connect(&app_url).await.unwrap();
    let open_work = || async {
        sqlx::query_as::<_, (i64, i64, i64)>(
            "select (select count(*) from scheduled_messages where status in ('scheduled', 'sending') and due_at <= now()),
                    (select count(*) from external_events where status in ('pending', 'queued', 'processing')),
                    (select count(*) from messages where direction = 'inbound' and handled_at is null)",
        )
        .fetch_one(&db)
        .await
        .ok()
    };
    let settle_deadline = Instant::now() + Duration::from_secs(180);
    let settled_in = Instant::now();
    let mut open = open_work().await;
    while open != Some((0, 0, 0)) && Instant::now() < settle_deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        open = open_work().await;
    }
    let settled_in = settled_in.elapsed();
    // It loops for ever; finished means a delivery of Meta's statuses was refused and panicked.
    assert!(!statuses.is_finished(), "the player of Meta's status webhooks stopped");
    statuses.abort();

    // The books.
    let acked = acked.lock().unwrap().clone();
    let inbound = inbound.lock().unwrap().clone();
    let events: Vec<(String, i64)> = sqlx::query_as(
        "select shopify_webhook_id, count(*) from external_events where shopify_webhook_id is not null group by 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let events: HashMap<String, i64> = events.into_iter().collect();
    let missing_events = acked.iter().filter(|id| !events.contains_key(*id)).count();
    let duplicate_events = events.values().filter(|&&c| c > 1).count();
    let event_states: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from external_events group by 1 order by 1")
            .fetch_all(&db)
            .await
            .unwrap();

    let due: Vec<(uuid::Uuid, String, Option<String>)> =
        sqlx::query_as("select id, status, reason from scheduled_messages where due_at <= now()")
            .fetch_all(&db)
            .await
            .unwrap();
    let accepted = meta_state.accepted.lock().unwrap().clone();
    let mut sent_once = 0;
    let mut sent_twice = Vec::new();
    let mut with_reason: BTreeMap<String, usize> = BTreeMap::new();
    let mut without_reason = Vec::new();
    for (id, status, reason) in &due {
        let times = accepted.get(&id.to_string()).copied().unwrap_or(0);
        if times > 1 {
            sent_twice.push(*id);
        }
        match (status.as_str(), reason) {
            ("sent", _) if times == 1 => sent_once += 1,
            ("sent", _) => without_reason.push(format!("{id} sent but Meta accepted it {times} times")),
            (_, Some(r)) if times == 0 || status == "failed" => {
                let why = r.split(':').next().unwrap_or(r).chars().take(60).collect::<String>();
                *with_reason.entry(format!("{status}: {why}")).or_default() += 1;
            }
            _ => without_reason.push(format!("{id} {status} {reason:?} (accepted {times} times)")),
        }
    }

    let stored_inbound: i64 = sqlx::query_scalar("select count(*) from messages where direction = 'inbound'")
        .fetch_one(&db)
        .await
        .unwrap();
    let replies: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("select id, coalesce(status, '') from messages where sent_by = 'bot'")
            .fetch_all(&db)
            .await
            .unwrap();
    let replies_twice =
        replies.iter().filter(|(id, _)| accepted.get(&id.to_string()).copied().unwrap_or(0) > 1).count();
    let turns: Vec<(i64, i64)> = sqlx::query_as(
        "select count(*) filter (where sent_by = 'bot'), count(*) filter (where direction = 'inbound')
         from messages where conversation_id is not null group by conversation_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let over_answered = turns.iter().filter(|(bot, inbound)| bot > inbound).count();

    let mut books = String::new();
    booksln!(books, "\n== fault suite books ({fault_secs} s of faults) ==");
    for (fault, times) in &faults {
        booksln!(books, "fault: {fault} x{times}");
    }
    booksln!(books, "Meta refused {} sends (429/500)", meta_state.refused.load(Ordering::SeqCst));
    booksln!(
        books,
        "webhooks: {} acknowledged ({} retried deliveries), {} events stored for them, {} missing, {} stored twice",
        acked.len(),
        retries.load(Ordering::SeqCst),
        events.len(),
        missing_events,
        duplicate_events
    );
    booksln!(books, "events by status: {event_states:?}");
    booksln!(
        books,
        "due messages: {}, sent exactly once: {sent_once}, sent twice: {}, ended with a recorded reason: {}",
        due.len(),
        sent_twice.len(),
        with_reason.values().sum::<usize>()
    );
    for (why, n) in &with_reason {
        booksln!(books, "  {n} x {why}");
    }
    booksln!(
        books,
        "customer messages: {} delivered, {stored_inbound} stored, bot replies {}, answered twice: {replies_twice}, conversations over-answered: {over_answered}",
        inbound.len(),
        replies.len()
    );
    booksln!(
        books,
        "settled {:.1} s after the faults; still open (due unsent, events unprocessed, inbound unanswered): {open:?}",
        settled_in.as_secs_f64()
    );

    // The logs of every process: no phone number, key, token or secret.
    api.kill();
    for w in &mut workers {
        w.kill();
    }
    let mut leaks = Vec::new();
    let secrets: Vec<String> =
        [APP_SECRET, SHOPIFY_SECRET, ACCESS_TOKEN, OPENAI_KEY, TEST_ENCRYPTION_KEY, TEST_BLIND_INDEX_KEY]
            .iter()
            .map(|s| (*s).to_owned())
            .chain(phones.iter().take(orders).flat_map(|p| [p.clone(), p.trim_start_matches('+').to_owned()]))
            .collect();
    let mut lines = 0;
    for p in std::iter::once(&api).chain(workers.iter()) {
        let text = std::fs::read_to_string(&p.log).unwrap_or_default();
        lines += text.lines().count();
        for s in &secrets {
            if text.contains(s.as_str()) {
                leaks.push(format!("{} holds {}…", p.log.display(), &s[..6]));
            }
        }
    }
    booksln!(books, "logs scanned: {lines} lines, {} leaks", leaks.len());
    // Straight to stderr: the test harness captures `println!`, and the books are the point of
    // the run (CI's log shows them).
    let _ = std::io::Write::write_all(&mut std::io::stderr(), books.as_bytes());
    assert_eq!(open, Some((0, 0, 0)), "work left undone 180 s after the faults ended");
    assert_eq!((missing_events, duplicate_events), (0, 0), "every acknowledged webhook is exactly one event");
    assert!(
        event_states.iter().all(|(s, _)| s == "processed" || s == "ignored"),
        "every event processed: {event_states:?}"
    );
    assert!(sent_twice.is_empty(), "messages sent twice: {sent_twice:?}");
    assert!(without_reason.is_empty(), "due messages with neither one send nor a reason: {without_reason:?}");
    assert!(sent_once > 0, "the run sent nothing: the suite proves nothing");
    assert_eq!(stored_inbound as usize, inbound.len(), "every customer message stored once");
    assert_eq!((replies_twice, over_answered), (0, 0), "no inbound message answered twice");

    assert!(lines > 0, "no log lines to scan");
    assert!(leaks.is_empty(), "secrets or phone numbers in the logs: {leaks:?}");
    let _ = std::fs::remove_dir_all(&logs);
}
