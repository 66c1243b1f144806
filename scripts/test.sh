#!/usr/bin/env bash
# `make test`: every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-services.sh
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

echo "[test] cargo fmt --check"
cargo fmt --all --check
echo "[test] cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "[test] sqlx: queries against the migrated schema"
bash scripts/sqlx-prepare.sh --check
echo "[test] cargo test"
cargo test --workspace
