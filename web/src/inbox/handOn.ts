// Handing a conversation on, as pure functions: which members can take it (those who work the
// inbox), and what to ask the server for from what the operator chose (only what changes).

import type { Handover } from "./api";
import type { Member, Ticket } from "./types";

const WORKS_THE_INBOX = new Set(["operator", "editor", "admin"]);

/** The members who can take a conversation, by name: viewers cannot. */
export function colleaguesOf(members: readonly Member[]): Member[] {
  return members
    .filter((m) => WORKS_THE_INBOX.has(m.role))
    .toSorted((a, b) => a.name.localeCompare(b.name) || a.email.localeCompare(b.email));
}

/** A member as the picker names them: "Rita Souza (rita@shop.example) · operator". */
export function memberWords(member: Member): string {
  const who =
    member.name && member.name !== member.email ? `${member.name} (${member.email})` : member.email;
  return `${who} · ${member.role}`;
}

/** What the operator chose: a colleague (by email) or the queue, and the team. */
export interface HandOnChoice {
  who: "colleague" | "queue";
  email: string;
  team: string;
}

/**
 * The hand-over to ask for, with only what changes; or, when there is nothing to ask, why
 * in words (the button stays off and says so).
 */
export function handoverOf(
  ticket: Pick<Ticket, "assignee" | "team">,
  choice: HandOnChoice,
): { handover: Handover } | { problem: string } {
  const handover: Handover = {};
  const email = choice.email.trim();
  if (choice.who === "queue") {
    if (ticket.assignee) handover.to = null;
  } else if (email === "") {
    return { problem: "Choose who takes it, or send it back to the queue." };
  } else if (email !== ticket.assignee) {
    handover.to = email;
  }
  const team = choice.team.trim();
  if (team === "") return { problem: "Say which team it is for." };
  if (team !== ticket.team) handover.team = team;
  if (handover.to === undefined && handover.team === undefined) {
    return {
      problem:
        choice.who === "queue"
          ? "It is in the queue already: choose a colleague or another team."
          : `${email} has it already: choose someone else, the queue or another team.`,
    };
  }
  return { handover };
}
