// The inbox as a team works it, end to end, with a WhatsApp number connected to a stand-in for
// Meta (meta-stand-in.mjs): contacts write "agent" and a journey hands them to a person.
// A private note shows in the thread as a note, and Meta is asked to send nothing for it.
// Two people (the admin and Rita, an operator, each in their own browser) on the same
// conversation: what one does (a claim, a note, a hand-over) shows on the other's screen
// within two seconds without a reload; the inbox polls only every 30 s while it hears the
// server live, so only the live stream can do that. The admin hands a conversation to Rita
// and another team, Rita sends it back to the queue; and a conversation is closed with "End
// the journey here": its run is cancelled and the Closed tab says so.
// Screenshots 101–104 land in web/e2e-artifacts/.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newPage, screenshot, signIn } from "./harness.mjs";
import { contactWrote, startMeta } from "./meta-stand-in.mjs";
import {
  APP_SECRET,
  PHONE_NUMBER_ID,
  WABA_ID,
  apiCall,
  eventually,
  pane,
  thread,
  spoolWithWhatsApp,
} from "./whatsapp-inbox.mjs";

const ANA = "5511987654331";
const BEN = "5511987654332";

/** What the other page must show by, without a reload: the live stream, not the polling. */
const LIVE_MS = 2_000;

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
    { id: "done", type: "send_text", config: { text: "Glad we could help!" } },
  ],
  edges: [
    { from: "start", port: "next", to: "person" },
    { from: "person", port: "resolved", to: "done" },
    { from: "person", port: "timeout", to: "done" },
  ],
};

const RITA = { email: "rita@shop.test", password: "rita's long enough password" };

/** Opens a ticket and waits until the page hears the server live. */
async function openLive(on, ticket, name) {
  await on.goto(`/inbox/${ticket}`);
  await pane(on).getByRole("heading", { name }).waitFor();
  await on
    .getByRole("status")
    .filter({ hasText: /^Live$/ })
    .waitFor();
}

describe("the inbox as a team", () => {
  let meta;
  let spool;
  let browser;
  let page;
  let rita;
  let channel;
  let anaTicket;

  async function contactWrites(phone, name, text) {
    const { body, signature } = contactWrote({
      phoneNumberId: PHONE_NUMBER_ID,
      wabaId: WABA_ID,
      appSecret: APP_SECRET,
      phone,
      name,
      text,
      ago: 5,
    });
    const answer = await fetch(`${spool.url}/webhooks/whatsapp/${channel}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Hub-Signature-256": signature },
      body,
    });
    assert.equal(answer.status, 200, await answer.text());
  }

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
    meta = await startMeta();
    ({ spool, browser, page, channel } = await spoolWithWhatsApp(meta));
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
    rita = await newPage(browser, spool.url);
    await signIn(rita, RITA.email, RITA.password);
    await contactWrites(ANA, "Ana", "agent");
    anaTicket = await ticketOf(ANA);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
    await meta?.stop();
  });

  test("a private note shows in the thread as a note, and nothing is sent for it", async () => {
    await openLive(page, anaTicket, "Ana");
    await thread(page).getByText("agent", { exact: true }).waitFor();
    await pane(page).getByRole("tab", { name: "Private note" }).click();
    const noting = pane(page).getByRole("region", { name: "Private note for your team" });
    await noting
      .getByText("Only your team sees notes: they are never sent to the contact.")
      .waitFor();
    const box = noting.getByRole("textbox", { name: "Your note" });
    await box.fill("Ana asked about order A-17 on the phone too: it left the warehouse today.");
    await box.press("Enter");

    const note = thread(page).getByRole("listitem", {
      name: "Note · You · only your team sees this",
    });
    await note.waitFor();
    assert.match(await note.innerText(), /it left the warehouse today\./);
    assert.equal(await box.inputValue(), "");
    // A note is no bubble on either side: it is not drawn as a message in or out.
    assert.equal(await note.locator(".msg").count(), 0);
    assert.equal(await note.locator(".msg-ticks, .msg-status").count(), 0);
    // The reply tab is still there, with its own (empty) box.
    await pane(page).getByRole("tab", { name: "Reply" }).click();
    await pane(page)
      .getByRole("region", { name: "Reply to the contact" })
      .getByRole("textbox", { name: "Your reply" })
      .waitFor();
    await pane(page).getByRole("tab", { name: "Private note" }).click();
    await screenshot(page, "101-inbox-note");
    // Meta is never asked to send a note (given time to, had it been queued).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.deepEqual(meta.sent, []);
    assert.deepEqual(page.problems(), []);
  });

  test("two people on one conversation see each other's claim and notes at once", async () => {
    await openLive(rita, anaTicket, "Ana");
    await pane(rita).getByText("No one has taken this conversation yet.").waitFor();
    await thread(rita)
      .getByRole("listitem", { name: /^Note · admin/ })
      .waitFor();
    await openLive(page, anaTicket, "Ana");

    // The admin claims it: Rita's page says who has it, and her queue's count moves.
    await pane(page).getByRole("button", { name: "Claim", exact: true }).click();
    await pane(page)
      .getByText(/^You have it since/)
      .waitFor();
    const claimedAt = Date.now();
    await pane(rita)
      .getByText(new RegExp(`^${spool.email.replace(".", "\\.")} has it since`))
      .waitFor({ timeout: LIVE_MS });
    await rita.getByRole("tab", { name: "Unassigned (0)" }).waitFor({ timeout: LIVE_MS });
    assert.ok(Date.now() - claimedAt < LIVE_MS + 200);

    // Rita cannot answer the admin's conversation, but a note is for the whole team.
    await pane(rita).getByRole("tab", { name: "Private note" }).click();
    const box = pane(rita).getByRole("textbox", { name: "Your note" });
    await box.fill("I know Ana: she prefers to be called after 6 pm.");
    await box.press("Enter");
    await thread(rita)
      .getByRole("listitem", { name: /^Note · You/ })
      .waitFor();
    const ritasNote = thread(page).getByRole("listitem", {
      name: "Note · rita@shop.test · only your team sees this",
    });
    await ritasNote.waitFor({ timeout: LIVE_MS });
    assert.match(await ritasNote.innerText(), /after 6 pm/);
    assert.deepEqual(meta.sent, []);
    assert.deepEqual(page.problems(), []);
    assert.deepEqual(rita.problems(), []);
  });

  test("hands the conversation to a colleague and another team, who sends it back to the queue", async () => {
    await pane(page).getByRole("button", { name: "Hand to…" }).click();
    const dialog = page.getByRole("dialog", { name: "Hand this conversation on" });
    const colleague = dialog.getByRole("combobox", { name: "Colleague" });
    // Those who work the inbox, the one who has it said so.
    const offered = await colleague.locator("option:not([disabled])").allInnerTexts();
    assert.deepEqual(offered, [
      `Administrator (${spool.email}) · admin · has it now · you`,
      "rita@shop.test · operator",
    ]);
    await colleague.selectOption("rita@shop.test");
    const team = dialog.getByRole("combobox", { name: "Team" });
    assert.equal(await team.inputValue(), "support");
    await team.fill("returns");
    await screenshot(page, "102-inbox-hand-on");
    await dialog.getByRole("button", { name: "Hand over" }).click();
    await dialog.waitFor({ state: "detached" });
    await pane(page)
      .getByText(/^rita@shop\.test has it since/)
      .waitFor();
    await pane(page)
      .getByText(/team returns/)
      .waitFor();
    // Rita's page says it is hers now, live.
    await pane(rita)
      .getByText(/^You have it since/)
      .waitFor({ timeout: LIVE_MS });
    await rita.getByRole("tab", { name: "Mine (1)" }).waitFor({ timeout: LIVE_MS });

    // Rita sends it back to the queue of the same team.
    await pane(rita).getByRole("button", { name: "Hand to…" }).click();
    const hers = rita.getByRole("dialog", { name: "Hand this conversation on" });
    await hers.getByRole("radio", { name: /^Back to the queue/ }).check();
    assert.equal(await hers.getByRole("combobox", { name: "Team" }).inputValue(), "returns");
    await hers.getByRole("button", { name: "Hand over" }).click();
    await hers.waitFor({ state: "detached" });
    await pane(rita).getByText("No one has taken this conversation yet.").waitFor();
    await pane(page)
      .getByText("No one has taken this conversation yet.")
      .waitFor({ timeout: LIVE_MS });
    const ticket = await (
      await page.request.get(`/api/v1/workspaces/default/handoffs/${anaTicket}`)
    ).json();
    assert.equal(ticket.assignee, null);
    assert.equal(ticket.team, "returns");
    assert.deepEqual(page.problems(), []);
    assert.deepEqual(rita.problems(), []);
  });

  test("ends the journey here: the contact leaves it and the Closed tab says so", async () => {
    await contactWrites(BEN, "Ben", "agent");
    const ticket = await ticketOf(BEN);
    await openLive(page, ticket, "Ben");
    await pane(page).getByRole("button", { name: "Close…" }).click();
    const dialog = page.getByRole("dialog", { name: "Close this conversation" });
    // Two ways out, said plainly; returning to the journey is the one chosen first.
    const back = dialog.getByRole("radio", { name: /^Return to the journey/ });
    assert.equal(await back.isChecked(), true);
    await dialog.getByText(/Help desk goes on for this contact from step person/).waitFor();
    await dialog.getByRole("radio", { name: /^End the journey here/ }).check();
    await dialog.getByText(/The contact leaves Help desk now: nothing more is sent/).waitFor();
    await screenshot(page, "103-inbox-close");
    await dialog.getByRole("button", { name: "Close and end the journey" }).click();
    await dialog.waitFor({ state: "detached" });
    await pane(page)
      .getByText("Ended by you: the contact left the journey here, it sends them nothing more.")
      .waitFor();

    await page.getByRole("tab", { name: /^Closed/ }).click();
    const row = page
      .locator('[role="listbox"][aria-busy="false"]')
      .getByRole("option")
      .filter({ hasText: "Ben" });
    await row.waitFor();
    assert.match(await row.innerText(), /Ended by you/);
    await screenshot(page, "104-inbox-ended");
    // The journey ended for Ben: his run was cancelled, and it sent him nothing.
    const closed = await (
      await page.request.get(`/api/v1/workspaces/default/handoffs/${ticket}`)
    ).json();
    assert.equal(closed.outcome, "ended");
    const run = await eventually(
      page,
      `/api/v1/workspaces/default/contacts/${BEN}/runs/${closed.run_id}`,
      (body) => body.status !== "handoff",
      "Ben's run leaving the handoff",
    );
    assert.equal(run.status, "cancelled");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.deepEqual(meta.sent, []);
    assert.deepEqual(page.problems(), []);
  });
});
