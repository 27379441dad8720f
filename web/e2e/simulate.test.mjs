// The test chat beside the canvas: the builder plays the contact of the abandoned-cart
// journey (started by the shop's webhook) against the real engine, skips the hour's delay,
// sees the reminder template with its values, taps its "discount" quick reply and sees the
// discount; the canvas lights the step reached and the ways taken, and the steps list shows
// the variable the reply set. Screenshots land in web/e2e-artifacts/ (70- to 79-).

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

const PAYLOAD = {
  customer: { phone: "+5511987650101" },
  cart: {
    id: "c1",
    purchased: false,
    currency: "EUR",
    total: 42.5,
    checkout_url: "https://shop.example/c",
  },
};

describe("the test chat", () => {
  let spool;
  let browser;
  let page;

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
    await createFromExample(page, "abandoned-cart");
    await createFromExample(page, "ctwa-lead-qualification");
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  test("plays the abandoned cart as an opted-in contact the shop's webhook starts", async () => {
    await page.goto("/flows/abandoned-cart");
    await page.locator(".react-flow__node").first().waitFor();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const chat = page.getByRole("region", { name: "Test chat" });
    const setup = chat.getByRole("form", { name: "Test setup" });
    // The journey starts by its webhook, so that is how the test starts unless told otherwise.
    assert.equal(
      await setup.getByLabel("Your system calls the webhook").isChecked(),
      true,
      "a webhook journey starts by its webhook",
    );

    // A payload that is not JSON is refused, with where it went wrong.
    const payload = setup.getByLabel("Webhook payload (JSON)");
    await payload.fill('{"customer": {"phone": "+5511987650101"},');
    await setup.getByRole("button", { name: "Start the test" }).click();
    await setup.getByRole("alert").filter({ hasText: "not valid JSON" }).waitFor();
    await screenshot(page, "70-test-setup-bad-json");

    await payload.fill(JSON.stringify(PAYLOAD, null, 2));
    await setup.getByLabel("Name", { exact: true }).fill("Ana");
    await setup.getByLabel("Country").selectOption("+55");
    await setup.getByLabel("Phone number").fill("11987650101");
    await setup.getByLabel("Agreed to Marketing messages (opt-in)").check();
    await setup.getByLabel("Time zone").selectOption("America/Sao_Paulo");
    // Mid-morning, so the journey's quiet hours (21:00–08:00 Lisbon) never hold it back.
    await setup.getByLabel("Clock starts at (UTC)").fill("2026-03-02T10:00");
    await setup.getByRole("button", { name: "Start the test" }).click();

    // The journey waits an hour: the canvas lights the delay, the chat offers to skip it.
    await page.locator('.react-flow__node.overlay-current[data-id="wait_1h"]').waitFor();
    await chat.getByText("24 h window closed").waitFor();
    const skip = chat.getByRole("button", { name: /Skip to the next timer/ });
    assert.match(await skip.innerText(), /1h/, "the next timer is an hour away");
    await screenshot(page, "71-test-waiting-an-hour");
    await skip.click();

    // The reminder template, with the contact's name and the cart's total filled in.
    const template = chat.locator(".template-bubble");
    await template.waitFor();
    const words = await template.innerText();
    assert.match(words, /cart_reminder/);
    assert.match(words, /Marketing/);
    assert.match(words, /Ana/);
    assert.match(words, /EUR 42\.5/);
    await chat.getByText("10:00").first().waitFor();
    assert.match(await chat.locator(".sim-clock").innerText(), /2 Mar, 11:00/);
    await page.locator('.react-flow__node.overlay-current[data-id="wait_answer"]').waitFor();
    await screenshot(page, "72-test-reminder-template");

    // The contact taps "discount": the flow answers with the discount code.
    await chat.getByRole("button", { name: /discount/ }).click();
    await chat.locator(".flow-bubble", { hasText: "COMEBACK10" }).waitFor();
    await chat.getByText("24 h window open").waitFor();
    await chat.getByText("The journey has ended for this contact").waitFor();

    // On the canvas: the way the contact went is tinted, where it ended is lit.
    await page.locator(".react-flow__edge.overlay-taken").first().waitFor();
    const taken = await page.locator(".react-flow__edge.overlay-taken").count();
    assert.ok(taken >= 6, `the ways taken are tinted (${taken})`);
    await page.locator(".react-flow__node.overlay-current").waitFor();
    assert.equal(
      await page.locator('.react-flow__node.overlay-visited[data-id="last_chance"]').count(),
      0,
      "a step the contact never reached is not marked",
    );

    // The steps list shows the answer stored in its variable; choosing a step selects it.
    const steps = chat.getByRole("region", { name: "Steps taken" });
    const answer = steps.locator(".trace-vars code", { hasText: "cart_answer" });
    await answer.first().waitFor();
    await screenshot(page, "73-test-discount-and-path");
    await steps.locator(".trace-step", { hasText: "send_discount" }).first().click();
    await page.locator('.react-flow__node.selected[data-id="send_discount"]').waitFor();

    // Closing the chat brings the side panel back and leaves nothing drawn on the canvas.
    await chat.getByRole("button", { name: "Close test" }).click();
    await page.getByRole("button", { name: "Test", exact: true }).waitFor();
    assert.equal(await page.locator(".react-flow__edge.overlay-taken").count(), 0);
    assert.equal(await page.locator(".react-flow__node.overlay-current").count(), 0);
    assert.deepEqual(page.problems(), []);
  });

  test("a question for a person goes to the team, until the operator closes it", async () => {
    await page.goto("/flows/abandoned-cart");
    await page.locator(".react-flow__node").first().waitFor();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const chat = page.getByRole("region", { name: "Test chat" });
    const setup = chat.getByRole("form", { name: "Test setup" });
    await setup.getByLabel("Webhook payload (JSON)").fill(JSON.stringify(PAYLOAD));
    await setup.getByLabel("Agreed to Marketing messages (opt-in)").check();
    await setup.getByLabel("Clock starts at (UTC)").fill("2026-03-02T10:00");
    await setup.getByRole("button", { name: "Start the test" }).click();
    await chat.getByRole("button", { name: /Skip to the next timer/ }).click();
    await chat.locator(".template-bubble").waitFor();

    const message = chat.getByLabel("Message");
    await message.fill("Can I pay by card?");
    await message.press("Enter");
    await chat.locator(".contact-bubble", { hasText: "Can I pay by card?" }).waitFor();
    await page.locator('.react-flow__node.overlay-current[data-id="ask_support"]').waitFor();
    const close = chat.getByRole("button", { name: "The operator closes the conversation" });
    await screenshot(page, "76-test-handoff");
    await close.click();
    await chat.getByText("The journey has ended for this contact").waitFor();
    assert.equal(await close.count(), 0, "no handoff is left to close");
    const steps = chat.getByRole("region", { name: "Steps taken" });
    await steps.locator(".trace-step", { hasText: "Left by “resolved”" }).waitFor();
    await chat.getByRole("button", { name: "Close test" }).click();
    assert.deepEqual(page.problems(), []);
  });

  test("an ad lead whose answer fails validation is asked again", async () => {
    await page.goto("/flows/ctwa-lead-qualification");
    await page.locator(".react-flow__node").first().waitFor();
    await page.getByRole("button", { name: "Test", exact: true }).click();
    const chat = page.getByRole("region", { name: "Test chat" });
    const setup = chat.getByRole("form", { name: "Test setup" });
    assert.equal(
      await setup.getByLabel("The contact taps a Click-to-WhatsApp ad").isChecked(),
      true,
      "an ad journey starts from an ad",
    );
    await screenshot(page, "77-test-setup-ad");
    await setup.getByLabel("Ad headline").fill("Kitchen makeover");
    await setup.getByLabel("Ad id (source id)").fill("120210555");
    await setup.getByLabel("Name", { exact: true }).fill("Bea");
    await setup.getByLabel("Clock starts at (UTC)").fill("2026-03-02T10:00");
    await setup.getByRole("button", { name: "Start the test" }).click();
    await chat.getByText("Your next message comes from the ad “Kitchen makeover”").waitFor();

    const message = chat.getByLabel("Message");
    await message.fill("Hi, I saw your ad");
    await message.press("Enter");
    await chat.locator(".flow-bubble", { hasText: "Kitchen makeover" }).waitFor();
    await chat.locator(".flow-bubble", { hasText: "budget" }).waitFor();

    // "lots" is not a number: the flow says so and asks again.
    await message.fill("lots");
    await message.press("Enter");
    await chat.locator(".flow-bubble", { hasText: "Sorry" }).waitFor();
    await message.fill("900");
    await message.press("Enter");
    // Then its reply buttons, tapped as WhatsApp shows them.
    await chat.getByRole("button", { name: "Just looking" }).click();
    await chat.locator(".contact-bubble", { hasText: "Just looking" }).waitFor();
    const steps = chat.getByRole("region", { name: "Steps taken" });
    await steps.locator(".trace-vars code", { hasText: "budget = 900" }).first().waitFor();
    await screenshot(page, "74-test-ad-lead-revalidated");

    // A day without an answer: the wait times out and the journey ends.
    await chat.getByLabel("Skip ahead by").fill("1");
    await chat.getByLabel("Unit").selectOption("d");
    await chat.getByRole("button", { name: "Skip ahead" }).click();
    await chat.getByText("The journey has ended for this contact").waitFor();
    await screenshot(page, "75-test-ad-lead-timed-out");
    assert.deepEqual(page.problems(), []);
  });
});
