// The test contact and how the journey starts, as the setup form holds them, turned into a
// request to start a simulation. Pure, so the form's rules (a payload that is not JSON, a
// property line without "=") are tested without a browser.

import type { FlowDoc } from "../document/types";
import type { NewSimulation } from "./api";

export type StartMode = "message" | "ad" | "webhook";

export interface Setup {
  /** `"draft"` or a published version's number. */
  source: "draft" | number;
  mode: StartMode;
  name: string;
  country: string;
  number: string;
  optIn: boolean;
  /** The contact wrote in the last 24 hours before the test starts. */
  windowOpen: boolean;
  tags: string;
  /** One `key = value` a line. */
  properties: string;
  timezone: string;
  /** `datetime-local` value (UTC), or empty for now. */
  startAt: string;
  adHeadline: string;
  adSourceId: string;
  payload: string;
}

export const COUNTRIES: readonly { code: string; name: string }[] = [
  { code: "+1", name: "+1 US / Canada" },
  { code: "+44", name: "+44 UK" },
  { code: "+34", name: "+34 Spain" },
  { code: "+351", name: "+351 Portugal" },
  { code: "+33", name: "+33 France" },
  { code: "+49", name: "+49 Germany" },
  { code: "+39", name: "+39 Italy" },
  { code: "+52", name: "+52 Mexico" },
  { code: "+54", name: "+54 Argentina" },
  { code: "+55", name: "+55 Brazil" },
  { code: "+57", name: "+57 Colombia" },
  { code: "+91", name: "+91 India" },
  { code: "+62", name: "+62 Indonesia" },
  { code: "+234", name: "+234 Nigeria" },
];

export const TIMEZONES: readonly string[] = [
  "Europe/Lisbon",
  "Europe/London",
  "Europe/Madrid",
  "Europe/Berlin",
  "America/New_York",
  "America/Chicago",
  "America/Los_Angeles",
  "America/Mexico_City",
  "America/Sao_Paulo",
  "America/Bogota",
  "Asia/Kolkata",
  "Asia/Jakarta",
  "Africa/Lagos",
  "UTC",
];

/** The flow's triggers decide how a test starts by default. */
export function defaultMode(doc: FlowDoc | undefined): StartMode {
  const types = new Set(doc?.nodes.map((n) => n.type));
  if (types.has("webhook")) return "webhook";
  if (types.has("ctwa_referral")) return "ad";
  return "message";
}

export function initialSetup(doc: FlowDoc | undefined): Setup {
  return {
    source: "draft",
    mode: defaultMode(doc),
    name: "Ana",
    country: "+1",
    number: "5550100001",
    optIn: false,
    windowOpen: false,
    tags: "",
    properties: "",
    timezone: "",
    startAt: "",
    adHeadline: "Spring sale",
    adSourceId: "120210",
    payload: "{\n  \n}",
  };
}

export type Built =
  | { ok: true; request: NewSimulation; referral?: { source_id: string; headline: string } }
  | { ok: false; field: keyof Setup; message: string };

/** The request that starts the test, or what is wrong with the form (one problem, where). */
export function buildRequest(flow: string, setup: Setup): Built {
  const digits = setup.number.replace(/[\s\-().]/g, "");
  if (!/^\d{4,15}$/.test(digits)) {
    return { ok: false, field: "number", message: "Type the phone number with digits only." };
  }
  const properties: Record<string, unknown> = {};
  const lines = setup.properties.split("\n").map((line) => line.trim());
  for (const [i, line] of lines.entries()) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      return {
        ok: false,
        field: "properties",
        message: `Line ${i + 1} needs the form name = value (e.g. city = Lisbon).`,
      };
    }
    properties[line.slice(0, eq).trim()] = valueOf(line.slice(eq + 1).trim());
  }
  let payload: Record<string, unknown> | undefined;
  if (setup.mode === "webhook") {
    const parsed = parseJson(setup.payload);
    if (!parsed.ok) return { ok: false, field: "payload", message: parsed.message };
    payload = parsed.value;
  }
  let start_at: string | undefined;
  if (setup.startAt !== "") {
    const at = new Date(`${setup.startAt}:00Z`);
    if (Number.isNaN(at.getTime())) {
      return { ok: false, field: "startAt", message: "Choose a date and time, or leave it empty." };
    }
    start_at = at.toISOString().replace(".000Z", "Z");
  }
  const tags = setup.tags
    .split(",")
    .map((tag) => tag.trim())
    .filter((tag) => tag !== "");
  const request: NewSimulation = {
    flow,
    source: setup.source === "draft" ? "draft" : { version: setup.source },
    contact: {
      phone: `${setup.country}${digits}`,
      name: setup.name.trim() === "" ? null : setup.name.trim(),
      marketing_opt_in: setup.optIn,
      window_open: setup.windowOpen,
      tags,
      properties,
      timezone: setup.timezone === "" ? null : setup.timezone,
    },
    ...(payload ? { payload } : {}),
    ...(start_at ? { start_at } : {}),
  };
  if (setup.mode === "ad") {
    return {
      ok: true,
      request,
      referral: { source_id: setup.adSourceId.trim(), headline: setup.adHeadline.trim() },
    };
  }
  return { ok: true, request };
}

/** A JSON object, or why the text is not one (with the line where the parser stopped). */
export function parseJson(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(raw);
    // The parser's words, without its character count (the line says where).
    const reason = raw.replace(/\s*(at position \d+)?\s*(\(line \d+ column \d+\))?$/, "");
    const line = position ? text.slice(0, Number(position[1])).split("\n").length : undefined;
    return {
      ok: false,
      message: `The payload is not valid JSON${line ? ` (line ${line})` : ""}: ${reason}`,
    };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: "The payload must be a JSON object: { … }." };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** `42` → 42, `true` → true, anything else stays the text typed. */
function valueOf(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
  return text;
}

/** Steps that reach out to other systems: in a test they call the real thing. */
export function realCalls(doc: FlowDoc | undefined): { id: string; type: string }[] {
  return (doc?.nodes ?? [])
    .filter((n) => n.type === "http_request" || n.type === "ai_agent")
    .map((n) => ({ id: n.id, type: n.type }));
}
