// Issue 13: an operator answers a handoff raised by the abandoned-cart journey and returns the
// contact to it, in the browser (tests/tests/inbox_cart.rs does the same over the API). A
// WhatsApp number is connected to a stand-in for Meta (meta-stand-in.mjs) that lists the shop's
// two cart templates, approved. The shop's signed webhook starts the journey for Ana (named,
// agreed to Marketing); the reminder template goes out; Ana answers in her own words (no
// button), so the journey hands her to the shop's team. Rita, an operator, sees "Inbox (1)" in
// the top bar, opens the ticket, reads the journey's note, the reminder and Ana's words, takes
// the conversation, answers (Meta is asked to send it), writes a note for the team and closes
// it with "Return to the journey": the journey goes on through `resolved` and its next message
// reaches Meta. Meta's receipts (read, delivered) come back too, so the thread shows what a
// real number would, not "Not sent yet" throughout. Screenshots 105–106 land in
// web/e2e-artifacts/.
//
// The journey is flows/examples/abandoned-cart.json with three changes, so that it can be
// followed in seconds at any hour: its hour's wait lasts a second; a thank-you is sent after
// `resolved` (in the example the journey simply ends there, so returning Ana to it would
// show nothing); and its quiet hours (21:00–08:00 Lisbon) are dropped, or a run after nine
// in the evening would hold the reminder and the thank-you until morning.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { newPage, repo, screenshot, signIn } from "./harness.mjs";
import { contactWrote, messageStatus, startMeta } from "./meta-stand-in.mjs";
import {
  APP_SECRET,
  PHONE_NUMBER_ID,
  WABA_ID,
  apiCall,
  eventually,
  messagesIn,
  pane,
  thread,
  spoolWithWhatsApp,
} from "./whatsapp-inbox.mjs";

const ANA = "5511987654321";
/** What the shop signs its webhooks with (the workspace secret `shop-webhook-secret`). */
const SHOP_SECRET = "whsec-loja-exemplo-2026";
const RITA = { email: "rita@shop.test", password: "rita's long enough password" };

const ANA_WROTE = "Can I pay by invoice?";
const RITA_ANSWERS = "Yes, Ana: choose 'Invoice' at checkout.";
const RITA_NOTES = "Asked about invoices";
const THANKS = "Thanks for your patience, Ana!";

/** The shop's two cart templates, as Meta lists them (the same as inbox_cart.rs's `meta()`). */
const SEE_MY_CART = { type: "URL", text: "See my cart", url: "https://shop.example/cart/{{1}}" };
const TEMPLATES = [
  {
    id: "1",
    name: "cart_reminder",
    language: "en",
    category: "MARKETING",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    components: [
      { type: "BODY", text: "Hi {{1}}, your cart of {{2}} is waiting." },
      {
        type: "BUTTONS",
        buttons: [
          SEE_MY_CART,
          { type: "QUICK_REPLY", text: "Send me a discount" },
          { type: "QUICK_REPLY", text: "Not interested" },
        ],
      },
    ],
  },
  {
    id: "2",
    name: "cart_last_chance",
    language: "en",
    category: "MARKETING",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    components: [
      { type: "BODY", text: "Last chance, {{1}}!" },
      { type: "BUTTONS", buttons: [SEE_MY_CART] },
    ],
  },
];

/** The example, changed as the header says (the same as inbox_cart.rs's `cart_journey()`). */
function cartJourney() {
  const flow = JSON.parse(
    readFileSync(path.join(repo, "flows/examples/abandoned-cart.json"), "utf8"),
  );
  flow.nodes.find((node) => node.id === "wait_1h").config.for = "1s";
  flow.nodes.push({
    id: "thank_after_support",
    type: "send_text",
    position: { x: 1750, y: 400 },
    config: { text: "Thanks for your patience, {{ contact.name }}!" },
  });
  flow.edges.find((edge) => edge.from === "ask_support" && edge.port === "resolved").to =
    "thank_after_support";
  flow.edges.push({ from: "thank_after_support", port: "next", to: "end_support" });
  delete flow.settings.quiet_hours;
  return flow;
}

describe("an operator answers the abandoned-cart journey's handoff", () => {
  let meta;
  let spool;
  let browser;
  let admin;
  let rita;
  let channel;
  let ticket;

  /** Delivers Meta's signed webhook `{ body, signature }` (a contact wrote, a status). */
  async function fromMeta({ body, signature }) {
    const answer = await fetch(`${spool.url}/webhooks/whatsapp/${channel}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature },
      body,
    });
    assert.equal(answer.status, 200, await answer.text());
  }

  /** Meta says the `n`th message sent (`wamid.OUT<n>`, the stand-in's id) was `status`. */
  const reported = (n, status) =>
    fromMeta(
      messageStatus({
        phoneNumberId: PHONE_NUMBER_ID,
        wabaId: WABA_ID,
        appSecret: APP_SECRET,
        sent: meta.sent[n - 1],
        wamid: `wamid.OUT${n}`,
        status,
      }),
    );

  before(async () => {
    meta = await startMeta({ templates: TEMPLATES });
    ({ spool, browser, page: admin, channel } = await spoolWithWhatsApp(meta, { templates: true }));
    const secret = await apiCall(
      admin,
      "PUT",
      "/api/v1/workspaces/default/secrets/shop-webhook-secret",
      { value: SHOP_SECRET },
    );
    assert.equal(secret.status(), 204, await secret.text());
    const flow = await apiCall(admin, "POST", "/api/v1/workspaces/default/flows", cartJourney());
    assert.equal(flow.status(), 201, await flow.text());
    const published = await apiCall(
      admin,
      "POST",
      "/api/v1/workspaces/default/flows/abandoned-cart/publish",
      { note: "abandoned cart" },
    );
    assert.equal(published.status(), 201, await published.text());
    const member = await apiCall(admin, "POST", "/api/v1/workspaces/default/members", {
      ...RITA,
      role: "operator",
    });
    assert.equal(member.status(), 201, await member.text());
    const named = await apiCall(admin, "PATCH", `/api/v1/workspaces/default/contacts/%2B${ANA}`, {
      name: "Ana",
      marketing_opt_in: true,
    });
    assert.equal(named.status(), 202, await named.text());
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
    await meta?.stop();
  });

  test("the shop's webhook reminds Ana, and her own words hand her to the team", async () => {
    const cart = JSON.stringify({
      customer: { phone: `+${ANA}` },
      cart: {
        id: "c-981",
        total: 120,
        currency: "EUR",
        purchased: false,
        checkout_url: "https://shop.example/checkout/c-981",
      },
    });
    const signature = createHmac("sha256", SHOP_SECRET).update(cart).digest("hex");
    const hooked = await fetch(`${spool.url}/hooks/default/cart-abandoned`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Spool-Signature": `sha256=${signature}` },
      body: cart,
    });
    assert.ok(hooked.status < 300, `${hooked.status}: ${await hooked.text()}`);

    // A second later, the reminder, with Ana's name and her cart.
    const [reminder] = await meta.waitForSent(1);
    assert.equal(reminder.to, ANA);
    assert.equal(reminder.template.name, "cart_reminder");
    const body = reminder.template.components.find((c) => c.type === "body");
    assert.deepEqual(
      body.parameters.map((p) => p.text),
      ["Ana", "EUR 120"],
    );

    // Ana reads it and answers in her own words, on WhatsApp (Meta's signed webhooks).
    await reported(1, "read");
    await fromMeta(
      contactWrote({
        phoneNumberId: PHONE_NUMBER_ID,
        wabaId: WABA_ID,
        appSecret: APP_SECRET,
        phone: ANA,
        name: "Ana",
        text: ANA_WROTE,
      }),
    );
    const open = await eventually(
      admin,
      "/api/v1/workspaces/default/handoffs?view=open",
      (list) => list.tickets.some((t) => t.phone === `+${ANA}`),
      "Ana's ticket",
    );
    ticket = open.tickets.find((t) => t.phone === `+${ANA}`).id;
    assert.deepEqual(meta.sent.length, 1, "the journey sent nothing more: a person answers now");
  });

  test("Rita opens the ticket from the top bar and reads the cart, the reminder and Ana's words", async () => {
    assert.ok(ticket, "the previous test raised a ticket");
    rita = await newPage(browser, spool.url);
    await signIn(rita, RITA.email, RITA.password);
    await rita.getByRole("link", { name: "Inbox (1)" }).click();
    await rita.getByRole("heading", { name: "Inbox", exact: true }).waitFor();
    await rita.getByRole("tab", { name: "Unassigned (1)" }).waitFor();
    const row = rita
      .locator('[role="listbox"][aria-busy="false"]')
      .getByRole("option")
      .filter({ hasText: "Ana" });
    await row.waitFor();
    assert.match(await row.innerText(), /Abandoned cart c-981/);
    assert.match(await row.innerText(), /shop-support/);
    await row.click();
    await rita.waitForURL(`**/inbox/${ticket}`);

    await pane(rita).getByRole("heading", { name: "Ana" }).waitFor();
    assert.equal(
      await pane(rita).getByLabel("The journey's note").innerText(),
      `Abandoned cart c-981 (EUR 120). The customer replied to the reminder: ${ANA_WROTE}`,
    );
    await pane(rita)
      .getByText(/^Abandoned cart recovery .*handed the contact over at step ask_support/)
      .waitFor();
    await pane(rita).getByText("No one has taken this conversation yet.").waitFor();

    // The thread: the reminder as Ana read it, from the journey, then her answer.
    const reminder = thread(rita)
      .getByRole("listitem")
      .filter({ hasText: "Template cart_reminder" });
    await reminder.waitFor();
    const words = await reminder.innerText();
    assert.match(words, /Hi Ana, your cart of EUR 120 is waiting\./);
    assert.match(words, /Journey · step cart_reminder/);
    await reminder
      .locator(".msg-status")
      .filter({ hasText: /^Read$/ })
      .waitFor();
    assert.deepEqual(
      await reminder
        .getByRole("list", { name: "Template buttons" })
        .getByRole("listitem")
        .allInnerTexts(),
      ["See my cart ↗", "Send me a discount", "Not interested"],
    );
    const answer = thread(rita).getByRole("listitem").filter({ hasText: ANA_WROTE });
    await answer.waitFor();
    assert.match(await answer.getAttribute("class"), /msg-in/);
    const items = await messagesIn(rita).allInnerTexts();
    assert.equal(items.length, 2, items.join("\n---\n"));
    assert.match(items[0], /Template cart_reminder/, "the reminder comes before her answer");
    assert.match(items[1], /Can I pay by invoice\?/);
    // She wrote seconds ago: free text may be sent.
    await pane(rita)
      .getByRole("region", { name: "Reply to the contact" })
      .getByText(/^Free text allowed for 23 h 59 min more$/)
      .waitFor();
    await screenshot(rita, "105-inbox-cart-ticket");
    assert.deepEqual(rita.problems(), []);
  });

  test("Rita answers, notes it for the team and returns Ana to the journey", async () => {
    assert.ok(rita, "the previous test opened the ticket");
    await pane(rita).getByRole("button", { name: "Claim", exact: true }).click();
    await pane(rita)
      .getByText(/^You have it since/)
      .waitFor();

    // Her answer, in her own words, goes to Ana on WhatsApp.
    const composer = pane(rita).getByRole("region", { name: "Reply to the contact" });
    const box = composer.getByRole("textbox", { name: "Your reply" });
    await box.fill(RITA_ANSWERS);
    await box.press("Enter");
    const sent = await meta.waitForSent(2);
    assert.equal(sent[1].to, ANA);
    assert.equal(sent[1].type, "text");
    assert.equal(sent[1].text.body, RITA_ANSWERS);
    const mine = thread(rita).getByRole("listitem").filter({ hasText: RITA_ANSWERS });
    await mine.waitFor();
    assert.match(await mine.locator(".msg-meta").innerText(), /^You\b/);
    // WhatsApp says it reached her phone: the page shows it without a reload.
    await reported(2, "delivered");
    await mine
      .locator(".msg-status")
      .filter({ hasText: /^Delivered$/ })
      .waitFor();

    // A note for the team, which Ana never gets.
    await pane(rita).getByRole("tab", { name: "Private note" }).click();
    const noteBox = pane(rita).getByRole("textbox", { name: "Your note" });
    await noteBox.fill(RITA_NOTES);
    await noteBox.press("Enter");
    const note = thread(rita).getByRole("listitem", {
      name: "Note · You · only your team sees this",
    });
    await note.waitFor();
    assert.match(await note.innerText(), /Asked about invoices/);

    // Closed by returning her to the journey: it goes on through `resolved`.
    await pane(rita).getByRole("button", { name: "Close…" }).click();
    const dialog = rita.getByRole("dialog", { name: "Close this conversation" });
    const back = dialog.getByRole("radio", { name: /^Return to the journey/ });
    assert.equal(await back.isChecked(), true);
    await dialog
      .getByText(/Abandoned cart recovery goes on for this contact from step ask_support/)
      .waitFor();
    await dialog.getByRole("button", { name: "Close and return to the journey" }).click();
    await dialog.waitFor({ state: "detached" });
    const allSent = await meta.waitForSent(3);
    assert.equal(allSent.length, 3, "the note was never sent");
    assert.equal(allSent[2].to, ANA);
    assert.equal(allSent[2].text.body, THANKS);
    await reported(3, "delivered");

    await pane(rita)
      .getByText("Resolved by you: the journey went on through its resolved way out.")
      .waitFor();
    await pane(rita)
      .getByRole("note")
      .filter({ hasText: /^Closed: this conversation is over/ })
      .waitFor();
    // The journey's thank-you shows in the thread, after Rita's answer and note.
    const thanks = thread(rita).getByRole("listitem").filter({ hasText: THANKS });
    await thanks.waitFor();
    assert.match(
      await thanks.locator(".msg-meta").innerText(),
      /Journey · step thank_after_support/,
    );
    await thanks
      .locator(".msg-status")
      .filter({ hasText: /^Delivered$/ })
      .waitFor();
    // In order: the reminder, Ana, Rita's answer, her note, the journey's thank-you.
    const items = await messagesIn(rita).allInnerTexts();
    assert.equal(items.length, 5, items.join("\n---\n"));
    assert.match(items[2], /Invoice' at checkout/);
    assert.match(items[3], /Asked about invoices/);
    assert.match(items[4], /Thanks for your patience, Ana!/);
    await rita.getByRole("tab", { name: "Closed" }).click();
    const closed = rita
      .locator('[role="listbox"][aria-busy="false"]')
      .getByRole("option")
      .filter({ hasText: "Ana" });
    await closed.waitFor();
    assert.match(await closed.innerText(), /Resolved by you/);
    await rita.getByRole("link", { name: "Inbox (0)" }).waitFor();
    await screenshot(rita, "106-inbox-cart-returned");

    const shown = await (
      await admin.request.get(`/api/v1/workspaces/default/handoffs/${ticket}`)
    ).json();
    assert.equal(shown.status, "closed");
    assert.equal(shown.outcome, "resolved");
    assert.deepEqual(rita.problems(), []);
    assert.deepEqual(admin.problems(), []);
  });
});
