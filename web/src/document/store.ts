// The flow being edited: its document, what is selected, and the undo/redo stack. The canvas
// and the properties panel both read and change the document only through this module.
// Selection is not part of the history (undo never just changes what is selected).

import { create } from "zustand";
import { applyOps, invert, merge, mergeable } from "./history";
import type { DocNode, FlowDoc, Op, Step } from "./types";

export interface Selection {
  nodes: string[];
  notes: string[];
  edges: string[];
}

export interface DocumentState {
  flowId: string | null;
  document: FlowDoc | null;
  /** Bumps on every change of the document (edits, undo, redo, merges, loads). */
  revision: number;
  selection: Selection;
  past: Step[];
  future: Step[];
}

const EMPTY_SELECTION: Selection = { nodes: [], notes: [], edges: [] };
/** Enough for a long session; the oldest steps go first. */
const HISTORY_LIMIT = 200;

export const useDocumentStore = create<DocumentState>(() => ({
  flowId: null,
  document: null,
  revision: 0,
  selection: EMPTY_SELECTION,
  past: [],
  future: [],
}));

const state = () => useDocumentStore.getState();

/** Starts editing `document` (of flow `flowId`) with an empty history. */
export function loadDocument(flowId: string, document: FlowDoc): void {
  useDocumentStore.setState((s) => ({
    flowId,
    document,
    revision: s.revision + 1,
    selection: EMPTY_SELECTION,
    past: [],
    future: [],
  }));
}

/** Stops editing: nothing is open (the autosaver has flushed what it had). */
export function closeDocument(): void {
  useDocumentStore.setState((s) => ({
    flowId: null,
    document: null,
    revision: s.revision + 1,
    selection: EMPTY_SELECTION,
    past: [],
    future: [],
  }));
}

/** Applies a change as one undo step (merged with the last one when `key` matches within ~1 s). */
export function commit(label: string, ops: Op[], key?: string): void {
  const { document, past } = state();
  if (!document || ops.length === 0) return;
  const step: Step = { label, ops, at: Date.now(), ...(key ? { key } : {}) };
  const last = past.at(-1);
  const nextPast = mergeable(last, step)
    ? [...past.slice(0, -1), merge(last as Step, step)]
    : [...past, step].slice(-HISTORY_LIMIT);
  useDocumentStore.setState((s) => ({
    document: applyOps(document, ops),
    revision: s.revision + 1,
    past: nextPast,
    future: [],
  }));
}

/**
 * Replaces the document without touching the history: for a merge with someone else's
 * saved change, whose steps are theirs to undo, not ours.
 */
export function replaceDocument(document: FlowDoc): void {
  useDocumentStore.setState((s) => ({ document, revision: s.revision + 1 }));
}

export function undo(): Step | undefined {
  const { document, past, future } = state();
  const step = past.at(-1);
  if (!document || !step) return undefined;
  useDocumentStore.setState((s) => ({
    document: applyOps(document, invert(step.ops)),
    revision: s.revision + 1,
    past: past.slice(0, -1),
    future: [...future, { ...step, key: undefined }],
  }));
  return step;
}

export function redo(): Step | undefined {
  const { document, past, future } = state();
  const step = future.at(-1);
  if (!document || !step) return undefined;
  useDocumentStore.setState((s) => ({
    document: applyOps(document, step.ops),
    revision: s.revision + 1,
    past: [...past, step],
    future: future.slice(0, -1),
  }));
  return step;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function select(selection: Partial<Selection>): void {
  const next = { ...EMPTY_SELECTION, ...selection };
  const current = state().selection;
  if (
    same(next.nodes, current.nodes) &&
    same(next.notes, current.notes) &&
    same(next.edges, current.edges)
  ) {
    return;
  }
  useDocumentStore.setState({ selection: next });
}

export function getDocument(): FlowDoc | null {
  return state().document;
}

export function findNode(id: string): DocNode | undefined {
  return state().document?.nodes.find((node) => node.id === id);
}
