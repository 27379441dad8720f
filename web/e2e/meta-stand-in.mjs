// A stand-in for Meta's Graph API, for browser tests that need a connected WhatsApp number:
// it lists the templates it was given (as `GET /{waba}/message_templates` does, one page),
// accepts every message `POST /{phone_number_id}/messages` (answering a `wamid.OUT<n>` id)
// and keeps their bodies for the test to read; anything else is answered 200 `{}`. Point
// `spool serve` at it with `SPOOL_WHATSAPP_API_URL`. `contactWrote` makes the signed webhook
// Meta sends when a contact writes, `messageStatus` the one saying a message was delivered or read.

import { createHmac } from "node:crypto";
import { createServer } from "node:http";

function answer(response, status, body) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

/**
 * Starts the stand-in on a free port: `{ url, sent, waitForSent(count), stop }`. `sent` holds
 * the bodies of the messages Spool asked it to send, in order.
 */
export async function startMeta({ templates = [] } = {}) {
  const sent = [];
  const server = createServer((request, response) => {
    let raw = "";
    request.setEncoding("utf8");
    request.on("data", (chunk) => (raw += chunk));
    request.on("end", () => {
      const { pathname } = new URL(request.url ?? "/", "http://meta.test");
      if (request.method === "POST" && /^\/v[\d.]+\/[^/]+\/(marketing_)?messages$/.test(pathname)) {
        let body;
        try {
          body = JSON.parse(raw);
        } catch {
          return answer(response, 400, { error: { message: "not JSON", code: 100 } });
        }
        sent.push(body);
        return answer(response, 200, {
          messaging_product: "whatsapp",
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id: `wamid.OUT${sent.length}` }],
        });
      }
      if (request.method === "GET" && /^\/v[\d.]+\/[^/]+\/message_templates$/.test(pathname)) {
        return answer(response, 200, { data: templates, paging: { cursors: {} } });
      }
      return answer(response, 200, {});
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    /** The bodies sent so far once there are `count` of them (fails after ~15 s). */
    async waitForSent(count) {
      for (let i = 0; i < 150; i++) {
        if (sent.length >= count) return sent;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`Meta was asked to send ${sent.length} message(s), not ${count}`);
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Meta's webhook body for a contact (`phone`, named `name`) who wrote `text` `ago` seconds
 * ago to the number `phoneNumberId` of the account `wabaId`, and its `X-Hub-Signature-256`
 * with the app's secret: what Spool's `/webhooks/whatsapp/{channel}` takes.
 */
export function contactWrote({ phoneNumberId, wabaId, appSecret, phone, name, text, ago = 0 }) {
  const sent = Math.floor(Date.now() / 1000) - ago;
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: wabaId,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550001111", phone_number_id: phoneNumberId },
              contacts: [{ profile: { name }, wa_id: phone }],
              messages: [
                {
                  from: phone,
                  id: `wamid.in.${phone}.${sent}`,
                  timestamp: String(sent),
                  type: "text",
                  text: { body: text },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
  return { body, signature };
}

/**
 * Meta's webhook body saying what became of a message Spool sent: `sent` is its body as the
 * stand-in kept it, `wamid` the id the stand-in answered (`wamid.OUT<n>` for the n-th);
 * `status` is "sent", "delivered" or "read". Meta echoes the send's
 * `biz_opaque_callback_data`, which is how Spool finds its message. Signed as `contactWrote`.
 * Without these the inbox shows every message as "Not sent yet", as when Meta says no more.
 */
export function messageStatus({ phoneNumberId, wabaId, appSecret, sent, wamid, status }) {
  const body = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [
      {
        id: wabaId,
        changes: [
          {
            field: "messages",
            value: {
              messaging_product: "whatsapp",
              metadata: { display_phone_number: "15550001111", phone_number_id: phoneNumberId },
              statuses: [
                {
                  id: wamid,
                  status,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  recipient_id: sent.to,
                  ...(sent.biz_opaque_callback_data === undefined
                    ? {}
                    : { biz_opaque_callback_data: sent.biz_opaque_callback_data }),
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const signature = `sha256=${createHmac("sha256", appSecret).update(body).digest("hex")}`;
  return { body, signature };
}
