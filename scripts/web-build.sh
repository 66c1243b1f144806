#!/usr/bin/env bash
# Builds the dashboard (web/) into web/dist, which the API serves. Idempotent: the npm install
# is skipped while node_modules matches package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../web"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "[web] node/npm missing: installing Debian's nodejs and npm"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

# The lock file's hash, recorded after a successful install, says whether node_modules is current.
stamp=node_modules/.revive-installed
if [ -f package-lock.json ]; then
  want=$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[web] npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >"$stamp"
  fi
else
  echo "[web] npm install (no lock file yet)"
  npm install --no-audit --no-fund --loglevel=error
fi

echo "[web] building web/dist"
npm run --silent build -- --logLevel warn
