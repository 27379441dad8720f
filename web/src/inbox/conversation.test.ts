// The words around a ticket's messages: the day lines between days, who sent a message out,
// what became of it, and what the thread does with pages that overlap.

import { describe, expect, it } from "vitest";
import {
  contentOf,
  dayWords,
  failureWords,
  senderWords,
  statusOf,
  threadOf,
  windowClosedWords,
} from "./conversation";
import type { MessageView } from "./types";

const now = new Date("2026-12-01T17:00:00");

function message(key: string, at: string, extra: Partial<MessageView> = {}): MessageView {
  return {
    key,
    direction: "in",
    from: "contact",
    text: "Hi",
    message: { type: "text", body: "Hi" },
    status: "received",
    window_closed: false,
    at: new Date(at).toISOString(),
    ...extra,
  };
}

describe("the day line above a day's messages", () => {
  it("says Today and Yesterday by the reader's own calendar, not 24-hour spans", () => {
    expect(dayWords(new Date("2026-12-01T00:05:00"), now)).toBe("Today");
    expect(dayWords(new Date("2026-11-30T23:55:00"), now)).toBe("Yesterday");
    expect(dayWords(new Date("2026-11-30T00:01:00"), now)).toBe("Yesterday");
  });

  it("names the weekday within the week, then the date, with the year when it is another", () => {
    const friday = new Date("2026-11-27T10:00:00");
    expect(dayWords(friday, now)).toBe(friday.toLocaleDateString(undefined, { weekday: "long" }));
    expect(dayWords(friday, now)).not.toMatch(/\d/);
    const october = dayWords(new Date("2026-10-02T10:00:00"), now);
    expect(october).toMatch(/2/);
    expect(october).not.toMatch(/2026/);
    expect(dayWords(new Date("2025-12-24T10:00:00"), now)).toMatch(/2025/);
  });
});

describe("the thread", () => {
  it("puts a day line wherever the day changes, and each message once", () => {
    const items = threadOf(
      [
        message("a", "2026-11-30T18:00:00"),
        message("b", "2026-11-30T18:01:00"),
        message("c", "2026-12-01T09:00:00"),
        // The same message again, from the page read after it (pages overlap as they move).
        message("c", "2026-12-01T09:00:00"),
        message("d", "2026-12-01T09:02:00"),
      ],
      now,
    );
    expect(items.map((item) => (item.kind === "day" ? item.label : item.key))).toEqual([
      "Yesterday",
      "a",
      "b",
      "Today",
      "c",
      "d",
    ]);
  });

  it("is empty for a contact with no messages", () => {
    expect(threadOf([], now)).toEqual([]);
  });
});

describe("what became of a message out", () => {
  it("says the ticks in words", () => {
    expect(statusOf("queued")).toMatchObject({ ticks: "", words: "Not sent yet" });
    expect(statusOf("sent")).toMatchObject({ ticks: "✓", words: "Sent" });
    expect(statusOf("delivered")).toMatchObject({ ticks: "✓✓", words: "Delivered" });
    expect(statusOf("read")).toMatchObject({ ticks: "✓✓", words: "Read", tone: "read" });
    expect(statusOf("failed")).toMatchObject({ words: "Failed", tone: "failed" });
    expect(statusOf("refused")).toMatchObject({ words: "Not sent", tone: "failed" });
    expect(statusOf("received")).toBeUndefined();
  });

  it("gives WhatsApp's reason for a failure, or says it gave none", () => {
    expect(failureWords("Message failed to send because more than 24 hours have passed")).toBe(
      "Not delivered. WhatsApp says: Message failed to send because more than 24 hours have passed",
    );
    expect(failureWords(null)).toBe("Not delivered: WhatsApp gave no reason.");
    expect(failureWords("  ")).toBe("Not delivered: WhatsApp gave no reason.");
  });

  it("gives Spool's reason for a reply it refused to send", () => {
    expect(failureWords("The 24-hour window closed.", "refused")).toBe(
      "Not sent: The 24-hour window closed.",
    );
    expect(failureWords(null, "refused")).toBe("Not sent: it was refused.");
  });
});

describe("who sent a message out", () => {
  it("names the journey's step, or the colleague who replied from the inbox", () => {
    expect(senderWords({ from: "journey", node_id: "ask_budget" }, "me@shop")).toBe(
      "Journey · step ask_budget",
    );
    expect(senderWords({ from: "journey" }, "me@shop")).toBe("Journey");
    expect(senderWords({ from: "operator", author: "me@shop" }, "me@shop")).toBe("You");
    expect(senderWords({ from: "operator", author: "ana@shop" }, "me@shop")).toBe("ana@shop");
    expect(senderWords({ from: "operator", author: "api_key:7f3a" }, "me@shop")).toBe("An API key");
    expect(senderWords({ from: "contact" }, "me@shop")).toBeUndefined();
  });

  it("marks a template sent with the window closed as such", () => {
    const template = contentOf({
      direction: "out",
      message: { type: "template", name: "order_update", language: "en", category: "utility" },
    });
    expect(windowClosedWords(template)).toBe("Window closed: sent as a template");
    const text = contentOf({ direction: "out", message: { type: "text", text: "Hi" } });
    expect(windowClosedWords(text)).toBe("Window closed when sent");
  });
});

describe("reading a message for drawing", () => {
  it("knows the kinds it draws, by direction", () => {
    expect(contentOf({ direction: "in", message: { type: "text", body: "Hi" } }).kind).toBe("in");
    expect(contentOf({ direction: "out", message: { type: "text", text: "Hi" } }).kind).toBe("out");
  });

  it("leaves anything else, or anything malformed, to the server's words", () => {
    const reaction = { type: "reaction", message_id: "wamid.1", emoji: "👍" };
    expect(contentOf({ direction: "in", message: reaction }).kind).toBe("plain");
    expect(contentOf({ direction: "out", message: { type: "text" } }).kind).toBe("plain");
    expect(contentOf({ direction: "out", message: { type: "constructor" } }).kind).toBe("plain");
    expect(contentOf({ direction: "in", message: null }).kind).toBe("plain");
  });
});
