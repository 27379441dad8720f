// The queue's tabs and order: which tickets a tab holds, what its label counts, what it says
// when empty, and how the keyboard cursor moves through it.

import type { Ticket, TicketCounts } from "./types";

export type View = "unassigned" | "mine" | "open" | "closed";

export const VIEWS: readonly View[] = ["unassigned", "mine", "open", "closed"];

const NAMES: Record<View, string> = {
  unassigned: "Unassigned",
  mine: "Mine",
  open: "All open",
  closed: "Closed",
};

/** "Unassigned (3)", "Closed (12)". */
export function tabLabel(view: View, counts: TicketCounts | undefined): string {
  const name = NAMES[view];
  if (!counts) return name;
  return `${name} (${counts[view]})`;
}

export function tabName(view: View): string {
  return NAMES[view];
}

/** What an empty tab says, in words (the team filter included). */
export function emptyWords(view: View, team: string): string {
  const forTeam = team ? ` for ${team}` : "";
  switch (view) {
    case "unassigned":
      return team
        ? `No one is waiting for ${team} without someone on it.`
        : "No one is waiting for a person.";
    case "mine":
      return `You are not working on any conversation${forTeam}. Claim one from Unassigned.`;
    case "open":
      return team ? `No conversation is open for ${team}.` : "No one is waiting for a person.";
    case "closed":
      return `No closed conversation${forTeam} yet.`;
  }
}

/**
 * The tab's tickets in the order an operator works them: open ones longest waiting first,
 * closed ones latest first (the API sorts so too; this keeps it true whatever arrives).
 */
export function inQueueOrder(tickets: readonly Ticket[], view: View): Ticket[] {
  if (view === "closed") {
    return tickets.toSorted((a, b) => (b.closed_at ?? "").localeCompare(a.closed_at ?? ""));
  }
  return tickets.toSorted((a, b) => Date.parse(a.raised_at) - Date.parse(b.raised_at));
}

/**
 * Where the cursor goes on j/k or the arrows: the next or previous ticket, staying at the
 * ends; the first one when the cursor is on none (or on one no longer listed).
 */
export function movedCursor(
  ids: readonly string[],
  current: string | undefined,
  step: 1 | -1,
): string | undefined {
  if (ids.length === 0) return undefined;
  const at = current === undefined ? -1 : ids.indexOf(current);
  if (at === -1) return step === 1 ? ids[0] : ids[ids.length - 1];
  return ids[Math.min(ids.length - 1, Math.max(0, at + step))];
}

/** The teams to filter by: those seen in the queue, plus the one chosen (even if it emptied). */
export function teamsOf(teams: readonly string[], chosen: string): string[] {
  const all = new Set(teams.filter((t) => t !== ""));
  if (chosen) all.add(chosen);
  return [...all].toSorted((a, b) => a.localeCompare(b));
}
