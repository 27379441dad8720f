import { describe, expect, it } from "vitest";
import { changedSteps, changesInWords, type Changes } from "./changes";

const none: Changes = {
  added: [],
  removed: [],
  changed: [],
  edges_added: 0,
  edges_removed: 0,
  settings_changed: false,
};

describe("what a version changed, in words", () => {
  it("counts steps and connections", () => {
    expect(
      changesInWords({
        ...none,
        added: ["thanks"],
        changed: ["ask", "hi"],
        edges_added: 1,
        edges_removed: 1,
      }),
    ).toBe("Steps: 1 added, 2 changed · 2 connections changed");
    expect(changesInWords({ ...none, removed: ["old"] })).toBe("Step: 1 removed");
    expect(changesInWords({ ...none, settings_changed: true })).toBe("name or settings changed");
  });

  it("says when nothing contacts get changed, and what the first version holds", () => {
    expect(changesInWords(none)).toBe("No changes to what contacts get");
    expect(changesInWords({ ...none, added: ["a", "b", "c"] }, true)).toBe(
      "First version: 3 steps",
    );
    expect(changedSteps({ ...none, added: ["a"], removed: ["b"] })).toEqual([
      { label: "Added", ids: ["a"] },
      { label: "Removed", ids: ["b"] },
    ]);
  });
});
