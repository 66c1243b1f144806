# syntax=docker/dockerfile:1
#
# One image for both Revive processes: `revive-api` (the default command) and `revive-workers`
# (run it with the command `revive-workers`), with the built dashboard. See docs/operations.md,
# "Containers". No container engine runs where Revive is developed, so this file is checked by
# scripts/check-deploy.sh for syntax only; it has not been built there.

# --- 1. the two binaries ------------------------------------------------------------------------
# Rust 1.94 or newer (Cargo.toml's rust-version); pin a version tag for reproducible builds.
FROM rust:1-bookworm AS builder
WORKDIR /src
# `query!` macros read the committed query data in .sqlx/ instead of a live database.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY .sqlx .sqlx
COPY crates crates
# `sqlx::migrate!` embeds supabase/migrations into the binaries at compile time, so the
# migrations are needed here and not in the runtime image.
COPY supabase supabase
# The cache mounts keep downloaded crates and build output between builds; the binaries are
# copied out of the cached target directory in the same step.
RUN --mount=type=cache,id=revive-cargo-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=revive-target,target=/src/target \
    cargo build --release --locked -p revive-api -p revive-workers --bins \
    && mkdir -p /out \
    && cp target/release/revive-api target/release/revive-workers /out/

# --- 2. the dashboard ---------------------------------------------------------------------------
# Vite 7 needs Node 20.19+ or 22.12+.
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# --- 3. runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# ca-certificates: the HTTPS clients for Meta, the OpenAI-compatible endpoint and Sentry verify
# against the system's roots. curl: the health check below.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 revive \
    && useradd --system --uid 10001 --gid revive --home-dir /app --no-create-home --shell /usr/sbin/nologin revive
WORKDIR /app
COPY --from=builder /out/revive-api /out/revive-workers /usr/local/bin/
COPY --from=web /web/dist /app/web/dist
# No .env is copied: configuration comes from the environment (see .env.example).
ENV WEB_DIST_DIR=/app/web/dist \
    BIND_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json
USER 10001:10001
EXPOSE 8080
# Both binaries finish in-flight work on SIGTERM within SHUTDOWN_GRACE_SECS (default 25): give
# the container a longer stop timeout than the engine's usual 10 s.
STOPSIGNAL SIGTERM
# Liveness of revive-api: /healthz answers once migrations ran and the server listens. It does
# not check PostgreSQL or Redis (that is /readyz), so an outage of either does not make every
# API container "unhealthy". revive-workers has no HTTP listener: disable this check for it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${BIND_ADDR##*:}/healthz" || exit 1
CMD ["revive-api"]
