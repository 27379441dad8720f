import { describe, expect, it } from "vitest";
import { portKey } from "../canvas/overlay";
import {
  chatItemOf,
  overlayOf,
  readableTimes,
  stepInWords,
  stubNoteOf,
  windowOf,
  withStep,
  type Entry,
  type SimState,
  type TraceEntry,
} from "./model";
import { buildRequest, initialSetup, parseJson } from "./setup";

const at = "2026-03-02T11:00:00Z";

function step(seq: number, node_id: string, what: string, extra: Partial<TraceEntry> = {}) {
  return { seq, at, run_id: "r1", node_id, what, ...extra } satisfies TraceEntry;
}

function state(runs: SimState["runs"], window_open_until?: string): SimState {
  return {
    now: at,
    contact: { phone: "+1", tags: [], properties: {}, marketing_opt_in: true, window_open_until },
    runs,
    timers: [],
  };
}

function system(text: string, node_id?: string): Entry {
  return { seq: 1, at, direction: "system", text, node_id };
}

const cartTrace: TraceEntry[] = [
  step(3, "cart_abandoned", "entered"),
  step(4, "cart_abandoned", "left:next"),
  step(5, "wait_1h", "entered"),
  step(6, "wait_1h", "left:next"),
  step(7, "cart_reminder", "entered"),
  step(8, "cart_reminder", "left:next"),
  step(9, "wait_answer", "entered"),
  step(10, "wait_answer", "waiting", { detail: "until 2026-03-03T11:00:00Z" }),
];

describe("the trace on the canvas", () => {
  it("lights the step a live run waits at and tints every way it left by", () => {
    const overlay = overlayOf(
      cartTrace,
      state([{ id: "r1", status: "waiting_reply", node_id: "wait_answer", vars: {}, steps: 4 }]),
    );
    expect(overlay.nodes.get("wait_answer")).toBe("current");
    expect(overlay.nodes.get("cart_abandoned")).toBe("visited");
    expect(overlay.nodes.get("cart_reminder")).toBe("visited");
    expect(overlay.nodes.has("last_chance")).toBe(false);
    expect([...overlay.edges.keys()].toSorted()).toEqual(
      [
        portKey("cart_abandoned", "next"),
        portKey("wait_1h", "next"),
        portKey("cart_reminder", "next"),
      ].toSorted(),
    );
    expect(overlay.edges.get(portKey("wait_1h", "next"))).toEqual({ taken: true });
  });

  it("once every run ended, lights the last step reached", () => {
    const trace = [...cartTrace, step(11, "wait_answer", "left:reply"), step(12, "end", "entered")];
    const overlay = overlayOf(
      trace,
      state([{ id: "r1", status: "done", node_id: "end", vars: {}, steps: 6 }]),
    );
    expect(overlay.nodes.get("end")).toBe("current");
    expect(overlay.nodes.get("wait_answer")).toBe("visited");
    expect(overlay.edges.get(portKey("wait_answer", "reply"))?.taken).toBe(true);
  });

  it("draws nothing before the journey starts", () => {
    const overlay = overlayOf([], state([]));
    expect(overlay.nodes.size).toBe(0);
    expect(overlay.edges.size).toBe(0);
  });

  it("says each step in words", () => {
    expect(stepInWords(step(1, "a", "left:discount"))).toBe("Left by “discount”");
    expect(stepInWords(cartTrace[7]!)).toBe("Waits until 3 Mar, 11:00");
    expect(stepInWords(step(1, "a", "failed:window_closed", { detail: "too late" }))).toBe(
      "Failed (window closed): too late",
    );
  });
});

describe("the contact's 24-hour window", () => {
  it("is open with the hours left, or closed", () => {
    expect(windowOf(state([], "2026-03-03T10:30:00Z")).words).toBe(
      "24 h window open: closes in 23 h",
    );
    expect(windowOf(state([], "2026-03-02T11:20:00Z")).words).toBe(
      "24 h window open: closes in 20 min",
    );
    expect(windowOf(state([], "2026-03-02T10:00:00Z")).state).toBe("closed");
    expect(windowOf(state([])).words).toMatch(/closed: only approved templates/);
  });
});

describe("transcript entries", () => {
  it("turns a refused send into a reason in words", () => {
    const item = chatItemOf(
      system(
        "send_offer failed (window_closed): more than 24 hours since the contact last wrote: only templates can be sent.",
        "send_offer",
      ),
    );
    expect(item.kind).toBe("refusal");
    if (item.kind !== "refusal") return;
    expect(item.refusal.code).toBe("window_closed");
    expect(item.refusal.nodeId).toBe("send_offer");
    expect(item.refusal.words).toMatch(/more than 24 hours/);
    const optIn = chatItemOf(system("promo failed (no_opt_in): no consent.", "promo"));
    expect(optIn.kind === "refusal" && optIn.refusal.words).toMatch(/not agreed to Marketing/);
    const quiet = chatItemOf(system("Quiet hours: promo waits until 2026-03-03T08:00:00Z."));
    expect(quiet.kind === "refusal" && quiet.refusal.words).toMatch(/quiet hours.*3 Mar, 08:00/);
  });

  it("keeps other failures and events as notes", () => {
    expect(chatItemOf(system("call_crm failed (http_error): 500.")).kind).toBe("note");
    expect(chatItemOf(system("Run r1 ended.")).kind).toBe("note");
    expect(readableTimes("waits until 2026-03-03T11:00:00Z (1d from now).")).toBe(
      "waits until 3 Mar, 11:00 (1d from now).",
    );
  });

  it("appends an action's step once, in order", () => {
    const first = { entries: [system("a")], trace: [step(2, "x", "entered")], state: state([]) };
    const next = withStep(first, {
      entries: [{ ...system("b"), seq: 3 }],
      trace: [step(2, "x", "entered"), step(4, "x", "left:next")],
      state: state([], "2026-03-03T11:00:00Z"),
    });
    expect(next.entries.map((e) => e.text)).toEqual(["a", "b"]);
    expect(next.trace.map((t) => t.seq)).toEqual([2, 4]);
    expect(next.state.contact.window_open_until).toBe("2026-03-03T11:00:00Z");
  });
});

describe("test answers in the transcript", () => {
  it("reads what a test answer stood in for, and leaves other notes alone", () => {
    const http = system("POST https://crm.example.com/api/leads: stub answer, answers 201.");
    expect(stubNoteOf(http)).toEqual({
      call: "POST https://crm.example.com/api/leads",
      outcome: "answers 201",
    });
    expect(chatItemOf(http).kind).toBe("stub");
    const ai = system("the AI model gpt-4o: stub answer, the AI answers “Tomorrow. Promise.”.");
    expect(stubNoteOf(ai)?.outcome).toBe("the AI answers “Tomorrow. Promise.”");
    const failed = system("POST https://crm.example.com/api/leads: stub answer, fails: down.");
    expect(stubNoteOf(failed)?.outcome).toBe("fails: down");
    expect(chatItemOf(system("create_crm_lead calls POST https://crm.example.com.")).kind).toBe(
      "note",
    );
  });
});

describe("the test setup", () => {
  it("refuses a payload that is not JSON, saying where", () => {
    const bad = parseJson('{\n  "cart": {"id": "c1",\n}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toMatch(/^The payload is not valid JSON \(line 3\)/);
    const list = parseJson("[1]");
    expect(!list.ok && list.message).toMatch(/must be a JSON object/);
  });

  it("builds the contact, the payload and the clock of a webhook start", () => {
    const built = buildRequest("abandoned-cart", {
      ...initialSetup(undefined),
      mode: "webhook",
      name: "Ana",
      country: "+55",
      number: "11 98765-0101",
      optIn: true,
      tags: "vip, cart ",
      properties: "city = Lisbon\nvisits = 3",
      timezone: "America/Sao_Paulo",
      startAt: "2026-03-02T10:00",
      payload: '{"cart": {"id": "c1"}}',
    });
    expect(built).toEqual({
      ok: true,
      request: {
        flow: "abandoned-cart",
        source: "draft",
        contact: {
          phone: "+5511987650101",
          name: "Ana",
          marketing_opt_in: true,
          window_open: false,
          tags: ["vip", "cart"],
          properties: { city: "Lisbon", visits: 3 },
          timezone: "America/Sao_Paulo",
        },
        payload: { cart: { id: "c1" } },
        start_at: "2026-03-02T10:00:00Z",
      },
    });
  });

  it("keeps an ad's referral for the first message and names a bad property line", () => {
    const ad = buildRequest("lead", { ...initialSetup(undefined), mode: "ad", source: 3 });
    expect(ad.ok && ad.referral).toEqual({ source_id: "120210", headline: "Spring sale" });
    expect(ad.ok && ad.request.source).toEqual({ version: 3 });
    const bad = buildRequest("lead", { ...initialSetup(undefined), properties: "city Lisbon" });
    expect(bad).toMatchObject({ ok: false, field: "properties" });
  });
});
