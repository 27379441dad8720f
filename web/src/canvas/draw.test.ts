import { describe, expect, it } from "vitest";
import { toCanvas } from "./draw";
import type { CatalogEntry } from "./graph";

const catalog: CatalogEntry[] = [
  {
    type: "send_text",
    label: "Send text",
    category: "messaging",
    description: "",
    ports: [
      { name: "next", role: "optional" },
      { name: "error", role: "error" },
    ],
  },
  { type: "end", label: "End", category: "logic", description: "", ports: [] },
];

describe("toCanvas", () => {
  it("draws nodes with their label, summary and ports, and edges port to node", () => {
    const drawn = toCanvas(
      {
        nodes: [
          { id: "hi", type: "send_text", position: { x: 0, y: 0 }, config: { text: "Hello" } },
          { id: "bye", type: "end", position: { x: 300, y: 0 }, config: {} },
        ],
        edges: [{ from: "hi", port: "next", to: "bye" }],
      },
      catalog,
    );
    expect(drawn.nodes[0]?.data).toMatchObject({
      typeLabel: "Send text",
      summary: "Hello",
      ports: [
        { name: "next", label: "next", role: "optional" },
        { name: "error", label: "error", role: "error" },
      ],
    });
    expect(drawn.edges).toEqual([
      expect.objectContaining({ source: "hi", sourceHandle: "next", target: "bye" }),
    ]);
    expect(drawn.undrawn).toBe(0);
    expect(drawn.start).toEqual(["hi", "bye"]);
  });

  it("counts the edges it cannot draw instead of handing React Flow a dangling one", () => {
    const drawn = toCanvas(
      {
        nodes: [{ id: "hi", type: "send_text", position: { x: 0, y: 0 } }],
        edges: [
          { from: "hi", port: "nope", to: "hi" },
          { from: "hi", port: "next", to: "gone" },
          { from: "gone", port: "next", to: "hi" },
          "not an edge",
        ],
      },
      catalog,
    );
    expect(drawn.edges).toEqual([]);
    expect(drawn.undrawn).toBe(3);
  });

  it("opens on the first columns of a long journey", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => ({
      id: `n${i}`,
      type: "end",
      position: { x: i * 250, y: 0 },
    }));
    expect(toCanvas({ nodes, edges: [] }, catalog).start).toEqual(["n0", "n1", "n2", "n3"]);
  });
});
