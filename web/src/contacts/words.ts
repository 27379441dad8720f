// A contact's facts in words: the number as people type it, a run's status and what it waits
// for, a touch (the ad that brought the contact), times.

import type { ContactRun, Touch, WaitView } from "./types";

/**
 * The number as the API's paths take it (digits alone), or a sentence saying why not. People
 * type numbers with spaces, dashes, dots, brackets, `+` or `00`; a number dialled at home
 * (one leading 0) has no country code and is refused rather than guessed, as Spool does
 * everywhere.
 */
export function phoneDigits(typed: string): { digits: string } | { problem: string } {
  const compact = typed.trim().replace(/[\s\-.()]/g, "");
  if (compact === "") return { problem: "Type a WhatsApp number, e.g. +49 151 1234 5678." };
  const international = compact.startsWith("+")
    ? compact.slice(1)
    : compact.startsWith("00")
      ? compact.slice(2)
      : compact;
  if (!/^\d+$/.test(international)) {
    return { problem: "A phone number has digits only (after an optional +)." };
  }
  if (!compact.startsWith("+") && !compact.startsWith("00") && compact.startsWith("0")) {
    return {
      problem: "Write the number with its country code, e.g. +49 151 1234 5678 (not 0151…).",
    };
  }
  if (international.length < 8 || international.length > 15) {
    return { problem: "A WhatsApp number has 8 to 15 digits with its country code." };
  }
  return { digits: international };
}

const STATUS: Record<string, string> = {
  running: "Running",
  waiting_reply: "Waiting for a reply",
  waiting_timer: "Waiting for a delay to end",
  calling: "Waiting for an outside service",
  handoff: "With the team (handed over)",
  done: "Finished",
  failed: "Failed",
  cancelled: "Cancelled",
  started: "Started",
};

export function statusWords(status: string): string {
  return STATUS[status] ?? status.replaceAll("_", " ");
}

const WAITS: Record<string, string> = {
  reply: "a reply from the contact",
  timer: "a delay to end",
  handoff: "the team to hand the conversation back",
  call: "an outside service to answer (an HTTP request or an AI model)",
};

export function when(at: string | number | null | undefined): string {
  if (at === null || at === undefined || at === "") return "";
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "Waits for a reply from the contact until 2 Dec 2026, 17:00 (1 answer not valid so far)". */
export function waitWords(wait: WaitView): string {
  const what = WAITS[wait.kind] ?? wait.kind;
  const until = wait.deadline ? ` until ${when(wait.deadline)}` : ", with no time limit";
  const attempts =
    wait.attempts > 0
      ? ` (${wait.attempts} ${wait.attempts === 1 ? "answer" : "answers"} not valid so far)`
      : "";
  return `Waits for ${what}${until}${attempts}.`;
}

/** Where a run is, in words: "At wait_answer (Wait for reply)". */
export function whereWords(run: ContactRun, typeLabel: (type: string) => string): string {
  const type = run.node_type ? ` (${typeLabel(run.node_type)})` : "";
  return `${run.active ? "At" : "Ended at"} ${run.node_id}${type}`;
}

export function versionWords(run: ContactRun): string {
  return run.version ? `version ${run.version}` : "a version no longer kept";
}

/** The ad a contact came from, in one line: its headline and where it ran. */
export function touchWords(touch: Touch): string {
  const parts = [touch.headline ? `“${touch.headline}”` : "An ad"];
  if (touch.source_type)
    parts.push(`(${touch.source_type}${touch.source_id ? ` ${touch.source_id}` : ""})`);
  else if (touch.source_id) parts.push(`(ad ${touch.source_id})`);
  if (typeof touch.at === "number") parts.push(`on ${when(touch.at * 1000)}`);
  return parts.join(" ");
}

/** A property's value for reading: text as it is, anything else as JSON. */
export function valueWords(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A value typed into a property field: a number, true/false, null or JSON when it reads as one; text otherwise. */
export function typedValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(trimmed) || /^[[{"]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}
