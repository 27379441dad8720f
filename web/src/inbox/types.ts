// The handoff queue's shapes, straight from the generated API types; the conversation's are
// written here until the lead regenerates `api/schema.d.ts` with them (docs/api.md, "The
// conversation"), and match the server's `MessageView` and `Conversation`.

import type { components } from "../api/schema";

export type Ticket = components["schemas"]["Ticket"];
export type TicketCounts = components["schemas"]["TicketCounts"];
export type TicketList = components["schemas"]["TicketList"];

/** What became of a message: `received` (from the contact), or a message out's status. */
export type MessageStatus = "received" | "queued" | "sent" | "delivered" | "read" | "failed";

/** One message of a contact's conversation, either way. */
export interface MessageView {
  /** Stable across reads. */
  key: string;
  direction: "in" | "out";
  /** `operator` once replies are sent from the inbox (then `author` names who wrote it). */
  from: "contact" | "journey" | "operator";
  author?: string | null;
  /** The run and step that sent it (messages out). */
  run_id?: string | null;
  node_id?: string | null;
  /** As a person reads it: its words, then buttons, rows or template values on own lines. */
  text: string;
  /** The content received, or the body sent, as JSON. */
  message: unknown;
  status: MessageStatus;
  /** WhatsApp's words when it failed. */
  error?: string | null;
  /** Sent while the contact's 24-hour window was closed (a business-initiated message). */
  window_closed: boolean;
  /** RFC 3339: when the contact sent it, or when it was queued. */
  at: string;
}

/** A page of the conversation, oldest first; `earlier` is the `before` of the page before. */
export interface ConversationPage {
  messages: MessageView[];
  earlier: number | null;
}
