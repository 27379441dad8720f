// What the composer offers: who may write on a ticket, the countdown of the 24-hour window,
// the length of a text, and which templates can go once the window has closed, with a
// field per placeholder.

import { describe, expect, it } from "vitest";
import type { components } from "../api/schema";
import {
  accessOf,
  countdownOf,
  lengthWords,
  missingValues,
  placeholdersOf,
  sizedValues,
  templateChoices,
  windowClosesAt,
} from "./composerRules";

type TemplateInfo = components["schemas"]["TemplateInfo"];

const open = { status: "open", assignee: null };
const ritas = { status: "open", assignee: "rita@shop.test" };
const me = (role: string) => ({ email: "ana@shop.test", role });

describe("who can write on a ticket", () => {
  it("lets the owner write, with nothing to add", () => {
    expect(accessOf({ ...ritas }, { email: "rita@shop.test", role: "operator" })).toEqual({
      kind: "write",
      hint: null,
    });
  });

  it("says that sending takes a conversation no one has", () => {
    for (const role of ["operator", "editor", "admin"]) {
      expect(accessOf(open, me(role))).toEqual({
        kind: "write",
        hint: "Sending takes this conversation.",
      });
    }
  });

  it("names the colleague who has it, and lets only an admin answer for them", () => {
    expect(accessOf(ritas, me("operator"))).toEqual({
      kind: "blocked",
      why: "rita@shop.test is working on this conversation: only they, or an admin, can answer.",
    });
    expect(accessOf(ritas, me("editor")).kind).toBe("blocked");
    expect(accessOf(ritas, me("admin"))).toEqual({
      kind: "write",
      hint: "rita@shop.test has this conversation: you answer as an admin.",
    });
  });

  it("names a program as an API key, not by its id", () => {
    const access = accessOf({ status: "open", assignee: "api_key:7f3a" }, me("operator"));
    expect(access).toEqual({
      kind: "blocked",
      why: "An API key is working on this conversation: only they, or an admin, can answer.",
    });
  });

  it("says a closed conversation takes no reply, and shows a viewer nothing", () => {
    const closed = accessOf({ status: "closed", assignee: "ana@shop.test" }, me("admin"));
    expect(closed.kind).toBe("blocked");
    expect(closed.kind === "blocked" && closed.why).toMatch(/^Closed/);
    expect(accessOf(open, me("viewer"))).toEqual({ kind: "nothing" });
    expect(accessOf(open, { email: undefined, role: undefined })).toEqual({ kind: "nothing" });
  });
});

describe("the 24-hour window", () => {
  const now = new Date("2026-12-01T17:00:00Z");
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
  const ahead = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

  it("counts from the latest of the contact, the thread and the ticket", () => {
    const closes = windowClosesAt({
      contactClosesAt: ahead(60),
      ticketClosesAt: ahead(30),
      // The contact wrote again 10 minutes ago: the thread knows before the contact is read.
      messages: [
        { direction: "in", at: ago(10) },
        { direction: "out", at: ago(1) },
      ],
    });
    expect(closes).toBe(now.getTime() + (24 * 60 - 10) * 60_000);
    expect(windowClosesAt({})).toBeNull();
    // A message out does not open the window.
    expect(windowClosesAt({ messages: [{ direction: "out", at: ago(1) }] })).toBeNull();
  });

  it("says how long free text is allowed, amber in the last hour", () => {
    const at = (minutes: number) => now.getTime() + minutes * 60_000;
    expect(countdownOf(at(5 * 60 + 12), now)).toEqual({
      words: "Free text allowed for 5 h 12 min more",
      urgent: false,
    });
    expect(countdownOf(at(60), now)?.urgent).toBe(false);
    expect(countdownOf(at(59), now)).toEqual({
      words: "Free text allowed for 59 min more",
      urgent: true,
    });
    expect(countdownOf(now.getTime() + 20_000, now)?.words).toBe(
      "Free text allowed for less than a minute more",
    );
    expect(countdownOf(at(0), now)).toBeNull();
    expect(countdownOf(at(-5), now)).toBeNull();
    expect(countdownOf(null, now)).toBeNull();
  });
});

describe("the length of a text", () => {
  it("counts characters as WhatsApp does, without the spaces around", () => {
    expect(lengthWords("  Hi Ana 👋 ")).toEqual({ words: "8 / 4,096 characters", over: false });
    expect(lengthWords("a".repeat(4096)).over).toBe(false);
    expect(lengthWords("a".repeat(4097))).toEqual({
      words: "4,097 / 4,096 characters",
      over: true,
    });
  });
});

function template(extra: Partial<TemplateInfo> & Pick<TemplateInfo, "name">): TemplateInfo {
  return {
    language: "en",
    category: "UTILITY",
    status: "APPROVED",
    parameter_format: "POSITIONAL",
    waba_id: "102290129340398",
    channels: ["ch1"],
    components: [{ type: "BODY", text: "Hi {{1}}, your order {{2}} is on its way." }] as never,
    parameters: [{ component: "body", count: 2, names: [] }],
    updated_at: "2026-12-01T10:00:00Z",
    ...extra,
  };
}

describe("the templates offered once the window has closed", () => {
  const sale = template({
    name: "spring_sale",
    language: "en_US",
    category: "MARKETING",
    components: [{ type: "BODY", text: "Hi {{1}}, spring is here." }] as never,
    parameters: [{ component: "body", count: 1, names: [] }],
  });
  const list = [
    sale,
    template({ name: "order_update" }),
    template({ name: "order_update", language: "pt_BR" }),
    template({ name: "welcome_offer", status: "PENDING" }),
    template({ name: "order_update" }),
  ];

  it("offers approved translations once each, Utility first, with category and body", () => {
    const choices = templateChoices(list, { marketingOptIn: true });
    expect(choices.map((c) => `${c.key} ${c.category}`)).toEqual([
      "order_update|en Utility",
      "order_update|pt_BR Utility",
      "spring_sale|en_US Marketing",
    ]);
    expect(choices[0]?.body).toBe("Hi {{1}}, your order {{2}} is on its way.");
    expect(choices.every((c) => c.unavailable === null)).toBe(true);
  });

  it("holds back Marketing ones from a contact who has not agreed, saying why", () => {
    const choices = templateChoices(list, { marketingOptIn: false });
    expect(choices.find((c) => c.template.name === "spring_sale")?.unavailable).toBe(
      "The contact has not agreed to Marketing messages.",
    );
    expect(choices.find((c) => c.template.name === "order_update")?.unavailable).toBeNull();
  });

  it("holds back one whose header or button needs a value the inbox cannot give", () => {
    const [picture, link] = templateChoices(
      [
        template({
          name: "a_photo",
          parameters: [
            { component: "header", format: "IMAGE", count: 1, names: [] },
            { component: "body", count: 0, names: [] },
          ],
        }),
        template({
          name: "b_track",
          parameters: [{ component: "button", index: 0, count: 1, names: [] }],
        }),
      ],
      { marketingOptIn: true },
    );
    expect(picture?.unavailable).toMatch(/header needs a value or a file/);
    expect(link?.unavailable).toMatch(/button needs a value/);
  });
});

describe("placeholders", () => {
  it("labels one field per body value, by name when the template is NAMED", () => {
    expect(placeholdersOf(template({ name: "t" }), null)).toEqual(["{{1}}", "{{2}}"]);
    const named = template({
      name: "t",
      parameter_format: "NAMED",
      parameters: [{ component: "body", count: 2, names: ["first_name", "order"] }],
    });
    expect(placeholdersOf(named, null)).toEqual(["{{first_name}}", "{{order}}"]);
  });

  it("reads them from the words when the sync said nothing of them", () => {
    const unsynced = template({ name: "t", parameters: [] });
    expect(placeholdersOf(unsynced, "{{1}} and {{2}}, then {{1}} again")).toEqual([
      "{{1}}",
      "{{2}}",
    ]);
    expect(placeholdersOf(unsynced, "No values")).toEqual([]);
  });

  it("keeps one value per placeholder and names the ones still empty", () => {
    expect(sizedValues(["Ben"], 2)).toEqual(["Ben", ""]);
    expect(sizedValues(["Ben", "A-17", "extra"], 2)).toEqual(["Ben", "A-17"]);
    expect(missingValues(["{{1}}", "{{2}}"], ["Ben", "  "])).toEqual(["{{2}}"]);
    expect(missingValues(["{{1}}"], ["Ben"])).toEqual([]);
  });
});
