// The operator inbox, end to end: a published journey tells the contact about their order
// (a utility template: they never wrote, so their 24-hour window is closed) and hands them to
// a person (the shop's webhook starts it); the top bar counts them, an operator opens the
// ticket from the queue with the keyboard and reads the conversation (the template, on the
// business's side, with the step that sent it), claims it, resolves it, and the journey goes
// on through `resolved` (the contact is tagged `helped`). A colleague taking a ticket shows at
// once (the inbox hears the server live), and a viewer sees the inbox without its buttons. Screenshots 90–96 land
// in web/e2e-artifacts/.
//
// The contact never writes here (their inbound messages are drawn in MessageBubble.test.tsx;
// inbox-reply.test.mjs connects a WhatsApp number to a stand-in for Meta for that).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newPage, openBrowser, screenshot, signIn, startSpool } from "./harness.mjs";

const SUPPORT = {
  schema: 1,
  id: "support",
  name: "Order support",
  nodes: [
    { id: "start", type: "webhook", config: { hook: "support", contact: "payload.phone" } },
    {
      id: "tell_update",
      type: "send_template",
      config: {
        name: "order_update",
        language: "en",
        category: "utility",
        body: ["{{ payload.order }}"],
      },
    },
    {
      id: "ask_person",
      type: "handoff",
      config: {
        team: "shop-support",
        note: "Order {{ payload.order }} needs a person",
        timeout: "8h",
      },
    },
    { id: "helped", type: "tag", config: { add: ["helped"] } },
    { id: "unanswered", type: "tag", config: { add: ["unanswered"] } },
  ],
  edges: [
    { from: "start", port: "next", to: "tell_update" },
    { from: "tell_update", port: "next", to: "ask_person" },
    { from: "ask_person", port: "resolved", to: "helped" },
    { from: "ask_person", port: "timeout", to: "unanswered" },
  ],
};

const ANA = { email: "ana@shop.test", password: "ana's long enough password" };
const VIEWER = { email: "viewer@shop.test", password: "a viewer's long password" };

/** The API as the signed-in person of `on` (their cookie, their CSRF token). */
async function apiCall(on, method, url, data) {
  const { csrf_token } = await (await on.request.get("/api/v1/session")).json();
  return on.request.fetch(url, {
    method,
    headers: { "X-CSRF-Token": csrf_token },
    ...(data === undefined ? {} : { data }),
  });
}

/** A ticket's thread of messages. */
const thread = (pane) => pane.getByRole("log", { name: "Messages" });

/** The journey's template about `order`, as the ticket's thread shows it. */
async function templateIn(pane, order) {
  const sent = thread(pane).getByRole("listitem").filter({ hasText: "Template order_update" });
  await sent.waitFor();
  const words = await sent.innerText();
  assert.match(words, new RegExp(`\\{\\{1\\}\\}\\s*${order}`));
  assert.match(words, /Journey · step tell_update/);
  assert.match(words, /Window closed: sent as a template/);
  return sent;
}

describe("the operator inbox", () => {
  let spool;
  let browser;
  let page;

  /** What the shop sends: the flow has no secret, so no signature. */
  async function askForHelp(phone, order) {
    const answer = await fetch(`${spool.url}/hooks/default/support`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ phone, order }),
    });
    assert.equal(answer.status, 202, await answer.text());
  }

  /** Waits until the queue (read through the API) holds `count` open tickets. */
  async function openTickets(count) {
    for (let i = 0; i < 100; i++) {
      const list = await (await page.request.get("/api/v1/workspaces/default/handoffs")).json();
      if (list.counts.open === count) return list.tickets;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`the queue never held ${count} open tickets`);
  }

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
    const created = await apiCall(page, "POST", "/api/v1/workspaces/default/flows", SUPPORT);
    assert.equal(created.status(), 201, await created.text());
    const published = await apiCall(
      page,
      "POST",
      "/api/v1/workspaces/default/flows/support/publish",
      {
        note: "support",
      },
    );
    assert.equal(published.status(), 201, await published.text());
    for (const member of [
      { ...ANA, role: "editor" },
      { ...VIEWER, role: "viewer" },
    ]) {
      const added = await apiCall(page, "POST", "/api/v1/workspaces/default/members", member);
      assert.equal(added.status(), 201, await added.text());
    }
    await askForHelp("+4915112340001", "A-17");
    await openTickets(1);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  // The queue once the chosen tab is read (the previous tab's rows stay, dimmed and busy,
  // until then).
  const queue = () => page.locator('[role="listbox"][aria-busy="false"]');
  const tab = (name) => page.getByRole("tab", { name });
  const ticketPane = () => page.getByRole("region", { name: "Conversation" });

  test("counts who waits in the top bar and opens the ticket from the queue by keyboard", async () => {
    await page.goto("/");
    const link = page.getByRole("link", { name: "Inbox (1)" });
    await link.waitFor();
    await link.click();
    await page.getByRole("heading", { name: "Inbox", exact: true }).waitFor();
    await tab("Unassigned (1)").waitFor();
    const row = queue().getByRole("option");
    await row.first().waitFor();
    assert.equal(await row.count(), 1);
    const words = await row.innerText();
    assert.match(words, /\+4915112340001/);
    assert.match(words, /Order A-17 needs a person/);
    assert.match(words, /shop-support/);
    assert.match(words, /waiting (less than a minute|\d+ min)/);
    assert.match(words, /leaves through timeout (on .+ )?at \d/);
    assert.match(words, /window closed: templates only/);
    assert.match(words, /Unassigned/);
    // The team filter offers the teams waiting, and keeps their tickets.
    const team = page.getByLabel("Team");
    await team.selectOption("shop-support");
    await tab("All open (1)").click();
    await queue().getByRole("option").filter({ hasText: "Order A-17" }).waitFor();
    await team.selectOption("");
    await tab("Unassigned (1)").click();
    await row.first().waitFor();

    // The keyboard: j puts the cursor on the first row, Enter opens it.
    await page.keyboard.press("j");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/inbox\/.+/);
    const pane = ticketPane();
    await pane.getByRole("heading", { name: "+4915112340001" }).waitFor();
    assert.equal(
      await pane.getByLabel("The journey's note").innerText(),
      "Order A-17 needs a person",
    );
    await pane.getByText("Order support").first().waitFor();
    await pane.getByText(/handed the contact over at step ask_person/).waitFor();
    await pane.getByText("No one has taken this conversation yet.").waitFor();
    // The conversation: the journey's template, on the business's side (the right), under
    // the day it went out, with the time and what became of it.
    const sent = await templateIn(pane, "A-17");
    await thread(pane).getByText("Today", { exact: true }).waitFor();
    assert.match(await sent.innerText(), /\d{1,2}:\d{2}/);
    // No WhatsApp number is connected here: the message is never handed to WhatsApp.
    assert.equal(await sent.locator(".msg-status").innerText(), "Not sent yet");
    const log = await thread(pane).boundingBox();
    const bubble = await sent.boundingBox();
    assert.ok(
      bubble.x + bubble.width > log.x + log.width - 40 && bubble.x > log.x + log.width / 4,
      "the business's message sits on the right",
    );
    // The composer, under the thread: the contact never wrote, so only a template may reach
    // them, and with no WhatsApp number connected there is none to pick: it says what to do.
    const composer = pane.getByRole("region", { name: "Reply to the contact" });
    await composer
      .getByText(/^They have not written to this number yet: WhatsApp only allows an approved/)
      .waitFor();
    await composer.getByText(/no WhatsApp number is connected to this workspace yet/).waitFor();
    assert.ok(
      (await composer.boundingBox()).y > log.y + log.height - 1,
      "the composer is under the thread",
    );
    // The run's data: the webhook's payload is what the journey knows.
    await pane.getByRole("rowheader", { name: "payload.order" }).waitFor();
    assert.equal(
      await pane.getByRole("link", { name: "Open the flow at this step" }).getAttribute("href"),
      "/flows/support",
    );
    await screenshot(page, "90-inbox-ticket");
    // A larger screen: the conversation grows, the journey and the contact stay beside it.
    await page.setViewportSize({ width: 1440, height: 900 });
    const side = await pane
      .getByRole("complementary", { name: "About this conversation" })
      .boundingBox();
    const wider = await thread(pane).boundingBox();
    assert.ok(side.x > wider.x + wider.width, "the ticket's facts sit beside the thread");
    await screenshot(page, "96-inbox-ticket-1440");
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(page.problems(), []);
  });

  test("claims it: it moves to Mine", async () => {
    const pane = ticketPane();
    await pane.getByRole("button", { name: "Claim", exact: true }).click();
    await pane.getByText(/^You have it since/).waitFor();
    await tab("Mine (1)").click();
    await queue().getByRole("option").filter({ hasText: "Order A-17" }).waitFor();
    assert.match(await queue().getByRole("option").innerText(), /You have it/);
    await tab("Unassigned (0)").click();
    await page.getByText("No one is waiting for a person.").waitFor();
    await page.getByRole("link", { name: "Inbox (0)" }).waitFor({ timeout: 15_000 });
    await tab("Mine (1)").click();
    await screenshot(page, "91-inbox-claimed");
    assert.deepEqual(page.problems(), []);
  });

  test("shows at once that a colleague took a ticket", async () => {
    await askForHelp("+4915112340002", "A-18");
    await openTickets(2);
    const [ticket] = (await openTickets(2)).filter((t) => t.note === "Order A-18 needs a person");
    const ana = await newPage(browser, spool.url);
    await signIn(ana, ANA.email, ANA.password);

    await tab(/^Unassigned/).click();
    await queue().getByRole("option").filter({ hasText: "Order A-18" }).click();
    const pane = ticketPane();
    await pane.getByRole("button", { name: "Claim", exact: true }).waitFor();
    // Ana takes it in her browser while this page shows it unassigned: the page hears of it
    // live (a refused claim of one taken first is worded in words.test.ts).
    const claimed = await apiCall(
      ana,
      "POST",
      `/api/v1/workspaces/default/handoffs/${ticket.id}/claim`,
    );
    assert.equal(claimed.status(), 200, await claimed.text());
    await ana.context().close();

    await pane.getByText(/^ana@shop\.test has it since/).waitFor({ timeout: 2_000 });
    assert.equal(await pane.getByRole("button", { name: "Claim", exact: true }).count(), 0);
    // An admin may still answer for her, and is told so.
    await pane
      .getByRole("region", { name: "Reply to the contact" })
      .getByText("ana@shop.test has this conversation: you answer as an admin.")
      .waitFor();
    await screenshot(page, "92-inbox-taken-first");
    // An admin may let it go for Ana: it is back in Unassigned.
    await pane.getByRole("button", { name: "Release" }).click();
    await pane.getByText("No one has taken this conversation yet.").waitFor();
    await tab("Unassigned (1)").waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("resolves it: the journey goes on through resolved and the ticket is closed", async () => {
    await tab(/^Mine/).click();
    await queue().getByRole("option").filter({ hasText: "Order A-17" }).click();
    const pane = ticketPane();
    await pane.getByRole("button", { name: "Close…" }).click();
    const dialog = page.getByRole("dialog", { name: "Close this conversation" });
    assert.equal(
      await dialog.getByRole("radio", { name: /^Return to the journey/ }).isChecked(),
      true,
    );
    await dialog.getByText(/through its resolved way out/).waitFor();
    await screenshot(page, "93-inbox-resolve");
    await dialog.getByRole("button", { name: "Close and return to the journey" }).click();
    await dialog.waitFor({ state: "detached" });
    await pane
      .getByText("Resolved by you: the journey went on through its resolved way out.")
      .waitFor();
    await pane
      .getByRole("note")
      .filter({ hasText: /^Closed: this conversation is over/ })
      .waitFor();
    // The journey tagged the contact on its `resolved` way: the ticket's contact shows it.
    await pane.getByRole("list", { name: "Tags" }).getByText("helped").waitFor({ timeout: 15_000 });

    await tab("Closed").click();
    const closed = queue().getByRole("option").filter({ hasText: "Order A-17" });
    await closed.waitFor();
    assert.match(await closed.innerText(), /Resolved by you/);
    await tab("Mine (0)").waitFor();
    await screenshot(page, "94-inbox-closed");

    const contact = await (
      await page.request.get("/api/v1/workspaces/default/contacts/4915112340001")
    ).json();
    assert.deepEqual(contact.tags, ["helped"]);
    assert.deepEqual(page.problems(), []);
  });

  test("shows a viewer the inbox without the buttons their role does not allow", async () => {
    const viewer = await newPage(browser, spool.url);
    await signIn(viewer, VIEWER.email, VIEWER.password);
    await viewer.getByRole("link", { name: "Inbox (1)" }).click();
    await viewer.getByRole("tab", { name: "All open (1)" }).click();
    await viewer.getByRole("option").filter({ hasText: "Order A-18" }).click();
    const pane = viewer.getByRole("region", { name: "Conversation" });
    await pane.getByText("No one has taken this conversation yet.").waitFor();
    await pane.getByText(/lets you see the inbox, not claim or close/).waitFor();
    // A viewer reads the conversation too.
    await templateIn(pane, "A-18");
    assert.equal(await pane.getByRole("button").count(), 0);
    assert.equal(await pane.getByRole("region", { name: "Reply to the contact" }).count(), 0);
    assert.equal(await pane.getByRole("textbox").count(), 0);
    await screenshot(viewer, "95-inbox-viewer");
    assert.deepEqual(viewer.problems(), []);
    await viewer.context().close();
  });
});
