#!/usr/bin/env bash
# `make test`: every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-services.sh

echo "[test] cargo fmt --check"
cargo fmt --all --check
echo "[test] cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "[test] sqlx: queries against the migrated schema"
bash scripts/sqlx-prepare.sh --check
echo "[test] cargo test"
# Start from an empty test database: the dispatcher and sweeper of a test's app serve every
# merchant in it, so rows left by an earlier (or killed) run would compete with this run's.
# TRUNCATE keeps the migrated schema; the first test run of a machine has nothing to clear.
test_owner_url=${TEST_DATABASE_OWNER_URL:-postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test}
psql "$test_owner_url" -X -q -v ON_ERROR_STOP=1 <<'SQL'
set client_min_messages = warning;
do $$ begin
  if to_regclass('public.merchants') is not null then
    truncate merchants cascade;
  end if;
end $$;
SQL
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace 2>&1 | tee "$log" || status=$?
# One closing line for the whole run: cargo prints a result line per test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
