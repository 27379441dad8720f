// The flow document as the editor holds it, and the changes it makes to it. A change is a
// list of operations on one node, edge or note each (before → after), so undoing it is
// applying it backwards, and it still means the same thing after another person's change
// was merged in underneath.

export interface Point {
  x: number;
  y: number;
}

export interface DocNode {
  id: string;
  type: string;
  position?: Point;
  config?: Record<string, unknown>;
}

export interface DocEdge {
  from: string;
  port: string;
  to: string;
}

/** A sticky note: text on the canvas for the people building the flow; the runtime ignores it. */
export interface DocNote {
  id: string;
  text: string;
  position: Point;
  width?: number;
  height?: number;
}

/** The document's own fields (everything but its nodes, edges and notes). */
export interface DocMeta {
  schema: number;
  id: string;
  name: string;
  description?: string;
  settings?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface FlowDoc extends DocMeta {
  nodes: DocNode[];
  edges: DocEdge[];
  notes?: DocNote[];
}

export type Op =
  | { kind: "node"; id: string; before: DocNode | null; after: DocNode | null }
  | { kind: "edge"; before: DocEdge | null; after: DocEdge | null }
  | { kind: "note"; id: string; before: DocNote | null; after: DocNote | null }
  | { kind: "meta"; before: DocMeta; after: DocMeta };

/** One undo step: what people call one change ("Move 3 steps", "Paste"). */
export interface Step {
  label: string;
  ops: Op[];
  /** Steps with the same key made within a second of each other merge (typing in one field). */
  key?: string;
  at: number;
}
