#!/usr/bin/env bash
# Creates .env from .env.example on first run, with fresh keys and a demo log-in. An existing
# .env is left alone (its keys decrypt the data already stored).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f .env ]] && exit 0

key() { head -c 32 /dev/urandom | base64 -w0; }
password=$(head -c 12 /dev/urandom | base64 -w0 | tr '+/' 'xy')
sed -e "s|^ENCRYPTION_KEY=$|ENCRYPTION_KEY=$(key)|" \
    -e "s|^BLIND_INDEX_KEY=$|BLIND_INDEX_KEY=$(key)|" \
    -e "s|^DEMO_SEED=false$|DEMO_SEED=true|" \
    -e "s|^DEMO_PASSWORD=$|DEMO_PASSWORD=${password}|" \
    -e "s|^LOG_FORMAT=json$|LOG_FORMAT=pretty|" \
    .env.example > .env
chmod 600 .env
echo "[setup] wrote .env with fresh keys and a demo log-in"
