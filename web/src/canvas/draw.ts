// A flow document as React Flow's nodes and edges: data for the node view, positions (from
// the document, or from dagre when it has none), and the edges that can be drawn.

import type { Edge } from "@xyflow/react";
import { nodeHeight, type FlowNodeType } from "./FlowNode";
import {
  layout,
  needsLayout,
  portsOf,
  summaryOf,
  type CatalogEntry,
  type DocEdge,
  type DocNode,
} from "./graph";

/** React Flow's nodes and edges for a document; edges it cannot draw are counted. */
export function toCanvas(
  document: { nodes: unknown[]; edges: unknown[] },
  catalog: readonly CatalogEntry[],
): { nodes: FlowNodeType[]; edges: Edge[]; undrawn: number; start: string[] } {
  const byType = new Map(catalog.map((entry) => [entry.type, entry]));
  const docNodes = document.nodes.filter(
    (n): n is DocNode =>
      typeof n === "object" && n !== null && typeof (n as DocNode).id === "string",
  );
  const docEdges = document.edges.filter(
    (e): e is DocEdge =>
      typeof e === "object" && e !== null && typeof (e as DocEdge).from === "string",
  );
  const data = new Map(
    docNodes.map((node) => {
      const entry = byType.get(node.type);
      const summary = summaryOf(node);
      return [
        node.id,
        {
          typeLabel: entry?.label ?? node.type,
          category: entry?.category ?? "unknown",
          summary,
          ports: portsOf(node, entry),
        },
      ] as const;
    }),
  );
  const height = (node: DocNode) => {
    const d = data.get(node.id);
    return nodeHeight(d?.ports.length ?? 0, Boolean(d?.summary));
  };
  const placed = needsLayout(docNodes) ? layout(docNodes, docEdges, height) : undefined;
  const nodes: FlowNodeType[] = docNodes.map((node) => ({
    id: node.id,
    type: "flow",
    position: placed?.get(node.id) ?? node.position ?? { x: 0, y: 0 },
    data: data.get(node.id) ?? {
      typeLabel: node.type,
      category: "unknown",
      summary: "",
      ports: [],
    },
  }));
  let undrawn = 0;
  const edges: Edge[] = [];
  docEdges.forEach((edge, index) => {
    const from = data.get(edge.from);
    if (!from || !data.has(edge.to) || !from.ports.some((port) => port.name === edge.port)) {
      undrawn++;
      return;
    }
    edges.push({
      id: `e${index}`,
      source: edge.from,
      sourceHandle: edge.port,
      target: edge.to,
      ariaLabel: `Connects ${edge.from} (${edge.port}) to ${edge.to}`,
    });
  });
  return { nodes, edges, undrawn, start: startOf(nodes) };
}

/**
 * The nodes the canvas opens on: the first columns of the journey, at a size people can
 * read (fitting a long journey whole would shrink its text to dots). "Fit view" shows all.
 */
function startOf(nodes: readonly FlowNodeType[]): string[] {
  const left = Math.min(...nodes.map((node) => node.position.x));
  return nodes.filter((node) => node.position.x <= left + START_WIDTH).map((node) => node.id);
}

const START_WIDTH = 900;
