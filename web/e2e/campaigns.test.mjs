// Campaigns in the browser, against a stand-in for Meta: a journey that starts with a
// Broadcast trigger and sends the approved Marketing template `spring_sale`, four contacts
// tagged "vip" (three agreed to offers), and a segment of them. A marketer makes a campaign
// to the segment, reads its pre-flight, sends it and watches it complete; schedules another
// and pauses, resumes and cancels it; and sees the warning when the number's daily limit is
// too small.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { screenshot } from "./harness.mjs";
import { startMeta } from "./meta-stand-in.mjs";
import { apiCall, eventually, spoolWithWhatsApp } from "./whatsapp-inbox.mjs";

const W = "/api/v1/workspaces/default";

const TEMPLATES = [
  {
    id: "2",
    name: "spring_sale",
    language: "en_US",
    category: "MARKETING",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    components: [{ type: "BODY", text: "Hi {{1}}, spring is here: 20% off this week." }],
  },
];

const SPRING = {
  schema: 1,
  id: "spring",
  name: "Spring sale",
  nodes: [
    { id: "start", type: "broadcast", position: { x: 0, y: 0 }, config: {} },
    {
      id: "offer",
      type: "send_template",
      position: { x: 250, y: 0 },
      config: {
        name: "spring_sale",
        language: "en_US",
        category: "marketing",
        body: ["{{ contact.name }}"],
      },
    },
    { id: "done", type: "end", position: { x: 500, y: 0 }, config: {} },
  ],
  edges: [
    { from: "start", port: "next", to: "offer" },
    { from: "offer", port: "next", to: "done" },
  ],
};

const VIPS = [
  { phone: "+4915112340001", name: "Ana", agreed: true },
  { phone: "+4915112340002", name: "Bruno", agreed: true },
  { phone: "+4915112340003", name: "Carla", agreed: true },
  { phone: "+4915112340004", name: "Dirk", agreed: false },
];

describe("campaigns", () => {
  let meta, spool, browser, page, channel;

  before(async () => {
    meta = await startMeta({ templates: TEMPLATES });
    ({ spool, browser, page, channel } = await spoolWithWhatsApp(meta, { templates: true }));
    const flow = await apiCall(page, "POST", `${W}/flows`, SPRING);
    assert.equal(flow.status(), 201, await flow.text());
    const published = await apiCall(page, "POST", `${W}/flows/spring/publish`, {
      note: "spring offer",
    });
    assert.equal(published.status(), 201, await published.text());
    for (const vip of VIPS) {
      const made = await apiCall(page, "POST", `${W}/contacts`, {
        phone: vip.phone,
        name: vip.name,
        tags: ["vip"],
        ...(vip.agreed
          ? { marketing_opt_in: true, consent_basis: "ticked the WhatsApp box at checkout" }
          : {}),
      });
      assert.equal(made.status(), 202, await made.text());
    }
    const other = await apiCall(page, "POST", `${W}/contacts`, {
      phone: "+4915112340009",
      name: "Eva",
      tags: ["newsletter"],
      marketing_opt_in: true,
      consent_basis: "ticked the WhatsApp box at checkout",
    });
    assert.equal(other.status(), 202, await other.text());
    await eventually(
      page,
      `${W}/contacts/%2B4915112340009`,
      (body) => body.name === "Eva",
      "the contacts' creation",
    );
    const segment = await apiCall(page, "POST", `${W}/segments`, {
      name: "VIPs",
      audience: { all: [{ kind: "tag", tag: "vip" }] },
    });
    assert.equal(segment.status(), 201, await segment.text());
    assert.equal((await segment.json()).count, 4);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
    await meta?.stop();
  });

  const step = (name) => page.getByRole("region", { name });

  /** Fills the form's name, journey and segment. */
  async function fillBasics(name) {
    await page.getByLabel("Campaign name").fill(name);
    await page.getByLabel("Journey to send").selectOption({ label: "Spring sale" });
    await page.getByLabel("Segment", { exact: true }).selectOption({ label: "VIPs (4 contacts)" });
  }

  it("explains campaigns when there are none, and says what to fix in the form", async () => {
    await page.getByRole("link", { name: "Campaigns" }).click();
    await page.getByRole("heading", { name: "No campaigns yet" }).waitFor();
    await screenshot(page, "campaigns-empty");
    await page.getByRole("button", { name: "New campaign" }).click();
    await page.getByRole("heading", { name: "New campaign" }).waitFor();
    await page.getByRole("button", { name: "Create draft" }).click();
    assert.equal(
      await step("Name").getByRole("alert").textContent(),
      "⚠ Give the campaign a name, e.g. “Spring sale”.",
    );
    assert.equal(
      await step("Journey").getByRole("alert").textContent(),
      "⚠ Choose the journey the campaign sends.",
    );
    assert.equal(
      await step("Audience").getByRole("alert").textContent(),
      "⚠ Choose the segment to send to.",
    );
    await page.getByRole("radio", { name: "Paste numbers" }).check();
    await page.getByLabel("WhatsApp numbers").fill("+49 151 1234 0001\n0151 555");
    await page.getByRole("button", { name: "Create draft" }).click();
    assert.equal(
      await step("Audience").getByRole("alert").textContent(),
      "⚠ This is not a WhatsApp number with a country code: 0151555. Write them as +49 151 1234 5678.",
    );
    // What was typed is kept.
    assert.equal(
      await page.getByLabel("WhatsApp numbers").inputValue(),
      "+49 151 1234 0001\n0151 555",
    );
    await screenshot(page, "campaigns-form-problems");
    assert.deepEqual(page.problems(), []);
  });

  it("makes a campaign to a segment, shows its pre-flight, sends it and shows it complete", async () => {
    await page.goto("/campaigns/new");
    await page.getByRole("radio", { name: "A segment" }).check();
    await fillBasics("Spring sale for VIPs");
    assert.equal(
      await step("Audience").locator("small").textContent(),
      "4 contacts match it now; the pre-flight shows who of them can get it.",
    );
    await page.getByRole("button", { name: "Create draft" }).click();

    const preflight = page.getByRole("region", { name: "Before you send" });
    await preflight.getByTestId("preflight-recipients").waitFor();
    assert.equal(await preflight.getByTestId("preflight-recipients").textContent(), "3 people");
    assert.equal(
      await preflight.getByTestId("preflight-skipped").textContent(),
      "1 person hasn't agreed to receive offers (the journey sends a Marketing template).",
    );
    assert.equal(
      await preflight.getByTestId("preflight-window").textContent(),
      "3 people have not written in the last 24 hours: each is a new conversation that counts towards the number's daily limit.",
    );
    assert.equal(
      await preflight.getByTestId("preflight-limit").textContent(),
      "WhatsApp lets this number start conversations with 250 new people a day; 250 left today; this campaign needs 3 → it fits today.",
    );
    assert.equal(await preflight.getByRole("alert").count(), 0);
    await screenshot(page, "campaigns-preflight");

    await preflight.getByRole("button", { name: "Send now" }).click();
    await page.waitForURL(/\/campaigns\/cmp_/);
    await page.getByTestId("campaign-state").filter({ hasText: "Completed" }).waitFor();
    assert.equal(await page.getByTestId("progress-words").textContent(), "3 of 4 sent");
    const legend = page.getByRole("list", { name: "Where everyone is" });
    assert.equal(await legend.locator('[data-band="sent"] strong').textContent(), "3");
    assert.equal(await legend.locator('[data-band="skipped"] strong').textContent(), "1");
    assert.equal(await legend.locator('[data-band="failed"] strong').textContent(), "0");
    await meta.waitForSent(3);

    const rows = page.getByRole("region", { name: "Recipients" }).locator("tbody tr");
    assert.equal(await rows.count(), 4);
    await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "Skipped (1)" });
    await rows
      .filter({ hasText: "Dirk" })
      .or(rows.filter({ hasText: "+4915112340004" }))
      .waitFor();
    assert.equal(await rows.count(), 1);
    assert.deepEqual(await rows.first().locator("td").allTextContents(), [
      "+4915112340004",
      "Skipped",
      "hasn't agreed to offers",
      "",
    ]);
    await page.getByRole("combobox", { name: "Show" }).selectOption({ label: "Everyone (4)" });
    await rows.nth(3).waitFor();
    await screenshot(page, "campaigns-completed");
    assert.deepEqual(page.problems(), []);
  });

  it("schedules a campaign, then pauses, resumes and cancels it", async () => {
    await page.goto("/campaigns/new");
    await fillBasics("Weekend reminder");
    await page.getByRole("radio", { name: "At a date and time" }).check();
    await page.getByLabel("Date and time", { exact: true }).fill("2031-03-14T10:00");
    await page.getByLabel("Time zone", { exact: true }).selectOption("Europe/Berlin");
    await page.getByRole("checkbox", { name: /In each person's own time zone/ }).check();
    await page.getByRole("checkbox", { name: /Quiet hours/ }).check();
    await page.getByRole("button", { name: "Create draft" }).click();
    const schedule = page.getByRole("button", { name: /^Schedule for / });
    await schedule.waitFor();
    await screenshot(page, "campaigns-schedule-preflight");
    await schedule.click();
    await page.waitForURL(/\/campaigns\/cmp_/);
    const state = page.getByTestId("campaign-state");
    await state.filter({ hasText: "Scheduled" }).waitFor();
    // The journey's name replaces its id once the flows are read.
    await page.locator(".page-head .muted").filter({ hasText: "Spring sale to VIPs" }).waitFor();
    assert.match(
      await page.locator(".page-head .muted").textContent(),
      /^Spring sale to VIPs · Sends .+ in each person's own time · quiet from 21:00 to 08:00$/,
    );
    assert.equal(await page.getByTestId("progress-words").textContent(), "Waiting for its time");

    await page.getByRole("button", { name: "Pause" }).click();
    await state.filter({ hasText: "Paused" }).waitFor();
    assert.equal(
      await page.locator(".cmp-paused").textContent(),
      `Paused by ${spool.email}. Nobody more gets it until it is resumed; messages already sent stay sent.`,
    );
    assert.equal(await page.getByTestId("progress-words").textContent(), "Not started yet");
    await screenshot(page, "campaigns-paused");
    assert.equal(await page.getByRole("button", { name: "Pause" }).count(), 0);

    await page.getByRole("button", { name: "Resume" }).click();
    await state.filter({ hasText: "Scheduled" }).waitFor();
    assert.equal(await page.locator(".cmp-paused").count(), 0);

    await page.getByRole("button", { name: "Cancel campaign" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel “Weekend reminder”?" });
    assert.equal(
      await dialog.locator("p").textContent(),
      "Nobody more gets this campaign, and it cannot be started again. Messages already sent stay sent, and people already in the journey go on with it.",
    );
    await screenshot(page, "campaigns-cancel-confirm");
    await dialog.getByRole("button", { name: "Cancel campaign" }).click();
    await state.filter({ hasText: "Cancelled" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Resume" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: "Cancel campaign" }).count(), 0);
    assert.deepEqual(page.problems(), []);
  });

  it("warns when the campaign does not fit in the number's daily limit", async () => {
    const changed = await apiCall(page, "PATCH", `${W}/channels/${channel}`, {
      messaging_limit: 5,
    });
    assert.equal(changed.status(), 200, await changed.text());
    await page.goto("/campaigns/new");
    await fillBasics("Too many for today");
    await page.getByRole("button", { name: "Create draft" }).click();
    const preflight = page.getByRole("region", { name: "Before you send" });
    await preflight.getByTestId("preflight-limit").waitFor();
    assert.equal(
      await preflight.getByTestId("preflight-limit").textContent(),
      "WhatsApp lets this number start conversations with 5 new people a day; 2 left today; this campaign needs 3 → 2 days.",
    );
    assert.equal(
      await preflight.getByRole("alert").textContent(),
      "This campaign does not fit in what is left of today's limit. Sending it would be refused. Change the campaign and tick “Spread over several days”, so it goes out over 2 days, or choose a smaller audience.",
    );
    await screenshot(page, "campaigns-over-limit");

    // Sending anyway is refused, in words next to the button.
    await preflight.getByRole("button", { name: "Send now" }).click();
    await preflight.locator(".error-note").waitFor();
    const refusal = await preflight.locator(".error-note").textContent();
    assert.ok(refusal && refusal.length > 10, refusal ?? "");

    // Changing the campaign keeps what was typed; spreading it makes it fit.
    await preflight.getByRole("button", { name: "Change the campaign" }).click();
    assert.equal(await page.getByLabel("Campaign name").inputValue(), "Too many for today");
    await page.getByRole("checkbox", { name: /Spread over several days/ }).check();
    await page.getByRole("button", { name: "Create draft" }).click();
    await page
      .getByRole("region", { name: "Before you send" })
      .getByText("It goes out over 2 days")
      .waitFor();
    assert.equal(
      await page.getByRole("region", { name: "Before you send" }).getByRole("alert").count(),
      0,
    );
    await screenshot(page, "campaigns-spread");

    await page.getByRole("link", { name: "← All campaigns" }).click();
    const rows = page.locator(".cmp-table tbody tr");
    await rows.nth(3).waitFor();
    const row = (name) => rows.filter({ has: page.getByRole("link", { name, exact: true }) });
    assert.deepEqual(
      (await row("Spring sale for VIPs").locator("td").allTextContents()).slice(0, 5),
      ["Spring sale for VIPs", "Spring sale", "VIPs", "Completed", "3 of 4 sent"],
    );
    assert.deepEqual((await row("Weekend reminder").locator("td").allTextContents()).slice(1, 4), [
      "Spring sale",
      "VIPs",
      "Cancelled",
    ]);
    assert.match(
      await row("Weekend reminder").locator("td").nth(5).textContent(),
      /^Was to send .+2031/,
    );
    await screenshot(page, "campaigns-list");
    page.allowConsole(/409 \(Conflict\)/);
    assert.deepEqual(page.problems(), []);
  });
});
