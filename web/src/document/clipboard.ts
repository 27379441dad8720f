// Copy and paste as JSON text, so steps travel between flows (and tabs) through the system
// clipboard. Pasted steps get fresh ids when theirs are taken, and their edges follow.

import type { DocEdge, DocNode, DocNote, FlowDoc, Op } from "./types";

const KIND = "spool/steps";

interface Clip {
  kind: typeof KIND;
  nodes: DocNode[];
  edges: DocEdge[];
  notes: DocNote[];
}

/** The selected steps and notes, with the edges between them, as clipboard text. */
export function copyText(doc: FlowDoc, nodeIds: readonly string[], noteIds: readonly string[]) {
  const ids = new Set(nodeIds);
  const notes = new Set(noteIds);
  const clip: Clip = {
    kind: KIND,
    nodes: doc.nodes.filter((node) => ids.has(node.id)),
    edges: doc.edges.filter((edge) => ids.has(edge.from) && ids.has(edge.to)),
    notes: (doc.notes ?? []).filter((note) => notes.has(note.id)),
  };
  return clip.nodes.length + clip.notes.length === 0 ? undefined : JSON.stringify(clip, null, 2);
}

/** `base`, or `base_2`, `base_3`… whichever is free. */
export function freeId(base: string, taken: ReadonlySet<string>): string {
  const root = base.replace(/_\d+$/, "") || "step";
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${root}_${n}`;
    if (!taken.has(id)) return id;
  }
}

function parse(text: string): Clip | undefined {
  try {
    const value = JSON.parse(text) as Partial<Clip> | null;
    if (value?.kind !== KIND || !Array.isArray(value.nodes)) return undefined;
    return {
      kind: KIND,
      nodes: value.nodes.filter((n) => typeof n?.id === "string" && typeof n.type === "string"),
      edges: Array.isArray(value.edges) ? value.edges : [],
      notes: Array.isArray(value.notes) ? value.notes : [],
    };
  } catch {
    return undefined;
  }
}

/**
 * The operations that paste `text` into `doc` (one undo step), its top-left corner at `at`,
 * and the new ids to select; undefined when the text is not steps copied from Spool.
 */
export function pasteOps(
  doc: FlowDoc,
  text: string,
  at: { x: number; y: number },
): { ops: Op[]; nodes: string[]; notes: string[] } | undefined {
  const clip = parse(text);
  if (!clip) return undefined;
  const corners = [
    ...clip.nodes.map((n) => n.position ?? { x: 0, y: 0 }),
    ...clip.notes.map((n) => n.position),
  ];
  const offset = {
    x: at.x - Math.min(...corners.map((p) => p.x)),
    y: at.y - Math.min(...corners.map((p) => p.y)),
  };
  const taken = new Set(doc.nodes.map((node) => node.id));
  const rename = new Map<string, string>();
  const ops: Op[] = [];
  for (const node of clip.nodes) {
    const id = freeId(node.id, taken);
    taken.add(id);
    rename.set(node.id, id);
    const position = node.position ?? { x: 0, y: 0 };
    const after = { ...node, id, position: { x: position.x + offset.x, y: position.y + offset.y } };
    ops.push({ kind: "node", id, before: null, after });
  }
  for (const edge of clip.edges) {
    const from = rename.get(edge.from);
    const to = rename.get(edge.to);
    if (from && to) ops.push({ kind: "edge", before: null, after: { ...edge, from, to } });
  }
  const takenNotes = new Set((doc.notes ?? []).map((note) => note.id));
  const notes: string[] = [];
  for (const note of clip.notes) {
    const id = freeId(note.id, takenNotes);
    takenNotes.add(id);
    notes.push(id);
    const position = { x: note.position.x + offset.x, y: note.position.y + offset.y };
    ops.push({ kind: "note", id, before: null, after: { ...note, id, position } });
  }
  return { ops, nodes: [...rename.values()], notes };
}
