import { describe, expect, it } from "vitest";
import type { FlowDoc } from "../document";
import { edgesFor, nodesFor } from "../canvas/view";
import type { CatalogEntry } from "../canvas/graph";
import { closedWindowOf, showClosedWindow, useClosedWindow } from "./window";

const catalog: CatalogEntry[] = [
  {
    type: "webhook",
    label: "Webhook",
    category: "trigger",
    description: "",
    ports: [{ name: "next", role: "main" }],
  },
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

const doc = {
  schema: 1,
  id: "t",
  name: "T",
  nodes: [
    { id: "start", type: "webhook", position: { x: 0, y: 0 }, config: {} },
    { id: "text", type: "send_text", position: { x: 300, y: 0 }, config: { text: "Hi" } },
    { id: "end", type: "end", position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { from: "start", port: "next", to: "text" },
    { from: "text", port: "next", to: "end" },
  ],
} as unknown as FlowDoc;

const reason = "The journey starts without the contact writing";

describe("the 24-hour window on edges", () => {
  it("draws an edge the window may be closed along as a window edge with the reason", () => {
    const byType = new Map(catalog.map((entry) => [entry.type, entry]));
    const drawn = nodesFor(doc, byType, { nodes: [], notes: [], edges: [] }, new Map());
    const closed = closedWindowOf([{ node_id: "start", port: "next", reason }]);
    const { edges } = edgesFor(doc, drawn.index, new Set(), closed);
    const [first, second] = edges;
    expect(first?.type).toBe("window");
    expect(first?.data).toEqual({ reason });
    expect(first?.ariaLabel).toContain("only templates");
    // The other edge is an ordinary one.
    expect(second?.type).toBeUndefined();
  });

  it("keeps the same marks object when validation says the same again", () => {
    showClosedWindow([{ node_id: "start", port: "next", reason }]);
    const before = useClosedWindow.getState().closed;
    showClosedWindow([{ node_id: "start", port: "next", reason }]);
    expect(useClosedWindow.getState().closed).toBe(before);
    showClosedWindow([]);
    expect(useClosedWindow.getState().closed.size).toBe(0);
  });
});
