// The queue's tabs: their labels and counts, what an empty one says, the order of the
// tickets, the keyboard cursor, and the team filter's choices.

import { describe, expect, it } from "vitest";
import { emptyWords, inQueueOrder, movedCursor, tabLabel, teamsOf, VIEWS } from "./queue";
import type { Ticket } from "./types";

const ticket = (id: string, over: Partial<Ticket> = {}): Ticket => ({
  id,
  status: "open",
  phone: "+4915112340001",
  flow_id: "support",
  version: "h",
  node_id: "ask_person",
  team: "shop-support",
  run_id: `run-${id}`,
  raised_at: "2026-12-01T17:00:00Z",
  ...over,
});

describe("the tabs", () => {
  const counts = { open: 5, unassigned: 3, mine: 1, closed: 12 };
  it("count the tickets each holds", () => {
    expect(VIEWS.map((v) => tabLabel(v, counts))).toEqual([
      "Unassigned (3)",
      "Mine (1)",
      "All open (5)",
      "Closed (12)",
    ]);
  });
  it("show no count before the queue was read", () => {
    expect(tabLabel("unassigned", undefined)).toBe("Unassigned");
  });
  it("say in words when they are empty, naming the team filtered on", () => {
    expect(emptyWords("unassigned", "")).toBe("No one is waiting for a person.");
    expect(emptyWords("open", "")).toBe("No one is waiting for a person.");
    expect(emptyWords("mine", "")).toBe(
      "You are not working on any conversation. Claim one from Unassigned.",
    );
    expect(emptyWords("closed", "")).toBe("No closed conversation yet.");
    expect(emptyWords("open", "billing")).toBe("No conversation is open for billing.");
    expect(emptyWords("closed", "billing")).toBe("No closed conversation for billing yet.");
  });
});

describe("the order", () => {
  it("puts the longest waiting first in open tabs", () => {
    const tickets = [
      ticket("new", { raised_at: "2026-12-01T17:30:00Z" }),
      ticket("old", { raised_at: "2026-12-01T16:00:00Z" }),
      ticket("mid", { raised_at: "2026-12-01T17:00:00Z" }),
    ];
    expect(inQueueOrder(tickets, "unassigned").map((t) => t.id)).toEqual(["old", "mid", "new"]);
    expect(inQueueOrder(tickets, "open").map((t) => t.id)).toEqual(["old", "mid", "new"]);
  });
  it("puts the latest closed first in Closed", () => {
    const tickets = [
      ticket("a", { status: "closed", closed_at: "2026-12-01T17:00:00Z" }),
      ticket("b", { status: "closed", closed_at: "2026-12-01T18:00:00Z" }),
    ];
    expect(inQueueOrder(tickets, "closed").map((t) => t.id)).toEqual(["b", "a"]);
  });
});

describe("the keyboard cursor", () => {
  const ids = ["a", "b", "c"];
  it("moves down and up, staying at the ends", () => {
    expect(movedCursor(ids, "a", 1)).toBe("b");
    expect(movedCursor(ids, "c", 1)).toBe("c");
    expect(movedCursor(ids, "b", -1)).toBe("a");
    expect(movedCursor(ids, "a", -1)).toBe("a");
  });
  it("starts at the first (down) or last (up) when on none or on one that left the tab", () => {
    expect(movedCursor(ids, undefined, 1)).toBe("a");
    expect(movedCursor(ids, "gone", -1)).toBe("c");
    expect(movedCursor([], "a", 1)).toBeUndefined();
  });
});

describe("the team filter", () => {
  it("offers the teams open tickets wait for, in order, and keeps the chosen one", () => {
    expect(teamsOf(["shop-support", "sales"], "")).toEqual(["sales", "shop-support"]);
    expect(teamsOf([], "billing")).toEqual(["billing"]);
  });
});
