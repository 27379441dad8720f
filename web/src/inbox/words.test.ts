// What a queue row says about a ticket: how long the contact has waited, what the journey
// does if no one steps in, whether a free-form reply still reaches them, who has it.

import { describe, expect, it } from "vitest";
import { ApiFailure } from "../api/errors";
import {
  atWords,
  claimRefusal,
  clock,
  closedWords,
  contactWords,
  digitsOf,
  durationWords,
  ownerWords,
  sinceWords,
  timeoutWords,
  waitingWords,
  windowWords,
} from "./words";

const now = new Date("2026-12-01T17:00:00");
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

describe("how long a contact has waited", () => {
  it("counts minutes, then hours and minutes, then days", () => {
    expect(waitingWords(later(-0.5), now)).toBe("less than a minute");
    expect(waitingWords(later(-12), now)).toBe("12 min");
    expect(waitingWords(later(-60), now)).toBe("1 h");
    expect(waitingWords(later(-125), now)).toBe("2 h 5 min");
    expect(waitingWords(later(-24 * 60), now)).toBe("1 day");
    expect(waitingWords(later(-(3 * 24 + 4) * 60), now)).toBe("3 days 4 h");
  });
  it("never says a negative time when the server's clock is a little ahead", () => {
    expect(waitingWords(later(2), now)).toBe("less than a minute");
    expect(durationWords(0)).toBe("less than a minute");
  });
});

describe("what happens if no one resolves it", () => {
  it("says when the run leaves through timeout, with the day when it is not today", () => {
    const today = new Date("2026-12-01T18:40:00");
    expect(timeoutWords(today.toISOString(), now)).toBe(
      `leaves through timeout at ${clock(today)}`,
    );
    const tomorrow = new Date("2026-12-02T09:15:00");
    expect(timeoutWords(tomorrow.toISOString(), now)).toBe(
      `leaves through timeout ${atWords(tomorrow, now)}`,
    );
    expect(atWords(tomorrow, now)).toMatch(/^on .*2.* at /);
  });
  it("says since when someone has it, with the day when it is not today", () => {
    const earlier = new Date("2026-12-01T16:05:00");
    expect(sinceWords(earlier, now)).toBe(`since ${clock(earlier)}`);
    expect(sinceWords(new Date("2026-11-30T16:05:00"), now)).toMatch(/^since .*30.*, /);
  });
  it("says so when the time has come, and when there is no time limit", () => {
    expect(timeoutWords(later(-1), now)).toBe("leaving through timeout now");
    expect(timeoutWords(null, now)).toBe("waits with no time limit");
  });
});

describe("the 24-hour window", () => {
  it("says how long a free-form reply can still reach the contact", () => {
    expect(windowWords(later(3 * 60 + 20), now)).toBe("window open, closes in 3 h");
    expect(windowWords(later(40), now)).toBe("window open, closes in 40 min");
    expect(windowWords(later(0.2), now)).toBe("window open, closes in 1 min");
  });
  it("says only templates reach the contact once it closed or when it never opened", () => {
    expect(windowWords(later(-5), now)).toBe("window closed: templates only");
    expect(windowWords(null, now)).toBe("window closed: templates only");
    expect(windowWords(undefined, now)).toBe("window closed: templates only");
  });
});

describe("who has the conversation", () => {
  it("names the owner, or you, or no one", () => {
    expect(ownerWords({ assignee: null }, "me@shop.example")).toBe("Unassigned");
    expect(ownerWords({ assignee: "me@shop.example" }, "me@shop.example")).toBe("You have it");
    expect(ownerWords({ assignee: "ana@shop.example" }, "me@shop.example")).toBe(
      "ana@shop.example has it",
    );
  });
  it("says how a closed one ended", () => {
    expect(closedWords({ closed_by: "me@x", outcome: "resolved" }, "me@x")).toBe(
      "Resolved by you: the journey went on through its resolved way out",
    );
    expect(closedWords({ closed_by: "ana@x", outcome: "resolved" }, "me@x")).toMatch(
      /^Resolved by ana@x/,
    );
    expect(closedWords({ closed_by: "me@x", outcome: "ended" }, "me@x")).toBe(
      "Ended by you: the contact left the journey here, it sends them nothing more",
    );
    expect(closedWords({ closed_by: "ana@x", outcome: "moved" }, "me@x")).toBe(
      "Sent to another journey by ana@x: the contact left this one here and the other started for them",
    );
    expect(closedWords({ closed_by: "journey", outcome: "left" }, "me@x")).toMatch(
      /went on by itself \(it timed out/,
    );
  });
});

/** The server's answer to a claim someone else won first. */
const taken = (by: string) =>
  new ApiFailure(409, "ticket_claimed", `${by} is working on this conversation already.`, { by });

describe("a claim someone else won", () => {
  it("names who has it", () => {
    expect(claimRefusal(taken("ana@shop.example"), "me@shop.example")).toBe(
      "ana@shop.example took this conversation first: it is theirs now. Pick another one from Unassigned.",
    );
    expect(claimRefusal(taken("me@shop.example"), "me@shop.example")).toMatch(/^You have this/);
  });
  it("gives the server's words for any other refusal", () => {
    const closed = new ApiFailure(409, "ticket_closed", "This conversation is closed already.");
    expect(claimRefusal(closed, "me@shop.example")).toBe("This conversation is closed already.");
  });
});

describe("the contact", () => {
  it("is named by their name when known, their number otherwise", () => {
    expect(contactWords("+4915112340001", "Ana")).toEqual({
      title: "Ana",
      subtitle: "+4915112340001",
    });
    expect(contactWords("+4915112340001", null)).toEqual({
      title: "+4915112340001",
      subtitle: null,
    });
    expect(contactWords(null, null).title).toMatch(/known only by their WhatsApp user id/);
  });
  it("is looked up by the digits of their number", () => {
    expect(digitsOf("+4915112340001")).toBe("4915112340001");
    expect(digitsOf(null)).toBeUndefined();
  });
});
