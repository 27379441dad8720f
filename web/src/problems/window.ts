// The 24-hour window along the canvas's edges. Validation names every edge along which the
// window may be closed (by the step and port it leaves, with the reason); the canvas draws
// those edges dashed with a "templates only" tag, and the reason of the tag clicked at the
// foot of the canvas. The side panel, which validates, hands the marks to the canvas
// through this small store.

import { create } from "zustand";

export interface ClosedWindowEdge {
  node_id: string;
  port: string;
  reason: string;
}

/** Reason per edge, keyed by `closedKey(from, port)`. */
export type ClosedWindow = ReadonlyMap<string, string>;

export const NO_CLOSED_WINDOW: ClosedWindow = new Map();

export function closedKey(from: string, port: string): string {
  return JSON.stringify([from, port]);
}

export function closedWindowOf(edges: readonly ClosedWindowEdge[]): ClosedWindow {
  if (edges.length === 0) return NO_CLOSED_WINDOW;
  return new Map(edges.map((edge) => [closedKey(edge.node_id, edge.port), edge.reason]));
}

function same(a: ClosedWindow, b: ClosedWindow): boolean {
  if (a.size !== b.size) return false;
  for (const [key, reason] of a) if (b.get(key) !== reason) return false;
  return true;
}

export const useClosedWindow = create<{ closed: ClosedWindow; explained: string | null }>(() => ({
  closed: NO_CLOSED_WINDOW,
  explained: null,
}));

/** Shows why the window may be closed along an edge (null hides it). */
export function explain(reason: string | null): void {
  useClosedWindow.setState({ explained: reason });
}

/** Shows these marks; the same marks again change nothing (the canvas is not redrawn). */
export function showClosedWindow(edges: readonly ClosedWindowEdge[]): void {
  const closed = closedWindowOf(edges);
  if (!same(useClosedWindow.getState().closed, closed)) {
    useClosedWindow.setState({ closed, explained: null });
  }
}
