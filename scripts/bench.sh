#!/usr/bin/env bash
# `make bench`: sets up the same services as `make test`, runs every benchmark in one release
# build and rewrites docs/benchmarks.md with the figures and their ratios to the raw Postgres and
# Redis baselines measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-services.sh
bash scripts/reset-test-db.sh
# Both release binaries: the memory section runs them as separate processes.
cargo build --release -p revive-api -p revive-workers --bins
cargo bench -p revive-api --bench revive
