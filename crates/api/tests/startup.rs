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
