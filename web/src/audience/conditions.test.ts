import { describe, expect, test } from "vitest";
import {
  audienceWords,
  blankDraft,
  checkAll,
  conditionOf,
  draftOf,
  exportParams,
  sentence,
} from "./conditions";
import type { Condition } from "./types";

describe("conditions", () => {
  test("every condition reads as a sentence", () => {
    const names = {
      flow: (id: string) => (id === "welcome" ? "Welcome" : undefined),
      step: (_flow: string, node: string) => (node === "ask" ? "Ask for email" : undefined),
    };
    const cases: [Condition, string][] = [
      [{ kind: "tag", tag: "vip" }, "Has the tag “vip”"],
      [{ kind: "not_tag", tag: "vip" }, "Doesn't have the tag “vip”"],
      [
        { kind: "property", name: "city", test: "equals", value: "Lisbon" },
        "Field “city” is “Lisbon”",
      ],
      [
        { kind: "property", name: "orders", test: "greater_than", value: "3" },
        "Field “orders” is more than “3”",
      ],
      [{ kind: "property", name: "email", test: "missing" }, "Field “email” is not set"],
      [{ kind: "marketing_consent", given: true }, "Agreed to receive offers"],
      [{ kind: "marketing_consent", given: false }, "Hasn't agreed to receive offers"],
      [{ kind: "wrote_within", days: 1 }, "Wrote in the last 1 day"],
      [{ kind: "silent_for", days: 30 }, "Hasn't written for 30 days (or never wrote)"],
      [
        { kind: "reached", flow_id: "welcome", node_id: "ask" },
        "Reached the step “Ask for email” of the journey “Welcome”",
      ],
      [{ kind: "reached", flow_id: "other" }, "Reached the journey “other”"],
      [{ kind: "from_ad", ad_id: "120" }, "Came from the ad 120"],
      [{ kind: "search", text: "Ana" }, "Name or number contains “Ana”"],
    ];
    for (const [condition, words] of cases) expect(sentence(condition, names)).toBe(words);
    expect(audienceWords([])).toBe("Everyone");
  });

  test("a condition survives being edited unchanged", () => {
    const all: Condition[] = [
      { kind: "tag", tag: "vip" },
      { kind: "property", name: "city", test: "contains", value: "Lis" },
      { kind: "property", name: "email", test: "exists" },
      { kind: "marketing_consent", given: false },
      { kind: "wrote_within", days: 7 },
      { kind: "reached", flow_id: "welcome", node_id: null },
      { kind: "reached", flow_id: "welcome", node_id: "ask" },
      { kind: "from_ad", ad_id: "120" },
      { kind: "channel", channel: "ch_1" },
      { kind: "search", text: "Ana" },
    ];
    for (const condition of all) {
      expect(conditionOf(draftOf(condition))).toEqual({ condition });
    }
  });

  test("an incomplete row says what it needs and is left out", () => {
    const number = {
      ...blankDraft("property"),
      name: "orders",
      test: "greater_than" as const,
      value: "many",
    };
    const { conditions, problems } = checkAll([
      blankDraft("tag"),
      { ...blankDraft("wrote_within"), days: "0" },
      number,
      { ...blankDraft("tag"), tag: " vip " },
      blankDraft("reached"),
    ]);
    expect(conditions).toEqual([{ kind: "tag", tag: "vip" }]);
    expect(problems).toEqual([
      "Choose or type a tag.",
      "Type a number of days (1 or more).",
      "“More than” and “less than” compare numbers: type a number.",
      null,
      "Choose a journey.",
    ]);
  });

  test("the export takes the list's filters and names the ones it cannot", () => {
    const city: Condition = { kind: "property", name: "city", test: "equals", value: "Porto" };
    const { params, left } = exportParams([
      { kind: "search", text: "Ana" },
      { kind: "tag", tag: "vip" },
      { kind: "tag", tag: "lisbon" },
      { kind: "marketing_consent", given: true },
      { kind: "wrote_within", days: 7 },
      { kind: "reached", flow_id: "welcome", node_id: "ask" },
      city,
    ]);
    expect(params.toString()).toBe(
      "q=Ana&tag=vip&tag=lisbon&consent=given&wrote_within_days=7&flow=welcome&node=ask",
    );
    expect(left).toEqual([city]);
  });
});
