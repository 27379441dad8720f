// What the inbox's composer may offer, as WhatsApp and the team's rules decide it: who can
// write on a ticket (its owner; anyone when no one has it, which takes it; an admin always),
// until when free text reaches the contact (24 hours after they last wrote), and, once that
// window has closed, which approved templates can go and what each placeholder needs. Pure
// functions of the ticket, the contact, the messages and "now", so the composer and its
// tests read the same words.

import type { components } from "../api/schema";
import { componentsOf } from "../forms/TemplatePicker";
import type { MessageView, Ticket } from "./types";
import { durationWords } from "./words";

type TemplateInfo = components["schemas"]["TemplateInfo"];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** WhatsApp's customer-service window: free text for 24 hours after the contact wrote. */
export const WINDOW_MS = 24 * HOUR;
/** WhatsApp's longest text message (the server refuses longer ones). */
export const LONGEST_TEXT = 4_096;

/** Who is signed in, as the composer needs to know them. */
export interface Writer {
  email: string | undefined;
  role: string | undefined;
}

/**
 * What the composer shows for a ticket: `write` (with a hint when sending takes the
 * conversation, or answers a colleague's as an admin), `blocked` with why, or `nothing`
 * (a viewer: the page says already what their role allows).
 */
export type Access =
  { kind: "write"; hint: string | null } | { kind: "blocked"; why: string } | { kind: "nothing" };

export function accessOf(ticket: Pick<Ticket, "status" | "assignee">, writer: Writer): Access {
  const { role, email } = writer;
  if (role !== "operator" && role !== "editor" && role !== "admin") return { kind: "nothing" };
  if (ticket.status === "closed") {
    return {
      kind: "blocked",
      why: "Closed: this conversation is over, no reply can be sent from it.",
    };
  }
  if (!ticket.assignee) return { kind: "write", hint: "Sending takes this conversation." };
  if (ticket.assignee === email) return { kind: "write", hint: null };
  const who = personWords(ticket.assignee);
  if (role === "admin") {
    return { kind: "write", hint: `${who} has this conversation: you answer as an admin.` };
  }
  return {
    kind: "blocked",
    why: `${who} is working on this conversation: only they, or an admin, can answer.`,
  };
}

/** A person as the inbox names them: their email, or "An API key" for a program. */
export function personWords(who: string): string {
  return who.startsWith("api_key:") ? "An API key" : who;
}

/**
 * When the contact's window closes, from everything known: the contact's own record, their
 * latest message in the thread (read every few seconds, so a new message reopens it at
 * once), and the ticket's (counted at the handoff). The latest wins, in milliseconds since
 * the epoch; null when none says.
 */
export function windowClosesAt(sources: {
  contactClosesAt?: string | null;
  ticketClosesAt?: string | null;
  messages?: readonly Pick<MessageView, "direction" | "at">[];
}): number | null {
  const candidates: number[] = [];
  const add = (at: string | null | undefined) => {
    const ms = at ? Date.parse(at) : NaN;
    if (Number.isFinite(ms)) candidates.push(ms);
  };
  add(sources.contactClosesAt);
  add(sources.ticketClosesAt);
  for (const message of sources.messages ?? []) {
    if (message.direction === "in") {
      const at = Date.parse(message.at);
      if (Number.isFinite(at)) candidates.push(at + WINDOW_MS);
    }
  }
  return candidates.length === 0 ? null : Math.max(...candidates);
}

/** The live countdown over the text box; `urgent` (amber) in the last hour. */
export interface Countdown {
  words: string;
  urgent: boolean;
}

/** "Free text allowed for 5 h 12 min more", or null once the window has closed. */
export function countdownOf(closesAt: number | null, now: Date): Countdown | null {
  const left = closesAt === null ? 0 : closesAt - now.getTime();
  if (!(left > 0)) return null;
  return { words: `Free text allowed for ${durationWords(left)} more`, urgent: left < HOUR };
}

/** A text's length as WhatsApp and the server count it (characters, not UTF-16 units). */
export function textLength(text: string): number {
  return [...text.trim()].length;
}

/** "12 / 4,096 characters"; `over` when the text is too long to send. */
export function lengthWords(text: string): { words: string; over: boolean } {
  const length = textLength(text);
  return {
    words: `${length.toLocaleString("en")} / ${LONGEST_TEXT.toLocaleString("en")} characters`,
    over: length > LONGEST_TEXT,
  };
}

/** One approved template as the picker offers it. */
export interface TemplateChoice {
  key: string;
  template: TemplateInfo;
  /** "Utility", "Marketing", "Authentication". */
  category: string;
  /** The body's words, placeholders as written (`{{1}}`), or null when it has none. */
  body: string | null;
  /** One label per value the body takes, in order ("{{1}}", or a named one's name). */
  placeholders: string[];
  /** Why it cannot be sent from here, or null when it can. */
  unavailable: string | null;
}

/**
 * The templates the composer offers: APPROVED ones only (each translation once), Utility
 * first, then by name. A Marketing one is unavailable without the contact's opt-in; one
 * that needs a header value (a picture, a document, words) or a button's value cannot be
 * sent from here, as the inbox sends body values only.
 */
export function templateChoices(
  templates: readonly TemplateInfo[],
  contact: { marketingOptIn: boolean | undefined },
): TemplateChoice[] {
  const seen = new Set<string>();
  const choices: TemplateChoice[] = [];
  for (const template of templates) {
    if (template.status.toUpperCase() !== "APPROVED") continue;
    const key = `${template.name}|${template.language}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const body = componentsOf(template).find((c) => c.type?.toUpperCase() === "BODY")?.text ?? null;
    choices.push({
      key,
      template,
      category: categoryWords(template.category),
      body,
      placeholders: placeholdersOf(template, body),
      unavailable: unavailableWhy(template, contact.marketingOptIn),
    });
  }
  const rank = (c: TemplateChoice) =>
    c.category === "Utility" ? 0 : c.category === "Marketing" ? 2 : 1;
  return choices.toSorted((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

function unavailableWhy(
  template: TemplateInfo,
  marketingOptIn: boolean | undefined,
): string | null {
  if (template.category.toUpperCase() === "MARKETING" && marketingOptIn === false) {
    return "The contact has not agreed to Marketing messages.";
  }
  const needs = (component: string) =>
    template.parameters.some((p) => p.component === component && p.count > 0);
  const header = template.parameters.find((p) => p.component === "header");
  const mediaHeader = header?.format && header.format.toUpperCase() !== "TEXT";
  if (mediaHeader || needs("header")) {
    return "Its header needs a value or a file: only a journey's step can send it.";
  }
  if (needs("button")) return "Its button needs a value: only a journey's step can send it.";
  return null;
}

/**
 * The labels of the body's values, in order: the synced parameters say how many (and their
 * names when the template is NAMED); without them, the distinct placeholders in its words.
 */
export function placeholdersOf(template: TemplateInfo, body: string | null): string[] {
  const part = template.parameters.find((p) => p.component === "body");
  if (part) {
    return Array.from({ length: part.count }, (_, i) => {
      const name = part.names[i];
      return name ? `{{${name}}}` : `{{${i + 1}}}`;
    });
  }
  const found: string[] = [];
  for (const match of (body ?? "").matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)) {
    const label = `{{${match[1]}}}`;
    if (!found.includes(label)) found.push(label);
  }
  return found;
}

/** `values` cut or padded to one per placeholder. */
export function sizedValues(values: readonly string[], count: number): string[] {
  return Array.from({ length: count }, (_, i) => values[i] ?? "");
}

/** The labels of the placeholders still empty (a template cannot go with a blank value). */
export function missingValues(
  placeholders: readonly string[],
  values: readonly string[],
): string[] {
  return placeholders.filter((_, i) => (values[i] ?? "").trim() === "");
}

function categoryWords(category: string): string {
  const lower = category.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}
