//! The real binary refuses to start with a bad configuration, naming the setting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

fn run_api(extra: &[(&str, &str)]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_revive-api"))
        .env_clear()
        .envs(common::test_vars(extra))
        // Keep the test from binding :8080 should the config unexpectedly pass.
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn bad_settings_stop_start_up_and_are_named() {
    for (name, value) in [
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "lots"),
        ("BIND_ADDR", "not-an-address"),
        ("ENCRYPTION_KEY", "dG9vLXNob3J0"),
        ("BLIND_INDEX_KEY", "%%%"),
        ("LOG_FORMAT", "xml"),
        ("RUN_MIGRATIONS", "perhaps"),
    ] {
        let (code, stderr) = run_api(&[(name, value)]);
        assert_eq!(code, 2, "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
        if name.ends_with("_KEY") {
            assert!(!stderr.contains(value), "secret echoed: {stderr}");
        }
    }
}

#[test]
fn a_missing_required_setting_is_named() {
    let mut vars = common::test_vars(&[]);
    vars.retain(|(k, _)| k != "DATABASE_URL");
    let out = Command::new(env!("CARGO_BIN_EXE_revive-api"))
        .env_clear()
        .envs(vars)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

/// Starts the real binary on a free port, checks it serves, sends SIGTERM, and expects a clean
/// exit. Polls the log with a deadline instead of sleeping.
#[test]
fn sigterm_stops_the_server_cleanly() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    let mut child = Command::new(env!("CARGO_BIN_EXE_revive-api"))
        .env_clear()
        .envs(common::test_vars(&[("LOG_FORMAT", "json")]))
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = loop {
        let line =
            rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).expect("listening log line");
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if value["message"] == "revive-api listening" {
            break value["addr"].as_str().unwrap().to_owned();
        }
    };
    let health = std::net::TcpStream::connect(&addr).map(|mut s| {
        use std::io::{Read, Write};
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    });
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 30 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}
