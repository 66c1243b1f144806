// Browser tests of the dashboard: starts the API, runs each scenario in headless Chromium,
// saves screenshots to e2e/screenshots/, prints one line per scenario, and exits non-zero if
// any failed. The API is stopped however the run ends.
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startApi } from "./api-server.mjs";
import { createHarness } from "./harness.mjs";
import { scenarios } from "./scenarios.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const shots = join(here, "screenshots");
rmSync(shots, { recursive: true, force: true });
mkdirSync(shots, { recursive: true });

// Only scenarios whose name contains one of the arguments, when any are given (later ones
// still need the earlier ones they build on, so this is for quick re-runs of a prefix).
const only = process.argv.slice(2);

let api;
let browser;
const results = [];
try {
  api = await startApi({ repoRoot, logFile: join(shots, "api.log") });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"], headless: true });
  const h = createHarness({ browser, base: api.base, shots });
  for (const [name, run] of scenarios) {
    if (only.length && !only.some((o) => name.includes(o))) continue;
    const started = Date.now();
    try {
      await run(h);
      results.push({ name, ok: true, ms: Date.now() - started });
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) });
      await h.failureShot(name);
    }
  }
} catch (e) {
  console.error(`e2e: could not run: ${e instanceof Error ? e.message : e}`);
  process.exitCode = 2;
} finally {
  await browser?.close().catch(() => {});
  await api?.stop();
}

for (const r of results) {
  const line = `${r.ok ? "PASS" : "FAIL"}  ${r.name} (${(r.ms / 1000).toFixed(1)}s)`;
  console.log(r.ok ? line : `${line}: ${r.error.split("\n")[0]}`);
}
const failed = results.filter((r) => !r.ok).length;
if (results.length) console.log(`e2e: ${results.length - failed} passed, ${failed} failed; screenshots in web/e2e/screenshots/`);
if (failed) process.exitCode = 1;
