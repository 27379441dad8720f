// Flow documents of any size (a multiple of 10) for the editor benchmark: the same journey
// flows/benches/validate.rs generates, so the canvas and validation numbers are about the
// same flows, with two changes so that they have no diagnostics at all. A chain of 10-node
// blocks: a `set` computes variables, a `condition` branches into two `send_text` messages
// that rejoin on `send_buttons`, a `wait_for_reply` (with timeout) feeds a `switch` that may
// loop back to the buttons, an unanswered question gets a reminder, an `http_request`
// reports the answer and a `delay` leads to the next block. The first block starts with the
// trigger, the last ends with an `end`.
//
// The changes: the reminder is a `send_text`, not validate.rs's `send_template` (which the
// API flags as "could not be checked" in a workspace without a WhatsApp number: one warning
// badge per block on the canvas); and the buttons' timeout (10 minutes) and the pause
// between blocks (1 minute) are short, where validate.rs's (1 hour, 30 minutes) add up past
// WhatsApp's 24-hour window after 16 blocks and warn on every later message.
//
// No positions: like a flow imported from elsewhere, it is laid out by the editor (dagre,
// left to right) when it is first opened, and saved with those positions.

const BLOCK = 10;

/** Where block `k` begins: the trigger for the first, its `set` for the others. */
const entry = (k) => (k === 0 ? "start" : `b${k}_set`);

export function journey(nodes, id = `bench-${nodes}`) {
  if (nodes < BLOCK || nodes % BLOCK !== 0) throw new Error("whole 10-node blocks only");
  const blocks = nodes / BLOCK;
  const flowNodes = [];
  const edges = [];
  const edge = (from, port, to) => edges.push({ from, port, to });
  const node = (nodeId, type, config) => flowNodes.push({ id: nodeId, type, config });

  for (let k = 0; k < blocks; k++) {
    const at = (name) => `b${k}_${name}`;
    const last = k + 1 === blocks;
    if (k === 0) {
      node(entry(0), "inbound_message", {
        match: { type: "keyword", keywords: ["start", "menu", "hello"] },
      });
    } else {
      node(entry(k), "set", {
        assignments: [
          { variable: "score", value: { expr: `vars.score + ${k}` } },
          { variable: "step", value: { value: k } },
          {
            variable: "greeting",
            value: { expr: 'if contact.name == () { "there" } else { contact.name }' },
          },
        ],
      });
    }
    edge(entry(k), "next", at("cond"));

    node(at("cond"), "condition", {
      expression: `vars.score > ${k % 7} && contact.tags.contains("vip")`,
    });
    edge(at("cond"), "true", at("vip"));
    edge(at("cond"), "false", at("std"));

    node(at("vip"), "send_text", {
      text: `Hi {{ contact.name }}, as a VIP you get {{ vars.score * 2 }} points on step ${k}!`,
    });
    node(at("std"), "send_text", {
      text: `Hello {{ vars.greeting }}, you are on step ${k} of our journey.`,
      preview_url: true,
    });
    edge(at("vip"), "next", at("ask"));
    edge(at("std"), "next", at("ask"));

    node(at("ask"), "send_buttons", {
      text: "Shall we go on, {{ contact.name }}?",
      footer: "Reply STOP to opt out",
      buttons: [
        { id: "yes", title: "Yes please" },
        { id: "no", title: "Not now" },
      ],
      variable: "choice",
      timeout: "10m",
    });
    edge(at("ask"), "yes", at("wait"));
    edge(at("ask"), "no", at("http"));
    edge(at("ask"), "timeout", at("remind"));

    node(at("wait"), "wait_for_reply", {
      variable: `answer_${k}`,
      expect: "text",
      validation: "msg.text.len() > 1",
      retry_message: "Sorry {{ contact.name }}, could you write a few words?",
      retries: 2,
      timeout: "2h",
    });
    edge(at("wait"), "reply", at("route"));
    edge(at("wait"), "timeout", at("remind"));

    node(at("route"), "switch", {
      cases: [
        { port: "again", when: 'msg.text == "again" || msg.text == "repeat"' },
        { port: "skip", when: `vars.step >= ${k} && msg.text.contains("skip")` },
      ],
    });
    // A loop back to the question: it passes through send_buttons and wait_for_reply.
    edge(at("route"), "again", at("ask"));
    edge(at("route"), "skip", last ? at("end") : entry(k + 1));
    edge(at("route"), "default", at("http"));

    node(at("remind"), "send_text", {
      text: `Still there, {{ contact.name }}? Tap a button above when you are ready (step ${k}).`,
    });
    edge(at("remind"), "next", at("http"));

    node(at("http"), "http_request", {
      method: "POST",
      url: "https://crm.example.com/contacts/{{ contact.phone }}/events",
      headers: { "Content-Type": "application/json", "X-Step": `${k}` },
      body: `{"step": ${k}, "answer": "{{ vars.answer_${k} }}", "score": {{ vars.score }}}`,
      timeout: "5s",
      retries: 2,
      save: { crm_status: "response.status", crm_segment: "response.body.segment" },
    });

    if (last) {
      edge(at("http"), "ok", at("end"));
      edge(at("http"), "error", at("end"));
      node(at("end"), "end", {});
    } else {
      edge(at("http"), "ok", at("delay"));
      edge(at("http"), "error", at("delay"));
      node(at("delay"), "delay", { for: "1m" });
      edge(at("delay"), "next", entry(k + 1));
    }
  }

  return {
    schema: 1,
    id,
    name: `Benchmark journey (${nodes} steps)`,
    description: "Generated by web/bench/journey.mjs",
    nodes: flowNodes,
    edges,
    settings: { reentry: "restart", step_budget: 1000 },
  };
}
