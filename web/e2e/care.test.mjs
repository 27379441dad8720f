// Marks no other builder has, and the shortcut sheet: on the abandoned-cart journey (started
// by the shop's webhook), the edges along which the 24-hour window may be closed are drawn
// dashed with a clock that tells why, up to the contact's reply; "?" lists
// the keyboard shortcuts; the palette folds away for a wider canvas and the arrow keys go
// through it. Screenshots land in web/e2e-artifacts/.

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

const FLOW = "abandoned-cart";

describe("the 24-hour window on the canvas", () => {
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

  const tag = (from, port) => page.locator(`.window-tag[data-from="${from}"][data-port="${port}"]`);

  test("draws the edges where only templates reach the contact, and says why", async () => {
    await page.goto(`/flows/${FLOW}`);
    // From the shop's webhook until the contact answers the reminder: templates only.
    await tag("cart_abandoned", "next").waitFor();
    for (const [from, port] of [
      ["wait_1h", "next"],
      ["still_in_cart", "true"],
      ["cart_reminder", "next"],
      ["wait_answer", "timeout"],
    ]) {
      assert.equal(await tag(from, port).count(), 1, `${from}.${port} is marked`);
    }
    // The contact's answer reopens the window: the reply and what follows are plain edges.
    for (const [from, port] of [
      ["wait_answer", "reply"],
      ["route_answer", "discount"],
      ["send_discount", "next"],
    ]) {
      assert.equal(await tag(from, port).count(), 0, `${from}.${port} is not marked`);
    }
    const dashed = page.locator(".react-flow__edge-path.window-closed");
    assert.ok((await dashed.count()) >= 5, "the marked edges are dashed, not only coloured");

    await tag("cart_abandoned", "next")
      .getByRole("button", { name: /templates only here/i })
      .click();
    await page.getByText("The journey starts without the contact writing").waitFor();
    // Zoomed in on the start, as a person reading the marks would.
    const start = await page.locator('.react-flow__node[data-id="wait_1h"]').boundingBox();
    assert.ok(start, "the delay is on screen");
    await page.mouse.move(start.x + start.width / 2, start.y + start.height / 2);
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -200);
    await screenshot(page, "60-window-closed-edges");
    await page.getByRole("button", { name: /fit view/i }).click();
    await screenshot(page, "60-window-closed-edges-whole");
    assert.deepEqual(page.problems(), []);
  });

  test("lists the keyboard shortcuts when ? is pressed", async () => {
    await page.getByTestId("canvas").click({ position: { x: 40, y: 200 } });
    await page.keyboard.press("Shift+?");
    const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await sheet.waitFor();
    await sheet.getByText("Find a step to add").waitFor();
    await sheet.getByText("Fit the whole flow on screen").waitFor();
    await screenshot(page, "61-shortcut-sheet");
    await page.keyboard.press("Escape");
    await sheet.waitFor({ state: "detached" });
    assert.deepEqual(page.problems(), []);
  });

  test("folds the palette away for a wider canvas, and N brings it back to search", async () => {
    const canvas = page.getByTestId("canvas");
    const narrow = (await canvas.boundingBox())?.width ?? 0;
    await page.getByRole("button", { name: "Hide the steps list" }).click();
    await page.getByRole("searchbox", { name: "Search steps" }).waitFor({ state: "detached" });
    const wide = (await canvas.boundingBox())?.width ?? 0;
    assert.ok(wide > narrow + 150, `the canvas grew from ${narrow} to ${wide} px`);
    await screenshot(page, "62-palette-folded");

    await canvas.click({ position: { x: 40, y: 200 } });
    await page.keyboard.press("n");
    const searchBox = page.getByRole("searchbox", { name: "Search steps" });
    await searchBox.waitFor();
    assert.ok(await searchBox.evaluate((el) => el === document.activeElement), "focused");
    // The arrow keys go from the search into the steps and back.
    await searchBox.fill("text");
    await page.keyboard.press("ArrowDown");
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute("data-type"));
    assert.equal(await focused(), "send_text");
    await page.keyboard.press("ArrowUp");
    assert.ok(await searchBox.evaluate((el) => el === document.activeElement), "back in search");
    await searchBox.fill("");
    assert.deepEqual(page.problems(), []);
  });
});
