// The abandoned-cart journey (flows/examples/abandoned-cart.json) built by hand in a real
// browser against a real `spool serve`, as a marketer would: a blank flow, its re-entry and
// quiet hours chosen, every step dragged from the palette onto the canvas, named, and its
// settings typed into its form, every way out wired to the next step by dragging from its
// port. Then what that person sees: no errors in Problems, and the flow published with a
// note and live as version 1. Last, the saved draft (read through the API) has the
// example's steps, wires and settings. Screenshots land in web/e2e-artifacts/ (30- to 38-).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  centre,
  drag,
  newPage,
  openBrowser,
  repo,
  screenshot,
  signIn,
  startSpool,
} from "./harness.mjs";

const example = JSON.parse(
  readFileSync(path.join(repo, "flows/examples/abandoned-cart.json"), "utf8"),
);

/**
 * The steps in the order a person adds them (each next to the one it follows), where on
 * the canvas (a column and row of a grid over the visible canvas), what to search the
 * palette for, and how to fill its form.
 */
const STEPS = [
  { id: "cart_abandoned", at: [0, 0], search: "webhook", fill: webhook },
  { id: "wait_1h", at: [1, 0], search: "delay", fill: delay },
  { id: "still_in_cart", at: [2, 0], search: "condition", fill: condition },
  { id: "end_no_reminder", at: [3, 0], search: "end", fill: nothing },
  {
    id: "cart_reminder",
    at: [0, 1],
    search: "template",
    fill: template,
    shot: "31-build-template",
  },
  { id: "wait_answer", at: [1, 1], search: "reply", fill: waitForReply },
  { id: "route_answer", at: [2, 1], search: "switch", fill: switchCases, shot: "32-build-switch" },
  { id: "last_chance", at: [3, 1], search: "template", fill: template },
  { id: "end_last_chance", at: [3, 2], search: "end", fill: nothing },
  { id: "send_discount", at: [0, 2], search: "text", fill: sendText },
  {
    id: "remember_discount",
    at: [1, 2],
    search: "update",
    fill: updateContact,
    shot: "33-build-contact",
  },
  { id: "end_discount", at: [2, 2], search: "end", fill: nothing },
  { id: "tag_not_interested", at: [0, 3], search: "tag", fill: tag, shot: "34-build-tag" },
  { id: "ack_not_interested", at: [1, 3], search: "text", fill: sendText },
  { id: "end_not_interested", at: [2, 3], search: "end", fill: nothing },
  { id: "ask_support", at: [0, 4], search: "hand", fill: handoff },
  { id: "end_support", at: [1, 4], search: "end", fill: nothing },
];

const exampleNode = (id) => example.nodes.find((n) => n.id === id);

// ---- the forms, one per kind of step; `form` is the open settings panel, `c` the example's config

const field = (form, at) => form.locator(`[data-field="${at}"]`);

async function nothing(form) {
  await form.getByText("This step has no settings.").waitFor();
}

async function webhook(form, c) {
  await field(form, "config.hook").fill(c.hook);
  await field(form, "config.contact").fill(c.contact);
  await field(form, "config.secret").click(); // "+ Secret"
  await field(form, "config.secret").fill(c.secret);
}

/** An amount and a unit, as the duration field asks for them (8, hours). */
async function duration(form, at, written) {
  const [, amount, unit] = /^(\d+)([smhd])$/.exec(written);
  await form
    .getByLabel(/: unit$/)
    .last()
    .selectOption(unit);
  await field(form, at).fill(amount);
}

async function delay(form, c) {
  await field(form, "config.for").click(); // "+ For"
  await duration(form, "config.for", c.for);
  await form.getByText("1 hour", { exact: true }).waitFor();
}

async function condition(form, c) {
  await field(form, "config.expression").fill(c.expression);
}

async function template(form, c) {
  // A fresh workspace has no WhatsApp number, so no synced templates: the plain form.
  await form.getByText(/No approved templates yet/).waitFor();
  await field(form, "config.name").fill(c.name);
  await field(form, "config.language").fill(c.language);
  await field(form, "config.category").selectOption(c.category);
  for (const [i, value] of c.body.entries()) {
    await field(form, "config.body").getByRole("button", { name: "+ Add", exact: true }).click();
    await field(form, `config.body[${i}]`).fill(value);
  }
  for (const [i, button] of c.buttons.entries()) {
    await field(form, "config.buttons").getByRole("button", { name: "+ Add button" }).click();
    await field(form, `config.buttons[${i}]`).selectOption(button.type);
    const [key, value] = Object.entries(button).find(([k]) => k !== "type");
    await field(form, `config.buttons[${i}].${key}`).fill(value);
  }
}

async function waitForReply(form, c) {
  await field(form, "config.variable").fill(c.variable);
  // A new step already waits the runtime's default: 24 hours, which is what this one wants.
  assert.equal(c.timeout, "24h");
  assert.equal(await field(form, "config.timeout").inputValue(), "1");
  await form.getByText("1 day", { exact: true }).waitFor();
}

async function switchCases(form, c) {
  for (const [i, { port, when }] of c.cases.entries()) {
    await field(form, "config.cases").getByRole("button", { name: "+ Add case" }).click();
    await field(form, `config.cases[${i}].port`).fill(port);
    await field(form, `config.cases[${i}].when`).fill(when);
  }
}

async function sendText(form, c) {
  await field(form, "config.text").fill(c.text);
  if (c.preview_url) await field(form, "config.preview_url").check();
}

async function updateContact(form, c) {
  for (const [i, [name, input]] of Object.entries(c.properties).entries()) {
    await field(form, "config.properties")
      .getByRole("button", { name: "+ Add", exact: true })
      .click();
    await form.getByLabel(`Properties: name ${i + 1}`).fill(name);
    if ("expr" in input) {
      await form
        .getByRole("group", { name: `${name}: fixed or computed` })
        .getByRole("button", { name: "Computed" })
        .click();
      await field(form, `config.properties.${name}`).fill(input.expr);
    } else {
      await field(form, `config.properties.${name}`).fill(input.value);
    }
  }
}

async function tag(form, c) {
  for (const list of ["add", "remove"]) {
    for (const [i, value] of c[list].entries()) {
      await field(form, `config.${list}`)
        .getByRole("button", { name: /^\+ Add/ })
        .click();
      await field(form, `config.${list}[${i}]`).fill(value);
    }
  }
}

async function handoff(form, c) {
  await field(form, "config.team").fill(c.team);
  await field(form, "config.note").click(); // "+ Note"
  await field(form, "config.note").fill(c.note);
  await field(form, "config.timeout").click(); // "+ Timeout"
  await duration(form, "config.timeout", c.timeout);
}

// ---- reading the saved draft back

/** "1h", "24h", "1d", "8h" as seconds, so "24h" and "1d" compare equal. */
function seconds(text) {
  const per = { s: 1, m: 60, h: 3600, d: 86400 };
  return [...text.matchAll(/(\d+)\s*([smhd])/g)].reduce((sum, [, n, u]) => sum + n * per[u], 0);
}

const typesOf = (nodes) => nodes.map((n) => n.type).toSorted();
const wire = (e) => `${e.from}.${e.port}→${e.to}`;

function comparable(config) {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      ["for", "timeout"].includes(key) ? seconds(value) : value,
    ]),
  );
}

describe("building the abandoned-cart journey by hand", () => {
  let spool;
  let browser;
  let page;
  /** The steps on the canvas so far, by name. */
  const built = new Set();

  before(async () => {
    spool = await startSpool();
    browser = await openBrowser();
    page = await newPage(browser, spool.url);
    await signIn(page, spool.email, spool.password);
  });

  after(async () => {
    await browser?.close();
    await spool?.stop();
  });

  const node = (id) => page.locator(`.react-flow__node[data-id="${id}"]`);
  const settings = (id) => page.getByRole("region", { name: `Settings of ${id}` });
  const search = () => page.getByRole("searchbox", { name: "Search steps" });
  const edges = () => page.locator(".react-flow__edge");
  const problems = () => page.getByRole("region", { name: "Problems" });

  async function draft() {
    const response = await page.request.get(`/api/v1/workspaces/default/flows/abandoned-cart`);
    assert.equal(response.status(), 200);
    return await response.json();
  }

  test("starts a blank flow and zooms out to make room", async () => {
    await page.getByRole("button", { name: "Create your first flow" }).click();
    const dialog = page.getByRole("dialog", { name: "New flow" });
    await dialog.getByLabel("Blank flow").check();
    await dialog.getByLabel("Name").fill("Abandoned cart");
    await dialog.getByRole("button", { name: "Create flow" }).click();
    await page.getByRole("link", { name: "Abandoned cart", exact: true }).click();
    await page.waitForURL(/\/flows\/abandoned-cart$/);
    await search().waitFor();
    // Seventeen steps do not fit at full size beside the palette and the side panel.
    const zoomOut = page.getByRole("button", { name: /zoom out/i });
    for (let i = 0; i < 5; i++) await zoomOut.click();
    await page.waitForFunction(
      () =>
        new DOMMatrixReadOnly(
          getComputedStyle(document.querySelector(".react-flow__viewport")).transform,
        ).a < 0.45,
    );
    assert.deepEqual(page.problems(), []);
  });

  test("sets the journey's re-entry and quiet hours", async () => {
    const journey = page.getByRole("region", { name: "Journey settings" });
    const { reentry, quiet_hours: quiet } = example.settings;
    await field(journey, "settings.reentry").selectOption(reentry);
    await field(journey, "settings.quiet_hours").click(); // "+ Quiet hours"
    await field(journey, "settings.quiet_hours.start").fill(quiet.start);
    await field(journey, "settings.quiet_hours.end").fill(quiet.end);
    await field(journey, "settings.quiet_hours.timezone").fill(quiet.timezone);
    await screenshot(page, "30-build-journey-settings");
    assert.deepEqual(page.problems(), []);
  });

  test("adds every step from the palette, fills its form and wires its ports", async () => {
    const canvas = page.getByTestId("canvas");
    const box = await canvas.boundingBox();
    // A grid over the canvas, clear of the tools at the top and the controls at the bottom
    // left, and every port well inside the canvas: a wire dragged within 40 px of its edge
    // pans the canvas (as React Flow helps a person reach further), which moves the port
    // away from the pointer — the more so the slower the machine.
    const spot = ([column, row]) => ({
      x: box.x + 100 + column * 130,
      y: box.y + 90 + row * 110,
    });
    const inside = (point, what) => {
      const margin = Math.min(
        point.x - box.x,
        box.x + box.width - point.x,
        point.y - box.y,
        box.y + box.height - point.y,
      );
      assert.ok(margin > 45, `${what} is ${Math.round(margin)} px from the canvas's edge`);
      return point;
    };
    const connected = new Set();

    for (const step of STEPS) {
      const { type, config } = exampleNode(step.id);
      const steps = await page.locator(".react-flow__node").count();
      await search().fill(step.search);
      const item = page.locator(`.palette-item[data-type="${type}"]`);
      const to = spot(step.at);
      await item.dragTo(canvas, { targetPosition: { x: to.x - box.x, y: to.y - box.y } });
      await page.locator(".react-flow__node").nth(steps).waitFor();
      // The new step is selected, its settings open: it is named after what it does.
      const name = page.getByRole("region", { name: /^Settings of / }).getByLabel("Step name");
      assert.match(await name.inputValue(), new RegExp(`^${type}(_\\d+)?$`));
      await name.fill(step.id);
      await name.press("Enter");
      const form = settings(step.id);
      await node(step.id).waitFor();
      await step.fill(form, config);
      if (step.shot) await screenshot(page, step.shot);

      // Every way out of or into this step whose other end is on the canvas: wired.
      built.add(step.id);
      for (const edge of example.edges) {
        const key = wire(edge);
        if (connected.has(key) || !built.has(edge.from) || !built.has(edge.to)) continue;
        const count = await edges().count();
        const from = node(edge.from).locator(`.react-flow__handle[data-handleid="${edge.port}"]`);
        const inlet = node(edge.to).locator(".react-flow__handle.target");
        await drag(
          page,
          inside(await centre(from), `${edge.from}.${edge.port}`),
          inside(await centre(inlet), `${edge.to}'s inlet`),
        );
        await edges().nth(count).waitFor();
        connected.add(key);
      }
    }
    assert.equal(connected.size, example.edges.length);
    assert.equal(await edges().count(), example.edges.length);
    await page.locator('[data-status="saved"]').waitFor();
    await screenshot(page, "35-build-wired");
    assert.deepEqual(page.problems(), []);
  });

  test("shows no errors, only the warnings the example has", async () => {
    const session = await (await page.request.get("/api/v1/session")).json();
    const checked = await page.request.post(
      "/api/v1/workspaces/default/flows/abandoned-cart/validate",
      {
        headers: { "X-CSRF-Token": session.csrf_token },
        data: example,
      },
    );
    assert.equal(checked.status(), 200, await checked.text());
    const expected = (await checked.json()).diagnostics;
    assert.equal(expected.filter((d) => d.severity === "error").length, 0);
    const warnings = expected.filter((d) => d.severity === "warning");
    // Those of a fresh workspace: its templates cannot be checked without a WhatsApp number.
    await problems()
      .getByText(
        warnings.length === 0
          ? "— none, this flow can be published"
          : `— 0 errors, ${warnings.length} ${warnings.length === 1 ? "warning" : "warnings"}`,
      )
      .waitFor();
    for (const warning of warnings) {
      await problems()
        .getByRole("button")
        .filter({ hasText: warning.node_id })
        .filter({ hasText: warning.message })
        .waitFor();
    }
    await screenshot(page, "36-build-checked");
    assert.deepEqual(page.problems(), []);
  });

  test("publishes with a note and goes live as version 1", async () => {
    await page.getByRole("button", { name: "Publish…" }).click();
    const dialog = page.getByRole("dialog", { name: "Publish this flow" });
    await dialog.getByLabel("What does this version change?").fill("Abandoned cart, first cut");
    const accept = dialog.getByLabel(/Publish anyway/);
    if (await accept.count()) await accept.check();
    await screenshot(page, "37-build-publish");
    await dialog.getByRole("button", { name: "Publish", exact: true }).click();
    await dialog.waitFor({ state: "detached" });
    const versions = page.getByRole("region", { name: "Version history" });
    await versions.getByText("Abandoned cart, first cut").waitFor();
    await versions.getByText("Live").waitFor();
    await page.getByRole("link", { name: "← All flows" }).click();
    const row = page.getByRole("row").filter({ hasText: "Abandoned cart" });
    await row.getByText("Live v1", { exact: true }).waitFor();
    await screenshot(page, "38-build-live");
    assert.deepEqual(page.problems(), []);
  });

  test("saved the example's steps, wires and settings", async () => {
    const { document } = await draft();
    assert.deepEqual(document.settings, example.settings);
    assert.deepEqual(typesOf(document.nodes), typesOf(example.nodes));
    assert.deepEqual(document.edges.map(wire).toSorted(), example.edges.map(wire).toSorted());
    for (const want of example.nodes) {
      const got = document.nodes.find((n) => n.id === want.id);
      assert.ok(got, `a step named ${want.id}`);
      assert.equal(got.type, want.type, want.id);
      const keys = Object.keys(want.config);
      const picked = Object.fromEntries(keys.map((key) => [key, got.config?.[key]]));
      assert.deepEqual(comparable(picked), comparable(want.config), `settings of ${want.id}`);
    }
  });
});
