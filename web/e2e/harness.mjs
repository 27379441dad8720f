// The browser tests' rig: a real `spool serve` (target/debug/spool) on a fresh SQLite
// database in a temp dir and a free port, and Debian's Chromium driven by playwright-core.
// Any console error or warning in the page fails the test that caused it.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
/** Screenshots, for people to look at (gitignored). */
export const artifacts = path.join(repo, "web/e2e-artifacts");

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts `spool serve` and resolves once it printed its address and the first-start
 * password: `{ url, email, password, stop }`. `env` adds settings of the test's own
 * (`SPOOL_*` only, e.g. `SPOOL_WHATSAPP_API_URL` pointing at a stand-in for Meta).
 */
export async function startSpool({ env = {} } = {}) {
  const unknown = Object.keys(env).filter((key) => !key.startsWith("SPOOL_"));
  if (unknown.length > 0) throw new Error(`not Spool settings: ${unknown.join(", ")}`);
  const binary = process.env.SPOOL_BINARY ?? path.join(repo, "target/debug/spool");
  const dir = mkdtempSync(path.join(tmpdir(), "spool-e2e-"));
  const child = spawn(binary, ["serve", "--bind", "127.0.0.1:0"], {
    cwd: dir,
    // Only this test's settings: none inherited that would point it at another database.
    // SPOOL_EDITOR_DIR is kept: it serves a fresh `npm run build` without recompiling.
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([key]) => !key.startsWith("SPOOL_") || key === "SPOOL_EDITOR_DIR",
        ),
      ),
      SPOOL_DATABASE_URL: `sqlite://${path.join(dir, "spool.sqlite")}?mode=rwc`,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Its log is kept (not printed) and told only if it stops before it started.
  let log = "";
  child.stderr.on("data", (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const lines = readline.createInterface({ input: child.stdout });
  let url;
  const started = new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`spool serve exited (${code}) before it started`)),
    );
    lines.on("line", (line) => {
      const address = /^Spool is running at (http:\/\/\S+)$/.exec(line.trim());
      if (address) url = address[1];
      const admin = /^First start: sign in as (\S+) with the password (\S+) /.exec(line);
      if (admin && url) resolve({ email: admin[1], password: admin[2] });
    });
  });
  const admin = await started;
  return {
    url,
    ...admin,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Chromium, headless, at 1280×800 (the smallest screen the editor is made for). */
export async function openBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    headless: true,
  });
  mkdirSync(artifacts, { recursive: true });
  return browser;
}

/**
 * A fresh page (its own cookies) that records every console error or warning and every
 * uncaught exception; `page.problems()` lists them.
 */
export async function newPage(browser, baseURL) {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  // Long enough for a debug build on a busy machine, short enough to fail fast.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      problems.push(`console ${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  const allowed = [];
  /** Lets console lines matching `pattern` pass: for a failure the test causes on purpose. */
  page.allowConsole = (pattern) => allowed.push(pattern);
  page.problems = () => problems.filter((problem) => !allowed.some((re) => re.test(problem)));
  return page;
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

export async function signIn(page, email, password) {
  await page.goto("/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Flows", exact: true }).waitFor();
}

/** Creates the example flow `name` (flows/examples/<name>.json) through the API, signed in. */
export async function createFromExample(page, name) {
  const example = JSON.parse(readFileSync(path.join(repo, `flows/examples/${name}.json`), "utf8"));
  const session = await (await page.request.get("/api/v1/session")).json();
  const created = await page.request.post("/api/v1/workspaces/default/flows", {
    headers: { "X-CSRF-Token": session.csrf_token },
    data: example,
  });
  if (created.status() !== 201) {
    throw new Error(`the example ${name} was not created: ${await created.text()}`);
  }
}

/** The middle of an element on screen (it must be on screen). */
export async function centre(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`not on screen: ${locator}`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags with the mouse from one point to another, in small moves as a hand would. */
export async function drag(page, from, to) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  // A last small move and a frame's pause over the target: the canvas notices the port
  // under the pointer on a pointer move, and a slower browser may not have yet.
  await page.mouse.move(to.x + 1, to.y + 1);
  await page.mouse.move(to.x, to.y);
  await page.waitForTimeout(50);
  await page.mouse.up();
}
