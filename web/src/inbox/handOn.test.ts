// Handing a conversation on: only people who work the inbox are offered, and only what
// changes is asked of the server; nothing to change says why instead.

import { describe, expect, it } from "vitest";
import { colleaguesOf, handoverOf, memberWords } from "./handOn";
import type { Member } from "./types";

const member = (email: string, role: Member["role"], name = email): Member => ({
  user_id: email,
  email,
  name,
  role,
});

describe("the colleagues offered", () => {
  it("are those who work the inbox, by name", () => {
    const offered = colleaguesOf([
      member("zoe@shop.test", "operator", "Zoe"),
      member("vic@shop.test", "viewer", "Vic"),
      member("ana@shop.test", "admin", "Ana"),
      member("ed@shop.test", "editor", "Ed"),
    ]);
    expect(offered.map((m) => m.email)).toEqual(["ana@shop.test", "ed@shop.test", "zoe@shop.test"]);
  });

  it("are named with their email and role", () => {
    expect(memberWords(member("ana@shop.test", "admin", "Ana Lima"))).toBe(
      "Ana Lima (ana@shop.test) · admin",
    );
    expect(memberWords(member("rita@shop.test", "operator"))).toBe("rita@shop.test · operator");
  });
});

describe("the hand-over asked for", () => {
  const mine = { assignee: "me@shop.test", team: "support" };

  it("names the colleague, the queue, or the team: only what changes", () => {
    expect(
      handoverOf(mine, { who: "colleague", email: " rita@shop.test ", team: "support" }),
    ).toEqual({ handover: { to: "rita@shop.test" } });
    expect(handoverOf(mine, { who: "queue", email: "", team: "support" })).toEqual({
      handover: { to: null },
    });
    expect(handoverOf(mine, { who: "colleague", email: "me@shop.test", team: "returns" })).toEqual({
      handover: { team: "returns" },
    });
    expect(handoverOf(mine, { who: "queue", email: "", team: " returns " })).toEqual({
      handover: { to: null, team: "returns" },
    });
  });

  it("says why when there is nothing to ask", () => {
    const unassigned = { assignee: null, team: "support" };
    expect(handoverOf(unassigned, { who: "queue", email: "", team: "support" })).toEqual({
      problem: "It is in the queue already: choose a colleague or another team.",
    });
    expect(handoverOf(mine, { who: "colleague", email: "", team: "support" })).toEqual({
      problem: "Choose who takes it, or send it back to the queue.",
    });
    expect(handoverOf(mine, { who: "colleague", email: "me@shop.test", team: "support" })).toEqual({
      problem: "me@shop.test has it already: choose someone else, the queue or another team.",
    });
    expect(handoverOf(mine, { who: "queue", email: "", team: " " })).toEqual({
      problem: "Say which team it is for.",
    });
  });
});
