// What scenarios share: the owner's browser context, new pages that record dialogs, waits with
// deadlines and clear messages, and screenshots at laptop and phone width.
import { join } from "node:path";

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 812 };

export function createHarness({ browser, base, shots }) {
  const dialogs = [];
  const pages = new Set();
  const runId = Math.random().toString(36).slice(2, 8);
  let lastPage = null;

  const h = {
    base,
    runId,
    /** Every alert/confirm/prompt any page opened: markup in names must never run. */
    dialogs,
    state: {},

    async newContext() {
      return browser.newContext({ baseURL: base, viewport: LAPTOP });
    },

    async newPage(context) {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("dialog", async (d) => {
        dialogs.push(`${d.type()}: ${d.message()}`);
        await d.dismiss();
      });
      page.on("pageerror", (e) => console.error(`  [page error] ${e.message}`));
      pages.add(page);
      lastPage = page;
      return page;
    },

    /** Waits for a locator to be visible; on time-out says what was missing and what the page showed. */
    async see(page, locator, what, timeout = 15_000) {
      lastPage = page;
      try {
        await locator.first().waitFor({ state: "visible", timeout });
      } catch {
        const alerts = await page.locator('[role="alert"]').allInnerTexts().catch(() => []);
        const live = await page.getByTestId("live-status").innerText().catch(() => "?");
        throw new Error(
          `${what}: not visible within ${timeout / 1000}s at ${page.url()}` +
            (alerts.length ? `; the page says: ${alerts.join(" | ")}` : "") +
            ` [live: ${live}]`,
        );
      }
    },

    /** Navigates and waits until the listed API calls have answered. */
    async open(page, path, apiPaths = []) {
      lastPage = page;
      const answered = apiPaths.map((p) =>
        page.waitForResponse((r) => new URL(r.url()).pathname === p && r.request().method() === "GET", { timeout: 15_000 }),
      );
      await page.goto(path);
      await Promise.all(answered);
      await page.waitForFunction(
        () => ![...document.querySelectorAll('[role="status"]')].some((e) => e.textContent?.startsWith("Loading")),
        null,
        { timeout: 15_000 },
      );
    },

    async shot(page, name) {
      lastPage = page;
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
    },

    /** A screenshot at 375px, checking that nothing makes the page scroll sideways. */
    async phoneShot(page, name) {
      await page.setViewportSize(PHONE);
      try {
        await page.screenshot({ path: join(shots, `${name}-375.png`), fullPage: true });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) throw new Error(`${name}: the page is ${overflow}px wider than a 375px screen`);
      } finally {
        await page.setViewportSize(LAPTOP);
      }
    },

    async failureShot(name) {
      if (!lastPage || lastPage.isClosed()) return;
      const safe = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
      await lastPage.screenshot({ path: join(shots, `FAILED-${safe}.png`), fullPage: true }).catch(() => {});
    },

    /** A cookie-authenticated API call in a context (the dashboard's own cookies and CSRF token). */
    async apiCall(context, method, path, data) {
      const me = await context.request.get("/api/v1/auth/me");
      if (!me.ok()) throw new Error(`GET /api/v1/auth/me: ${me.status()}`);
      const { csrf_token } = await me.json();
      const res = await context.request.fetch(path, { method, data, headers: { "X-CSRF-Token": csrf_token } });
      if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${await res.text()}`);
      return res.status() === 204 ? null : res.json();
    },
  };
  return h;
}
