// The conversation on a ticket, read as an operator reads WhatsApp: a day line between days
// ("Today", "Yesterday", "Monday", "2 Nov"), who sent each message out (the journey's step,
// or a colleague from the inbox), what became of it in words beside its ticks, and whether it
// went out while the contact's 24-hour window was closed. Pure functions of the messages and
// "now", so the thread and its tests read the same words.

import type { ContactMessage, FlowMessage } from "../simulate/model";
import type { MessageStatus, MessageView } from "./types";
import { clock } from "./words";

const DAY = 24 * 60 * 60_000;

/** A line of the thread: a day separator, or a message. */
export type ThreadItem =
  | { kind: "day"; key: string; label: string }
  | { kind: "message"; key: string; message: MessageView };

function startOfDay(at: Date): number {
  return new Date(at.getFullYear(), at.getMonth(), at.getDate()).getTime();
}

/** The day line above a day's messages: "Today", "Yesterday", "Monday", "2 Nov", "2 Nov 2025". */
export function dayWords(at: Date, now: Date): string {
  const days = Math.round((startOfDay(now) - startOfDay(at)) / DAY);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  if (days > 1 && days < 7) return at.toLocaleDateString(undefined, { weekday: "long" });
  return at.toLocaleDateString(
    undefined,
    at.getFullYear() === now.getFullYear()
      ? { day: "numeric", month: "short" }
      : { day: "numeric", month: "short", year: "numeric" },
  );
}

/**
 * The messages, oldest first, each once (pages read at different moments may overlap), with
 * a day line wherever the day (the reader's own) changes.
 */
export function threadOf(messages: readonly MessageView[], now: Date): ThreadItem[] {
  const items: ThreadItem[] = [];
  const seen = new Set<string>();
  let day: number | undefined;
  for (const message of messages) {
    if (seen.has(message.key)) continue;
    seen.add(message.key);
    const at = new Date(message.at);
    const thisDay = startOfDay(at);
    if (thisDay !== day) {
      day = thisDay;
      items.push({ kind: "day", key: `day-${thisDay}`, label: dayWords(at, now) });
    }
    items.push({ kind: "message", key: message.key, message });
  }
  return items;
}

/** The time a message shows: "10:42" (or "10:42 AM", as the reader's browser writes it). */
export function timeWords(message: Pick<MessageView, "at">): string {
  return clock(new Date(message.at));
}

export interface StatusView {
  /** WhatsApp's marks: ✓ sent, ✓✓ delivered or read, ! failed; none while not sent yet (a
   *  clock is drawn instead). */
  ticks: string;
  /** The same in words, for people who do not read ticks (and screen readers). */
  words: string;
  tone: "waiting" | "sent" | "read" | "failed";
}

/** What became of a message out; nothing for the contact's own messages. */
export function statusOf(status: MessageStatus): StatusView | undefined {
  switch (status) {
    case "queued":
      return { ticks: "", words: "Not sent yet", tone: "waiting" };
    case "sent":
      return { ticks: "✓", words: "Sent", tone: "sent" };
    case "delivered":
      return { ticks: "✓✓", words: "Delivered", tone: "sent" };
    case "read":
      return { ticks: "✓✓", words: "Read", tone: "read" };
    case "failed":
      return { ticks: "!", words: "Failed", tone: "failed" };
    case "refused":
      // Spool itself held it back (the window closed before it went, an opt-out…).
      return { ticks: "!", words: "Not sent", tone: "failed" };
    case "received":
    case "note":
      return undefined;
  }
}

/** Who wrote a note and who sees it: "Note · rita@shop.example · only your team sees this". */
export function noteWords(message: Pick<MessageView, "author">, me: string | undefined): string {
  const by = !message.author
    ? "From the inbox"
    : message.author === me
      ? "You"
      : message.author.startsWith("api_key:")
        ? "An API key"
        : message.author;
  return `Note · ${by} · only your team sees this`;
}

/** Why a message failed (WhatsApp's words) or was refused (Spool's), under the bubble. */
export function failureWords(
  error: string | null | undefined,
  status: MessageStatus = "failed",
): string {
  const why = error?.trim();
  if (status === "refused") return why ? `Not sent: ${why}` : "Not sent: it was refused.";
  return why ? `Not delivered. WhatsApp says: ${why}` : "Not delivered: WhatsApp gave no reason.";
}

/** Who sent a message out: "Journey · step ask_budget", "You", "ana@shop.example". */
export function senderWords(
  message: Pick<MessageView, "from" | "node_id" | "author">,
  me: string | undefined,
): string | undefined {
  switch (message.from) {
    case "journey":
      return message.node_id ? `Journey · step ${message.node_id}` : "Journey";
    case "operator":
      if (!message.author) return "From the inbox";
      if (message.author === me) return "You";
      return message.author.startsWith("api_key:") ? "An API key" : message.author;
    case "contact":
      return undefined;
  }
}

/** Said of a message sent while the contact's 24-hour window was closed. */
export function windowClosedWords(content: MessageContent): string {
  return content.kind === "out" && content.body.type === "template"
    ? "Window closed: sent as a template"
    : "Window closed when sent";
}

/** A message's content, typed for drawing; `plain` when this editor does not know its kind. */
export type MessageContent =
  { kind: "out"; body: FlowMessage } | { kind: "in"; content: ContactMessage } | { kind: "plain" };

type Check = (fields: Record<string, unknown>) => boolean;

/** The kinds drawn as such, each with the fields its drawing needs. */
const OUT_KINDS = new Map<string, Check>([
  ["text", (m) => typeof m.text === "string"],
  ["media", (m) => typeof m.kind === "string" && typeof m.url === "string"],
  ["buttons", (m) => typeof m.text === "string" && Array.isArray(m.buttons)],
  ["list", (m) => typeof m.text === "string" && Array.isArray(m.sections)],
  ["template", (m) => typeof m.name === "string" && typeof m.language === "string"],
]);

const IN_KINDS = new Map<string, Check>([
  ["text", (m) => typeof m.body === "string"],
  ["button_reply", (m) => typeof m.title === "string"],
  ["list_reply", (m) => typeof m.title === "string"],
  ["template_button", (m) => typeof m.text === "string"],
  ["media", (m) => typeof m.kind === "string"],
  ["location", (m) => typeof m.latitude === "number" && typeof m.longitude === "number"],
]);

/**
 * The raw message read for drawing. Kinds with no drawing of their own (a reaction, a
 * contact card, an order…) and anything unexpected are `plain`: the server's `text` says
 * them in words.
 */
export function contentOf(message: Pick<MessageView, "direction" | "message">): MessageContent {
  const raw = message.message;
  if (!raw || typeof raw !== "object") return { kind: "plain" };
  const fields = raw as Record<string, unknown>;
  const type = String(fields.type);
  const known = (message.direction === "out" ? OUT_KINDS : IN_KINDS).get(type);
  if (!known?.(fields)) return { kind: "plain" };
  return message.direction === "out"
    ? { kind: "out", body: raw as FlowMessage }
    : { kind: "in", content: raw as ContactMessage };
}
