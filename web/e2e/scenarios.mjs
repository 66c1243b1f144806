// The dashboard's acceptance scenarios (issue 6), in order: later ones use what earlier ones
// created (the owner's account, the knowledge, the simulated customer's conversation).
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PASSWORD = "correct horse battery";
const SCRIPT_NAME = "<script>alert(1)</script>";
const ARABIC_NAME = "محمد العلي";
const HEBREW_TITLE = "מדיניות החזרות של החנות";
const LONG_TITLE = `Extraordinarily${"-long".repeat(30)}-title`;
/** Replies come from the conversation worker a few seconds after the message. */
const BOT_DEADLINE_MS = 60_000;
/** Knowledge is embedded by a background job. */
const EMBED_DEADLINE_MS = 60_000;

// Line 3 (the second data row) has a phone no library can read: it must come back rejected.
const ORDERS_CSV = [
  "order_id,event,occurred_at,phone,country,customer_name,email,marketing_consent,currency,total,product_title,sku,quantity,unit_price",
  "E2E-1001,delivered,2026-11-20,+49 1512 3456789,DE,Jonas Becker,jonas@example.com,yes,EUR,24.90,Lavender soap,SOAP-1,2,12.45",
  "E2E-1002,delivered,2026-11-21,555-555-SHIP,US,Steve Shipper,,no,USD,20.00,Hat,HAT-1,1,20.00",
  `E2E-1003,delivered,2026-11-22,+90 532 123 12 34,TR,"${SCRIPT_NAME}",,yes,TRY,150.00,Olive soap,SOAP-2,1,150.00`,
  `E2E-1004,delivered,2026-11-22,+971 50 123 4567,AE,${ARABIC_NAME},,yes,AED,99.00,Oud,OUD-1,1,99.00`,
].join("\n");

export const scenarios = [
  [
    "sign up",
    async (h) => {
      const context = await h.newContext();
      const page = await h.newPage(context);
      const email = `e2e-${h.runId}-${Date.now()}@example.com`;
      await page.goto("/signup");
      await page.getByLabel("Store name").fill(`Soap & Co ${h.runId}`);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign up" }).click();
      await h.see(page, page.getByRole("heading", { name: /Welcome/ }), "the onboarding page after sign-up");
      await h.see(page, page.getByRole("list", { name: "Onboarding checklist" }), "the onboarding checklist");
      h.state.owner = { context, page, email };
      await h.shot(page, "01-onboarding");
      await h.phoneShot(page, "01-onboarding");
    },
  ],
  [
    "keyboard navigation at phone width",
    async (h) => {
      const { page } = h.state.owner;
      await page.setViewportSize({ width: 375, height: 812 });
      try {
        await h.open(page, "/", ["/api/v1/integrations"]);
        await page.keyboard.press("Tab");
        const first = await page.evaluate(() => document.activeElement?.textContent);
        if (first !== "Menu") throw new Error(`the first Tab stop is "${first}", not the Menu button`);
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        if (outline === "none") throw new Error("the focused Menu button has no visible outline");
        await page.keyboard.press("Enter");
        await h.see(page, page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }), "the opened menu");
        for (let i = 0; i < 20; i++) {
          if ((await page.evaluate(() => document.activeElement?.textContent)) === "Inbox") break;
          await page.keyboard.press("Tab");
        }
        await page.keyboard.press("Enter");
        await page.waitForURL("**/inbox");
        await h.see(page, page.getByRole("heading", { name: "Inbox" }), "the inbox, reached by keyboard");
      } finally {
        await page.setViewportSize({ width: 1280, height: 800 });
      }
    },
  ],
  [
    "connect Shopify: webhook URL and secret",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/integrations", ["/api/v1/integrations"]);
      const form = page.getByRole("form", { name: "Connect Shopify" });
      const secret = `shpss_${h.runId}_secret`;
      await form.getByLabel("Name", { exact: true }).fill("Main store");
      await form.getByLabel("Shop domain").fill(`e2e-${h.runId}.myshopify.com`);
      await form.getByLabel("Webhook signing secret").fill(secret);
      await form.getByRole("button", { name: "Connect Shopify" }).click();
      await h.see(page, page.getByTestId("webhook-url"), "the new integration's webhook URL");
      const url = await page.getByTestId("webhook-url").innerText();
      if (!url.includes(`${h.base}/webhooks/shopify/`)) throw new Error(`unexpected webhook URL: ${url}`);
      const shown = await page.getByTestId("webhook-secret").innerText();
      if (shown !== secret) throw new Error(`the secret shown (${shown}) is not the one entered`);
      await h.shot(page, "02-integrations-shopify");
    },
  ],
  [
    "CSV import: progress and row report",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/integrations", ["/api/v1/imports"]);
      const file = join(tmpdir(), `revive-e2e-orders-${h.runId}.csv`);
      writeFileSync(file, ORDERS_CSV);
      const form = page.getByRole("form", { name: "Upload orders CSV" });
      await form.getByLabel("CSV file").setInputFiles(file);
      await form.getByRole("button", { name: "Upload" }).click();
      const report = page.getByRole("status", { name: "Import report" });
      await h.see(page, report, "the import report", 30_000);
      await h.see(page, report.getByText("Import completed"), "a completed import");
      const rejected = report.getByRole("table", { name: "Rejected rows" });
      await h.see(page, rejected.getByRole("cell", { name: "Line 3", exact: true }), "rejected row line 3");
      const accepted = await page.getByTestId("rows-accepted").innerText();
      if (accepted !== "3") throw new Error(`expected 3 accepted rows, the report says ${accepted}`);
      await h.shot(page, "03-integrations-csv-report");
    },
  ],
  [
    "API key shown once",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/integrations", ["/api/v1/api-keys"]);
      const form = page.getByRole("form", { name: "Create API key" });
      await form.getByLabel("Key name").fill("Warehouse sync");
      await form.getByLabel("imports:write").check();
      await form.getByRole("button", { name: "Create key" }).click();
      await h.see(page, page.getByTestId("new-api-key"), "the new key");
      const key = await page.getByTestId("new-api-key").innerText();
      if (!key.startsWith("rvk_")) throw new Error(`the key does not look like one: ${key.slice(0, 6)}…`);
      await h.shot(page, "04-integrations-api-key");
      await page.getByRole("button", { name: "I have saved it" }).click();
      await h.open(page, "/integrations", ["/api/v1/api-keys"]);
      await h.see(page, page.getByRole("cell", { name: "Warehouse sync" }), "the key in the list");
      if ((await page.content()).includes(key)) throw new Error("the key is still on the page after it was dismissed");
      await h.phoneShot(page, "04-integrations");
    },
  ],
  [
    "knowledge: source ready, test a question",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/knowledge", ["/api/v1/knowledge/sources"]);
      await addSource(page, "Shipping and returns", "We ship lavender soap to Germany within 3 days. Returns are free for 30 days.");
      const row = page.getByRole("list", { name: "Knowledge sources" }).getByRole("listitem").filter({ hasText: "Shipping and returns" });
      await h.see(page, row.getByTestId("source-status").getByText("ready", { exact: true }), "the source embedded (ready)", EMBED_DEADLINE_MS);
      const box = page.getByRole("form", { name: "Test a question" });
      await box.getByLabel("A customer's question").fill("How long does shipping to Germany take?");
      await box.getByRole("button", { name: "Search knowledge" }).click();
      const hits = page.getByRole("list", { name: "Retrieved chunks" });
      await h.see(page, hits.getByText(/within 3 days/), "the retrieved chunk");
      await h.see(page, hits.getByText("Shipping and returns"), "the chunk's source");
      await h.shot(page, "05-knowledge");
      await h.phoneShot(page, "05-knowledge");
    },
  ],
  [
    "simulator: the bot replies",
    async (h) => {
      const { context } = h.state.owner;
      const page = await h.newPage(context);
      h.state.simulator = page;
      await h.open(page, "/simulator", ["/api/v1/products"]);
      await page.getByText("Customer name and number").click();
      await page.getByLabel("Name", { exact: true }).fill("Ava E2E");
      await page.getByLabel("Message").fill("Hi! How long does shipping to Germany take?");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      const chat = page.getByRole("list", { name: "Phone chat" });
      await h.see(page, chat.getByText("How long does shipping to Germany take?"), "the customer's message in the phone");
      h.state.conversationId = new URL(page.url()).searchParams.get("conversation");
      await h.see(page, chat.locator('li[data-sent-by="bot"]'), "the bot's reply in the phone", BOT_DEADLINE_MS).catch(
        async (e) => {
          throw new Error(`${e.message}; ${await serverSays(h, context, h.state.conversationId)}`);
        },
      );
      await h.shot(page, "06-simulator");
      await h.phoneShot(page, "06-simulator");
    },
  ],
  [
    "complaint: the hand-off appears live in the inbox",
    async (h) => {
      const { page: inbox } = h.state.owner;
      const sim = h.state.simulator;
      await h.open(inbox, "/inbox", ["/api/v1/conversations"]);
      await inbox.getByLabel("Needs attention only").check();
      await h.see(inbox, inbox.getByText("Nothing needs attention."), "an empty needs-attention list");
      await sim.getByLabel("Message").fill("The soap arrived broken, this is terrible");
      await sim.getByRole("button", { name: "Send", exact: true }).click();
      // No reload: the inbox must learn of it from the live stream.
      const item = inbox.locator(`a[href="/inbox/${h.state.conversationId}"]`);
      await h
        .see(inbox, item.filter({ hasText: "needs attention" }), "the handed-off conversation in the inbox, live", BOT_DEADLINE_MS)
        .catch(async (e) => {
          throw new Error(`${e.message}; ${await serverSays(h, h.state.owner.context, h.state.conversationId)}`);
        });
      await h.shot(inbox, "07-inbox-needs-attention");
    },
  ],
  [
    "take over and reply by hand",
    async (h) => {
      const { page } = h.state.owner;
      if (!h.state.conversationId) throw new Error("no simulated conversation (the simulator scenario failed)");
      // Opened by its address, so this works whether or not the live hand-off did.
      await h.open(page, `/inbox/${h.state.conversationId}`, [`/api/v1/conversations/${h.state.conversationId}`]);
      const thread = page.getByRole("article", { name: "Conversation" });
      await h.see(page, thread.getByText("The soap arrived broken"), "the complaint in the thread");
      const state = thread.getByTestId("conversation-state");
      // After a hand-off the conversation waits for a person; taking it over says who has it.
      await thread.getByRole("button", { name: "Take over" }).click();
      await h.see(page, state.getByText("a person is handling this"), "the conversation taken over");
      await h.see(page, thread.getByTestId("taken-over-by").getByText(h.state.owner.email), "who took it over");
      await thread.getByLabel("Your reply").fill("So sorry! A new soap is on its way today.");
      await thread.getByRole("button", { name: "Send reply" }).click();
      await h.see(page, thread.locator('[data-sent-by="agent"]').getByText("A new soap is on its way"), "the agent's reply in the thread");
      await h.shot(page, "08-inbox-thread");
      await h.phoneShot(page, "08-inbox-thread");
    },
  ],
  [
    "the agent's reply reaches the phone live",
    async (h) => {
      const sim = h.state.simulator;
      await h.see(sim, sim.getByRole("list", { name: "Phone chat" }).getByText("A new soap is on its way"), "the agent's reply on the phone, live", 20_000);
    },
  ],
  [
    "customers: masked phones, details, erase",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/customers", []);
      const table = page.getByRole("table", { name: "Customers" });
      await h.see(page, table, "the customer list");
      await h.see(page, table.getByText(ARABIC_NAME, { exact: true }), "the Arabic-named customer");
      await h.see(page, table.getByText(SCRIPT_NAME, { exact: true }), "the customer named like a script tag, as text");
      const phones = await table.locator("td.mono").allInnerTexts();
      if (phones.some((p) => /\d{6,}/.test(p.replace(/\s/g, "")) && !p.includes("*"))) {
        throw new Error(`a phone is not masked: ${phones.join(", ")}`);
      }
      await h.shot(page, "09-customers");
      await h.phoneShot(page, "09-customers");
      await table.getByRole("link", { name: ARABIC_NAME }).click();
      await h.see(page, page.getByRole("heading", { name: "Orders" }), "the customer's orders");
      await h.see(page, page.getByRole("heading", { name: "Consent history" }), "the consent history");
      await h.shot(page, "09-customer-detail");
      await page.getByRole("button", { name: "Erase customer…" }).click();
      await page.getByRole("button", { name: "Yes, erase this customer" }).click();
      await h.see(page, page.getByRole("heading", { name: "(erased customer)" }), "the erased customer");
    },
  ],
  [
    "scheduled messages: why trail, cancel",
    async (h) => {
      const { page } = h.state.owner;
      await h.open(page, "/scheduled", ["/api/v1/scheduled-messages", "/api/v1/queue-stats"]);
      await page.getByLabel("Status").selectOption("scheduled");
      const waiting = page.getByRole("list", { name: "Scheduled messages" }).locator('li[data-status="scheduled"]');
      await h.see(page, waiting, "a scheduled message from the imported orders");
      const first = waiting.first();
      await first.getByText(/^Why:/).click();
      await h.see(page, first.locator(".trail").getByText("scheduled"), "the message's why trail");
      const before = await waiting.count();
      await first.getByRole("button", { name: "Cancel" }).click();
      await page.waitForFunction(
        (n) => document.querySelectorAll('li[data-status="scheduled"]').length === n - 1,
        before,
        { timeout: 15_000 },
      );
      await page.getByLabel("Status").selectOption("cancelled");
      await h.see(page, page.locator('li[data-status="cancelled"]'), "the cancelled message");
      await h.shot(page, "14-scheduled");
    },
  ],
  [
    "analytics: numbers render and follow a send live",
    async (h) => {
      const { page } = h.state.owner;
      await page.goto("/analytics");
      await h.see(page, page.getByTestId("total-sent"), "the analytics totals");
      await h.see(page, page.getByRole("table", { name: "Per flow" }), "the per-flow table");
      await h.see(page, page.getByRole("img", { name: /Messages per day/ }), "the daily chart");
      await h.shot(page, "10-analytics");
      await h.phoneShot(page, "10-analytics");
      // Sending a waiting message moves the numbers, and the open page follows without a reload.
      const sentBefore = await page.getByTestId("total-sent").innerText();
      const waiting = await h.apiCall(h.state.owner.context, "GET", "/api/v1/scheduled-messages?status=scheduled");
      if (waiting.length === 0) throw new Error("no scheduled message left to send");
      for (const m of waiting) await h.apiCall(h.state.owner.context, "POST", `/api/v1/scheduled-messages/${m.id}/send-now`);
      await page
        .waitForFunction((before) => document.querySelector('[data-testid="total-sent"]')?.textContent !== before, sentBefore, {
          timeout: 30_000,
        })
        .catch(async () => {
          const after = await h.apiCall(h.state.owner.context, "GET", "/api/v1/scheduled-messages?limit=20");
          throw new Error(
            `"Sent" stayed ${sentBefore} after send-now; the messages are now: ${after.map((m) => `${m.flow} ${m.status}${m.reason ? ` (${m.reason})` : ""}`).join(", ")}`,
          );
        });
    },
  ],
  [
    "activity feed updates live",
    async (h) => {
      const { page, context } = h.state.owner;
      await h.open(page, "/activity", ["/api/v1/audit-log"]);
      const feed = page.getByRole("list", { name: "Activity" });
      await h.see(page, feed.getByText("merchant.signup"), "the sign-up in the activity feed");
      const before = await feed.getByText("integration.create").count();
      await h.apiCall(context, "POST", "/api/v1/integrations", { kind: "api", name: "Live activity check" });
      await page.waitForFunction(
        (n) => [...document.querySelectorAll("ol.activity strong")].filter((e) => e.textContent === "integration.create").length > n,
        before,
        { timeout: 15_000 },
      ).catch(async () => {
        const live = await page.getByTestId("live-status").innerText();
        throw new Error(`the new activity did not appear without a reload within 15s [live: ${live}]`);
      });
      await h.shot(page, "11-activity");
    },
  ],
  [
    "other screens render",
    async (h) => {
      const { page } = h.state.owner;
      for (const [path, apis, name] of [
        ["/templates", ["/api/v1/templates", "/api/v1/settings/retention"], "12-templates"],
        ["/whatsapp", ["/api/v1/whatsapp-account"], "13-whatsapp"],
      ]) {
        await h.open(page, path, apis);
        const alerts = await page.locator('[role="alert"]').allInnerTexts();
        if (alerts.length) throw new Error(`${path} shows an error: ${alerts.join(" | ")}`);
        await h.shot(page, name);
      }
    },
  ],
  [
    "a viewer sees no write controls",
    async (h) => {
      const email = `viewer-${h.runId}-${Date.now()}@example.com`;
      await h.apiCall(h.state.owner.context, "POST", "/api/v1/users", { email, password: PASSWORD, role: "viewer" });
      const context = await h.newContext();
      const page = await h.newPage(context);
      await page.goto("/login");
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await h.see(page, page.getByRole("heading", { name: /Welcome/ }), "the viewer's onboarding page");
      // Buttons that only read: navigation, the knowledge search, leaving.
      const allowed = new Set(["Menu", "Log out", "Search knowledge", "← All conversations", "Copy"]);
      const routes = [
        ["/", ["/api/v1/knowledge/sources", "/api/v1/integrations"]],
        ["/integrations", ["/api/v1/integrations"]],
        ["/whatsapp", ["/api/v1/whatsapp-account"]],
        ["/templates", ["/api/v1/templates", "/api/v1/settings/retention"]],
        ["/knowledge", ["/api/v1/knowledge/sources", "/api/v1/products"]],
        ["/inbox", ["/api/v1/conversations"]],
        [`/inbox/${h.state.conversationId}`, [`/api/v1/conversations/${h.state.conversationId}`]],
        ["/simulator", ["/api/v1/products"]],
        ["/scheduled", ["/api/v1/scheduled-messages"]],
        ["/customers", []],
        ["/team", ["/api/v1/users"]],
      ];
      const offending = [];
      for (const [path, apis] of routes) {
        await h.open(page, path, apis);
        const buttons = await page.evaluate(() =>
          [...document.querySelectorAll("button, input[type=submit], input[type=file]")]
            .filter((b) => b.getClientRects().length > 0 || b.closest(".nav"))
            .map((b) => (b.textContent || b.getAttribute("aria-label") || b.getAttribute("type") || "").trim()),
        );
        for (const b of buttons) if (!allowed.has(b)) offending.push(`${path}: "${b}"`);
      }
      await h.shot(page, "15-viewer-knowledge");
      if (offending.length) throw new Error(`write controls shown to a viewer: ${offending.join(", ")}`);
      await context.close();
    },
  ],
  [
    "script-like and RTL names render as text",
    async (h) => {
      const { page, context } = h.state.owner;
      await h.open(page, "/knowledge", ["/api/v1/knowledge/sources"]);
      await addSource(page, SCRIPT_NAME, "A source whose title is markup.");
      await addSource(page, HEBREW_TITLE, "החזרות חינם תוך 30 יום.");
      await addSource(page, LONG_TITLE, "A source with a very long title.");
      const sources = page.getByRole("list", { name: "Knowledge sources" });
      await h.see(page, sources.getByText(SCRIPT_NAME, { exact: true }), "the script-like title as text");
      await h.see(page, sources.getByText(HEBREW_TITLE, { exact: true }), "the Hebrew title");
      const dir = await sources.getByText(HEBREW_TITLE, { exact: true }).getAttribute("dir");
      if (dir !== "auto") throw new Error(`the Hebrew title has dir=${dir}, not auto`);
      await h.shot(page, "16-knowledge-names");
      await h.phoneShot(page, "16-knowledge-names");

      if (h.dialogs.length) throw new Error(`dialogs fired: ${h.dialogs.join("; ")}`);
    },
  ],
  [
    "a simulated customer's name shows in the inbox, as text",
    async (h) => {
      const { page, context } = h.state.owner;
      const sent = await h.apiCall(context, "POST", "/api/v1/simulator/messages", {
        text: "مرحبا، هل الصابون متوفر؟",
        name: SCRIPT_NAME,
        phone: "+61491570157",
      });
      await h.open(page, "/inbox", ["/api/v1/conversations"]);
      const item = page.locator(`a[href="/inbox/${sent.conversation_id}"]`);
      await h.see(page, item, "the simulated customer's conversation in the inbox");
      await h.see(page, item.getByText(SCRIPT_NAME, { exact: true }), "the simulated customer's name (given to the simulator) in the inbox");
      await h.phoneShot(page, "17-inbox-names");
      const scripts = await page.evaluate(() => document.querySelectorAll("script:not([type=module])").length);
      if (scripts > 0) throw new Error(`${scripts} script elements were injected into the page`);
      if (h.dialogs.length) throw new Error(`dialogs fired: ${h.dialogs.join("; ")}`);
    },
  ],
];

/**
 * What the API holds for a conversation, for a failure message: it tells "the server did not
 * answer" from "the page did not update".
 */
async function serverSays(h, context, conversationId) {
  if (!conversationId) return "no conversation id";
  try {
    const c = await h.apiCall(context, "GET", `/api/v1/conversations/${conversationId}`);
    const bot = c.messages.filter((m) => m.sent_by === "bot").length;
    return `the API has ${c.messages.length} messages (${bot} from the bot), state ${c.conversation.state}, needs_attention ${c.conversation.needs_attention}`;
  } catch (e) {
    return `could not read the conversation: ${e.message}`;
  }
}

async function addSource(page, title, content) {
  const form = page.getByRole("form", { name: "Add a knowledge source" });
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Content").fill(content);
  await form.getByRole("button", { name: "Add source" }).click();
  await page
    .getByRole("list", { name: "Knowledge sources" })
    .getByText(title, { exact: true })
    .first()
    .waitFor({ state: "visible", timeout: 15_000 });
}
