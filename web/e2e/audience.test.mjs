// The contacts screens, end to end: a new workspace's empty list says what to do; a small
// CSV file goes through the import wizard (a bad number and a repeated one: the check's
// numbers and the bad row's reason on screen), the contacts show in the table, a tag filter
// narrows it, two contacts are tagged in bulk, and a segment of two conditions shows its
// live count and is saved. Screenshots audience-01…08 land in web/e2e-artifacts/.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newPage, openBrowser, screenshot, signIn, startSpool } from "./harness.mjs";

const CSV = [
  "Phone,Name,City,Tags",
  "912345601,Ana Silva,Lisbon,vip",
  "+351 912 345 602,Bruno Costa,Porto,",
  "912345603,Carla Dias,Porto,vip",
  "12345,Bad Number,Faro,",
  "912345602,Bruno again,Porto,",
  "",
].join("\n");

/** Reloads until `locator` shows: the directory takes in an import moments after it ends. */
async function reloadUntil(page, locator, tries = 20) {
  for (let i = 0; i < tries; i += 1) {
    if (await locator.isVisible()) return;
    await page.waitForTimeout(500);
    await page.reload();
    await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();
    await page.waitForTimeout(300);
  }
  await locator.waitFor({ timeout: 1000 });
}

describe("contacts: import, table, bulk tags, segments", () => {
  let spool;
  let browser;
  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  test("a file imported through the wizard, tagged in bulk and made into a segment", async () => {
    const page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);

    // A new workspace: the empty list says how contacts come.
    await page.getByRole("link", { name: "Contacts", exact: true }).click();
    await page.getByRole("heading", { name: "No contacts yet" }).waitFor();
    await screenshot(page, "audience-01-empty");
    await page.locator(".audience-empty").getByRole("link", { name: "Import contacts" }).click();

    // 1. The file, uploaded as soon as it is chosen; the address names the upload.
    await page.getByRole("heading", { name: "Choose a file" }).waitFor();
    await page.getByLabel("CSV file").setInputFiles({
      name: "shop-customers.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(CSV),
    });
    await page.getByRole("heading", { name: "Match your columns" }).waitFor();
    assert.match(new URL(page.url()).pathname, /^\/contacts\/import\/imp_[a-z0-9]+$/);

    // 2. Each column with its samples and the suggested meaning.
    const phoneRow = page.getByRole("row", { name: /^Phone/ });
    assert.equal(
      await phoneRow
        .locator(".sample")
        .allInnerTexts()
        .then((s) => s.join(" | ")),
      "912345601 | +351 912 345 602 | 912345603",
    );
    assert.equal(await page.getByLabel("Phone", { exact: true }).inputValue(), "phone");
    assert.equal(await page.getByLabel("City", { exact: true }).inputValue(), "property");
    assert.equal(await page.getByLabel("Field name for City").inputValue(), "city");
    await page.getByText("nobody in this file will get Marketing messages").waitFor();
    await page.getByLabel("Country of numbers written without a country code").selectOption("PT");
    await screenshot(page, "audience-02-match");

    // 3. The check: 3 new, 0 updated, 2 skipped (a bad number, a repeat), and why.
    await page.getByRole("button", { name: "Check", exact: true }).click();
    const check = page.getByRole("region", { name: "What the import would do" });
    await check.waitFor();
    const bigs = await check.locator(".big").allInnerTexts();
    assert.deepEqual(
      bigs.map((b) => b.replace(/\s+/g, " ").trim()),
      [
        "3 will be added new contacts",
        "0 will be updated contacts Spool knows",
        "2 will be skipped rows not imported",
      ],
    );
    await check.getByText("1 row repeats a number that came earlier in the file").waitFor();
    const rejection = check.locator(".rejections-table tbody tr");
    assert.equal(await rejection.count(), 1);
    assert.deepEqual(await rejection.locator("td").allInnerTexts(), [
      "5",
      "Phone",
      "12345",
      "12345 is not a valid phone number in PT",
    ]);
    await screenshot(page, "audience-03-check");

    // 4. Import: progress, then done with the numbers.
    await check.getByRole("button", { name: "Import 3 contacts" }).click();
    const finished = page.getByRole("region", { name: "Import finished" });
    await finished.waitFor({ timeout: 30_000 });
    assert.equal((await finished.locator(".big .big-value").allInnerTexts()).join(","), "3,0,2");
    await screenshot(page, "audience-04-done");

    // A reload keeps the wizard where it was.
    await page.reload();
    await page.getByRole("region", { name: "Import finished" }).waitFor();
    await page.getByRole("link", { name: "See the contacts" }).click();

    // The table: three contacts, newest first by name order as asked.
    const count = page.locator(".contacts-count");
    await reloadUntil(page, page.getByText("Showing 3 of 3 contacts"));
    await page.getByLabel("Order").selectOption("name");
    const names = page.locator(".contacts-table tbody tr td.flow-name");
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".contacts-table tbody td.flow-name")]
          .map((td) => td.textContent)
          .join(",") === "Ana Silva,Bruno Costa,Carla Dias",
    );
    const ana = page.getByRole("row", { name: /Ana Silva/ });
    assert.deepEqual(await ana.locator("td").allInnerTexts(), [
      "",
      "Ana Silva",
      "+351912345601",
      "vip",
      "No consent",
      "Never wrote",
      "—",
    ]);
    await screenshot(page, "audience-05-contacts");

    // Filter by a tag, then tag both in bulk.
    await page.getByLabel("Tag", { exact: true }).selectOption("vip");
    await page.getByText("Showing 2 of 2 contacts").waitFor();
    assert.equal(await names.allInnerTexts().then((n) => n.join(",")), "Ana Silva,Carla Dias");
    await page.getByLabel("Select all shown").check();
    await page.getByText("2 selected").waitFor();
    await page.getByRole("button", { name: "Add tag…" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a tag to 2 contacts" });
    await dialog.getByLabel("Tag").fill("newsletter");
    await dialog.getByRole("button", { name: "Add tag" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: "Added the tag “newsletter” to 2 contacts." })
      .waitFor();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll(".contacts-table tbody tr")].filter((tr) =>
          tr.textContent.includes("newsletter"),
        ).length === 2,
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await count.innerText(), "Showing 2 of 2 contacts");
    await screenshot(page, "audience-06-bulk");

    // A segment of two conditions, with its live count, saved.
    await page.getByRole("link", { name: "Segments", exact: true }).last().click();
    await page.getByRole("heading", { name: "No segments yet" }).waitFor();
    await page.locator(".page-head").getByRole("link", { name: "New segment" }).click();
    await page.getByRole("heading", { name: "New segment" }).waitFor();
    await page.getByRole("status").filter({ hasText: "3 contacts match now" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill("Lisbon VIPs");
    await page.getByRole("button", { name: "+ Add a condition" }).click();
    const first = page.getByRole("listitem", { name: "Condition 1" });
    await first.getByLabel("Tag").fill("vip");
    await page.getByRole("status").filter({ hasText: "2 contacts match now" }).waitFor();
    await page.getByRole("button", { name: "+ Add a condition" }).click();
    const second = page.getByRole("listitem", { name: "Condition 2" });
    await second.getByLabel("Condition 2", { exact: true }).selectOption("property");
    await second.getByLabel("Field name").fill("city");
    await second.getByLabel("Value").fill("Lisbon");
    await page.getByRole("status").filter({ hasText: "1 contact matches now" }).waitFor();
    assert.equal(
      await page
        .locator(".segment-sample li")
        .allInnerTexts()
        .then((s) => s.join(",")),
      "Ana Silva · +351912345601",
    );
    await page.getByText("All of these must be true").waitFor();
    await screenshot(page, "audience-07-segment");
    await page.getByRole("button", { name: "Save segment" }).click();
    await page.waitForURL(/\/segments\/seg_[a-z0-9]+$/);
    await page.getByRole("heading", { name: "Lisbon VIPs" }).waitFor();

    await page.getByRole("link", { name: "← All segments" }).click();
    const row = page.getByRole("row", { name: /Lisbon VIPs/ });
    await row.waitFor();
    assert.deepEqual(await row.locator("td").allInnerTexts(), [
      "Lisbon VIPs",
      "Has the tag “vip” · Field “city” is “Lisbon”",
      "1",
    ]);
    await screenshot(page, "audience-08-segments");

    assert.deepEqual(page.problems(), []);
  });
});
