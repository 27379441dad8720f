// Three-way merge of two edits of one flow against the revision both started from: nodes and
// notes by id, edges by the port they leave (a port goes one way), the document's own fields
// one by one. Changes that do not touch merge; a thing both sides changed differently, or
// that one side deleted and the other changed, is a conflict for a person to settle.

import { metaOf } from "./history";
import type { DocEdge, DocMeta, DocNode, DocNote, FlowDoc } from "./types";

export type ConflictKind = "node" | "note" | "edge" | "field";

export interface Conflict {
  kind: ConflictKind;
  /** A node or note id, `from → port` for an edge, a field name for the document's own. */
  key: string;
  mine: unknown;
  theirs: unknown;
}

export interface MergeResult {
  /** Both sides' changes; where they conflict, mine (so nothing of mine is lost on screen). */
  merged: FlowDoc;
  conflicts: Conflict[];
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** The three-way choice for one key; `conflict` when both changed it differently. */
function pick<T>(base: T, mine: T, theirs: T): { value: T; conflict: boolean } {
  if (same(mine, theirs) || same(theirs, base)) return { value: mine, conflict: false };
  if (same(mine, base)) return { value: theirs, conflict: false };
  return { value: mine, conflict: true };
}

function byKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

/** Keys in the order theirs has them, then the ones only mine has, in my order. */
function orderedKeys<T>(mine: readonly T[], theirs: readonly T[], key: (item: T) => string) {
  const keys = theirs.map(key);
  const seen = new Set(keys);
  for (const item of mine) if (!seen.has(key(item))) keys.push(key(item));
  return keys;
}

function mergeById<T>(
  kind: ConflictKind,
  base: readonly T[],
  mine: readonly T[],
  theirs: readonly T[],
  key: (item: T) => string,
  conflicts: Conflict[],
): T[] {
  const [b, m, t] = [byKey(base, key), byKey(mine, key), byKey(theirs, key)];
  const result: T[] = [];
  for (const k of orderedKeys(mine, theirs, key)) {
    const { value, conflict } = pick(b.get(k), m.get(k), t.get(k));
    if (conflict)
      conflicts.push({ kind, key: k, mine: m.get(k) ?? null, theirs: t.get(k) ?? null });
    if (value !== undefined) result.push(value);
  }
  return result;
}

const nodeKey = (node: DocNode) => node.id;
const noteKey = (note: DocNote) => note.id;
const portKey = (edge: DocEdge) => `${edge.from} → ${edge.port}`;

/** Edges grouped by the port they leave, so two different targets for one port conflict. */
function groupEdges(edges: readonly DocEdge[]): { key: string; edges: DocEdge[] }[] {
  const groups = new Map<string, DocEdge[]>();
  for (const edge of edges) groups.set(portKey(edge), [...(groups.get(portKey(edge)) ?? []), edge]);
  return [...groups].map(([key, list]) => ({ key, edges: list }));
}

function mergeMeta(base: DocMeta, mine: DocMeta, theirs: DocMeta, conflicts: Conflict[]) {
  const result: DocMeta = { ...theirs };
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs), ...Object.keys(base)]);
  for (const k of keys) {
    const { value, conflict } = pick(base[k], mine[k], theirs[k]);
    if (conflict) conflicts.push({ kind: "field", key: k, mine: mine[k], theirs: theirs[k] });
    if (value === undefined) delete result[k];
    else result[k] = value;
  }
  return result;
}

export function merge(base: FlowDoc, mine: FlowDoc, theirs: FlowDoc): MergeResult {
  const conflicts: Conflict[] = [];
  const nodes = mergeById("node", base.nodes, mine.nodes, theirs.nodes, nodeKey, conflicts);
  const notes = mergeById(
    "note",
    base.notes ?? [],
    mine.notes ?? [],
    theirs.notes ?? [],
    noteKey,
    conflicts,
  );
  const edgeGroups = mergeById(
    "edge",
    groupEdges(base.edges),
    groupEdges(mine.edges),
    groupEdges(theirs.edges),
    (group) => group.key,
    conflicts,
  );
  const ids = new Set(nodes.map((node) => node.id));
  const edges: DocEdge[] = [];
  for (const group of edgeGroups) {
    for (const edge of group.edges) {
      const mineAdded =
        mine.edges.some((e) => same(e, edge)) && !base.edges.some((e) => same(e, edge));
      if ((!ids.has(edge.from) || !ids.has(edge.to)) && mineAdded) {
        // My new connection leads to or from a step they deleted: theirs to settle with me.
        conflicts.push({ kind: "edge", key: group.key, mine: edge, theirs: null });
      }
      edges.push(edge);
    }
  }
  const merged: FlowDoc = {
    ...mergeMeta(metaOf(base), metaOf(mine), metaOf(theirs), conflicts),
    nodes,
    edges,
  };
  if (notes.length > 0) merged.notes = notes;
  return { merged, conflicts };
}
