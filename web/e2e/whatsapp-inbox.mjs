// What the inbox's browser tests against a stand-in for Meta share: a `spool serve` with a
// WhatsApp number connected (and, when asked, its templates read from Meta), the API as the
// signed-in person, polling it, and the conversation pane's parts.

import assert from "node:assert/strict";
import { newPage, openBrowser, signIn, startSpool } from "./harness.mjs";

export const PHONE_NUMBER_ID = "1098765432101";
export const WABA_ID = "102290129340398";
export const APP_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
/** What the server seals the number's token with (channels need one). */
const SECRET_KEY = "5b0f3c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f1e2d3c4b5a697887";

/** The API as the signed-in person of `on` (their cookie, their CSRF token). */
export async function apiCall(on, method, url, data) {
  const { csrf_token } = await (await on.request.get("/api/v1/session")).json();
  return on.request.fetch(url, {
    method,
    headers: { "X-CSRF-Token": csrf_token },
    ...(data === undefined ? {} : { data }),
  });
}

/** Polls the API at `url` until `done(body)` holds; the last body. */
export async function eventually(on, url, done, what) {
  let body;
  for (let i = 0; i < 150; i++) {
    body = await (await on.request.get(url)).json();
    if (done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what} never happened: ${JSON.stringify(body)}`);
}

export const pane = (on) => on.getByRole("region", { name: "Conversation" });
export const thread = (on) => pane(on).getByRole("log", { name: "Messages" });
/** The thread's messages and notes, in order (not its day headings). */
export const messagesIn = (on) => thread(on).locator(".thread-list > li:not(.thread-day)");

/**
 * `spool serve` sending through `meta`, an admin signed in, the shop's number connected and,
 * with `templates`, its templates read from Meta: `{ spool, browser, page, channel }`.
 */
export async function spoolWithWhatsApp(meta, { templates = false } = {}) {
  const spool = await startSpool({
    env: { SPOOL_WHATSAPP_API_URL: meta.url, SPOOL_SECRET_KEY: SECRET_KEY },
  });
  const browser = await openBrowser();
  const page = await newPage(browser, spool.url);
  await signIn(page, spool.email, spool.password);
  const created = await apiCall(page, "POST", "/api/v1/workspaces/default/channels", {
    display_name: "Loja Exemplo",
    phone_number_id: PHONE_NUMBER_ID,
    waba_id: WABA_ID,
    access_token: "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploPermanentToken",
    app_secret: APP_SECRET,
    verify_token: "loja-exemplo-verify-7781",
  });
  assert.equal(created.status(), 201, await created.text());
  const channel = (await created.json()).id;
  if (templates) {
    // Connecting the number reads its templates from Meta; replies and publishing use them.
    await eventually(
      page,
      "/api/v1/workspaces/default/templates",
      (body) => typeof body.syncs[0]?.synced_at === "string",
      "the templates' sync",
    );
  }
  return { spool, browser, page, channel };
}
