// The test chat's shortcuts on the ad-lead journey: the builder selects the score switch on
// the canvas, tests from that step with score = 80 (skipping the three questions), and has
// the CRM call answered by a test answer (201, lead-9) instead of the real CRM. The chat
// says the answer stood in for the call, and the lead goes to the sales team with the CRM id
// kept. Then the same with the CRM failing: the journey goes on by the step's "error" way.
// Screenshots land in web/e2e-artifacts/ (78-, 79-).

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

describe("the test chat's shortcuts", () => {
  let spool;
  let browser;
  let page;

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
    await createFromExample(page, "ctwa-lead-qualification");
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  test("starts at the score switch with a test answer for the CRM", async () => {
    await page.goto("/flows/ctwa-lead-qualification");
    await page.locator('.react-flow__node[data-id="route_score"]').click();
    await page.locator('.react-flow__node.selected[data-id="route_score"]').waitFor();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const chat = page.getByRole("region", { name: "Test chat" });
    const setup = chat.getByRole("form", { name: "Test setup" });

    // The step selected on the canvas is offered as the place to start.
    const offer = setup.locator(".sim-from-selected");
    assert.match(await offer.innerText(), /route_score/);
    await screenshot(page, "78-test-setup-offers-selected-step");
    await offer.getByRole("button", { name: "Test from this step" }).click();
    assert.equal(await setup.getByLabel("From a step, with variables you set").isChecked(), true);
    assert.equal(await setup.getByLabel("Start at", { exact: true }).inputValue(), "route_score");
    assert.equal(await offer.count(), 0, "the offer goes once the form starts there");
    const steps = await setup
      .getByLabel("Start at", { exact: true })
      .locator("option")
      .allInnerTexts();
    assert.ok(
      !steps.some((step) => step.startsWith("ad_click")),
      `a trigger is no place to start (${steps.join(", ")})`,
    );
    await setup.getByLabel("Variables", { exact: true }).fill("score = 80");
    await setup.getByLabel("Clock starts at (UTC)").fill("2026-03-02T10:00");
    await setup.getByLabel("Start at", { exact: true }).scrollIntoViewIfNeeded();
    await screenshot(page, "78-test-setup-from-a-step");

    // The CRM step answers from the form: a body that is not JSON is refused beside it.
    const crm = setup.getByRole("group", { name: /create_crm_lead/ });
    assert.equal(await crm.getByLabel("Call the real service").isChecked(), true);
    await crm.getByLabel("Use this answer").check();
    await crm.getByLabel("Status", { exact: true }).fill("201");
    const body = crm.getByLabel("Response body (JSON)");
    await body.fill('{\n  "id": "lead-9",\n}');
    await setup.getByRole("button", { name: "Start the test" }).click();
    const problem = crm.getByRole("alert");
    assert.match(await problem.innerText(), /response body is not valid JSON \(line 3\)/);
    await body.fill('{ "id": "lead-9" }');
    assert.equal(await problem.count(), 0, "the problem goes once the body is changed");
    await crm.scrollIntoViewIfNeeded();
    await screenshot(page, "78-test-setup-test-answer");
    await setup.getByRole("button", { name: "Start the test" }).click();

    // It runs at once: the CRM was not called, its answer went on, the lead is with sales.
    const stub = chat.locator(".chat-stub");
    await stub.waitFor();
    const words = await stub.innerText();
    assert.match(words, /Test answer/);
    assert.match(words, /POST https:\/\/crm\.example\.com\/api\/leads/);
    assert.match(words, /no real call/);
    assert.match(words, /201/);
    await chat.getByRole("button", { name: "The operator closes the conversation" }).waitFor();
    await page.locator('.react-flow__node.overlay-current[data-id="handoff_sales"]').waitFor();
    assert.equal(
      await page.locator('.react-flow__node.overlay-visited[data-id="ask_budget"]').count(),
      0,
      "the questions before the start were skipped",
    );
    const shortcuts = chat.getByRole("list", { name: "This test's shortcuts" });
    assert.match(await shortcuts.innerText(), /Started at route_score.*score = 80/);
    assert.match(await shortcuts.innerText(), /create_crm_lead.*answers 201/);
    const trace = chat.getByRole("region", { name: "Steps taken" });
    await trace.locator(".trace-step", { hasText: "Test answer" }).waitFor();
    await trace.locator(".trace-vars code", { hasText: "crm_id = “lead-9”" }).waitFor();
    await screenshot(page, "79-test-from-a-step-answered");

    // Again, the CRM failing this time: the journey goes on by the step's "error" way.
    await chat.getByRole("button", { name: "New test" }).click();
    await crm.getByLabel("Make it fail").check();
    assert.equal(await crm.getByLabel("Why it fails").inputValue(), "The service did not answer.");
    await crm.getByLabel("Why it fails").fill("the CRM is down");
    await setup.getByRole("button", { name: "Start the test" }).click();
    await chat.locator(".chat-stub", { hasText: "fails: the CRM is down" }).waitFor();
    await trace.locator(".trace-step", { hasText: "Left by “error”" }).waitFor();
    await page.locator('.react-flow__node.overlay-current[data-id="handoff_sales"]').waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("a step's settings offer to test from that step; a trigger's do not", async () => {
    await page.getByRole("button", { name: "Close test" }).click();
    await page.locator('.react-flow__node[data-id="create_crm_lead"]').click();
    const settings = page.getByRole("region", { name: "Settings of create_crm_lead" });
    await settings.waitFor();
    await page.getByRole("button", { name: "Test from this step" }).click();
    const setup = page
      .getByRole("region", { name: "Test chat" })
      .getByRole("form", { name: "Test setup" });
    assert.equal(await setup.getByLabel("From a step, with variables you set").isChecked(), true);
    assert.equal(
      await setup.getByLabel("Start at", { exact: true }).inputValue(),
      "create_crm_lead",
    );
    await page.getByRole("button", { name: "Close test" }).click();
    await page.getByRole("button", { name: /fit view/i }).click();
    await page.locator('.react-flow__node[data-id="ad_click"]').click();
    await page.getByRole("region", { name: "Settings of ad_click" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Test from this step" }).count(), 0);
    assert.deepEqual(page.problems(), []);
  });
});
