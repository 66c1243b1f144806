#!/usr/bin/env bash
# Regenerates .sqlx/, the query data that lets `query!` compile without a database, from the
# scratch database revive_sqlx freshly migrated with supabase/migrations.
#   --check  regenerates into a temporary folder and fails if the committed data differs: the SQL
#            in the code no longer matches the schema. `make test` runs this.
# revive_sqlx is created (with the vector extension) by scripts/setup-services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

owner_url=${SQLX_SCRATCH_URL:-postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_sqlx}

# Reset the scratch schema. DROP OWNED leaves the database and the superuser-owned extension.
psql "$owner_url" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
set client_min_messages = warning;
drop owned by revive_owner, revive_lookup cascade;
SQL
for f in supabase/migrations/*.sql; do
  psql "$owner_url" -v ON_ERROR_STOP=1 -qAt -f "$f" >/dev/null 2>&1 || {
    psql "$owner_url" -v ON_ERROR_STOP=1 -qAt -f "$f" >/dev/null; exit 1; }
done

out=$PWD/.sqlx
if [[ ${1:-} == --check ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"
rm -f "$out"/query-*.json
# Touch the sources so cargo re-expands every query! macro against the live schema.
find crates -path '*/src/*' -name '*.rs' -exec touch {} +
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$owner_url" \
  cargo check --workspace --all-targets --quiet

if [[ ${1:-} == --check ]]; then
  if ! diff -r .sqlx "$out" >/dev/null; then
    diff -r -q .sqlx "$out" || true
    echo "sqlx: .sqlx/ does not match the code and the migrated schema; run scripts/sqlx-prepare.sh" >&2
    exit 1
  fi
  echo "sqlx: every query matches the migrated schema"
else
  echo "sqlx: wrote $(ls "$out" | wc -l) query files to .sqlx/"
fi
