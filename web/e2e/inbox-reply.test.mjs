// Answering from the inbox, end to end, with a WhatsApp number connected to a stand-in for
// Meta (meta-stand-in.mjs): contacts write "agent" on WhatsApp (Meta's webhook, signed) and
// a journey hands them to a person. Ana wrote a moment ago: the operator types a reply
// (Shift+Enter for a new line, Enter sends), Meta is asked to send exactly that, and the
// thread shows it as theirs. Ben wrote 25 hours ago: his window has closed, so the composer
// offers approved templates instead, the Marketing one held back (Ben has not agreed to
// Marketing messages); the Utility one, filled in, goes out with its values. Caro wrote
// 23 h 30 min ago: the countdown is amber, and when a colleague takes her conversation while
// an operator writes, the refusal shows in red with the server's words and the text stays.
// Then Ana gets a question with quick-reply buttons (a repeated title is flagged before
// sending) and her receipt as a picture by its link, taps a button, and is sent on to the
// live "Survey" journey as her conversation closes: Meta is asked to send its first question.
// Screenshots 97–100 and 115–117 land in web/e2e-artifacts/.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { newPage, screenshot, signIn } from "./harness.mjs";
import { startMeta } from "./meta-stand-in.mjs";
import {
  APP_SECRET,
  PHONE_NUMBER_ID,
  WABA_ID,
  apiCall,
  eventually,
  spoolWithWhatsApp,
} from "./whatsapp-inbox.mjs";

const ANA = "5511987654321";
const BEN = "5511987654322";
const CARO = "5511987654323";

const TEMPLATES = [
  {
    id: "1",
    name: "order_update",
    language: "en",
    category: "UTILITY",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    components: [{ type: "BODY", text: "Hi {{1}}, your order {{2}} is on its way." }],
  },
  {
    id: "2",
    name: "spring_sale",
    language: "en_US",
    category: "MARKETING",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    components: [{ type: "BODY", text: "Hi {{1}}, spring is here: 20% off this week." }],
  },
  {
    id: "3",
    name: "welcome_offer",
    language: "en_US",
    category: "MARKETING",
    status: "PENDING",
    parameter_format: "POSITIONAL",
    components: [{ type: "BODY", text: "Welcome!" }],
  },
];

const HELP_DESK = {
  schema: 1,
  id: "help",
  name: "Help desk",
  nodes: [
    {
      id: "start",
      type: "inbound_message",
      config: { match: { type: "keyword", keywords: ["agent"] } },
    },
    {
      id: "person",
      type: "handoff",
      config: { team: "support", note: "Asked for a person", timeout: "2d" },
    },
    { id: "done", type: "end", config: {} },
  ],
  edges: [
    { from: "start", port: "next", to: "person" },
    { from: "person", port: "resolved", to: "done" },
    { from: "person", port: "timeout", to: "done" },
  ],
};

const RITA = { email: "rita@shop.test", password: "rita's long enough password" };

/** Meta's webhook body: `phone` (named `name`) writes `text`, `ago` seconds ago. */
function writes(phone, name, text, ago) {
  const sent = Math.floor(Date.now() / 1000) - ago;
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: WABA_ID,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550001111", phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name }, wa_id: phone }],
              messages: [
                {
                  from: phone,
                  id: `wamid.in.${phone}.${sent}`,
                  timestamp: String(sent),
                  type: "text",
                  text: { body: text },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

/** The survey a contact can be sent to when their conversation closes. */
const SURVEY = {
  schema: 1,
  id: "survey",
  name: "Survey",
  nodes: [
    { id: "start", type: "broadcast", config: {} },
    { id: "ask", type: "send_text", config: { text: "How did we do, from 1 to 5?" } },
  ],
  edges: [{ from: "start", port: "next", to: "ask" }],
};

/** Meta's webhook body: `phone` taps the reply button `id` titled `title`, just now. */
function taps(phone, id, title) {
  const sent = Math.floor(Date.now() / 1000);
  return JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: WABA_ID,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550001111", phone_number_id: PHONE_NUMBER_ID },
              contacts: [{ profile: { name: "Ana" }, wa_id: phone }],
              messages: [
                {
                  from: phone,
                  id: `wamid.tap.${phone}.${sent}`,
                  timestamp: String(sent),
                  type: "interactive",
                  interactive: { type: "button_reply", button_reply: { id, title } },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

describe("answering from the inbox", () => {
  let meta;
  let spool;
  let browser;
  let page;
  let channel;

  /** Delivers Meta's webhook for a contact who wrote, signed with the app secret. */
  async function contactWrites(phone, name, text, ago) {
    await deliver(writes(phone, name, text, ago));
  }

  /** Delivers Meta's webhook `body`, signed with the app secret. */
  async function deliver(body) {
    const signature = createHmac("sha256", APP_SECRET).update(body).digest("hex");
    const answer = await fetch(`${spool.url}/webhooks/whatsapp/${channel}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature-256": `sha256=${signature}` },
      body,
    });
    assert.equal(answer.status, 200, await answer.text());
  }

  /** The open ticket of `phone`, once the journey handed them over. */
  async function ticketOf(phone) {
    const list = await eventually(
      page,
      "/api/v1/workspaces/default/handoffs?view=open",
      (body) => body.tickets.some((t) => t.phone === `+${phone}`),
      `a ticket for +${phone}`,
    );
    return list.tickets.find((t) => t.phone === `+${phone}`).id;
  }

  before(async () => {
    meta = await startMeta({ templates: TEMPLATES });
    ({ spool, browser, page, channel } = await spoolWithWhatsApp(meta, { templates: true }));
    const flow = await apiCall(page, "POST", "/api/v1/workspaces/default/flows", HELP_DESK);
    assert.equal(flow.status(), 201, await flow.text());
    const published = await apiCall(page, "POST", "/api/v1/workspaces/default/flows/help/publish", {
      note: "help desk",
    });
    assert.equal(published.status(), 201, await published.text());
    const member = await apiCall(page, "POST", "/api/v1/workspaces/default/members", {
      ...RITA,
      role: "operator",
    });
    assert.equal(member.status(), 201, await member.text());
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
    await meta?.stop();
  });

  const pane = () => page.getByRole("region", { name: "Conversation" });
  const composer = (on = page) =>
    on.getByRole("region", { name: "Conversation" }).getByRole("region", {
      name: "Reply to the contact",
    });
  const thread = (on = page) =>
    on.getByRole("region", { name: "Conversation" }).getByRole("log", { name: "Messages" });

  test("answers a contact who just wrote: Enter sends, the thread shows it as yours", async () => {
    await contactWrites(ANA, "Ana", "agent", 5);
    const ticket = await ticketOf(ANA);
    await page.goto(`/inbox/${ticket}`);
    await pane().getByRole("heading", { name: "Ana" }).waitFor();
    await thread().getByText("agent", { exact: true }).waitFor();

    const box = composer().getByRole("textbox", { name: "Your reply" });
    await composer().getByText("Sending takes this conversation.").waitFor();
    // She wrote seconds ago: almost the whole day is left, not in the last hour.
    const countdown = composer().getByText(/^Free text allowed for 23 h 59 min more$/);
    await countdown.waitFor();
    assert.doesNotMatch(await countdown.getAttribute("class"), /urgent/);
    await box.click();
    await page.keyboard.type("Hi Ana, Rita from the shop here.");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("How can I help?");
    await composer().getByText("48 / 4,096 characters").waitFor();
    await screenshot(page, "97-inbox-reply-open-window");

    await page.keyboard.press("Enter");
    const [sent] = await meta.waitForSent(1);
    assert.equal(sent.to, ANA);
    assert.equal(sent.type, "text");
    assert.equal(sent.text.body, "Hi Ana, Rita from the shop here.\nHow can I help?");
    // The box is emptied once the server took it; the thread shows the reply as mine.
    await composer().getByText("0 / 4,096 characters").waitFor();
    assert.equal(await box.inputValue(), "");
    const mine = thread().getByRole("listitem").filter({ hasText: "How can I help?" });
    await mine.waitFor();
    assert.match(await mine.locator(".msg-meta").innerText(), /^You\b/);
    // Answering took the conversation.
    await pane()
      .getByText(/^You have it since/)
      .waitFor();
    await composer().getByText("Sending takes this conversation.").waitFor({ state: "detached" });
    assert.deepEqual(page.problems(), []);
  });

  test("offers approved templates once the window has closed, and sends one filled in", async () => {
    await contactWrites(BEN, "Ben", "agent", 25 * 3600);
    const ticket = await ticketOf(BEN);
    await page.goto(`/inbox/${ticket}`);
    await pane().getByRole("heading", { name: "Ben" }).waitFor();
    await composer()
      .getByText(
        "More than 24 hours since they wrote: WhatsApp only allows an approved template now.",
      )
      .waitFor();
    assert.equal(await composer().getByRole("textbox", { name: "Your reply" }).count(), 0);

    // Approved ones only; the Marketing one is held back, saying why.
    const choices = composer().getByRole("group", { name: "Approved templates" });
    const radios = choices.getByRole("radio");
    assert.equal(await radios.count(), 2);
    const sale = choices.getByRole("radio", { name: /spring_sale/ });
    assert.equal(await sale.isDisabled(), true);
    const saleWords = await choices
      .getByRole("listitem")
      .filter({ hasText: "spring_sale" })
      .innerText();
    assert.match(saleWords, /Marketing/);
    assert.match(saleWords, /en_US/);
    assert.match(saleWords, /The contact has not agreed to Marketing messages\./);
    assert.equal(await choices.getByText("welcome_offer").count(), 0);

    await choices.getByRole("radio", { name: /order_update/ }).check();
    const preview = composer().getByRole("figure", { name: "What the contact will read" });
    const send = composer().getByRole("button", { name: "Send template" });
    assert.equal(await send.isDisabled(), true);
    await composer().getByText("Fill in {{1}}, {{2}} to send it.").waitFor();
    await composer().getByLabel("Value for {{1}}").fill("Ben");
    await composer().getByLabel("Value for {{2}}").fill("A-17");
    assert.equal(await preview.locator("p").innerText(), "Hi Ben, your order A-17 is on its way.");
    await screenshot(page, "98-inbox-reply-template");

    await send.click();
    const sent = await meta.waitForSent(2);
    const template = sent[1].template;
    assert.equal(sent[1].to, BEN);
    assert.equal(template.name, "order_update");
    assert.equal(template.language.code, "en");
    const body = template.components.find((c) => c.type === "body");
    assert.deepEqual(
      body.parameters.map((p) => p.text),
      ["Ben", "A-17"],
    );
    // In the thread: the template with its values, sent by me, the window closed.
    const mine = thread().getByRole("listitem").filter({ hasText: "Template order_update" });
    await mine.waitFor();
    const words = await mine.innerText();
    assert.match(words, /Hi Ben, your order A-17 is on its way\./);
    assert.match(words, /Window closed: sent as a template/);
    assert.match(await mine.locator(".msg-meta").innerText(), /^You\b/);
    // The picker is ready for another one.
    assert.equal(await choices.getByRole("radio", { checked: true }).count(), 0);
    assert.deepEqual(page.problems(), []);
  });

  test("warns in amber in the window's last hour, and shows a refusal with the server's words", async () => {
    // Caro wrote 23 h 30 min ago: half an hour of free text is left.
    await contactWrites(CARO, "Caro", "agent", 23.5 * 3600);
    const ticket = await ticketOf(CARO);
    const rita = await newPage(browser, spool.url);
    await signIn(rita, RITA.email, RITA.password);
    // Rita's page cannot hear the server live (as behind a proxy that cuts event streams):
    // it reads the ticket every 10 s, so the admin's claim below reaches it only as a refusal.
    await rita.route("**/inbox/events", (route) => route.abort());
    rita.allowConsole(/inbox\/events|ERR_FAILED/);
    await rita.goto(`/inbox/${ticket}`);
    await rita
      .getByRole("status")
      .filter({ hasText: /^Connecting…$/ })
      .waitFor();
    const countdown = composer(rita).getByText(/^Free text allowed for (29|30) min more$/);
    await countdown.waitFor();
    assert.match(await countdown.getAttribute("class"), /urgent/);
    const box = composer(rita).getByRole("textbox", { name: "Your reply" });
    await box.fill("Hi Caro, one moment please.");
    await screenshot(rita, "99-inbox-reply-last-hour");
    // The admin takes Caro's conversation in their browser while Rita writes.
    const claimed = await apiCall(
      page,
      "POST",
      `/api/v1/workspaces/default/handoffs/${ticket}/claim`,
    );
    assert.equal(claimed.status(), 200, await claimed.text());

    rita.allowConsole(/status of 403/);
    await box.press("Enter");
    const conversation = rita.getByRole("region", { name: "Conversation" });
    const refusal = conversation.getByRole("alert").filter({ hasText: /Not sent\./ });
    await refusal.waitFor();
    assert.equal(
      (await refusal.innerText()).replace(/^⚠\s*/, ""),
      `Not sent. ${spool.email} is working on this conversation: only they, or an admin, can answer.`,
    );
    // The composer says who has it now, and what Rita wrote is still there to copy.
    await conversation
      .getByRole("note")
      .filter({ hasText: `${spool.email} is working on this conversation` })
      .waitFor();
    assert.equal(
      await conversation.getByLabel("Your reply, not sent").innerText(),
      "Hi Caro, one moment please.",
    );
    assert.equal(meta.sent.length, 2, "nothing more went to Meta");
    await screenshot(rita, "100-inbox-reply-refused");
    assert.deepEqual(rita.problems(), []);
    await rita.context().close();
  });

  test("sends quick replies and a picture by its link, then sends the contact to another journey", async () => {
    // Ana wrote minutes ago (the first test): her window is open, and the admin has her.
    const ticket = await ticketOf(ANA);
    await page.goto(`/inbox/${ticket}`);
    await pane().getByRole("heading", { name: "Ana" }).waitFor();
    const sentEarlier = meta.sent.length;

    // A question with two buttons; a repeated title is flagged, and nothing can go until fixed.
    await composer().getByRole("textbox", { name: "Your reply" }).fill("Shall I refund you?");
    await composer().getByRole("button", { name: "+ Quick replies" }).click();
    const quick = composer().getByRole("group", { name: "Quick replies" });
    await quick.getByRole("textbox", { name: "Button 1" }).fill("Yes please");
    await quick.getByText("10 / 20").waitFor();
    await quick.getByRole("button", { name: "+ Another button" }).click();
    await composer()
      .getByText("Not ready to send: Button 2 has no title: give it one, or remove it.")
      .waitFor();
    assert.equal(
      await composer().getByRole("button", { name: "Send", exact: true }).isDisabled(),
      true,
    );
    await quick.getByRole("textbox", { name: "Button 2" }).fill("Yes please");
    const send = composer().getByRole("button", { name: "Send", exact: true });
    await quick
      .getByText("Button 2 says the same as button 1: the contact could not tell them apart.")
      .waitFor();
    assert.equal(await send.isDisabled(), true);
    await screenshot(page, "115-inbox-quick-replies");
    await quick.getByRole("textbox", { name: "Button 2" }).fill("No");
    await send.click();
    const asked = (await meta.waitForSent(sentEarlier + 1))[sentEarlier];
    assert.equal(asked.to, ANA);
    assert.equal(asked.type, "interactive");
    assert.equal(asked.interactive.body.text, "Shall I refund you?");
    assert.deepEqual(
      asked.interactive.action.buttons.map((b) => b.reply.title),
      ["Yes please", "No"],
    );
    // In the thread: the question with its buttons as chips; the composer is plain again.
    const question = thread().getByRole("listitem").filter({ hasText: "Shall I refund you?" });
    await question.waitFor();
    assert.equal(
      await question.getByRole("list", { name: "Reply buttons" }).innerText(),
      "Yes please\nNo",
    );
    await composer().getByRole("group", { name: "Quick replies" }).waitFor({ state: "detached" });
    // Ana taps "Yes please": her tap arrives in the conversation.
    const [yes] = asked.interactive.action.buttons;
    await deliver(taps(ANA, yes.reply.id, yes.reply.title));
    await thread().getByText("↩ Yes please").waitFor();

    // Her receipt, as a picture WhatsApp fetches from its public link.
    await composer().getByRole("button", { name: "Attach a file" }).click();
    const file = composer().getByRole("group", { name: "Send a file" });
    assert.equal(await composer().getByRole("textbox", { name: "Your reply" }).count(), 0);
    await file.getByRole("radio", { name: "Image" }).waitFor();
    assert.equal(await file.getByRole("radio", { name: "Image" }).isChecked(), true);
    const link = file.getByRole("textbox", { name: "Link to the file" });
    await link.fill("http://shop.example/receipts/r-17.png");
    await file
      .getByText("WhatsApp fetches the file from a public link starting with https://.")
      .waitFor();
    const sendFile = composer().getByRole("button", { name: "Send file" });
    assert.equal(await sendFile.isDisabled(), true);
    await link.fill("https://shop.example/receipts/r-17.png");
    await file.getByRole("textbox", { name: "Caption (optional)" }).fill("Your receipt");
    await file.getByText("[image] Your receipt · r-17.png").waitFor();
    await screenshot(page, "116-inbox-attach-file");
    await sendFile.click();
    const pictured = (await meta.waitForSent(sentEarlier + 2))[sentEarlier + 1];
    assert.equal(pictured.type, "image");
    assert.equal(pictured.image.link, "https://shop.example/receipts/r-17.png");
    assert.equal(pictured.image.caption, "Your receipt");
    const picture = thread().getByRole("listitem").filter({ hasText: "Your receipt" });
    await picture.waitFor();
    assert.equal(
      await picture.getByRole("link", { name: /r-17\.png/ }).getAttribute("href"),
      "https://shop.example/receipts/r-17.png",
    );
    // The composer is back to text.
    await composer().getByRole("textbox", { name: "Your reply" }).waitFor();

    // The survey is live: Ana is sent there as her conversation closes.
    const flow = await apiCall(page, "POST", "/api/v1/workspaces/default/flows", SURVEY);
    assert.equal(flow.status(), 201, await flow.text());
    const published = await apiCall(
      page,
      "POST",
      "/api/v1/workspaces/default/flows/survey/publish",
      {
        note: "survey",
      },
    );
    assert.equal(published.status(), 201, await published.text());
    await pane().getByRole("button", { name: "Close…" }).click();
    const dialog = page.getByRole("dialog", { name: "Close this conversation" });
    await dialog.getByRole("radio", { name: /Send to another journey/ }).check();
    const picker = dialog.getByRole("combobox", {
      name: "Journey to send them to (live ones only)",
    });
    const confirm = dialog.getByRole("button", { name: "Pick a journey to send them to" });
    assert.equal(await confirm.isDisabled(), true);
    await picker.selectOption({ label: "Survey" });
    // Only live journeys other than this one: the help desk is not offered.
    assert.deepEqual(await picker.locator("option:not([disabled])").allInnerTexts(), ["Survey"]);
    await screenshot(page, "117-inbox-close-to-journey");
    await dialog.getByRole("button", { name: "Close and send to Survey" }).click();
    await dialog.waitFor({ state: "detached" });
    const surveyed = (await meta.waitForSent(sentEarlier + 3))[sentEarlier + 2];
    assert.equal(surveyed.to, ANA);
    assert.equal(surveyed.text.body, "How did we do, from 1 to 5?");
    await pane()
      .getByText(/^Sent to another journey by you: the contact left this one here/)
      .waitFor();
    await screenshot(page, "118-inbox-sent-to-journey");
    assert.deepEqual(page.problems(), []);
  });
});
