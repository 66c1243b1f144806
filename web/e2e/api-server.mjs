// Starts target/debug/revive-api on a free port with the API tests' environment
// (crates/api/tests/common/mod.rs `test_vars`), waits for /readyz, and stops it again.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const TEST_ENCRYPTION_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdCE=";
const TEST_BLIND_INDEX_KEY = "YmxpbmQtaW5kZXgta2V5LWZvci10ZXN0cy1vbmx5ISE=";
const READY_DEADLINE_MS = 90_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function startApi({ repoRoot, logFile }) {
  const binary = join(repoRoot, "target/debug/revive-api");
  if (!existsSync(binary)) {
    throw new Error(`${binary} is missing: build it first (cargo build -p revive-api, or cargo test)`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: "postgres://revive_app:revive_app@127.0.0.1:5432/revive_test",
    DATABASE_OWNER_URL: "postgres://revive_owner:revive_owner@127.0.0.1:5432/revive_test",
    DATABASE_MAX_CONNECTIONS: "8",
    REDIS_URL: "redis://127.0.0.1:6379",
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    BLIND_INDEX_KEY: TEST_BLIND_INDEX_KEY,
    RATE_LIMIT_PER_IP_PER_MINUTE: "100000",
    RATE_LIMIT_PER_API_KEY_PER_HOUR: "100000",
    RATE_LIMIT_PER_MERCHANT_PER_HOUR: "100000",
    LOG_FORMAT: "json",
    WEB_DIST_DIR: join(repoRoot, "web/dist"),
    // Other test processes may share this database with other embedding models.
    KNOWLEDGE_REEMBED: "false",
    QUEUE_PREFIX: `e2e-${randomBytes(6).toString("hex")}`,
    SWEEP_INTERVAL_SECS: "1",
    RUN_WORKERS: "true",
    RUN_MIGRATIONS: "true",
    BIND_ADDR: `127.0.0.1:${port}`,
    PUBLIC_BASE_URL: base,
    COOKIE_SECURE: "false",
  };
  const log = createWriteStream(logFile);
  const child = spawn(binary, [], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = signal ?? code;
  });

  const tail = () => readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (exited !== null) throw new Error(`revive-api exited (${exited}) during start-up:\n${tail()}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`revive-api not ready within ${READY_DEADLINE_MS / 1000}s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 250)); // poll interval, bounded by the deadline above
  }

  const stop = () =>
    new Promise((resolve) => {
      if (exited !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      // A server that ignores SIGTERM still ends.
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    });
  return { base, stop, tail };
}
