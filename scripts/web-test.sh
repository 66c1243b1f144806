#!/usr/bin/env bash
# Browser tests of the dashboard: Debian's Chromium driven by playwright-core against a real
# revive-api (target/debug/revive-api, built by `cargo test`) on Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "[web-test] installing Debian's chromium"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

bash scripts/web-build.sh
node web/e2e/run.mjs "$@"
