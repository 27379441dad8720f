import { describe, expect, it } from "vitest";
import { merge } from "./merge";
import type { FlowDoc } from "./types";

const base: FlowDoc = {
  schema: 1,
  id: "f",
  name: "Cart",
  nodes: [
    { id: "start", type: "inbound_message" },
    { id: "hello", type: "send_text", config: { text: "Hi" } },
    { id: "bye", type: "send_text", config: { text: "Bye" } },
  ],
  edges: [{ from: "start", port: "next", to: "hello" }],
};

function edit(change: (doc: FlowDoc) => void): FlowDoc {
  const doc = structuredClone(base);
  change(doc);
  return doc;
}

describe("merge", () => {
  it("merges changes to different nodes, edges and fields silently", () => {
    const mine = edit((d) => {
      d.nodes[1]!.config = { text: "Hello there" };
      d.edges.push({ from: "hello", port: "next", to: "bye" });
    });
    const theirs = edit((d) => {
      d.nodes[2]!.config = { text: "See you" };
      d.nodes.push({ id: "done", type: "end" });
      d.name = "Cart recovery";
    });
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.name).toBe("Cart recovery");
    expect(merged.nodes.map((n) => [n.id, n.config])).toEqual([
      ["start", undefined],
      ["hello", { text: "Hello there" }],
      ["bye", { text: "See you" }],
      ["done", undefined],
    ]);
    expect(merged.edges).toHaveLength(2);
  });

  it("takes identical changes on both sides once, without conflict", () => {
    const both = edit((d) => (d.nodes[1]!.config = { text: "Same" }));
    const { merged, conflicts } = merge(base, both, structuredClone(both));
    expect(conflicts).toEqual([]);
    expect(merged).toEqual(both);
  });

  it("reports a node both sides changed differently, keeping mine for now", () => {
    const mine = edit((d) => (d.nodes[1]!.config = { text: "Mine" }));
    const theirs = edit((d) => (d.nodes[1]!.config = { text: "Theirs" }));
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts.map((c) => [c.kind, c.key])).toEqual([["node", "hello"]]);
    expect(merged.nodes[1]!.config).toEqual({ text: "Mine" });
  });

  it("reports a node I changed and they deleted", () => {
    const mine = edit((d) => (d.nodes[2]!.config = { text: "Later" }));
    const theirs = edit((d) => d.nodes.splice(2, 1));
    const { conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([{ kind: "node", key: "bye", mine: mine.nodes[2], theirs: null }]);
  });

  it("deletes a node they deleted when I did not touch it", () => {
    const mine = edit((d) => (d.nodes[1]!.config = { text: "Mine" }));
    const theirs = edit((d) => d.nodes.splice(2, 1));
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.nodes.map((n) => n.id)).toEqual(["start", "hello"]);
  });

  it("reports one port connected to two different steps", () => {
    const mine = edit((d) => d.edges.push({ from: "hello", port: "next", to: "bye" }));
    const theirs = edit((d) => {
      d.nodes.push({ id: "done", type: "end" });
      d.edges.push({ from: "hello", port: "next", to: "done" });
    });
    const { conflicts } = merge(base, mine, theirs);
    expect(conflicts.map((c) => [c.kind, c.key])).toEqual([["edge", "hello → next"]]);
  });

  it("reports my new connection to a step they deleted", () => {
    const mine = edit((d) => d.edges.push({ from: "hello", port: "next", to: "bye" }));
    const theirs = edit((d) => d.nodes.splice(2, 1));
    const { conflicts } = merge(base, mine, theirs);
    expect(conflicts.map((c) => [c.kind, c.key])).toEqual([["edge", "hello → next"]]);
  });

  it("keeps notes from both sides", () => {
    const mine = edit((d) => (d.notes = [{ id: "n1", text: "Mine", position: { x: 0, y: 0 } }]));
    const theirs = edit(
      (d) => (d.notes = [{ id: "n2", text: "Theirs", position: { x: 9, y: 9 } }]),
    );
    const { merged, conflicts } = merge(base, mine, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.notes?.map((n) => n.id)).toEqual(["n2", "n1"]);
  });
});
