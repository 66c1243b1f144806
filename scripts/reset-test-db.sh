#!/usr/bin/env bash
# Empties the test database before `make test` and `make bench`: the dispatcher and sweeper of a
# running app serve every merchant in it, so rows left by an earlier (or killed) run would compete
# with this run's. TRUNCATE keeps the migrated schema; a machine's first run has nothing to clear.
set -euo pipefail
test_owner_url=${TEST_DATABASE_OWNER_URL:-postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test}
psql "$test_owner_url" -X -q -v ON_ERROR_STOP=1 <<'SQL'
set client_min_messages = warning;
do $$ begin
  if to_regclass('public.merchants') is not null then
    truncate merchants cascade;
  end if;
end $$;
SQL
