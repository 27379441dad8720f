// The live stream's hints and what the inbox reads again for them: the queue for news of
// tickets, the open ticket when a hint names it or its contact, everything when the server
// fell behind; and the polling that slows down while the stream is open.

import { describe, expect, it } from "vitest";
import { LIVE_POLL_MS, pollEvery } from "./api";
import { hintOf, readsFor } from "./live";

const open = { id: "t1", phone: "+5511987654321" };

describe("a hint from the stream", () => {
  it("reads the ticket and the contact, and ignores what it does not know", () => {
    expect(hintOf("ticket", '{"what":"ticket","ticket":"t1"}')).toEqual({
      kind: "ticket",
      ticket: "t1",
    });
    expect(hintOf("message", '{"contact":"+5511987654321"}')).toEqual({
      kind: "message",
      contact: "+5511987654321",
    });
    expect(hintOf("changed", "")).toEqual({ kind: "changed" });
    expect(hintOf("message", "not json")).toEqual({ kind: "message" });
    expect(hintOf("ping", "{}")).toBeUndefined();
  });
});

describe("what is read again", () => {
  it("reads the queue for a ticket's news, the open ticket only when it is about it", () => {
    expect(readsFor([{ kind: "ticket", ticket: "t2" }], open)).toEqual({
      queue: true,
      openTicket: false,
    });
    expect(readsFor([{ kind: "ticket", ticket: "t1" }], open)).toEqual({
      queue: true,
      openTicket: true,
    });
  });

  it("reads the open ticket when its contact wrote, without the queue if no ticket is named", () => {
    expect(readsFor([{ kind: "message", contact: "+5511987654321" }], open)).toEqual({
      queue: false,
      openTicket: true,
    });
    expect(readsFor([{ kind: "message", contact: "+4915100000000" }], open)).toEqual({
      queue: false,
      openTicket: false,
    });
    expect(readsFor([{ kind: "message", ticket: "t1" }], open)).toEqual({
      queue: true,
      openTicket: true,
    });
  });

  it("reads everything when the server fell behind, and no ticket when none is open", () => {
    expect(readsFor([{ kind: "changed" }], open)).toEqual({ queue: true, openTicket: true });
    expect(readsFor([{ kind: "ticket", ticket: "t1" }], undefined)).toEqual({
      queue: true,
      openTicket: false,
    });
    expect(readsFor([], open)).toEqual({ queue: false, openTicket: false });
  });
});

describe("the polling", () => {
  it("keeps its own pace without the stream and slows to the fallback with it", () => {
    expect(pollEvery(false, 4_000)).toBe(4_000);
    expect(pollEvery(true, 4_000)).toBe(LIVE_POLL_MS);
    expect(LIVE_POLL_MS).toBe(30_000);
  });
});
