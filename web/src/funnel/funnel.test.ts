import { describe, expect, it } from "vitest";
import { portKey } from "../canvas/overlay";
import { cell, csvName, funnelCsv } from "./csv";
import { rangeQuery } from "./api";
import {
  cardWords,
  dropOffs,
  outcomeOf,
  overlayOf,
  percent,
  totalsWords,
  type Funnel,
  type NodeCounts,
} from "./funnel";

const node = (
  node_id: string,
  type: string,
  entered: number,
  left: Record<string, number>,
  extra: Partial<NodeCounts> = {},
): NodeCounts => ({ node_id, type, entered, left, failed: 0, timed_out: 0, ...extra });

/** An abandoned-cart week: 100 carts, 80 reminded, 30 never answered, 5 reminders failed. */
const cart: Funnel = {
  flow_id: "abandoned-cart",
  version: 2,
  hash: "h",
  range: { from: "2026-11-24T09:12:00Z", to: "2026-12-01T09:12:00Z" },
  counted: { from: "2026-11-24T09:00:00Z", to: "2026-12-01T10:00:00Z" },
  nodes: [
    node("cart_abandoned", "webhook", 100, { next: 100 }),
    node("still_in_cart", "condition", 100, { true: 80, false: 20, error: 0 }),
    node("cart_reminder", "send_template", 80, { next: 75, error: 3 }, { failed: 5 }),
    node("wait_answer", "wait_for_reply", 75, { reply: 40, timeout: 30 }, { timed_out: 30 }),
    node("end_no_reminder", "end", 23, {}),
  ],
  totals: { started: 100, entered: 378, failed: 5, timed_out: 30 },
};

const labels: Record<string, string> = {
  wait_for_reply: "Wait for reply",
  send_template: "Send template",
};
const name = (id: string, type: string) => `${labels[type] ?? type} “${id}”`;

describe("the funnel on the canvas", () => {
  it("labels every way out with its count and widens it by its share of the busiest", () => {
    const overlay = overlayOf(cart);
    expect(overlay.nodes.size).toBe(0);
    expect(overlay.edges.get(portKey("cart_abandoned", "next"))).toEqual({
      weight: 1,
      label: "100",
    });
    expect(overlay.edges.get(portKey("still_in_cart", "true"))).toEqual({
      weight: 0.8,
      label: "80",
    });
    // A way nobody took is still labelled, at the thinnest width.
    expect(overlay.edges.get(portKey("still_in_cart", "error"))).toEqual({
      weight: 0,
      label: "0",
    });
  });

  it("draws nothing wide when nobody went anywhere", () => {
    const empty = { ...cart, nodes: [node("a", "webhook", 0, { next: 0 })] };
    expect(overlayOf(empty).edges.get(portKey("a", "next"))?.weight).toBe(0);
  });

  it("puts each step's fate on its card in words", () => {
    expect(cardWords(cart.nodes[3]!)).toBe("75 reached · 30 timed out · 5 not gone on");
    expect(cardWords(cart.nodes[2]!)).toBe("80 reached · 5 failed");
    expect(cardWords(cart.nodes[4]!)).toBe("23 finished here");
  });

  it("counts as stopped the failures no error way took on", () => {
    // 80 reached; 78 left (3 of them by `error`); 2 of the 5 failures had no way out.
    expect(outcomeOf(cart.nodes[2]!)).toMatchObject({ left: 78, failed: 5, stayed: 0 });
  });
});

describe("the biggest drop-offs in words", () => {
  it("names the step and says what share of those who reached it was lost, biggest first", () => {
    const drops = dropOffs(cart, name);
    expect(drops.map((d) => d.sentence)).toEqual([
      "40 % of contacts who reached Wait for reply “wait_answer” never answered (30 of 75).",
      "7 % of contacts who reached Wait for reply “wait_answer” have not gone on (5 of 75): they are still waiting there, or their journey stopped there.",
      "6 % of contacts who reached Send template “cart_reminder” failed there (5 of 80).",
    ]);
  });

  it("keeps the list short", () => {
    expect(dropOffs(cart, name, 1)).toHaveLength(1);
  });

  it("says nothing about steps no one reached or no one left", () => {
    const clean = { ...cart, nodes: [cart.nodes[0]!, node("x", "delay", 0, { next: 0 })] };
    expect(dropOffs(clean, name)).toEqual([]);
  });

  it("writes shares people read", () => {
    expect(percent(38, 100)).toBe("38 %");
    expect(percent(1, 1000)).toBe("less than 1 %");
    expect(percent(0, 0)).toBe("0 %");
  });

  it("sums the version up", () => {
    expect(totalsWords(cart)).toBe("100 journeys started · 5 failures · 30 waits timed out");
  });
});

describe("the CSV download", () => {
  it("has one row per step and one column per way out, empty where a step has none", () => {
    const text = funnelCsv(cart, (type) => labels[type] ?? type);
    const lines = text.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "Step,Step type,Reached,Timed out,Failed,Not gone on,Left by next,Left by true,Left by false,Left by error,Left by reply,Left by timeout",
    );
    expect(lines[4]).toBe("wait_answer,Wait for reply,75,30,0,5,,,,,40,30");
    expect(lines[5]).toBe("end_no_reminder,end,23,0,0,0,,,,,,");
    expect(lines).toHaveLength(6);
  });

  it("quotes what must be quoted and keeps spreadsheets from running formulas", () => {
    expect(cell('Say "hi", then wait')).toBe('"Say ""hi"", then wait"');
    expect(cell("=HYPERLINK()")).toBe("'=HYPERLINK()");
    expect(cell(-3)).toBe("-3");
  });

  it("is named after the flow, the version and the days counted", () => {
    expect(csvName(cart)).toBe("abandoned-cart-v2-2026-11-24-to-2026-12-01.csv");
  });
});

describe("the period asked for", () => {
  const now = Date.parse("2026-12-01T12:00:00Z");
  it("measures the last hours and days from now", () => {
    expect(rangeQuery({ kind: "24h" }, now)).toEqual({ from: "2026-11-30T12:00:00.000Z" });
    expect(rangeQuery({ kind: "30d" }, now)).toEqual({ from: "2026-11-01T12:00:00.000Z" });
  });
  it("refuses a custom period that ends before it starts, in words", () => {
    expect(
      rangeQuery({ kind: "custom", from: "2026-11-02T00:00", to: "2026-11-01T00:00" }, now),
    ).toEqual({ invalid: "The start must be before the end." });
    expect(rangeQuery({ kind: "custom", from: "", to: "2026-11-01T00:00" }, now)).toEqual({
      invalid: "Choose both a start and an end.",
    });
  });
});
