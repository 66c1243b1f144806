#!/usr/bin/env bash
# `make run`: sets up what is missing, builds, and runs Revive on :8080 with a demo merchant.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-services.sh
bash scripts/ensure-env.sh
echo "[run] building revive-api (release; the first build takes several minutes)"
cargo build --release --quiet -p revive-api

set -a
# shellcheck disable=SC1091
source .env
set +a

target/release/revive-api &
api=$!
trap 'kill -TERM $api 2>/dev/null; wait $api' INT TERM

port=${BIND_ADDR##*:}
deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$api" 2>/dev/null; then
    echo "[run] revive-api exited during start-up (see its message above)" >&2
    exit 1
  fi
  if ((SECONDS > deadline)); then
    echo "[run] revive-api did not become ready within 120 s" >&2
    kill -TERM "$api"
    exit 1
  fi
  sleep 0.5
done

cat <<MSG

  Revive is running.
  Dashboard:  ${PUBLIC_BASE_URL:-http://localhost:${port}}
  API docs:   ${PUBLIC_BASE_URL:-http://localhost:${port}}/api/docs
  Demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}
  Stop with Ctrl-C.

MSG
wait "$api"
