#!/usr/bin/env bash
# The fault suite's long form: `bash scripts/fault-suite.sh [seconds]` (default 600) runs
# crates/api/tests/faults.rs with that many seconds of faults and rewrites docs/reliability.md
# with its books. `make test` runs the short form (40 s) as part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
bash scripts/setup-services.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The suite runs the workers binary beside revive-api's; build it first (the test cannot).
cargo build -p revive-workers --bin revive-workers
FAULT_SUITE_SECS=$secs cargo test -p revive-api --test faults -- --nocapture 2>&1 | tee "$log"
books=$(sed -n '/^== fault suite books/,/^logs scanned/p' "$log")
[ -n "$books" ] || { echo "no books in the output" >&2; exit 1; }
cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
{
  echo "# Reliability"
  echo
  echo "Written by \`scripts/fault-suite.sh $secs\` (the fault suite's long form); do not edit by hand."
  echo "The suite (\`crates/api/tests/faults.rs\`) runs one \`revive-api\`, three \`revive-workers\`, a"
  echo "PostgreSQL and a Redis of its own, a Meta mock and an OpenAI-compatible mock; while signed Shopify"
  echo "webhooks (an order placed and delivered every 100 ms, its check-in due during the run) and"
  echo "customer replies (every third order, some of them STOP) flow in, it rotates through: SIGKILL a"
  echo "worker and start a new one; Meta answering 429; Meta answering 500 while Redis restarts empty;"
  echo "Meta answering after 25 s (past the sender's 20 s time-out, but accepted); PostgreSQL stopped"
  echo "immediately (as a crash) and restarted; a calm round. Meta's status webhooks are played for"
  echo "every send it accepted. Then it waits for the work to settle and checks the books."
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Machine: $cores cores ($cpu)"
  echo "- Build: debug (the test profile)"
  echo
  echo '```'
  echo "$books"
  echo '```'
  echo
  echo "Every figure above is checked by the suite: a webhook acknowledged but not stored once, a"
  echo "message Meta accepted twice, a due message neither sent once nor ended with a reason, a"
  echo "customer message not stored once or answered twice, work still open three minutes after the"
  echo "faults, or a phone number, key or secret in any process's log fails it."
} > docs/reliability.md
echo "wrote docs/reliability.md"
