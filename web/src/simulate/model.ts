// What a simulation reports, read for the test chat: its transcript as chat items (what
// the contact sent, what the flow would send, refusals and notes), the contact's 24-hour
// window in words, and the trace as marks on the canvas. Pure functions, so the chat's
// rendering and the canvas overlay are tested without a server.

import type { components } from "../api/schema";
import { portKey, type CanvasOverlay, type EdgeMark, type NodeMark } from "../canvas/overlay";

export type Entry = components["schemas"]["Entry"];
export type TraceEntry = components["schemas"]["TraceEntry"];
export type SimState = components["schemas"]["State"];
export type RunView = components["schemas"]["SimulatedRun"];
export type StepView = components["schemas"]["StepView"];
export type SimulationView = components["schemas"]["SimulationView"];

export interface Choice {
  id: string;
  title: string;
  description?: string;
}

/** What the flow would send, as the runtime describes it (`message` of a `flow` entry). */
export type FlowMessage =
  | { type: "text"; text: string; preview_url?: boolean }
  | { type: "media"; kind: string; url: string; caption?: string; filename?: string }
  | { type: "buttons"; text: string; header?: string; footer?: string; buttons: Choice[] }
  | {
      type: "list";
      text: string;
      header?: string;
      footer?: string;
      button: string;
      sections: { title: string; rows: Choice[] }[];
    }
  | {
      type: "template";
      name: string;
      language: string;
      category: string;
      header?: string[];
      body?: string[];
      buttons?: { index: number; sub_type: string; parameter: string }[];
    };

/** What the contact sent (`message` of a `contact` entry). */
export type ContactMessage =
  | { type: "text"; body: string }
  | { type: "button_reply"; id: string; title: string }
  | { type: "list_reply"; id: string; title: string; description?: string }
  | { type: "template_button"; payload: string; text: string }
  | { type: "media"; kind: string; caption?: string }
  | { type: "location"; latitude: number; longitude: number; name?: string; address?: string };

/** A send the engine refused because of WhatsApp's rules or the journey's. */
export interface Refusal {
  code: string;
  nodeId?: string;
  /** Why, for a marketer. */
  words: string;
}

export type ChatItem =
  | { kind: "flow"; entry: Entry; message: FlowMessage }
  | { kind: "contact"; entry: Entry; message: ContactMessage | undefined }
  | { kind: "refusal"; entry: Entry; refusal: Refusal }
  | { kind: "stub"; entry: Entry; stub: StubNote }
  | { kind: "note"; entry: Entry };

/** A call the builder's test answer stood in for: what was not called, and the answer. */
export interface StubNote {
  /** `POST https://crm.example.com/api/leads`, `the AI model …`. */
  call: string;
  /** `answers 201`, `fails: the API is down`, `the AI answers “…”`. */
  outcome: string;
}

const FLOW_TYPES = new Set(["text", "media", "buttons", "list", "template"]);

/** One transcript entry as the chat shows it. */
export function chatItemOf(entry: Entry): ChatItem {
  const message = entry.message as { type?: unknown } | null | undefined;
  if (entry.direction === "flow" && message && FLOW_TYPES.has(String(message.type))) {
    return { kind: "flow", entry, message: message as FlowMessage };
  }
  if (entry.direction === "flow") {
    // A kind of message this editor does not know yet: its words, as a text.
    return { kind: "flow", entry, message: { type: "text", text: entry.text } };
  }
  if (entry.direction === "contact") {
    return {
      kind: "contact",
      entry,
      message: (message ?? undefined) as ContactMessage | undefined,
    };
  }
  const refusal = refusalOf(entry);
  if (refusal) return { kind: "refusal", entry, refusal };
  const stub = stubNoteOf(entry);
  return stub ? { kind: "stub", entry, stub } : { kind: "note", entry };
}

/** `POST https://crm.example.com/api/leads: stub answer, answers 201.` */
export function stubNoteOf(entry: Entry): StubNote | undefined {
  if (entry.direction !== "system") return undefined;
  const stub = /^(.+?): stub answer, ([\s\S]+?)\.?$/.exec(entry.text);
  return stub ? { call: stub[1] ?? "", outcome: stub[2] ?? "" } : undefined;
}

/** Why a policy stopped a send, in the words of someone who runs WhatsApp campaigns. */
const POLICY_WORDS: Record<string, string> = {
  window_closed:
    "Not sent: it has been more than 24 hours since the contact last wrote, so WhatsApp only lets you send an approved template.",
  no_opt_in:
    "Not sent: this is a Marketing template and the contact has not agreed to Marketing messages (no opt-in).",
  marketing_cap_reached:
    "Not sent: the contact already got as many Marketing messages as the journey allows in this period.",
};

/** `send_offer failed (window_closed): more than 24 hours….` and quiet-hour holds. */
export function refusalOf(entry: Entry): Refusal | undefined {
  if (entry.direction !== "system") return undefined;
  const nodeId = entry.node_id ?? undefined;
  const failed = /^(\S+) failed \(([a-z_]+)\)(?::\s*([\s\S]*?))?\.?$/.exec(entry.text);
  if (failed) {
    const code = failed[2] ?? "";
    const words = POLICY_WORDS[code];
    if (words) return { code, nodeId, words };
    return undefined;
  }
  const quiet = /^Quiet hours: (\S+) waits until (.+?)\.?$/.exec(entry.text);
  if (quiet) {
    return {
      code: "quiet_hours",
      nodeId,
      words: `Held back for quiet hours: it goes out at ${clockTime(quiet[2] ?? "")}, when they end.`,
    };
  }
  return undefined;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-12-01T17:59:58Z` → `1 Dec, 17:59` (UTC, the simulation's clock). */
export function clockTime(at: string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return at;
  const months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
  return `${date.getUTCDate()} ${months[date.getUTCMonth()]}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
}

/** A system note's RFC 3339 times (`2026-03-03T11:00:00Z`) as people read them. */
export function readableTimes(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z/g, (at) => clockTime(at));
}

export type WindowState =
  { state: "open"; hoursLeft: number; words: string } | { state: "closed"; words: string };

/** The contact's 24-hour customer-service window at the simulation's `now`. */
export function windowOf(state: SimState): WindowState {
  const until = state.contact.window_open_until;
  const left = until ? Date.parse(until) - Date.parse(state.now) : -1;
  if (!until || !(left > 0)) {
    return {
      state: "closed",
      words: "24 h window closed: only approved templates can be sent",
    };
  }
  const hours = left / 3_600_000;
  const inWords =
    hours >= 1 ? `${Math.floor(hours)} h` : `${Math.max(1, Math.ceil(left / 60_000))} min`;
  return { state: "open", hoursLeft: hours, words: `24 h window open: closes in ${inWords}` };
}

const ACTIVE = new Set(["running", "waiting_reply", "waiting_timer", "handoff"]);

export function activeRuns(state: SimState): RunView[] {
  return state.runs.filter((run) => ACTIVE.has(run.status));
}

/**
 * The trace as canvas marks: every step entered is `visited`, every port left by is a way
 * `taken`; the steps live runs wait at are `current` — or, once every run ended, the last
 * step reached, so the builder sees where the contact's journey stopped.
 */
export function overlayOf(
  trace: readonly TraceEntry[],
  state: SimState | undefined,
): CanvasOverlay {
  const nodes = new Map<string, NodeMark>();
  const edges = new Map<string, EdgeMark>();
  for (const step of trace) {
    nodes.set(step.node_id, "visited");
    if (step.what.startsWith("left:")) {
      edges.set(portKey(step.node_id, step.what.slice("left:".length)), { taken: true });
    }
  }
  const live = state ? activeRuns(state) : [];
  if (live.length > 0) {
    for (const run of live) nodes.set(run.node_id, "current");
  } else if (trace.length > 0) {
    nodes.set(trace[trace.length - 1]!.node_id, "current");
  }
  return { nodes, edges };
}

/** One trace step in words: "Entered", "Left by discount", "Waits until 2 Dec, 17:59". */
export function stepInWords(step: TraceEntry): string {
  const { what, detail } = step;
  if (what === "entered") return "Entered";
  if (what === "resumed") return "Went on";
  if (what.startsWith("left:")) return `Left by “${what.slice(5)}”`;
  if (what === "waiting") {
    const until = detail?.startsWith("until ") ? detail.slice(6) : undefined;
    return until ? `Waits until ${clockTime(until)}` : "Waits";
  }
  if (what === "quiet_hours") return "Held for quiet hours";
  if (what === "calling") return `Calls ${detail ?? "another system"}`;
  if (what.startsWith("failed:")) {
    const code = what.slice(7);
    return `Failed (${code.replace(/_/g, " ")})${detail ? `: ${detail}` : ""}`;
  }
  return detail ? `${what}: ${detail}` : what;
}

/** A variable's new value as a short string; `null` means the step removed it. */
export function valueInWords(value: unknown): string {
  if (value === null) return "(removed)";
  if (typeof value === "string") return `“${value}”`;
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

/** The simulation's state and everything it reported, kept in `seq` order. */
export interface Transcript {
  entries: Entry[];
  trace: TraceEntry[];
  state: SimState;
}

export function transcriptOf(view: SimulationView): Transcript {
  const { transcript, trace, now, contact, runs, timers } = view;
  return { entries: transcript, trace, state: { now, contact, runs, timers } };
}

/** `transcript` with one action's step added (entries it already has are not repeated). */
export function withStep(transcript: Transcript, step: StepView): Transcript {
  const lastEntry = transcript.entries.at(-1)?.seq ?? -1;
  const lastTrace = transcript.trace.at(-1)?.seq ?? -1;
  return {
    entries: [...transcript.entries, ...step.entries.filter((e) => e.seq > lastEntry)],
    trace: [...transcript.trace, ...step.trace.filter((t) => t.seq > lastTrace)],
    state: step.state,
  };
}
