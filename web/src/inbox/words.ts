// A ticket's facts in the words an operator reads at a glance: how long the contact has been
// waiting, what the journey does if no one steps in, whether a free-form reply can still
// reach them, and who has the conversation. Pure functions of the ticket and "now", so the
// page and the tests read the same sentences.

import { ApiFailure, messageOf } from "../api/errors";
import type { Ticket } from "./types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "less than a minute", "12 min", "2 h 5 min", "3 days 4 h". */
export function durationWords(ms: number): string {
  if (ms < MINUTE) return "less than a minute";
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const hours = Math.floor(ms / HOUR);
    const minutes = Math.floor((ms % HOUR) / MINUTE);
    return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
  }
  const days = Math.floor(ms / DAY);
  const hours = Math.floor((ms % DAY) / HOUR);
  const dayWords = `${days} ${days === 1 ? "day" : "days"}`;
  return hours === 0 ? dayWords : `${dayWords} ${hours} h`;
}

/** How long the contact has waited since the journey handed them over: "12 min". */
export function waitingWords(raisedAt: string, now: Date): string {
  return durationWords(Math.max(0, now.getTime() - Date.parse(raisedAt)));
}

/** A time of day as the reader's browser writes it ("18:40" or "6:40 PM"). */
export function clock(at: Date): string {
  return at.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
}

function sameDay(a: Date, b: Date): boolean {
  return a.toDateString() === b.toDateString();
}

function day(at: Date): string {
  return at.toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

/** "at 18:40" today, "on 2 Dec at 18:40" any other day. */
export function atWords(at: Date, now: Date): string {
  return sameDay(at, now) ? `at ${clock(at)}` : `on ${day(at)} at ${clock(at)}`;
}

/** "since 18:40" today, "since 2 Dec, 18:40" any other day. */
export function sinceWords(at: Date, now: Date): string {
  return sameDay(at, now) ? `since ${clock(at)}` : `since ${day(at)}, ${clock(at)}`;
}

/** What happens if no one resolves it: "leaves through timeout at 18:40". */
export function timeoutWords(timesOutAt: string | null | undefined, now: Date): string {
  if (!timesOutAt) return "waits with no time limit";
  const at = new Date(timesOutAt);
  if (at.getTime() <= now.getTime()) return "leaving through timeout now";
  return `leaves through timeout ${atWords(at, now)}`;
}

/**
 * Whether a free-form message can still reach the contact: "window open, closes in 3 h" or
 * "window closed: templates only" (WhatsApp's 24-hour customer-service window).
 */
export function windowWords(closesAt: string | null | undefined, now: Date): string {
  const left = closesAt ? Date.parse(closesAt) - now.getTime() : 0;
  if (!(left > 0)) return "window closed: templates only";
  if (left < HOUR) return `window open, closes in ${Math.max(1, Math.floor(left / MINUTE))} min`;
  return `window open, closes in ${Math.floor(left / HOUR)} h`;
}

export function windowIsOpen(closesAt: string | null | undefined, now: Date): boolean {
  return closesAt ? Date.parse(closesAt) > now.getTime() : false;
}

/** Who has the conversation: "Unassigned", "You have it", "ana@shop.example has it". */
export function ownerWords(ticket: Pick<Ticket, "assignee">, me: string | undefined): string {
  if (!ticket.assignee) return "Unassigned";
  if (ticket.assignee === me) return "You have it";
  return `${ticket.assignee} has it`;
}

/**
 * How a closed ticket ended: "Resolved by you: the journey went on…", "Ended by ana@…: the
 * contact left the journey here", "Sent to another journey by…", or "The journey went on by itself…" (timed out, cancelled
 * or erased).
 */
export function closedWords(
  ticket: Pick<Ticket, "closed_by" | "outcome">,
  me: string | undefined,
): string {
  if (ticket.outcome === "left" || ticket.closed_by === "journey") {
    return "The journey went on by itself (it timed out, was cancelled or the contact was erased)";
  }
  const by = ticket.closed_by === me ? "you" : (ticket.closed_by ?? "someone");
  if (ticket.outcome === "ended") {
    return `Ended by ${by}: the contact left the journey here, it sends them nothing more`;
  }
  // The ticket does not say which journey they went to: only that they went.
  if (ticket.outcome === "moved") {
    return `Sent to another journey by ${by}: the contact left this one here and the other started for them`;
  }
  return `Resolved by ${by}: the journey went on through its resolved way out`;
}

/** The contact as a row names them: their name when known, else their number. */
export function contactWords(phone: string | null | undefined, name: string | null | undefined) {
  const number = phone ?? "A contact known only by their WhatsApp user id";
  return name ? { title: name, subtitle: number } : { title: number, subtitle: null };
}

/** The digits the contacts API takes in its paths, or undefined for a BSUID-only contact. */
export function digitsOf(phone: string | null | undefined): string | undefined {
  return phone ? phone.replace(/^\+/, "") : undefined;
}

/** A claim refused because someone else has the ticket, in words: who has it. */
export function claimRefusal(error: unknown, me: string | undefined): string {
  if (error instanceof ApiFailure && error.code === "ticket_claimed") {
    const by = (error.details as { by?: unknown } | undefined)?.by;
    if (typeof by === "string" && by !== "") {
      return by === me
        ? "You have this conversation already (in another tab, perhaps)."
        : `${by} took this conversation first: it is theirs now. Pick another one from Unassigned.`;
    }
  }
  return messageOf(error);
}
