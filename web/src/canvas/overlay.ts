// What other tools draw over the canvas without owning it: the test chat lights the step its
// contact is at and tints the ways it went; the funnel scales each way by its traffic and
// labels it. They write here; the editor shows it on its nodes and edges (as classes, a
// width and a label), so neither needs to know how the canvas builds its view.

import type { Edge } from "@xyflow/react";
import { create } from "zustand";
import type { CanvasNode } from "./view";

/** `current`: where the contact is now; `visited`: a step it went through. */
export type NodeMark = "current" | "visited";

export interface EdgeMark {
  /** The contact went this way. */
  taken?: boolean;
  /** Share of the traffic, 0 to 1: drawn wider the more went this way. */
  weight?: number;
  /** Words on the edge ("120 contacts"). */
  label?: string;
}

export interface CanvasOverlay {
  nodes: ReadonlyMap<string, NodeMark>;
  /** Keyed by `portKey(from, port)`: a port leads to one step only. */
  edges: ReadonlyMap<string, EdgeMark>;
}

export function portKey(from: string, port: string): string {
  return JSON.stringify([from, port]);
}

const EMPTY: CanvasOverlay = { nodes: new Map(), edges: new Map() };

export const useCanvasOverlay = create<{ overlay: CanvasOverlay }>(() => ({ overlay: EMPTY }));

/** Draws `overlay` over the canvas, replacing what was drawn. */
export function showOverlay(overlay: CanvasOverlay): void {
  useCanvasOverlay.setState({ overlay });
}

export function clearOverlay(): void {
  useCanvasOverlay.setState({ overlay: EMPTY });
}

/** `nodes` with the marks' classes; unmarked nodes keep their objects (and their memo). */
export function markNodes(
  nodes: readonly CanvasNode[],
  marks: CanvasOverlay["nodes"],
): CanvasNode[] {
  if (marks.size === 0) return nodes as CanvasNode[];
  return nodes.map((node) => {
    const mark = marks.get(node.id);
    return mark ? { ...node, className: `overlay-${mark}` } : node;
  });
}

const MIN_WIDTH = 1.5;
const MAX_WIDTH = 9;

/** `edges` with the marks' classes, widths and labels; unmarked edges are left as they are. */
export function markEdges(edges: readonly Edge[], marks: CanvasOverlay["edges"]): Edge[] {
  if (marks.size === 0) return edges as Edge[];
  return edges.map((edge) => {
    const mark = marks.get(portKey(edge.source, edge.sourceHandle ?? ""));
    if (!mark) return edge;
    const weight = Math.min(1, Math.max(0, mark.weight ?? 0));
    return {
      ...edge,
      className: mark.taken ? "overlay-taken" : undefined,
      style:
        mark.weight === undefined
          ? edge.style
          : { ...edge.style, strokeWidth: MIN_WIDTH + weight * (MAX_WIDTH - MIN_WIDTH) },
      ...(mark.label === undefined ? {} : { label: mark.label }),
    };
  });
}
