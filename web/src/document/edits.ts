// The canvas's edits, each one undo step: add a step (optionally wired from a port), connect,
// disconnect, delete, move, paste, rename a step, notes, and laying everything out again.

import { freeId, pasteOps } from "./clipboard";
import { nodeOp, noteOp } from "./history";
import { checkConnection, type TypeFacts, type Verdict } from "./rules";
import { commit, getDocument, select, useDocumentStore } from "./store";
import type { DocEdge, DocNode, DocNote, Op, Point } from "./types";

/** Adds a step of `type` at `position`; when `from` is given, its port leads to the new step. */
export function addNode(
  type: string,
  position: Point,
  config: Record<string, unknown> | undefined,
  from?: { node: string; port: string },
): string | undefined {
  const doc = getDocument();
  if (!doc) return undefined;
  const id = freeId(type, new Set(doc.nodes.map((node) => node.id)));
  const node: DocNode = { id, type, position: rounded(position), ...(config ? { config } : {}) };
  const ops: Op[] = [nodeOp(null, node)];
  if (from && !doc.edges.some((e) => e.from === from.node && e.port === from.port)) {
    ops.push({ kind: "edge", before: null, after: { from: from.node, port: from.port, to: id } });
  }
  commit(`Add ${id}`, ops);
  select({ nodes: [id] });
  return id;
}

export function connect(factsOf: (type: string) => TypeFacts | undefined, edge: DocEdge): Verdict {
  const doc = getDocument();
  if (!doc) return { ok: false, reason: "Nothing is open." };
  const verdict = checkConnection(doc, factsOf, edge.from, edge.port, edge.to);
  if (verdict.ok) {
    commit(`Connect ${edge.from} to ${edge.to}`, [{ kind: "edge", before: null, after: edge }]);
  }
  return verdict;
}

/** Deletes steps (with every edge touching them), notes and edges, as one step. */
export function remove(ids: { nodes?: string[]; notes?: string[]; edges?: DocEdge[] }): void {
  const doc = getDocument();
  if (!doc) return;
  const nodes = new Set(ids.nodes ?? []);
  const notes = new Set(ids.notes ?? []);
  const ops: Op[] = [];
  const gone = new Set<DocEdge>();
  for (const edge of doc.edges) {
    const chosen = (ids.edges ?? []).some(
      (e) => e.from === edge.from && e.port === edge.port && e.to === edge.to,
    );
    if (chosen || nodes.has(edge.from) || nodes.has(edge.to)) gone.add(edge);
  }
  for (const edge of gone) ops.push({ kind: "edge", before: edge, after: null });
  for (const node of doc.nodes) if (nodes.has(node.id)) ops.push(nodeOp(node, null));
  for (const note of doc.notes ?? []) if (notes.has(note.id)) ops.push(noteOp(note, null));
  if (ops.length === 0) return;
  const count = nodes.size + notes.size;
  commit(
    count > 0 ? `Delete ${count === 1 ? "1 item" : `${count} items`}` : "Delete connection",
    ops,
  );
  select({});
}

/** What a step may be called: what people read on the canvas and in Problems. */
const STEP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Gives step `id` the name `name` (its wires follow it), as one step; the new name stays
 * selected. Says why when the name cannot be used; undefined when done (or unchanged).
 */
export function renameNode(id: string, name: string): string | undefined {
  const doc = getDocument();
  const node = doc?.nodes.find((n) => n.id === id);
  if (!doc || !node) return "This step is no longer in the flow.";
  const next = name.trim();
  if (next === id) return undefined;
  if (next === "") return "Give the step a name.";
  if (!STEP_NAME.test(next)) {
    return "Use letters, digits, - and _ (no spaces), starting with a letter or digit.";
  }
  if (doc.nodes.some((n) => n.id === next)) return `Another step is already called ${next}.`;
  const ops: Op[] = [nodeOp(node, null), nodeOp(null, { ...node, id: next })];
  const follow = (end: string) => (end === id ? next : end);
  for (const edge of doc.edges) {
    if (edge.from !== id && edge.to !== id) continue;
    ops.push({
      kind: "edge",
      before: edge,
      after: { ...edge, from: follow(edge.from), to: follow(edge.to) },
    });
  }
  commit(`Rename ${id} to ${next}`, ops);
  select({ nodes: [next] });
  return undefined;
}

function rounded(point: Point): Point {
  return { x: Math.round(point.x), y: Math.round(point.y) };
}

/** Moves steps and notes to new positions (the end of one drag): one step. */
export function move(nodes: Map<string, Point>, notes: Map<string, Point> = new Map()): void {
  const doc = getDocument();
  if (!doc) return;
  const ops: Op[] = [];
  for (const node of doc.nodes) {
    const to = nodes.get(node.id);
    if (to && (node.position?.x !== Math.round(to.x) || node.position?.y !== Math.round(to.y))) {
      ops.push(nodeOp(node, { ...node, position: rounded(to) }));
    }
  }
  for (const note of doc.notes ?? []) {
    const to = notes.get(note.id);
    if (to && (note.position.x !== Math.round(to.x) || note.position.y !== Math.round(to.y))) {
      ops.push(noteOp(note, { ...note, position: rounded(to) }));
    }
  }
  const count = ops.length;
  commit(count === 1 ? "Move 1 item" : `Move ${count} items`, ops);
}

/** Pastes clipboard text at `at`: one step, the pasted items selected. False when not steps. */
export function paste(text: string, at: Point): boolean {
  const doc = getDocument();
  if (!doc) return false;
  const pasted = pasteOps(doc, text, at);
  if (!pasted) return false;
  commit("Paste", pasted.ops);
  select({ nodes: pasted.nodes, notes: pasted.notes });
  return true;
}

export function addNote(position: Point): string | undefined {
  const doc = getDocument();
  if (!doc) return undefined;
  const id = freeId("note", new Set((doc.notes ?? []).map((note) => note.id)));
  const note: DocNote = { id, text: "", position: rounded(position), width: 220, height: 140 };
  commit("Add note", [noteOp(null, note)]);
  select({ notes: [id] });
  return id;
}

export function updateNote(id: string, change: Partial<Omit<DocNote, "id">>): void {
  const note = getDocument()?.notes?.find((n) => n.id === id);
  if (!note) return;
  const key = change.text !== undefined ? `note:${id}:text` : undefined;
  commit("Edit note", [noteOp(note, { ...note, ...change })], key);
}

/** Everything laid out again (positions from `place`): one step. */
export function relayout(place: Map<string, Point>): void {
  move(place);
}

export function selectAll(): void {
  const doc = useDocumentStore.getState().document;
  if (!doc) return;
  select({ nodes: doc.nodes.map((n) => n.id), notes: (doc.notes ?? []).map((n) => n.id) });
}
