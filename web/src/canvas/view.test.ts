import { describe, expect, it } from "vitest";
import type { FlowDoc, Selection } from "../document";
import type { CatalogEntry } from "./graph";
import { edgeId, edgesFor, nodesFor } from "./view";

const catalog = new Map<string, CatalogEntry>([
  [
    "send_text",
    {
      type: "send_text",
      label: "Send text",
      category: "messaging",
      description: "",
      ports: [{ name: "next", role: "optional" }],
    },
  ],
  ["end", { type: "end", label: "End", category: "logic", description: "", ports: [] }],
]);

const doc: FlowDoc = {
  schema: 1,
  id: "hello",
  name: "Hello",
  nodes: [
    { id: "hi", type: "send_text", position: { x: 0, y: 0 }, config: { text: "Hi" } },
    { id: "bye", type: "send_text", position: { x: 300, y: 0 }, config: { text: "Bye" } },
    { id: "end", type: "end", position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { from: "hi", port: "next", to: "bye" },
    { from: "bye", port: "next", to: "end" },
  ],
};

const none: Selection = { nodes: [], notes: [], edges: [] };

function draw(document: FlowDoc, selection: Selection) {
  const { index } = nodesFor(document, catalog, selection, new Map());
  return edgesFor(document, index, new Set(selection.edges)).edges;
}

describe("edgesFor", () => {
  // React Flow re-renders an edge whose object changed: in a flow of hundreds of wires,
  // selecting a step or moving one must not hand it hundreds of new ones.
  it("keeps the edges' objects when a step is selected or moved", () => {
    const before = draw(doc, none);
    draw(doc, { ...none, nodes: ["bye"] }).forEach((edge, i) => expect(edge).toBe(before[i]));
    const moved = {
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === "bye" ? { ...n, position: { x: 320, y: 40 } } : n)),
    };
    const after = draw(moved, { ...none, nodes: ["bye"] });
    after.forEach((edge, i) => expect(edge).toBe(before[i]));
  });

  it("draws a newly selected edge anew, and only that one", () => {
    const before = draw(doc, none);
    const picked = edgeId(doc.edges[1]!);
    const after = draw(doc, { ...none, edges: [picked] });
    expect(after[0]).toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    expect(after[1]).toMatchObject({ id: picked, selected: true, source: "bye", target: "end" });
  });
});
