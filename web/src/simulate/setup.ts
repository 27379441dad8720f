// The test contact, how the journey starts and how calling steps answer, as the setup form
// holds them, turned into a request to start a simulation. Pure, so the form's rules (a
// payload that is not JSON, a property line without "=") are tested without a browser.

import type { FlowDoc } from "../document/types";
import {
  initialAnswers,
  stubsOf,
  type AnswerField,
  type AnswerPart,
  type StepAnswer,
} from "./answers";
import type { NewSimulation, StartFrom } from "./api";
import { parseJson, parseLines } from "./fields";

export { parseJson } from "./fields";

/** The contact writes, taps an ad, the business's system calls, or the test skips to a step. */
export type StartMode = "message" | "ad" | "webhook" | "step";

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
  /** "From a step": the step's id. */
  startNode: string;
  /** "From a step": the run's variables, `name = value` lines or a JSON object. */
  vars: string;
  /** How each HTTP or AI step answers, by step id. */
  answers: Record<string, StepAnswer>;
}

/** A field of the form, where a problem is shown. */
export type Field = keyof Setup | AnswerField;
export interface Problem {
  field: Field;
  message: string;
}

/** What a field holds, to tell whether the builder changed it since a problem was shown. */
export function fieldValue(setup: Setup, field: Field): unknown {
  const answer = /^answers\.(.+)\.(status|body|reply|error)$/.exec(field);
  if (answer) {
    const [, id = "", part = "status"] = answer;
    return setup.answers[id]?.[part as AnswerPart];
  }
  return setup[field as keyof Setup];
}

/** Trigger types (category "trigger" in the node catalog): a test cannot start after none. */
const TRIGGERS = new Set(["inbound_message", "ctwa_referral", "webhook", "event", "broadcast"]);

export function isTrigger(type: string): boolean {
  return TRIGGERS.has(type);
}

/** The steps a test can start at: every step but the triggers, in the flow's order. */
export function startSteps(doc: FlowDoc | undefined): { id: string; type: string }[] {
  return (doc?.nodes ?? [])
    .filter((node) => !isTrigger(node.type))
    .map((node) => ({ id: node.id, type: node.type }));
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

/**
 * A new test's form. With `from` (a step the builder chose to test from), the test starts
 * there; else as the flow's triggers say, with the first step preselected should the
 * builder switch to "From a step".
 */
export function initialSetup(doc: FlowDoc | undefined, from?: string): Setup {
  const steps = startSteps(doc);
  const chosen = steps.some((step) => step.id === from) ? from : undefined;
  return {
    source: "draft",
    mode: chosen ? "step" : defaultMode(doc),
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
    startNode: chosen ?? steps[0]?.id ?? "",
    vars: "",
    answers: initialAnswers(doc),
  };
}

export type Built =
  | { ok: true; request: NewSimulation; referral?: { source_id: string; headline: string } }
  | ({ ok: false } & Problem);

/** The request that starts the test, or what is wrong with the form (one problem, where). */
export function buildRequest(flow: string, setup: Setup): Built {
  const digits = setup.number.replace(/[\s\-().]/g, "");
  if (!/^\d{4,15}$/.test(digits)) {
    return { ok: false, field: "number", message: "Type the phone number with digits only." };
  }
  const properties = parseLines(setup.properties, "city = Lisbon");
  if (!properties.ok) return { ok: false, field: "properties", message: properties.message };
  let payload: Record<string, unknown> | undefined;
  if (setup.mode === "webhook") {
    const parsed = parseJson(setup.payload);
    if (!parsed.ok) return { ok: false, field: "payload", message: parsed.message };
    payload = parsed.value;
  }
  let start: StartFrom | undefined;
  if (setup.mode === "step") {
    if (setup.startNode === "") {
      return { ok: false, field: "startNode", message: "Choose the step the test starts at." };
    }
    // A JSON object when it looks like one, else name = value lines.
    const vars = setup.vars.trim().startsWith("{")
      ? parseJson(setup.vars, { what: "The variables", plural: true })
      : parseLines(setup.vars, "score = 80");
    if (!vars.ok) return { ok: false, field: "vars", message: vars.message };
    start = { node: setup.startNode, vars: vars.value };
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
  const stubs = stubsOf(setup.answers);
  if (!stubs.ok) return stubs;
  const request: NewSimulation = {
    flow,
    source: setup.source === "draft" ? "draft" : { version: setup.source },
    contact: {
      phone: `${setup.country}${digits}`,
      name: setup.name.trim() === "" ? null : setup.name.trim(),
      marketing_opt_in: setup.optIn,
      window_open: setup.windowOpen,
      tags,
      properties: properties.value,
      timezone: setup.timezone === "" ? null : setup.timezone,
    },
    ...(payload ? { payload } : {}),
    ...(start_at ? { start_at } : {}),
    ...(start ? { start } : {}),
    ...(Object.keys(stubs.stubs).length > 0 ? { stubs: stubs.stubs } : {}),
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
