// Applying operations to a document, inverting them, and the undo stack's merging rule.
// Documents are never mutated: unchanged nodes keep their identity, which lets the canvas
// redraw only the nodes that changed.

import type { DocEdge, DocMeta, DocNode, DocNote, FlowDoc, Op, Step } from "./types";

/** Typing in one field within this many milliseconds is one undo step. */
export const MERGE_WINDOW_MS = 1000;

export function sameEdge(a: DocEdge, b: DocEdge): boolean {
  return a.from === b.from && a.port === b.port && a.to === b.to;
}

function replaceById<T extends { id: string }>(
  items: readonly T[],
  id: string,
  after: T | null,
): T[] {
  const index = items.findIndex((item) => item.id === id);
  if (index === -1) return after ? [...items, after] : [...items];
  if (!after) return items.filter((_, i) => i !== index);
  const next = [...items];
  next[index] = after;
  return next;
}

function replaceEdge(edges: readonly DocEdge[], before: DocEdge | null, after: DocEdge | null) {
  const index = before ? edges.findIndex((edge) => sameEdge(edge, before)) : -1;
  if (index === -1) {
    if (!after || edges.some((edge) => sameEdge(edge, after))) return [...edges];
    return [...edges, after];
  }
  if (!after) return edges.filter((_, i) => i !== index);
  const next = [...edges];
  next[index] = after;
  return next;
}

export function metaOf(doc: FlowDoc): DocMeta {
  const { nodes: _nodes, edges: _edges, notes: _notes, ...meta } = doc;
  return meta;
}

/** The document with the operations applied in order. */
export function applyOps(doc: FlowDoc, ops: readonly Op[]): FlowDoc {
  let nodes = doc.nodes;
  let edges = doc.edges;
  let notes = doc.notes;
  let meta: DocMeta | undefined;
  for (const op of ops) {
    switch (op.kind) {
      case "node":
        nodes = replaceById(nodes, op.id, op.after);
        break;
      case "edge":
        edges = replaceEdge(edges, op.before, op.after);
        break;
      case "note":
        notes = replaceById(notes ?? [], op.id, op.after);
        break;
      case "meta":
        meta = op.after;
        break;
    }
  }
  const next: FlowDoc = { ...(meta ?? metaOf(doc)), nodes, edges };
  if (notes && notes.length > 0) next.notes = notes;
  return next;
}

/** The operations that undo `ops`. */
export function invert(ops: readonly Op[]): Op[] {
  return ops
    .map((op): Op => {
      switch (op.kind) {
        case "node":
          return { kind: "node", id: op.id, before: op.after, after: op.before };
        case "edge":
          return { kind: "edge", before: op.after, after: op.before };
        case "note":
          return { kind: "note", id: op.id, before: op.after, after: op.before };
        case "meta":
          return { kind: "meta", before: op.after, after: op.before };
      }
    })
    .toReversed();
}

/** `step` merged into `last` when both are one run of typing in the same field. */
export function mergeable(last: Step | undefined, step: Step): boolean {
  return (
    last !== undefined &&
    step.key !== undefined &&
    last.key === step.key &&
    step.at - last.at <= MERGE_WINDOW_MS
  );
}

/** One step doing `last` then `step`: the first state before, the last state after. */
export function merge(last: Step, step: Step): Step {
  const ops: Op[] = [...last.ops];
  for (const op of step.ops) {
    const index = ops.findIndex(
      (earlier) =>
        earlier.kind === op.kind &&
        (op.kind === "node" || op.kind === "note"
          ? (earlier as { id: string }).id === op.id
          : op.kind === "meta"),
    );
    const earlier = index === -1 ? undefined : ops[index];
    if (earlier && earlier.kind !== "edge") {
      ops[index] = { ...earlier, after: op.after } as Op;
    } else {
      ops.push(op);
    }
  }
  return { ...step, ops };
}

/** Node ops that change only positions: a move, whose step is not merged with typing. */
export function nodeOp(before: DocNode | null, after: DocNode | null): Op {
  return { kind: "node", id: (after ?? before)?.id ?? "", before, after };
}

export function noteOp(before: DocNote | null, after: DocNote | null): Op {
  return { kind: "note", id: (after ?? before)?.id ?? "", before, after };
}
