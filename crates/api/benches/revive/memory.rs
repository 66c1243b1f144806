//! Resident memory of the two release binaries as separate processes, idle and under load: a
//! burst of signed Shopify webhooks at `revive-api` (workers off) while one `revive-workers`
//! process works them off. Read from /proc (`VmRSS` now, `VmHWM` the peak).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const WEBHOOKS: usize = 4_000;
const CONCURRENCY: usize = 16;

pub struct Memory {
    pub api_idle_mib: f64,
    pub api_peak_mib: f64,
    pub workers_idle_mib: f64,
    pub workers_peak_mib: f64,
    pub drain_secs: f64,
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `VmRSS` and `VmHWM` of a process, in MiB.
fn rss(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0)
}

fn spawn(binary: PathBuf, vars: &[(String, String)]) -> Process {
    Process(
        Command::new(&binary)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars.iter().cloned())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {}: {e} (scripts/bench.sh builds both binaries)", binary.display())
            }),
    )
}

pub async fn run(vars: &[(String, String)]) -> Memory {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut vars: Vec<(String, String)> = vars.to_vec();
    for (k, v) in [
        ("BIND_ADDR", format!("127.0.0.1:{port}")),
        ("QUEUE_PREFIX", format!("bench-mem-{}", uuid::Uuid::new_v4().simple())),
        ("RUN_WORKERS", "false".into()),
        ("WORKER_CONCURRENCY", "16".into()),
        ("SWEEP_INTERVAL_SECS", "1".into()),
    ] {
        vars.retain(|(name, _)| name != k);
        vars.push((k.to_owned(), v));
    }
    let api_bin = PathBuf::from(env!("CARGO_BIN_EXE_revive-api"));
    let api = spawn(api_bin.clone(), &vars);
    let workers = spawn(api_bin.with_file_name("revive-workers"), &vars);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/healthz")).send().await.map_or(true, |r| !r.status().is_success()) {
        assert!(Instant::now() < deadline, "revive-api did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let session = super::signup(&base, "Memory Store").await;
    let secret = "shpss_bench_memory_secret";
    let integration = session
        .post(
            &format!("{base}/api/v1/integrations"),
            json!({"kind": "shopify", "name": "memory", "shop_domain": "memory-bench.myshopify.com", "webhook_secret": secret}),
        )
        .await;
    let url = format!("{base}/webhooks/shopify/{}", integration["id"].as_str().unwrap());
    let order: Value = serde_json::from_slice(
        &std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/fixtures/shopify_orders_create.json"))
            .unwrap(),
    )
    .unwrap();
    let (api_idle, _) = rss(api.0.id());
    let (workers_idle, _) = rss(workers.0.id());

    // The burst: distinct orders, 16 in flight.
    let started = Instant::now();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, url, order, next) = (http.clone(), url.clone(), order.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= WEBHOOKS {
                    return;
                }
                let mut order = order.clone();
                order["id"] = json!(5_000_000_000_000u64 + i as u64);
                order["customer"]["phone"] = json!(format!("+49151239{i:05}"));
                let body = serde_json::to_vec(&order).unwrap();
                let hmac = revive_shared::crypto::signature::sign_shopify(secret.as_bytes(), &body);
                let shop = "memory-bench.myshopify.com";
                let res =
                    super::shopify_webhook(&http, &url, &hmac, "orders/create", shop, &format!("mem-{i}"))
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                let status = res.status();
                assert!(
                    status.is_success(),
                    "webhook {i}: {status} {}",
                    res.text().await.unwrap_or_default()
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Until the worker has processed every event.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let stats: Value = session
            .http
            .get(format!("{base}/api/v1/queue-stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if stats["process_event"]["pending"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker did not drain the burst: {stats}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drain_secs = started.elapsed().as_secs_f64();
    let (_, api_peak) = rss(api.0.id());
    let (_, workers_peak) = rss(workers.0.id());
    Memory {
        api_idle_mib: api_idle,
        api_peak_mib: api_peak,
        workers_idle_mib: workers_idle,
        workers_peak_mib: workers_peak,
        drain_secs,
    }
}
