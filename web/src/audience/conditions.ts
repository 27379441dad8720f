// Conditions on contacts as a marketer edits them: a draft row holds what was typed (text
// in every box, nothing lost while it is incomplete), `conditionOf` turns it into the API's
// condition or says what is missing, and `sentence` reads a condition back in words.

import type { Condition, PropertyTest } from "./types";

export type DraftKind = Condition["kind"];

/** One row of the condition editor: every box's text, whichever the kind shows. */
export interface Draft {
  kind: DraftKind;
  tag: string;
  name: string;
  test: PropertyTest;
  value: string;
  given: boolean;
  days: string;
  flow_id: string;
  node_id: string;
  ad_id: string;
  channel: string;
  text: string;
}

/** The kinds a marketer picks from, in the order of the menu, with their labels. */
export const KINDS: { kind: DraftKind; label: string }[] = [
  { kind: "tag", label: "Has tag" },
  { kind: "not_tag", label: "Doesn't have tag" },
  { kind: "property", label: "Field" },
  { kind: "marketing_consent", label: "Agreed to offers or not" },
  { kind: "wrote_within", label: "Wrote in the last … days" },
  { kind: "silent_for", label: "Hasn't written for … days" },
  { kind: "reached", label: "Reached a step of a journey" },
  { kind: "from_ad", label: "Came from an ad" },
  { kind: "search", label: "Name or number contains" },
];

export const TESTS: { test: PropertyTest; label: string }[] = [
  { test: "equals", label: "is" },
  { test: "not_equals", label: "isn't" },
  { test: "contains", label: "contains" },
  { test: "greater_than", label: "is more than" },
  { test: "less_than", label: "is less than" },
  { test: "exists", label: "is set" },
  { test: "missing", label: "is not set" },
];

/** Whether a field test compares with a value (is set / is not set do not). */
export function takesValue(test: PropertyTest): boolean {
  return test !== "exists" && test !== "missing";
}

export function blankDraft(kind: DraftKind = "tag"): Draft {
  return {
    kind,
    tag: "",
    name: "",
    test: "equals",
    value: "",
    given: true,
    days: "7",
    flow_id: "",
    node_id: "",
    ad_id: "",
    channel: "",
    text: "",
  };
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The row that edits a condition. */
export function draftOf(condition: Condition): Draft {
  const draft = blankDraft(condition.kind);
  switch (condition.kind) {
    case "tag":
    case "not_tag":
      return { ...draft, tag: condition.tag };
    case "property":
      return {
        ...draft,
        name: condition.name,
        test: condition.test,
        value: valueText(condition.value),
      };
    case "marketing_consent":
      return { ...draft, given: condition.given };
    case "wrote_within":
    case "silent_for":
      return { ...draft, days: String(condition.days) };
    case "reached":
      return { ...draft, flow_id: condition.flow_id, node_id: condition.node_id ?? "" };
    case "from_ad":
      return { ...draft, ad_id: condition.ad_id };
    case "channel":
      return { ...draft, channel: condition.channel };
    case "search":
      return { ...draft, text: condition.text };
  }
}

export type Checked = { condition: Condition } | { problem: string };

function days(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= 1 ? n : null;
}

/** The condition a row stands for, or what the marketer still has to fill in. */
export function conditionOf(draft: Draft): Checked {
  switch (draft.kind) {
    case "tag":
    case "not_tag": {
      const tag = draft.tag.trim();
      if (tag === "") return { problem: "Choose or type a tag." };
      return { condition: { kind: draft.kind, tag } };
    }
    case "property": {
      const name = draft.name.trim();
      if (name === "") return { problem: "Type the name of the field, e.g. city." };
      if (!takesValue(draft.test))
        return { condition: { kind: "property", name, test: draft.test } };
      const value = draft.value.trim();
      if (value === "") return { problem: "Type the value to compare with." };
      if (
        (draft.test === "greater_than" || draft.test === "less_than") &&
        !Number.isFinite(Number(value))
      ) {
        return { problem: "“More than” and “less than” compare numbers: type a number." };
      }
      return { condition: { kind: "property", name, test: draft.test, value } };
    }
    case "marketing_consent":
      return { condition: { kind: "marketing_consent", given: draft.given } };
    case "wrote_within":
    case "silent_for": {
      const n = days(draft.days);
      if (n === null) return { problem: "Type a number of days (1 or more)." };
      return { condition: { kind: draft.kind, days: n } };
    }
    case "reached":
      if (draft.flow_id === "") return { problem: "Choose a journey." };
      return {
        condition: {
          kind: "reached",
          flow_id: draft.flow_id,
          node_id: draft.node_id === "" ? null : draft.node_id,
        },
      };
    case "from_ad": {
      const ad = draft.ad_id.trim();
      if (ad === "") return { problem: "Type the ad's id (WhatsApp calls it the source id)." };
      return { condition: { kind: "from_ad", ad_id: ad } };
    }
    case "channel":
      if (draft.channel.trim() === "") return { problem: "Choose a WhatsApp number." };
      return { condition: { kind: "channel", channel: draft.channel.trim() } };
    case "search": {
      const text = draft.text.trim();
      if (text === "") return { problem: "Type part of a name or number." };
      return { condition: { kind: "search", text } };
    }
  }
}

/** The conditions of the complete rows, and the problem of each row (null when complete). */
export function checkAll(drafts: readonly Draft[]): {
  conditions: Condition[];
  problems: (string | null)[];
} {
  const conditions: Condition[] = [];
  const problems = drafts.map((draft) => {
    const checked = conditionOf(draft);
    if ("problem" in checked) return checked.problem;
    conditions.push(checked.condition);
    return null;
  });
  return { conditions, problems };
}

const dayWords = (n: number) => (n === 1 ? "1 day" : `${n} days`);

export interface Names {
  /** A journey's name by its id. */
  flow?: (id: string) => string | undefined;
  /** A step's name by its journey and id. */
  step?: (flow: string, node: string) => string | undefined;
}

/** A condition in words: "Has the tag “vip”", "Field city is “Lisbon”". */
export function sentence(condition: Condition, names: Names = {}): string {
  switch (condition.kind) {
    case "tag":
      return `Has the tag “${condition.tag}”`;
    case "not_tag":
      return `Doesn't have the tag “${condition.tag}”`;
    case "property": {
      const test = TESTS.find((t) => t.test === condition.test)?.label ?? condition.test;
      const value = takesValue(condition.test) ? ` “${valueText(condition.value)}”` : "";
      return `Field “${condition.name}” ${test}${value}`;
    }
    case "marketing_consent":
      return condition.given ? "Agreed to receive offers" : "Hasn't agreed to receive offers";
    case "wrote_within":
      return `Wrote in the last ${dayWords(condition.days)}`;
    case "silent_for":
      return `Hasn't written for ${dayWords(condition.days)} (or never wrote)`;
    case "reached": {
      const flow = names.flow?.(condition.flow_id) ?? condition.flow_id;
      if (!condition.node_id) return `Reached the journey “${flow}”`;
      const step = names.step?.(condition.flow_id, condition.node_id) ?? condition.node_id;
      return `Reached the step “${step}” of the journey “${flow}”`;
    }
    case "from_ad":
      return `Came from the ad ${condition.ad_id}`;
    case "channel":
      return `Last wrote to the number ${condition.channel}`;
    case "search":
      return `Name or number contains “${condition.text}”`;
  }
}

/** All the conditions in one line: "Everyone" when there are none. */
export function audienceWords(conditions: readonly Condition[], names: Names = {}): string {
  if (conditions.length === 0) return "Everyone";
  return conditions.map((c) => sentence(c, names)).join(" · ");
}

/**
 * The export's list filters for these conditions (the export takes the list's simple
 * filters, not every condition), and the conditions it cannot take.
 */
export function exportParams(conditions: readonly Condition[]): {
  params: URLSearchParams;
  left: Condition[];
} {
  const params = new URLSearchParams();
  const left: Condition[] = [];
  const once = (key: string, value: string, condition: Condition) => {
    if (params.has(key)) left.push(condition);
    else params.set(key, value);
  };
  for (const c of conditions) {
    switch (c.kind) {
      case "search":
        once("q", c.text, c);
        break;
      case "tag":
        params.append("tag", c.tag);
        break;
      case "marketing_consent":
        once("consent", c.given ? "given" : "none", c);
        break;
      case "wrote_within":
        once("wrote_within_days", String(c.days), c);
        break;
      case "reached":
        if (params.has("flow")) left.push(c);
        else {
          params.set("flow", c.flow_id);
          if (c.node_id) params.set("node", c.node_id);
        }
        break;
      case "from_ad":
        once("ad", c.ad_id, c);
        break;
      case "channel":
        once("channel", c.channel, c);
        break;
      default:
        left.push(c);
    }
  }
  return { params, left };
}
