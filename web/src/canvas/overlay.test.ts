import { describe, expect, it } from "vitest";
import type { Edge } from "@xyflow/react";
import { markEdges, markNodes, portKey } from "./overlay";
import type { CanvasNode } from "./view";

const node = (id: string) =>
  ({
    id,
    type: "flow",
    position: { x: 0, y: 0 },
    data: { typeLabel: "Send text", category: "messaging", summary: "", ports: [] },
  }) as CanvasNode;

const edge = (from: string, port: string, to: string): Edge => ({
  id: JSON.stringify([from, port, to]),
  source: from,
  sourceHandle: port,
  target: to,
});

describe("the canvas overlay", () => {
  it("lights the marked steps and leaves the others' objects alone", () => {
    const nodes = [node("a"), node("b")];
    const marked = markNodes(nodes, new Map([["b", "current"]]));
    expect(marked[0]).toBe(nodes[0]);
    expect(marked[1]?.className).toBe("overlay-current");
  });

  it("tints a taken way and widens it by its share of the traffic", () => {
    const edges = [edge("a", "next", "b"), edge("b", "yes", "c"), edge("b", "no", "d")];
    const marked = markEdges(
      edges,
      new Map([
        [portKey("a", "next"), { taken: true }],
        [portKey("b", "yes"), { weight: 1, label: "90 contacts" }],
        [portKey("b", "no"), { weight: 0 }],
      ]),
    );
    expect(marked[0]?.className).toBe("overlay-taken");
    const wide = Number(marked[1]?.style?.strokeWidth);
    const thin = Number(marked[2]?.style?.strokeWidth);
    expect(wide).toBeGreaterThan(thin);
    expect(marked[1]?.label).toBe("90 contacts");
  });

  it("changes nothing when nothing is marked", () => {
    const edges = [edge("a", "next", "b")];
    expect(markEdges(edges, new Map())).toBe(edges);
  });
});
