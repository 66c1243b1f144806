#!/usr/bin/env bash
# `make run`: sets up what is missing, builds, and runs Revive on :8080 with a demo merchant.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-services.sh
bash scripts/ensure-env.sh
echo "[run] building the dashboard"
bash scripts/web-build.sh
echo "[run] building revive-api (release; the first build takes several minutes)"
cargo build --release --quiet -p revive-api

# Settings for the banner below; the API reads .env itself (real environment variables win).
set -a
# shellcheck disable=SC1091
source .env
set +a

target/release/revive-api &
api=$!
# However this script ends, the API ends with it.
trap 'kill -TERM "$api" 2>/dev/null; wait "$api" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

bind=${BIND_ADDR:-0.0.0.0:8080}
port=${bind##*:}
url=${PUBLIC_BASE_URL:-http://localhost:${port}}
deadline=$((SECONDS + 120))
until curl -fsS "http://127.0.0.1:${port}/readyz" >/dev/null 2>&1; do
  if ! kill -0 "$api" 2>/dev/null; then
    echo "[run] revive-api exited during start-up (see its message above)" >&2
    exit 1
  fi
  if ((SECONDS > deadline)); then
    echo "[run] revive-api did not become ready within 120 s" >&2
    exit 1
  fi
  sleep 0.5
done

echo
echo "  Revive is running."
echo "  Dashboard:  ${url}"
echo "  API docs:   ${url}/api/docs"
case ${DEMO_SEED:-false} in
  true | 1 | yes | on) echo "  Demo login: ${DEMO_EMAIL:-demo@revive.local} / ${DEMO_PASSWORD:-}" ;;
esac
echo "  Stop with Ctrl-C."
echo
wait "$api"
