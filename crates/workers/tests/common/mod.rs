//! What the worker-process tests share: the settings of a test worker and starting the real
//! `revive-workers` binary with them.
#![allow(dead_code, clippy::expect_used)]

use std::process::{Child, Command, Stdio};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The settings of a test worker on queue prefix `prefix`; `extra` adds or overrides.
pub fn vars(prefix: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = [
        (
            "DATABASE_URL",
            env_or("TEST_DATABASE_URL", "postgres://revive_app:revive_app@127.0.0.1:5432/revive_test"),
        ),
        (
            "DATABASE_OWNER_URL",
            env_or(
                "TEST_DATABASE_OWNER_URL",
                "postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test",
            ),
        ),
        ("REDIS_URL", env_or("TEST_REDIS_URL", "redis://127.0.0.1:6379")),
        ("ENCRYPTION_KEY", "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=".into()),
        ("BLIND_INDEX_KEY", "YmxpbmQtaW5kZXgta2V5LWZvci10ZXN0cy1vbmx5ISE=".into()),
        ("QUEUE_PREFIX", prefix.into()),
        ("WORKER_CONCURRENCY", "8".into()),
        ("SWEEP_INTERVAL_SECS", "1".into()),
        ("LOG_FORMAT", "pretty".into()),
        ("RUST_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (k, v) in extra {
        vars.retain(|(name, _)| name != k);
        vars.push(((*k).to_owned(), (*v).to_owned()));
    }
    vars
}

/// A `revive-workers` process that does not outlive its test: a test that fails (panics) kills
/// it on the way out, so a stray worker never serves the next run's database.
pub struct Worker(Child);

impl Worker {
    /// SIGKILL.
    pub fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }

    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        self.0.wait()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a `revive-workers` process with exactly `vars` (nothing inherited but `PATH`).
pub fn start_worker(vars: &[(String, String)]) -> Worker {
    Worker(
        Command::new(env!("CARGO_BIN_EXE_revive-workers"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(vars.iter().cloned())
            .stdout(Stdio::null())
            .spawn()
            .expect("start revive-workers"),
    )
}
