import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "./graph";
import { search } from "./Palette";

const entry = (type: string, label: string, category: string, description: string) =>
  ({ type, label, category, description, ports: [] }) as CatalogEntry;

const catalog = [
  entry("webhook", "Webhook", "trigger", "Starts when another system calls Spool."),
  entry("split", "A/B split", "logic", "Sends contacts down branches by weight."),
  entry("goto_flow", "Go to flow", "logic", "Hands the contact to another flow; this run ends."),
  entry("end", "End", "logic", "Ends the journey."),
  entry("send_text", "Send text", "messaging", "Sends a text message."),
  entry("send_list", "Send list", "messaging", "Sends a list of choices."),
];

const found = (query: string) =>
  search(catalog, query).map(([category, entries]) => [category, entries.map((e) => e.type)]);

describe("searching the palette", () => {
  it("lists everything by category when nothing is searched", () => {
    expect(found("")).toEqual([
      ["trigger", ["webhook"]],
      ["logic", ["split", "goto_flow", "end"]],
      ["messaging", ["send_text", "send_list"]],
    ]);
  });

  it("puts the best match first, with its category on top", () => {
    expect(found("text")).toEqual([["messaging", ["send_text"]]]);
    expect(found("list")).toEqual([["messaging", ["send_list"]]]);
    expect(found("end")).toEqual([["logic", ["end", "goto_flow"]]]);
  });

  it("matches the starts of words, not letters inside them", () => {
    // "Send" and "Sends" do not make every sending step an answer to "end".
    expect(found("end").flatMap(([, types]) => types)).not.toContain("send_text");
    expect(found("another system")).toEqual([["trigger", ["webhook"]]]);
    // A longer search finds a word inside another.
    expect(found("hook")).toEqual([["trigger", ["webhook"]]]);
  });
});
