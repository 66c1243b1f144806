#!/usr/bin/env bash
# `make test`: every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-services.sh

echo "[test] container files (syntax only)"
bash scripts/check-deploy.sh

echo "[test] cargo fmt --check"
cargo fmt --all --check
echo "[test] cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "[test] sqlx: queries against the migrated schema"
bash scripts/sqlx-prepare.sh --check
echo "[test] cargo test"
# Start from an empty test database (see the script for why).
bash scripts/reset-test-db.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: cargo prints a result line per test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
if [ "$status" -ne 0 ]; then
  exit "$status"
fi
echo "[test] dashboard in headless Chromium"
# After cargo test: it uses the revive-api binary cargo test built, and the same database.
bash scripts/web-test.sh
