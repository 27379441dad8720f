// A campaign's facts in words and numbers: its state, its recipients' states, how far it has
// got, what the pre-flight means against WhatsApp's daily limit, and the date and time typed
// in a time zone as the instant the API takes.

import type { Campaign, Preflight, Progress } from "./types";

const numbers = new Intl.NumberFormat("en-US");

/** 1000 → "1,000". */
export function count(n: number): string {
  return numbers.format(n);
}

/** "1 person", "3 people". */
export function people(n: number): string {
  return `${count(n)} ${n === 1 ? "person" : "people"}`;
}

export interface StateLook {
  label: string;
  /** The colour family of the badge. */
  tone: "grey" | "blue" | "green" | "amber" | "red";
  explanation: string;
}

const STATES: Record<string, StateLook> = {
  draft: {
    label: "Draft",
    tone: "grey",
    explanation: "Not sent yet: check its pre-flight, then send or schedule it.",
  },
  scheduled: {
    label: "Scheduled",
    tone: "blue",
    explanation: "Sends by itself at its time.",
  },
  sending: { label: "Sending", tone: "green", explanation: "Messages are going out now." },
  paused: {
    label: "Paused",
    tone: "amber",
    explanation: "Nobody more gets it until it is resumed.",
  },
  completed: {
    label: "Completed",
    tone: "green",
    explanation: "Everyone in the audience was handled.",
  },
  cancelled: {
    label: "Cancelled",
    tone: "red",
    explanation: "Stopped for good; messages already sent stay sent.",
  },
};

export function stateLook(state: string): StateLook {
  return STATES[state] ?? { label: state.replaceAll("_", " "), tone: "grey", explanation: "" };
}

const RECIPIENT_STATES: Record<string, string> = {
  queued: "Waiting",
  skipped: "Skipped",
  handed: "Starting",
  pending: "Sent to WhatsApp",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
  replied: "Replied",
  finished: "Journey ended without a message",
  failed: "Failed",
};

/** The recipient states in the order a message goes through them, for the filter. */
export const RECIPIENT_STATE_ORDER = Object.keys(RECIPIENT_STATES);

export function recipientStateWords(state: string): string {
  return RECIPIENT_STATES[state] ?? state.replaceAll("_", " ");
}

const SKIP_REASONS: Record<string, string> = {
  no_opt_in: "hasn't agreed to offers",
  suppressed: "asked not to be contacted, or was erased",
  cancelled: "the campaign was cancelled first",
};

const FAILURE_CODES: Record<string, string> = {
  "131049": "WhatsApp limits how many offers one person gets — tried again a day later",
  "131026": "the number is not on WhatsApp, or cannot receive this message",
  "131047": "more than 24 hours since the person last wrote",
  "131050": "the person stopped marketing messages from this business",
  "130472": "WhatsApp held it back as part of an experiment",
  "132001": "the template does not exist in this language",
  "132015": "WhatsApp paused the template",
  "132016": "WhatsApp disabled the template",
};

/** Why a recipient was skipped or failed, in words ("" when there is nothing to say). */
export function reasonWords(state: string, reason: string | null | undefined): string {
  if (!reason) return "";
  if (state === "skipped") return SKIP_REASONS[reason] ?? reason.replaceAll("_", " ");
  const code = /\b(\d{5,6})\b/.exec(reason)?.[1];
  const known = code ? FAILURE_CODES[code] : undefined;
  if (known) return `${known} (WhatsApp code ${code})`;
  return reason.replaceAll("_", " ");
}

/** A segment of the progress bar. */
export interface Band {
  key: "sent" | "delivered" | "read" | "replied" | "ended" | "failed" | "skipped" | "waiting";
  label: string;
  count: number;
  /** Of the total, 0–100. */
  percent: number;
}

const BANDS: { key: Band["key"]; label: string; states: string[] }[] = [
  { key: "replied", label: "Replied", states: ["replied"] },
  { key: "read", label: "Read", states: ["read"] },
  { key: "delivered", label: "Delivered", states: ["delivered"] },
  { key: "sent", label: "Sent", states: ["pending", "sent"] },
  { key: "ended", label: "Ended without a message", states: ["finished"] },
  { key: "failed", label: "Failed", states: ["failed"] },
  { key: "skipped", label: "Skipped", states: ["skipped"] },
  { key: "waiting", label: "Waiting", states: ["queued", "handed"] },
];

function of(counts: Record<string, number>, states: readonly string[]): number {
  return states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

/** The bar's bands, in order, each with its share of everyone (empty bands included). */
export function bands(progress: Progress): Band[] {
  const total = Math.max(progress.total, of(progress.counts, Object.keys(progress.counts)));
  return BANDS.map(({ key, label, states }) => {
    const n = of(progress.counts, states);
    return { key, label, count: n, percent: total > 0 ? (n * 100) / total : 0 };
  });
}

/** Messages that reached WhatsApp (sent, delivered, read or replied to). */
export function sentCount(progress: Progress): number {
  return of(progress.counts, ["pending", "sent", "delivered", "read", "replied"]);
}

/** "812 of 1,000 sent"; "Not started" before anyone was counted. */
export function progressWords(campaign: Pick<Campaign, "state" | "progress">): string {
  const { progress } = campaign;
  if (progress.total === 0) {
    if (campaign.state === "draft") return "Not sent yet";
    if (campaign.state === "scheduled") return "Waiting for its time";
    if (campaign.state === "cancelled") return "Nothing sent";
    if (campaign.state === "paused") return "Not started yet";
    if (campaign.state === "sending") return "Choosing who gets it…";
    return "Nobody to send to";
  }
  return `${count(sentCount(progress))} of ${count(progress.total)} sent`;
}

/** "42 a minute · done around 14:05"; null when nothing is moving. */
export function paceWords(
  progress: Progress,
  formatTime: (iso: string) => string = shortTime,
): string | null {
  if (progress.per_minute <= 0) return null;
  const rate = progress.per_minute >= 10 ? Math.round(progress.per_minute) : progress.per_minute;
  const pace = `${count(Number(rate.toFixed(1)))} a minute`;
  return progress.eta ? `${pace} · done around ${formatTime(progress.eta)}` : pace;
}

export function shortTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** The pause or cancel reason in words ("paused by user:ana@…" → "Paused by ana@…"). */
export function pauseWords(reason: string | null | undefined): string {
  if (!reason) return "";
  const byPerson = /^(paused|cancelled) by (?:user:|key:)?(.+)$/.exec(reason);
  if (byPerson) return `${byPerson[1] === "paused" ? "Paused" : "Cancelled"} by ${byPerson[2]}.`;
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** When the campaign sends, or sent, in words. */
export function whenWords(campaign: Campaign, format: (iso: string) => string = shortTime): string {
  if (campaign.finished_at) return `Ended ${format(campaign.finished_at)}`;
  if (campaign.started_at) return `Started ${format(campaign.started_at)}`;
  if (campaign.state === "cancelled") {
    return campaign.send_at ? `Was to send ${format(campaign.send_at)}` : "Never started";
  }
  if (campaign.send_at) {
    const local = campaign.local_time ? " in each person's own time" : "";
    return `${campaign.state === "draft" ? "To send" : "Sends"} ${format(campaign.send_at)}${local}`;
  }
  return campaign.state === "draft" ? "As soon as it is sent" : "Now";
}

/** The pre-flight's lines about who is skipped, e.g. "2 people haven't agreed to offers". */
export function skippedLines(preflight: Preflight): string[] {
  const lines: string[] = [];
  if (preflight.no_opt_in > 0) {
    lines.push(
      `${people(preflight.no_opt_in)} ${preflight.no_opt_in === 1 ? "hasn't" : "haven't"} agreed to receive offers (the journey sends a Marketing template).`,
    );
  }
  if (preflight.suppressed > 0) {
    lines.push(
      `${people(preflight.suppressed)} asked not to be contacted, or ${preflight.suppressed === 1 ? "was" : "were"} erased.`,
    );
  }
  return lines;
}

/**
 * The limit sentence: "WhatsApp lets this number start conversations with 250 new people a
 * day; 180 left today; this campaign needs 300 → 2 days."
 */
export function limitWords(preflight: Preflight): string | null {
  const limit = preflight.limit;
  if (!limit) return null;
  const needs = preflight.outside_window;
  const days = preflight.days_needed;
  const outcome = preflight.fits ? "it fits today" : `${days} ${days === 1 ? "day" : "days"}`;
  return (
    `WhatsApp lets this number start conversations with ${count(limit.limit)} new ${limit.limit === 1 ? "person" : "people"} a day; ` +
    `${count(limit.remaining)} left today; this campaign needs ${count(needs)} → ${outcome}.`
  );
}

/** How far a limit is used: `reached` and `waiting` against `limit`, as shares 0–100. */
export function limitShares(preflight: Preflight): { used: number; needed: number } | null {
  const limit = preflight.limit;
  if (!limit || limit.limit <= 0) return null;
  const used = Math.min(100, ((limit.limit - limit.remaining) * 100) / limit.limit);
  const needed = Math.min(100 - used, (preflight.outside_window * 100) / limit.limit);
  return { used, needed };
}

/**
 * The instant (RFC 3339, UTC) at which clocks in `zone` show `wall` ("2026-12-05T09:00",
 * as a datetime-local input gives it); null when it is not a date and time.
 */
export function zonedInstant(wall: string, zone: string): string | null {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!parts) return null;
  const [y, mo, d, h, mi] = parts.slice(1).map(Number) as [number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  if (Number.isNaN(asUtc)) return null;
  // The zone's offset at the guess, then again at the corrected instant (for DST changes).
  let instant = asUtc - offsetMs(asUtc, zone);
  instant = asUtc - offsetMs(instant, zone);
  return new Date(instant).toISOString();
}

/** How far `zone`'s clocks are ahead of UTC at `at` (ms). */
export function offsetMs(at: number, zone: string): number {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const get = (type: string) =>
    Number(formatter.formatToParts(new Date(at)).find((p) => p.type === type)?.value ?? 0);
  const shown = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return shown - Math.floor(at / 1000) * 1000;
}

/** The time zones the browser knows, with `first` (and UTC) among them. */
export function timeZones(first: string): string[] {
  const known = Intl.supportedValuesOf("timeZone");
  const all = new Set([first, "UTC", ...known]);
  return [...all].toSorted((a, b) => a.localeCompare(b));
}

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * The numbers pasted in a box, one per line or separated by commas or semicolons, with
 * spaces, dashes and brackets taken out; blank entries dropped, duplicates once.
 */
export function pastedNumbers(text: string): string[] {
  const seen = new Set<string>();
  for (const raw of text.split(/[\n,;]+/)) {
    const number = raw.trim().replace(/[\s\-.()]/g, "");
    if (number !== "") seen.add(number);
  }
  return [...seen];
}

/** A "HH:MM" time of day, or null. */
export function isTimeOfDay(text: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(text);
}
