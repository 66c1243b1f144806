//! `make bench`: ingestion, the order worker and the sender, beside raw Postgres and Redis
//! baselines measured in the same run, written to docs/benchmarks.md. Machines here are noisy, so the figures that matter
//! are the ratios to the baselines, not the absolute rates.
//!
//! Needs the services `make test` sets up (same TEST_* variables).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use revive_api::app::Application;
use revive_shared::config::Config;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod memory;
mod retention;
mod retrieval;

const CONCURRENCY: usize = 16;
const WEBHOOKS: usize = 4000;
const RAW_INSERTS: usize = 4000;
const REDIS_OPS: usize = 20000;
const CSV_ROWS: usize = 20000;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

struct Figures {
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Runs `n` calls of `op` with `CONCURRENCY` in flight; returns ops/s and latency percentiles.
async fn measure<F, Fut>(n: usize, op: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            op(i).await;
            drop(permit);
            t.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(n);
    for t in tasks {
        latencies.push(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0
    };
    Figures { rate: n as f64 / elapsed.as_secs_f64(), p50_ms: pct(0.50), p99_ms: pct(0.99) }
}

#[tokio::main]
async fn main() {
    // Warnings only (RUST_LOG overrides): a worker that fails during a run says why.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx=error")),
        )
        .init();
    let app_url = env_or("TEST_DATABASE_URL", "postgres://revive_app:revive_app@127.0.0.1:5432/revive_test");
    let owner_url =
        env_or("TEST_DATABASE_OWNER_URL", "postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test");
    let redis_url = env_or("TEST_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let vars: Vec<(String, String)> = [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", app_url.as_str()),
        ("DATABASE_OWNER_URL", owner_url.as_str()),
        ("DATABASE_MAX_CONNECTIONS", "20"),
        ("REDIS_URL", redis_url.as_str()),
        ("ENCRYPTION_KEY", "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXkhISE="),
        ("BLIND_INDEX_KEY", "YmxpbmQtaW5kZXgta2V5LWZvci1iZW5jaGVzLW9ubHk="),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "1000000"),
        ("RATE_LIMIT_PER_API_KEY_PER_HOUR", "1000000"),
        ("RATE_LIMIT_PER_MERCHANT_PER_HOUR", "1000000"),
        // Ingestion alone: the acknowledgement path (store + enqueue), no workers competing.
        ("RUN_WORKERS", "false"),
        ("QUEUE_PREFIX", prefix.as_str()),
        ("IMPORT_WAIT_SECS", "600"),
        ("LOG_FORMAT", "pretty"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let vars_for_workers = vars.clone();
    let config = Config::from_vars(vars).expect("bench config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let app = Application::build(config, listener).await.expect("app");
    let base = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(app.serve(std::future::pending()));

    let session = signup(&base, "Bench Store").await;
    let (http, csrf, ingest_merchant) = (session.http.clone(), session.csrf.clone(), session.merchant);
    let secret = "shpss_bench_secret_value";
    let shop = format!("b{}.myshopify.com", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let integration = session
        .post(
            &format!("{base}/api/v1/integrations"),
            json!({"kind": "shopify", "name": "bench", "shop_domain": shop, "webhook_secret": secret}),
        )
        .await;
    let url = format!("{base}/webhooks/shopify/{}", integration["id"].as_str().unwrap());
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/shopify_fulfillments_update_delivered.RECONSTRUCTED.json"
    ))
    .unwrap();
    let hmac = revive_shared::crypto::signature::sign_shopify(secret.as_bytes(), &body);

    // Baseline 1: single-row INSERT + commit into a plain table, same concurrency.
    let owner = sqlx::postgres::PgPoolOptions::new()
        .max_connections(CONCURRENCY as u32)
        .connect(&owner_url)
        .await
        .unwrap();
    sqlx::query("drop table if exists bench_raw_insert").execute(&owner).await.unwrap();
    sqlx::query("create table bench_raw_insert (id uuid primary key default gen_random_uuid(), external_id text unique, body jsonb)")
        .execute(&owner)
        .await
        .unwrap();
    let payload: Value = serde_json::from_slice(&body).unwrap();
    let pool = owner.clone();
    let raw = measure(RAW_INSERTS, move |i| {
        let (pool, payload) = (pool.clone(), payload.clone());
        async move {
            sqlx::query("insert into bench_raw_insert (external_id, body) values ($1, $2)")
                .bind(format!("raw-{i}"))
                .bind(payload)
                .execute(&pool)
                .await
                .unwrap();
        }
    })
    .await;
    sqlx::query("drop table bench_raw_insert").execute(&owner).await.unwrap();

    // Baseline 2: Redis RPUSH of a job-sized value.
    let client = redis::Client::open(redis_url.as_str()).unwrap();
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let key = format!("{prefix}:baseline");
    let k = key.clone();
    let redis_fig = measure(REDIS_OPS, move |i| {
        let (mut conn, k) = (conn.clone(), k.clone());
        async move {
            let _: i64 = redis::cmd("RPUSH")
                .arg(&k)
                .arg(format!("{{\"event\":{i}}}"))
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    })
    .await;

    // `BENCH_ONLY=retention` (the order worker and sender) or `memory`: the baselines and that
    // part only, printed and not written to docs/benchmarks.md (a quick before / after while
    // working on those paths).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("retention") {
        let r = retention::run(&base, &vars_for_workers).await;
        println!("raw INSERT {:.0}/s, raw Redis RPUSH {:.0}/s", raw.rate, redis_fig.rate);
        println!(
            "order worker {:.0} orders/s = {:.3} x raw INSERT",
            r.orders_per_sec,
            r.orders_per_sec / raw.rate
        );
        println!("sender {:.0} sends/s = {:.3} x raw INSERT", r.sends_per_sec, r.sends_per_sec / raw.rate);
        return;
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("memory") {
        let m = memory::run(&vars_for_workers).await;
        println!(
            "revive-api {:.1} MiB idle, {:.1} MiB peak; revive-workers {:.1} MiB idle, {:.1} MiB peak; {:.1} s",
            m.api_idle_mib, m.api_peak_mib, m.workers_idle_mib, m.workers_peak_mib, m.drain_secs
        );
        return;
    }

    // Signed Shopify webhooks: verify, normalize, encrypt, store, enqueue, acknowledge.
    let (h, u) = (http.clone(), url.clone());
    let webhooks = measure(WEBHOOKS, move |i| {
        let (h, u, body, hmac, shop) = (h.clone(), u.clone(), body.clone(), hmac.clone(), shop.clone());
        async move {
            let res = shopify_webhook(&h, &u, &hmac, "fulfillments/update", &shop, &format!("bench-{i}"))
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
    })
    .await;

    // A CSV import of CSV_ROWS rows, one upload.
    let mut csv = String::from("order_id,event,date,phone,country,name,product,qty,price,currency\n");
    for i in 0..CSV_ROWS {
        csv.push_str(&format!(
            "B{i},delivered,2026-11-20,+49151{:08},DE,Kunde {i},Seife,1,9.90,EUR\n",
            20_000_000 + i
        ));
    }
    let t = Instant::now();
    let report: Value = http
        .post(format!("{base}/api/v1/imports/orders"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csv_secs = t.elapsed().as_secs_f64();
    assert_eq!(report["accepted"].as_u64(), Some(CSV_ROWS as u64), "{report}");
    let csv_rate = CSV_ROWS as f64 / csv_secs;

    // The ingested events are left unprocessed; drop them (and their jobs) so the workers of the
    // retention run see only their own.
    let conn = client.get_multiplexed_async_connection().await.unwrap();
    let clear_queues = |mut conn: redis::aio::MultiplexedConnection| {
        let prefix = prefix.clone();
        async move {
            let keys: Vec<String> =
                redis::cmd("KEYS").arg(format!("{prefix}:*")).query_async(&mut conn).await.unwrap();
            if !keys.is_empty() {
                let _: i64 = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await.unwrap();
            }
        }
    };
    clear_queues(conn.clone()).await;
    // Row-level security binds the owner role too: name the tenant first.
    let mut tx = owner.begin().await.unwrap();
    sqlx::query("select set_config('app.merchant_id', $1, true)")
        .bind(ingest_merchant.0.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let deleted = sqlx::query("delete from merchants where id = $1")
        .bind(ingest_merchant.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1);
    tx.commit().await.unwrap();

    let retention = retention::run(&base, &vars_for_workers).await;
    let memory = memory::run(&vars_for_workers).await;
    let bench_config = Config::from_vars(vars_for_workers.clone()).expect("bench config");
    let bench_db = revive_shared::db::Db::connect(&bench_config.database_url, 4).await.unwrap();
    let retrieval = retrieval::run(&bench_db).await;
    clear_queues(conn).await;

    let machine = machine();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let report = format!(
        "# Benchmarks\n\n\
Written by `make bench` (`scripts/bench.sh`); do not edit by hand. Machines here are noisy, so compare\n\
the **ratios** to the baselines measured in the same run, not the absolute rates.\n\n\
- Date: {date}\n- Machine: {machine}\n- Build: release; API in-process on loopback\n\
- Concurrency: {CONCURRENCY} requests in flight\n\n\
## Ingestion\n\n\
The API alone (workers off): the acknowledgement path.\n\n\
| what | count | rate | p50 | p99 | ratio to raw INSERT |\n|---|---:|---:|---:|---:|---:|\n\
| raw Postgres single-row INSERT + commit (baseline) | {RAW_INSERTS} | {:.0}/s | {:.2} ms | {:.2} ms | 1.00 |\n\
| raw Redis RPUSH (baseline) | {REDIS_OPS} | {:.0}/s | {:.2} ms | {:.2} ms | {:.2} |\n\
| signed Shopify webhook → stored + queued + 200 | {WEBHOOKS} | {:.0}/s | {:.2} ms | {:.2} ms | **{:.2}** |\n\
| CSV import, one {CSV_ROWS}-row upload (rows) | {CSV_ROWS} | {:.0} rows/s | | | {:.2} |\n\n\
A webhook costs one HMAC check, a JSON parse and normalization, three AES-GCM encryptions, one\n\
insert transaction, one Redis push and one status update; the raw INSERT is the floor for any\n\
acknowledgement that is durable in Postgres.\n\n\
## Retention\n\n\
{orders} orders (two events each: placed, delivered) through the events API, then through the\n\
order worker (Redis queue → `process_event` → customer with encrypted phone and consent ledger,\n\
order and line items, two schedules on delivery); then their {orders} check-ins, made due at once,\n\
through the sender (dispatcher → `send_message` → checks, intent recorded, Meta call, outcome\n\
recorded) to a Meta mock answering every send after {meta_ms} ms. One worker process, {workers}\n\
jobs at a time per queue, in this process.\n\n\
| what | count | rate | ratio to raw INSERT | ratio to raw Redis RPUSH |\n|---|---:|---:|---:|---:|\n\
| order worker: placed + delivered order → customer, order, 2 schedules | {orders} | {:.0} orders/s | **{:.2}** | {:.4} |\n\
| sender: due check-in → Meta (mock, {meta_ms} ms) → recorded sent | {orders} | {:.0} sends/s | **{:.2}** | {:.4} |\n\n\
The sender's ceiling here is {workers} concurrent sends ÷ {meta_ms} ms = {:.0}/s; a merchant's own\n\
number is further limited by its messages-per-second setting (Meta's default is 80/s).\n\n\
## Retrieval and conversation turns\n\n\
{chunks} knowledge chunks (built-in hashing embedder, 1536 dimensions) over {merchants} merchants,\n\
loaded in {:.0} s through the HNSW index; {queries} questions, each searched as the conversation\n\
does (HNSW, cosine, `iterative_scan`, under the merchant's row-level security) and exactly (the\n\
same query with index scans off).\n\n\
| what | p50 | p95 |\n|---|---:|---:|\n\
| HNSW search, k = 10 | {:.2} ms | {:.2} ms |\n\
| exact search of the merchant's chunks, k = 10 | {:.2} ms | |\n\
| a whole turn's decision with the local providers (intent, embedding, search, reply, guardrails) | {:.2} ms | {:.2} ms |\n\
| {hosted} turns with a hosted model behind a mock ({chat_ms} ms per chat call, {embed_ms} ms per embedding): time beyond the mock's {fixed_ms} ms | {:.2} ms | {:.2} ms |\n\n\
Recall@10 of the HNSW search against the exact one: **{:.3}**.\n\n\
## Resident memory\n\n\
The release binaries as separate processes: `revive-api` (workers off) taking {mem_hooks} signed\n\
Shopify order webhooks, {CONCURRENCY} in flight, while one `revive-workers` process ({mem_conc} jobs at a\n\
time per queue) works them off; {:.1} s from the first webhook to the last event processed.\n\n\
| process | idle (RSS) | peak under load (VmHWM) |\n|---|---:|---:|\n\
| revive-api | {:.1} MiB | {:.1} MiB |\n\
| revive-workers | {:.1} MiB | {:.1} MiB |\n",
        raw.rate,
        raw.p50_ms,
        raw.p99_ms,
        redis_fig.rate,
        redis_fig.p50_ms,
        redis_fig.p99_ms,
        redis_fig.rate / raw.rate,
        webhooks.rate,
        webhooks.p50_ms,
        webhooks.p99_ms,
        webhooks.rate / raw.rate,
        csv_rate,
        csv_rate / raw.rate,
        retention.orders_per_sec,
        retention.orders_per_sec / raw.rate,
        retention.orders_per_sec / redis_fig.rate,
        retention.sends_per_sec,
        retention.sends_per_sec / raw.rate,
        retention.sends_per_sec / redis_fig.rate,
        retention::WORKER_CONCURRENCY as f64 / retention::META_LATENCY.as_secs_f64(),
        retrieval.load_secs,
        retrieval.p50_ms,
        retrieval.p95_ms,
        retrieval.exact_p50_ms,
        retrieval.turn_p50_ms,
        retrieval.turn_p95_ms,
        retrieval.hosted_overhead_p50_ms,
        retrieval.hosted_overhead_p95_ms,
        retrieval.recall_at_10,
        memory.drain_secs,
        memory.api_idle_mib,
        memory.api_peak_mib,
        memory.workers_idle_mib,
        memory.workers_peak_mib,
        mem_hooks = memory::WEBHOOKS,
        mem_conc = 16,
        chunks = retrieval::CHUNKS,
        merchants = retrieval::MERCHANTS,
        queries = retrieval::MERCHANTS * retrieval::QUERIES_PER_MERCHANT,
        hosted = retrieval::HOSTED_TURNS,
        chat_ms = retrieval::MOCK_CHAT.as_millis(),
        embed_ms = retrieval::MOCK_EMBED.as_millis(),
        fixed_ms = (retrieval::MOCK_CHAT * 2 + retrieval::MOCK_EMBED).as_millis(),
        orders = retention::ORDERS,
        workers = retention::WORKER_CONCURRENCY,
        meta_ms = retention::META_LATENCY.as_millis(),
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/benchmarks.md");
    std::fs::write(path, &report).unwrap();
    println!("{report}");
    println!("webhook ingestion / raw INSERT = {:.2}", webhooks.rate / raw.rate);
    println!("order worker / raw INSERT = {:.2}", retention.orders_per_sec / raw.rate);
    println!("sender / raw INSERT = {:.2}", retention.sends_per_sec / raw.rate);
    println!(
        "RSS peak: revive-api {:.1} MiB, revive-workers {:.1} MiB",
        memory.api_peak_mib, memory.workers_peak_mib
    );
}

/// A signed Shopify delivery as Shopify sends it (the body is added by the caller).
pub fn shopify_webhook(
    http: &reqwest::Client,
    url: &str,
    hmac: &str,
    topic: &str,
    shop: &str,
    webhook_id: &str,
) -> reqwest::RequestBuilder {
    http.post(url)
        .header("content-type", "application/json")
        .header("x-shopify-hmac-sha256", hmac)
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", shop)
        .header("x-shopify-api-version", "2026-07")
        .header("x-shopify-webhook-id", webhook_id)
}

/// A merchant signed up through the API: a client holding its session, its CSRF token and
/// its id.
pub struct Session {
    pub http: reqwest::Client,
    pub csrf: String,
    pub merchant: revive_shared::ids::MerchantId,
}

impl Session {
    /// A cookie-authenticated JSON write; the answer's body.
    pub async fn post(&self, url: &str, body: Value) -> Value {
        let res = self.http.post(url).header("x-csrf-token", &self.csrf).json(&body).send().await.unwrap();
        res.json().await.unwrap()
    }
}

pub async fn signup(base: &str, name: &str) -> Session {
    let http =
        reqwest::Client::builder().cookie_store(true).pool_max_idle_per_host(CONCURRENCY).build().unwrap();
    let email = format!("bench-{}@example.test", uuid::Uuid::new_v4().simple());
    let signup: Value = http
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({"merchant_name": name, "email": email, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = signup["csrf_token"].as_str().unwrap().to_owned();
    let id: uuid::Uuid = signup["merchant"]["id"].as_str().unwrap().parse().unwrap();
    Session { http, csrf, merchant: id.into() }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {mem} RAM")
}
