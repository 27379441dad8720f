import { describe, expect, it } from "vitest";
import { layout, needsLayout, portsOf, summaryOf, type CatalogEntry, type DocNode } from "./graph";

const buttons: CatalogEntry = {
  type: "send_buttons",
  label: "Buttons",
  category: "messaging",
  description: "",
  ports: [
    { name: "other", role: "optional" },
    { name: "timeout", role: "timeout" },
    { name: "error", role: "error" },
  ],
};

describe("portsOf", () => {
  it("gives a button node one port per button, titled, before its own ports", () => {
    const node: DocNode = {
      id: "ask",
      type: "send_buttons",
      config: {
        buttons: [
          { id: "this_month", title: "This month" },
          { id: "later", title: "Later" },
        ],
      },
    };
    expect(portsOf(node, buttons)).toEqual([
      { name: "this_month", label: "This month", role: "main" },
      { name: "later", label: "Later", role: "main" },
      { name: "other", label: "other", role: "optional" },
      { name: "timeout", label: "timeout", role: "timeout" },
      { name: "error", label: "error", role: "error" },
    ]);
  });

  it("names list rows and switch cases, and skips names the format forbids", () => {
    const list: DocNode = {
      id: "menu",
      type: "send_list",
      config: { sections: [{ rows: [{ id: "a", title: "Shoes" }, { id: "error" }, { id: "a" }] }] },
    };
    expect(portsOf(list, undefined).map((p) => p.label)).toEqual(["Shoes"]);
    const cases: DocNode = {
      id: "s",
      type: "switch",
      config: { cases: [{ port: "hot" }, { port: "" }] },
    };
    expect(portsOf(cases, undefined).map((p) => p.name)).toEqual(["hot"]);
  });
});

describe("summaryOf", () => {
  it("says in one line what a node does", () => {
    expect(
      summaryOf({
        id: "a",
        type: "send_text",
        config: { text: "Hi {{ contact.name }}!\nHow are you?" },
      }),
    ).toBe("Hi {{ contact.name }}! How are you?");
    expect(
      summaryOf({ id: "b", type: "condition", config: { expression: "cart.total > 50" } }),
    ).toBe("If cart.total > 50");
    expect(summaryOf({ id: "c", type: "delay", config: { for: "1h" } })).toBe("Wait 1h");
    expect(summaryOf({ id: "d", type: "end" })).toBe("Journey ends");
    expect(
      summaryOf({ id: "e", type: "send_text", config: { text: "x".repeat(200) } }),
    ).toHaveLength(80);
  });
});

describe("layout", () => {
  it("lays out only flows that were never placed", () => {
    expect(
      needsLayout([
        { id: "a", type: "end" },
        { id: "b", type: "end", position: { x: 0, y: 0 } },
      ]),
    ).toBe(true);
    expect(
      needsLayout([
        { id: "a", type: "end", position: { x: 10, y: 0 } },
        { id: "b", type: "end" },
      ]),
    ).toBe(false);
  });

  it("places each step to the right of the one before", () => {
    const nodes: DocNode[] = [
      { id: "a", type: "send_text" },
      { id: "b", type: "send_text" },
      { id: "c", type: "end" },
    ];
    const positions = layout(
      nodes,
      [
        { from: "a", port: "next", to: "b" },
        { from: "b", port: "next", to: "c" },
        { from: "b", port: "next", to: "missing" },
      ],
      () => 100,
    );
    const x = (id: string) => positions.get(id)?.x ?? Number.NaN;
    expect(x("a")).toBeLessThan(x("b"));
    expect(x("b")).toBeLessThan(x("c"));
  });
});
