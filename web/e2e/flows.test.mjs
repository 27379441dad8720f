// The flow list and the account, in a real browser against a real `spool serve`: sign in
// with the printed password; create a flow from an example; rename, duplicate, delete;
// export and import; see a flow's status follow publishing; sign in again after the
// session ends without losing what was typed; change the password; switch workspace;
// sign out; what a viewer sees; a flow drawn on the canvas. Screenshots of each screen
// land in web/e2e-artifacts/.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { artifacts, newPage, openBrowser, screenshot, signIn, startSpool } from "./harness.mjs";

describe("the flow list", () => {
  let spool;
  let browser;
  let page;
  let password;

  before(async () => {
    spool = await startSpool();
    password = spool.password;
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  /** The API with the page's session cookie (and its CSRF token for changes). */
  async function apiCall(method, url, data) {
    const session = await page.request.get("/api/v1/session");
    const { csrf_token } = await session.json();
    return page.request.fetch(url, {
      method,
      headers: { "X-CSRF-Token": csrf_token },
      ...(data === undefined ? {} : { data }),
    });
  }

  const row = (name) => page.locator("tr", { has: page.getByRole("link", { name, exact: true }) });

  test("signs in with the password spool serve printed", async () => {
    await page.goto("/");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshot(page, "01-sign-in");
    assert.deepEqual(page.problems(), []);

    page.allowConsole(/status of 401/);
    await page.getByLabel("Email").fill(spool.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "do not match" }).waitFor();

    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Flows", exact: true }).waitFor();
    await page.getByRole("heading", { name: "No flows yet" }).waitFor();
    await screenshot(page, "02-flows-empty");
    assert.deepEqual(page.problems(), []);
  });

  test("creates a flow from an example and lists it as a draft", async () => {
    await page.getByRole("button", { name: "Create your first flow" }).click();
    const dialog = page.getByRole("dialog", { name: "New flow" });
    await dialog.getByLabel("Abandoned cart recovery").check();
    await screenshot(page, "03-new-flow");
    await dialog.getByRole("button", { name: "Create flow" }).click();
    await row("Abandoned cart recovery").waitFor();
    const cells = await row("Abandoned cart recovery").locator("td").allInnerTexts();
    assert.equal(cells[1], "Draft");
    assert.match(cells[2], /^(just now|\d+ minutes? ago) by you$/);
    await screenshot(page, "04-flows-list");
    assert.deepEqual(page.problems(), []);
  });

  test("renames, duplicates and deletes with a confirmation", async () => {
    await row("Abandoned cart recovery").getByRole("button", { name: "Rename" }).click();
    await page.getByLabel("New name for Abandoned cart recovery").fill("Cart nudge");
    await page.getByRole("button", { name: "Save" }).click();
    await row("Cart nudge").waitFor();

    await row("Cart nudge").getByRole("button", { name: "Duplicate" }).click();
    await row("Copy of Cart nudge").waitFor();

    await row("Copy of Cart nudge").getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete “Copy of Cart nudge”?" });
    await confirm.waitFor();
    await screenshot(page, "05-delete-confirm");
    await confirm.getByRole("button", { name: "Keep it" }).click();
    await row("Copy of Cart nudge").waitFor();
    await row("Copy of Cart nudge").getByRole("button", { name: "Delete" }).click();
    await confirm.getByRole("button", { name: "Delete flow" }).click();
    await page.getByText("Deleted “Copy of Cart nudge”.").waitFor();
    assert.equal(await row("Copy of Cart nudge").count(), 0);
    assert.equal(await row("Cart nudge").count(), 1);
    assert.deepEqual(page.problems(), []);
  });

  test("exports a flow to a file and imports it back as a new flow", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      row("Cart nudge").getByRole("link", { name: "Export" }).click(),
    ]);
    const file = path.join(artifacts, "exported-flow.json");
    await download.saveAs(file);
    const exported = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(exported.id, "abandoned-cart");
    assert.equal(exported.name, "Cart nudge");

    await page.getByTestId("import-file").setInputFiles(file);
    await page.getByText(/Imported “Cart nudge \(2\)” as a new flow/).waitFor();
    await row("Cart nudge (2)").waitFor();

    await page.getByTestId("import-file").setInputFiles({
      name: "notes.json",
      mimeType: "application/json",
      buffer: Buffer.from("this is not a flow"),
    });
    await page.getByRole("alert").filter({ hasText: "not a Spool flow" }).waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("shows a published flow as live, and edits after it as unpublished changes", async () => {
    const published = await apiCall(
      "POST",
      "/api/v1/workspaces/default/flows/abandoned-cart/publish",
      {},
    );
    assert.equal(published.status(), 201, await published.text());
    await page.reload();
    await row("Cart nudge").getByText("Live v1", { exact: true }).waitFor();

    const read = await page.request.get("/api/v1/workspaces/default/flows/abandoned-cart");
    const flow = await read.json();
    const saved = await page.request.fetch("/api/v1/workspaces/default/flows/abandoned-cart", {
      method: "PUT",
      headers: {
        "If-Match": read.headers().etag,
        "X-CSRF-Token": (await (await page.request.get("/api/v1/session")).json()).csrf_token,
      },
      data: { ...flow.document, description: "Edited after publishing" },
    });
    assert.equal(saved.status(), 200, await saved.text());
    await page.reload();
    await row("Cart nudge").getByText("Live v1 · unpublished changes").waitFor();
    await screenshot(page, "06-flows-statuses");
    assert.deepEqual(page.problems(), []);
  });

  test("keeps what was typed when the session ends, and goes on after signing in", async () => {
    await row("Cart nudge (2)").getByRole("button", { name: "Rename" }).click();
    await page.getByLabel("New name for Cart nudge (2)").fill("Cart nudge, second try");
    // The session ends on the server (as it would after its days are up).
    assert.equal((await apiCall("DELETE", "/api/v1/session")).status(), 204);

    page.allowConsole(/status of 401/);
    await page.getByRole("button", { name: "Save" }).click();
    const dialog = page.getByRole("dialog", { name: "Your session has ended" });
    await dialog.waitFor();
    await screenshot(page, "07-session-ended");
    await dialog.getByLabel("Password").fill(password);
    await dialog.getByRole("button", { name: "Sign in and go on" }).click();
    await dialog.waitFor({ state: "detached" });

    const input = page.getByLabel("New name for Cart nudge (2)");
    assert.equal(await input.inputValue(), "Cart nudge, second try");
    await page.getByRole("button", { name: "Save" }).click();
    await row("Cart nudge, second try").waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("opens a flow on the canvas with one labelled way out per port", async () => {
    await page.getByRole("button", { name: "New flow" }).click();
    const dialog = page.getByRole("dialog", { name: "New flow" });
    await dialog.getByLabel("Ad lead qualification").check();
    await dialog.getByRole("button", { name: "Create flow" }).click();
    await page.getByRole("link", { name: "Ad lead qualification", exact: true }).click();
    await page.waitForURL(/\/flows\/ctwa-lead-qualification$/);
    await page.getByRole("heading", { name: "Ad lead qualification" }).waitFor();
    assert.equal(await page.title(), "Ad lead qualification · Spool");
    const nodes = page.locator(".react-flow__node");
    await nodes.first().waitFor();
    assert.equal(await nodes.count(), 21);
    const timing = page.locator(".react-flow__node", { hasText: "ask_timing" });
    assert.deepEqual(await timing.locator(".port-label").allInnerTexts(), [
      "This month",
      "In 1-3 months",
      "Just looking",
      "other",
      "timeout",
      "error",
    ]);
    assert.ok((await page.locator(".react-flow__edge").count()) >= 20);
    await page.getByRole("img", { name: "Map of the whole flow" }).waitFor();
    await screenshot(page, "08-canvas");

    // A flow imported without positions is laid out, each step right of the one before.
    const bare = {
      schema: 1,
      id: "no-positions",
      name: "No positions",
      nodes: [
        { id: "start", type: "inbound_message", config: {} },
        { id: "hello", type: "send_text", config: { text: "Hello!" } },
        { id: "done", type: "end", config: {} },
      ],
      edges: [
        { from: "start", port: "next", to: "hello" },
        { from: "hello", port: "next", to: "done" },
      ],
    };
    const created = await apiCall("POST", "/api/v1/workspaces/default/flows", bare);
    assert.equal(created.status(), 201, await created.text());
    await page.goto("/flows/no-positions");
    await page.locator(".react-flow__node").first().waitFor();
    const left = async (id) =>
      (await page.locator(`.react-flow__node[data-id="${id}"]`).boundingBox()).x;
    assert.ok((await left("start")) < (await left("hello")));
    assert.ok((await left("hello")) < (await left("done")));

    await page.getByRole("link", { name: "← All flows" }).click();
    await row("Cart nudge").waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("changes the password, switches workspace and signs out", async () => {
    await page.getByRole("button", { name: spool.email }).click();
    await page.getByRole("menuitem", { name: "Change password" }).click();
    const dialog = page.getByRole("dialog", { name: "Change password" });
    await dialog.getByLabel("Current password").fill(password);
    await dialog.getByLabel("New password", { exact: true }).fill("a much longer passphrase");
    await dialog.getByLabel("New password again").fill("a much longer passphrase");
    await dialog.getByRole("button", { name: "Change password" }).click();
    await page
      .getByRole("dialog", { name: "Password changed" })
      .getByRole("button", { name: "Done" })
      .click();
    password = "a much longer passphrase";

    const created = await apiCall("POST", "/api/v1/workspaces", {
      id: "summer-sale",
      name: "Summer sale",
    });
    assert.equal(created.status(), 201, await created.text());
    await page.reload();
    await page.getByLabel("Workspace").selectOption({ label: "Summer sale" });
    await page.getByRole("heading", { name: "No flows yet" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "No flows yet" }).waitFor();
    assert.equal(await page.getByLabel("Workspace").inputValue(), "summer-sale");
    await page.getByLabel("Workspace").selectOption({ label: "My workspace" });
    await row("Cart nudge").waitFor();

    await page.getByRole("button", { name: spool.email }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signIn(page, spool.email, password);
    await row("Cart nudge").waitFor();
    assert.deepEqual(page.problems(), []);
  });

  test("shows a viewer the flows without the actions their role does not allow", async () => {
    const added = await apiCall("POST", "/api/v1/workspaces/default/members", {
      email: "viewer@shop.test",
      role: "viewer",
      password: "a viewer's long password",
    });
    assert.equal(added.status(), 201, await added.text());
    await page.getByRole("button", { name: spool.email }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await signIn(page, "viewer@shop.test", "a viewer's long password");
    await row("Cart nudge").waitFor();
    await page.getByText("your role does not allow changes").waitFor();
    assert.equal(await page.getByRole("button", { name: "New flow" }).count(), 0);
    assert.equal(await row("Cart nudge").getByRole("button").count(), 0);
    assert.equal(await row("Cart nudge").getByRole("link", { name: "Export" }).count(), 1);
    assert.deepEqual(page.problems(), []);
  });
});
