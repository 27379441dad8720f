// The funnel and the contact pages, end to end: the shop's webhook starts real journeys on
// published flows, the funnel shows how many contacts went which way (on the canvas, in
// words, as a table and as a CSV file) and keeps up as more arrive; then a contact found by
// its number is tagged, its run opened, and it is erased. Screenshots 80–89 land in
// web/e2e-artifacts/.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
  createFromExample,
  newPage,
  openBrowser,
  screenshot,
  signIn,
  startSpool,
} from "./harness.mjs";

const SECRET = "a long random string shared with the shop";

/** What the shop sends: three orders shipped, two not yet. */
const ORDERS = [
  { phone: "+4915110000001", status: "shipped" },
  { phone: "+4915110000002", status: "shipped" },
  { phone: "+4915110000003", status: "shipped" },
  { phone: "+4915110000004", status: "packed" },
  { phone: "+4915110000005", status: "packed" },
];

/** The body of the shop's "order updated" call. */
const order = (o, i) => ({
  customer: { phone: o.phone },
  status: o.status,
  order: { number: 1000 + i },
  tracking: { carrier: "DHL" },
});

describe("the funnel and the contacts", () => {
  let spool;
  let browser;
  let page;
  let csrf;

  /** Calls a hook as the shop would: the exact body bytes, signed with the shared secret. */
  async function callHook(hook, payload) {
    const body = JSON.stringify(payload);
    const signature = createHmac("sha256", SECRET).update(body).digest("hex");
    const answer = await fetch(`${spool.url}/hooks/default/${hook}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Spool-Signature": `sha256=${signature}` },
      body,
    });
    assert.equal(answer.status, 202, `${hook}: ${await answer.text()}`);
  }

  async function publish(flow) {
    const answer = await page.request.post(`/api/v1/workspaces/default/flows/${flow}/publish`, {
      headers: { "X-CSRF-Token": csrf },
      data: { note: "Live for the shop" },
    });
    assert.equal(answer.status(), 201, await answer.text());
  }

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
    csrf = (await (await page.request.get("/api/v1/session")).json()).csrf_token;
    const secret = await page.request.put(
      "/api/v1/workspaces/default/secrets/shop-webhook-secret",
      { headers: { "X-CSRF-Token": csrf }, data: { value: SECRET } },
    );
    assert.equal(secret.status(), 204);
    for (const flow of ["order-status", "abandoned-cart", "ctwa-lead-qualification"]) {
      await createFromExample(page, flow);
    }
    await publish("order-status");
    await publish("abandoned-cart");
    for (const [i, o] of ORDERS.entries()) await callHook("order-updated", order(o, i));
    // Two carts left behind: their journeys wait an hour before the reminder.
    for (const phone of ["+4915120000001", "+4915120000002"]) {
      await callHook("cart-abandoned", {
        customer: { phone },
        cart: { id: `c-${phone.slice(-1)}`, total: 72.5, currency: "EUR", purchased: false },
      });
    }
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  const card = (id) => page.locator(`[data-funnel-card="${id}"]`);
  const edgeLabels = async () =>
    // The counts on the canvas's edges ("window closed" ones included).
    (await page.locator(".react-flow__edge-text").allTextContents()).toSorted();

  test("shows on the canvas how many contacts went which way", async () => {
    await page.goto("/flows/order-status");
    await page.getByRole("button", { name: "Funnel: how contacts go through" }).click();
    const panel = page.getByRole("region", { name: "Funnel" });
    await panel.getByText("5 journeys started").waitFor();
    assert.equal(await card("order_updated").textContent(), "5 reached");
    assert.equal(await card("is_shipped").textContent(), "5 reached");
    assert.equal(await card("order_shipped").textContent(), "3 reached");
    assert.equal(await card("order_status").textContent(), "2 reached");
    assert.equal(await card("end_shipped").textContent(), "3 finished here");
    // Each way out says how many took it: 5 in, 3 shipped, 2 not.
    assert.deepEqual(await edgeLabels(), ["2", "2", "3", "3", "5"]);
    await screenshot(page, "80-funnel-order-status");
    // Busier ways are drawn wider (the busiest full width, the others by their share).
    const widths = () =>
      page
        .locator(".react-flow__edge-path")
        .evaluateAll((paths) =>
          paths.map((p) => Number.parseFloat(getComputedStyle(p).strokeWidth)),
        );
    await page
      .waitForFunction(
        () => {
          const all = [...document.querySelectorAll(".react-flow__edge-path")].map((p) =>
            Number.parseFloat(getComputedStyle(p).strokeWidth),
          );
          return Math.max(...all) >= 2 * Math.min(...all);
        },
        null,
        { timeout: 5000 },
      )
      .catch(async () => assert.fail(`the ways are not drawn by traffic: ${await widths()}`));
    await panel
      .getByText("Nobody dropped off: every contact who reached a step went on to the next.")
      .waitFor();
    await screenshot(page, "80-funnel-order-status");

    // A sixth order arrives while the funnel is open: it catches up by itself.
    await callHook("order-updated", order({ phone: "+4915110000006", status: "shipped" }, 6));
    await panel.getByText("6 journeys started").waitFor({ timeout: 20_000 });
    assert.equal(await card("order_shipped").textContent(), "4 reached");
    assert.deepEqual(page.problems(), []);
  });

  test("lists the same numbers as a table and a CSV file", async () => {
    const panel = page.getByRole("region", { name: "Funnel" });
    await panel.getByRole("button", { name: "Show as a table" }).click();
    const table = page.getByRole("dialog", { name: "Funnel of version 1" });
    const row = table.locator('[data-funnel-row="is_shipped"] td');
    // Reached, timed out, failed, not gone on, then next, true, false, error.
    assert.deepEqual((await row.allTextContents()).slice(0, 4), ["6", "0", "0", "0"]);
    assert.equal(await table.getByRole("columnheader", { name: "Left by “true”" }).count(), 1);
    await screenshot(page, "81-funnel-table");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      table.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^order-status-v1-\d{4}-\d\d-\d\d-to-.*\.csv$/);
    const csv = readFileSync(await download.path(), "utf8")
      .trimEnd()
      .split("\r\n");
    assert.equal(
      csv[0],
      "Step,Step type,Reached,Timed out,Failed,Not gone on,Left by next,Left by error,Left by false,Left by true",
    );
    assert.equal(csv[2], "is_shipped,Condition,6,0,0,0,,0,2,4");
    await table.getByRole("button", { name: "Close" }).click();
    assert.deepEqual(page.problems(), []);
  });

  test("calls out where contacts stop, and says when there is nothing to count", async () => {
    await page.goto("/flows/abandoned-cart");
    await page.getByRole("button", { name: "Funnel: how contacts go through" }).click();
    const panel = page.getByRole("region", { name: "Funnel" });
    await panel.getByText("2 journeys started").waitFor();
    // Zoomed far out, the cards say only the numbers.
    assert.equal(await card("wait_1h").textContent(), "▼ 2 · 2 lost");
    assert.equal(await card("cart_reminder").count(), 0, "no card on a step nobody reached");
    // The biggest drop-off, in words; choosing it brings the step into view with its numbers.
    await panel
      .getByRole("button", {
        name: /^100 % of contacts who reached .*“wait_1h” have not gone on \(2 of 2\)/,
      })
      .click();
    assert.equal(await card("wait_1h").textContent(), "▼ 2 reached · 2 not gone on");
    // Who is still there: both carts, each a link to its run.
    await panel.getByText("2 contacts are at this step now").waitFor();
    const waiting = panel.locator(".funnel-waiting li");
    assert.equal(await waiting.count(), 2);
    assert.match(
      await waiting.first().textContent(),
      /^\+491512000000[12] waits for a timer, since /,
    );
    assert.match(
      await waiting.first().getByRole("link").getAttribute("href"),
      /^\/contacts\/491512000000[12]\/runs\//,
    );
    await screenshot(page, "82-funnel-drop-off");
    await panel.getByRole("button", { name: "Close funnel" }).click();
    assert.equal(
      await page.locator(".react-flow__edge-text").count(),
      0,
      "closing clears the canvas",
    );

    await page.goto("/flows/ctwa-lead-qualification");
    await page.getByRole("button", { name: "Funnel: how contacts go through" }).click();
    await page
      .getByText("This journey has never been published, so no contact has gone through it yet.", {
        exact: false,
      })
      .waitFor();
    await screenshot(page, "83-funnel-never-published");
    assert.deepEqual(page.problems(), []);
  });

  test("finds a contact by number, tags it, shows its run, and erases it", async () => {
    const search = page.getByRole("searchbox", { name: "Find a contact by WhatsApp number" });
    await search.fill("0151 1000 0001");
    await search.press("Enter");
    await page.getByRole("alert").getByText("Write the number with its country code").waitFor();

    await search.fill("+49 151 1000 0001");
    await search.press("Enter");
    await page.getByRole("heading", { name: "+4915110000001", level: 1 }).waitFor();
    const finished = page.getByRole("region", { name: "Finished journeys" });
    await finished.getByText("Order status updates").waitFor();
    await finished.getByText("Finished", { exact: true }).waitFor();

    await page.getByLabel("New tag").fill("vip");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByText("Done: tag “vip” added.").waitFor();
    await page.getByRole("list", { name: "Tags" }).getByText("vip").waitFor();
    await screenshot(page, "84-contact-page");

    await finished.getByRole("link", { name: /Open the run of Order status updates/ }).click();
    await page.getByRole("heading", { name: "Order status updates", level: 1 }).waitFor();
    await page.getByText("Ended at end_shipped (End)").waitFor();
    await page.getByText('"carrier": "DHL"', { exact: false }).waitFor();
    await screenshot(page, "85-run-page");
    await page.getByRole("link", { name: "← Contact +4915110000001" }).click();

    await page.getByRole("button", { name: "Erase contact…" }).click();
    const confirm = page.getByRole("dialog", { name: "Erase +4915110000001?" });
    await confirm.getByText("It cannot be undone.", { exact: false }).waitFor();
    await screenshot(page, "86-erase-confirm");
    await confirm.getByRole("button", { name: "Erase for good" }).click();
    await page.getByRole("heading", { name: "Contact erased" }).waitFor();

    await search.fill("+4915110000001");
    await search.press("Enter");
    await page.getByText("No contact with this number.").waitFor();
    await screenshot(page, "87-contact-gone");
    // Reading an erased contact answers 404; that is the page's business, not a fault.
    page.allowConsole(/404/);
    assert.deepEqual(page.problems(), []);
  });

  test("shows a run waiting and cancels it", async () => {
    const search = page.getByRole("searchbox", { name: "Find a contact by WhatsApp number" });
    await search.fill("+49 151 2000 0001");
    await search.press("Enter");
    const active = page.getByRole("region", { name: "Journeys in progress" });
    await active.getByText("Waits for a delay to end until", { exact: false }).waitFor();
    await active.getByRole("link", { name: /Open the run of Abandoned cart recovery/ }).click();
    await page.getByText("At wait_1h (Delay).").waitFor();
    await page.getByRole("button", { name: "Cancel this run…" }).click();
    const confirm = page.getByRole("dialog", { name: "Cancel this run?" });
    await confirm.getByRole("button", { name: "Cancel the run" }).click();
    await page.getByText("Done: the run is cancelled.").waitFor();
    await page.getByRole("heading", { name: "Cancelled", level: 2 }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Cancel this run…" }).count(), 0);
    await screenshot(page, "88-run-cancelled");

    // From the run to its step in the flow: the flow opens with that step chosen.
    await page.getByRole("link", { name: "Open the flow at this step" }).click();
    await page.locator('.react-flow__node.selected[data-id="wait_1h"]').waitFor();
    await screenshot(page, "89-run-step-in-flow");
    assert.deepEqual(page.problems(), []);
  });
});
