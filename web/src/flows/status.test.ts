import { describe, expect, it } from "vitest";
import { editorName, recentFirst, relativeTime, statusOf } from "./status";

describe("statusOf", () => {
  it("calls a never-published flow a draft", () => {
    expect(statusOf({ published_version: null }).label).toBe("Draft");
    expect(statusOf({}).kind).toBe("draft");
  });
  it("names the live version", () => {
    expect(statusOf({ published_version: 3, unpublished_changes: false }).label).toBe("Live v3");
  });
  it("says when the draft is ahead of the live version", () => {
    const status = statusOf({ published_version: 2, unpublished_changes: true });
    expect(status.kind).toBe("changed");
    expect(status.label).toBe("Live v2 · unpublished changes");
    expect(status.explanation).toMatch(/not published yet/);
  });
});

describe("editorName", () => {
  it("shows people by email, and the reader as you", () => {
    expect(editorName("user:ana@shop.com")).toBe("ana@shop.com");
    expect(editorName("user:ana@shop.com", "ana@shop.com")).toBe("you");
    expect(editorName("api_key:01h")).toBe("an API key");
  });
});

describe("relativeTime", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  it("speaks in minutes, hours and days", () => {
    expect(relativeTime("2026-12-01T11:59:30Z", now)).toBe("just now");
    expect(relativeTime("2026-12-01T11:59:00Z", now)).toBe("1 minute ago");
    expect(relativeTime("2026-12-01T09:00:00Z", now)).toBe("3 hours ago");
    expect(relativeTime("2026-11-30T10:00:00Z", now)).toBe("yesterday");
    expect(relativeTime("2026-11-27T12:00:00Z", now)).toBe("4 days ago");
  });
  it("gives a date for older edits", () => {
    expect(relativeTime("2026-03-12T12:00:00Z", now)).toBe("12 Mar 2026");
  });
});

describe("recentFirst", () => {
  it("puts the flow saved last on top, and ties in name order", () => {
    const flows = [
      { name: "B", updated_at: "2026-11-01T10:00:00.000Z" },
      { name: "C", updated_at: "2026-12-01T10:00:00.000Z" },
      { name: "A", updated_at: "2026-11-01T10:00:00.000Z" },
    ];
    expect(recentFirst(flows).map((f) => f.name)).toEqual(["C", "A", "B"]);
  });
});
