// The properties panel, live validation and publishing, in a real browser against a real
// `spool serve`: open an example flow, select a step, edit its text in the form; make a
// button title too long and see the error on that step and that field, then gone once
// fixed; choose a problem and land in its field; publish with a note, see the version in
// the history, open an old version read-only and roll back to it. Screenshots land in
// web/e2e-artifacts/ (10- to 16-).

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  createFromExample,
  newPage,
  openBrowser,
  screenshot,
  signIn,
  startSpool,
} from "./harness.mjs";

const FLOW = "ctwa-lead-qualification";

describe("editing, checking and publishing a flow", () => {
  let spool;
  let browser;
  let page;

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
    await createFromExample(page, FLOW);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  const node = (id) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const field = (at) => page.locator(`.properties [data-field="${at}"]`);
  const panel = () => page.getByRole("region", { name: /^Settings of / });
  const saved = () => page.getByText("All changes saved").waitFor();

  test("selects a step and edits its text in the form", async () => {
    await page.goto(`/flows/${FLOW}`);
    // The whole journey in view (at 1280×800 its steps are small, but all can be clicked).
    await page.getByRole("button", { name: /fit view/i }).click();
    await node("ask_need").click();
    await page.getByRole("region", { name: "Settings of ask_need" }).waitFor();
    const text = field("config.text");
    assert.equal(await text.inputValue(), "3/3: In a sentence or two, what do you need help with?");
    await text.fill("3/3: In a sentence or two, what can we help you with, {{ contact.name }}?");
    await saved();
    await screenshot(page, "10-properties-text");

    // Saved as the draft: a reload finds it.
    const draft = await (await page.request.get(`/api/v1/workspaces/default/flows/${FLOW}`)).json();
    const askNeed = draft.document.nodes.find((n) => n.id === "ask_need");
    assert.match(askNeed.config.text, /what can we help you with/);
    assert.deepEqual(page.problems(), []);
  });

  test("says a broken placeholder does not work, as it is typed", async () => {
    const text = field("config.text");
    await text.fill("Hi {{ contact.name");
    await panel().getByText("Does not work:").waitFor();
    await text.fill("3/3: In a sentence or two, what can we help you with, {{ contact.name }}?");
    await panel().getByText("Does not work:").waitFor({ state: "detached" });
    await saved();
  });

  test("shows a too-long button title on its step and field, and clears it once fixed", async () => {
    await node("ask_timing").click();
    await page.getByRole("region", { name: "Settings of ask_timing" }).waitFor();
    const title = field("config.buttons[1].title");
    await title.fill("In the next one to three months");
    // Flagged as typed, before the server answers…
    await panel().getByText("31 / 20").waitFor();
    // …and by the server's validation: a badge on the step, a mark on the field.
    const badge = page.locator('[data-node-badge="ask_timing"]');
    await badge.getByText("1 error").waitFor();
    const problem = page
      .getByRole("region", { name: "Problems" })
      .getByRole("button", { name: /ask_timing/ });
    await problem.waitFor();
    const describedBy = await title.getAttribute("aria-describedby");
    const marks = page.locator(`[id="${describedBy.split(" ").at(-1)}"]`);
    await marks
      .getByText(/at most 20 characters|WhatsApp/)
      .first()
      .waitFor();
    assert.equal(await page.getByRole("button", { name: "Publish…" }).isDisabled(), true);
    await page.getByText("Fix the error in Problems before publishing.").waitFor();
    await saved();
    await title.evaluate((input) => input.scrollIntoView({ block: "center" }));
    await screenshot(page, "11-validation-error");

    // Chosen in the problems list: the step opens with the cursor in the field.
    await page.getByRole("button", { name: "Close settings" }).click();
    await panel().waitFor({ state: "detached" });
    await problem.click();
    await page.getByRole("region", { name: "Settings of ask_timing" }).waitFor();
    await page.waitForFunction(
      () => document.activeElement?.getAttribute("data-field") === "config.buttons[1].title",
    );
    await screenshot(page, "12-problem-focused");

    await title.fill("In 1-3 months");
    await badge.waitFor({ state: "detached" });
    await problem.waitFor({ state: "detached" });
    assert.equal(await page.getByRole("button", { name: "Publish…" }).isDisabled(), false);
    await saved();
    assert.deepEqual(page.problems(), []);
  });

  async function publish(note) {
    await page.getByRole("button", { name: "Publish…" }).click();
    const dialog = page.getByRole("dialog", { name: "Publish this flow" });
    await dialog.getByLabel("What does this version change?").fill(note);
    const accept = dialog.getByLabel(/Publish anyway/);
    if (await accept.count()) await accept.check();
    return dialog;
  }

  test("publishes with a note and lists the version", async () => {
    const dialog = await publish("Warmer last question");
    await screenshot(page, "13-publish-dialog");
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    const versions = page.getByRole("region", { name: "Version history" });
    await versions.getByText("Warmer last question").waitFor();
    await versions.getByText("Live").waitFor();
    await versions.getByText(/First version: \d+ steps/).waitFor();

    // A second version, with what changed since the first (the whole flow in view: the
    // version history beside the canvas may have left that step outside it).
    await page.locator(".react-flow__controls-fitview").click();
    await node("nurture_cold").click();
    await field("config.text").fill(
      "Thanks, {{ contact.name }}! Our guides: https://example.com/guides.",
    );
    await saved();
    const second = await publish("Shorter goodbye for cold leads");
    await second.getByText(/Against live version 1: Step: 1 changed/).waitFor();
    await second.getByRole("button", { name: "Publish", exact: true }).click();
    await versions.getByText("Shorter goodbye for cold leads").waitFor();
    await versions.getByText("Step: 1 changed").waitFor();
    await screenshot(page, "14-versions");
    assert.deepEqual(page.problems(), []);
  });

  test("opens an old version read-only and rolls back to it", async () => {
    const versions = page.getByRole("region", { name: "Version history" });
    const first = versions.getByRole("listitem").filter({ hasText: "Version 1" });
    await first.getByRole("button", { name: "Open" }).click();
    const view = page.getByRole("dialog", { name: "Version 1 (read-only)" });
    await view.locator('.react-flow__node[data-id="ask_timing"]').waitFor();
    await screenshot(page, "15-version-read-only");
    await view.getByRole("button", { name: "Close" }).click();

    await first.getByRole("button", { name: "Roll back to this" }).click();
    const confirm = page.getByRole("dialog", { name: "Roll back to version 1?" });
    await confirm.getByRole("button", { name: "Roll back" }).click();
    await confirm.waitFor({ state: "detached" });
    const third = versions.getByRole("listitem").filter({ hasText: "Version 3" });
    await third.getByText("Back to version 1").waitFor();
    await third.getByText("Live").waitFor();
    await screenshot(page, "16-rolled-back");
    assert.deepEqual(page.problems(), []);
  });
});
