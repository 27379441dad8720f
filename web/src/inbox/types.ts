// The handoff queue's shapes and the conversation's, from the generated API types (docs/api.md,
// "Handoff queue").

import type { components } from "../api/schema";

export type Ticket = components["schemas"]["Ticket"];
export type TicketCounts = components["schemas"]["TicketCounts"];
export type TicketList = components["schemas"]["TicketList"];
export type Member = components["schemas"]["Member"];

/** What became of a message: `received` (from the contact), or a message out's status. */
export type MessageStatus =
  | "received"
  | "queued"
  | "sent"
  | "delivered"
  | "read"
  | "failed"
  /** An operator's reply the runtime would not send (the window closed meanwhile…): `error` says why. */
  | "refused"
  /** A private note of the team: never sent. */
  | "note";

/**
 * One message of a contact's conversation, either way: the generated type, with the words
 * the server uses in `direction`, `from` and `status` spelled out.
 */
export type MessageView = Omit<
  components["schemas"]["MessageView"],
  "direction" | "from" | "status" | "message"
> & {
  /** `note`: a private note of the team, kept in the thread, never sent to the contact. */
  direction: "in" | "out" | "note";
  /** `operator` for replies and notes written in the inbox (then `author` names who wrote it). */
  from: "contact" | "journey" | "operator";
  status: MessageStatus;
  /** The content received, or the body sent, as JSON (null if it could not be read). */
  message: unknown;
};

/** What an operator sends from the inbox: exactly one of `text` and `template`. */
export type Reply = components["schemas"]["Reply"];

/** A page of the conversation, oldest first; `earlier` is the `before` of the page before. */
export interface ConversationPage {
  messages: MessageView[];
  earlier: number | null;
}
