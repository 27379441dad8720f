// The document as React Flow's nodes and edges while editing. Each node's view data is
// cached by the document node's identity, and each edge by the document edge's, so a change
// to one step hands React Flow one new node object and the memoized views of all the others
// (and of every edge) are left alone.

import type { Edge, Node } from "@xyflow/react";
import type { DocEdge, DocNode, DocNote, FlowDoc } from "../document";
import { NO_CLOSED_WINDOW, closedKey, type ClosedWindow } from "../problems/window";
import type { Selection } from "../document";
import { nodeHeight, type FlowNodeData, type FlowNodeType } from "./FlowNode";
import { portsOf, summaryOf, type CatalogEntry } from "./graph";

export interface NoteData extends Record<string, unknown> {
  note: DocNote;
}

export type NoteNodeType = Node<NoteData, "note">;
export type CanvasNode = FlowNodeType | NoteNodeType;

/** React Flow ids of notes: apart from step ids, which may be any text. */
export const NOTE_PREFIX = "note::";

export function edgeId(edge: DocEdge): string {
  return JSON.stringify([edge.from, edge.port, edge.to]);
}

export function edgeOfId(id: string): DocEdge | undefined {
  try {
    const [from, port, to] = JSON.parse(id) as string[];
    return from !== undefined && port !== undefined && to !== undefined
      ? { from, port, to }
      : undefined;
  } catch {
    return undefined;
  }
}

export function dataOf(node: DocNode, entry: CatalogEntry | undefined): FlowNodeData {
  return {
    typeLabel: entry?.label ?? node.type,
    category: entry?.category ?? "unknown",
    summary: summaryOf(node),
    ports: portsOf(node, entry),
  };
}

export function heightOf(node: DocNode, entry: CatalogEntry | undefined): number {
  const data = dataOf(node, entry);
  return nodeHeight(data.ports.length, Boolean(data.summary));
}

/**
 * React Flow nodes for `doc`, reusing the previous objects of nodes whose document node (and
 * selection) did not change, and keeping what React Flow measured of the others.
 */
export function nodesFor(
  doc: FlowDoc,
  byType: ReadonlyMap<string, CatalogEntry>,
  selection: Selection,
  previous: ReadonlyMap<string, { source: DocNode | DocNote; node: CanvasNode }>,
): { nodes: CanvasNode[]; index: Map<string, { source: DocNode | DocNote; node: CanvasNode }> } {
  const selectedNodes = new Set(selection.nodes);
  const selectedNotes = new Set(selection.notes);
  const index = new Map<string, { source: DocNode | DocNote; node: CanvasNode }>();
  const nodes: CanvasNode[] = [];
  for (const note of doc.notes ?? []) {
    const id = NOTE_PREFIX + note.id;
    const selected = selectedNotes.has(note.id);
    const before = previous.get(id);
    const node: NoteNodeType =
      before && before.source === note && Boolean(before.node.selected) === selected
        ? (before.node as NoteNodeType)
        : {
            id,
            type: "note",
            position: note.position,
            data: { note },
            selected,
            zIndex: -1,
            width: note.width ?? 220,
            height: note.height ?? 140,
            ...(before?.node.measured ? { measured: before.node.measured } : {}),
          };
    index.set(id, { source: note, node });
    nodes.push(node);
  }
  for (const step of doc.nodes) {
    const selected = selectedNodes.has(step.id);
    const before = previous.get(step.id);
    let node: FlowNodeType;
    if (before && before.source === step && Boolean(before.node.selected) === selected) {
      node = before.node as FlowNodeType;
    } else if (before && before.source === step) {
      node = { ...(before.node as FlowNodeType), selected };
    } else {
      node = {
        id: step.id,
        type: "flow",
        position: step.position ?? { x: 0, y: 0 },
        data: dataOf(step, byType.get(step.type)),
        selected,
        ...(before?.node.measured ? { measured: before.node.measured } : {}),
      };
    }
    index.set(step.id, { source: step, node });
    nodes.push(node);
  }
  return { nodes, index };
}

/**
 * React Flow's edge for each document edge, kept while the document edge object lives and
 * its selection and 24-hour window mark are unchanged: a new selection or one moved step
 * then hands React Flow the same edge objects as before, and it re-renders none of them
 * (hundreds in a big flow).
 */
const drawnEdges = new WeakMap<DocEdge, Edge>();

function edgeFor(edge: DocEdge, id: string, selected: boolean, reason: string | undefined): Edge {
  const before = drawnEdges.get(edge);
  if (
    before &&
    before.source === edge.from &&
    before.sourceHandle === edge.port &&
    before.target === edge.to &&
    before.selected === selected &&
    (before.data as { reason?: string } | undefined)?.reason === reason
  ) {
    return before;
  }
  const line: Edge = {
    id,
    source: edge.from,
    sourceHandle: edge.port,
    target: edge.to,
    selected,
    ariaLabel: `Connects ${edge.from} (${edge.port}) to ${edge.to}`,
  };
  const drawn: Edge =
    reason === undefined
      ? line
      : {
          ...line,
          type: "window",
          data: { reason },
          ariaLabel: `${line.ariaLabel}; only templates are delivered along it`,
        };
  drawnEdges.set(edge, drawn);
  return drawn;
}

/**
 * The edges that can be drawn (both ends and the port exist); the others are counted. Edges
 * along which the 24-hour window may be closed are drawn as `window` edges, with the reason.
 */
export function edgesFor(
  doc: FlowDoc,
  nodes: ReadonlyMap<string, { node: CanvasNode }>,
  selected: ReadonlySet<string>,
  closed: ClosedWindow = NO_CLOSED_WINDOW,
): { edges: Edge[]; undrawn: number } {
  const edges: Edge[] = [];
  let undrawn = 0;
  for (const edge of doc.edges) {
    const from = nodes.get(edge.from)?.node as FlowNodeType | undefined;
    const fromOk = from?.type === "flow" && from.data.ports.some((p) => p.name === edge.port);
    if (!fromOk || nodes.get(edge.to)?.node.type !== "flow") {
      undrawn++;
      continue;
    }
    const id = edgeId(edge);
    const reason = closed.get(closedKey(edge.from, edge.port));
    edges.push(edgeFor(edge, id, selected.has(id), reason));
  }
  return { edges, undrawn };
}
