// A flow document as the canvas draws it: nodes with one output handle per port (fixed by
// the node type, or named by its buttons, list rows, switch cases and split branches), edges
// from a node's port to another node, and a one-line summary of each node's config.

import { graphlib, layout as dagreLayout } from "@dagrejs/dagre";

export type PortRole = "main" | "optional" | "error" | "timeout";

export interface CatalogPort {
  name: string;
  role: PortRole;
}

export interface CatalogEntry {
  type: string;
  label: string;
  category: string;
  description: string;
  ports: CatalogPort[];
  /** Whether the node waits (for a reply, a timer, an operator); a loop must pass one. */
  waits?: boolean;
}

export interface DocNode {
  id: string;
  type: string;
  position?: { x: number; y: number };
  config?: Record<string, unknown>;
}

export interface DocEdge {
  from: string;
  port: string;
  to: string;
}

export interface Port {
  name: string;
  /** What people read: a button's title, a list row's title, a switch case's port. */
  label: string;
  role: PortRole;
}

const RESERVED = new Set(["error", "timeout", "other", "default"]);

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value)
    ? value.filter(
        (item): item is Record<string, unknown> => typeof item === "object" && item !== null,
      )
    : [];
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

/** The ports a node's configuration adds, as the flow format names them. */
function configuredPorts(node: DocNode): { name: string; label: string }[] {
  const config = node.config ?? {};
  switch (node.type) {
    case "send_buttons":
      return records(config.buttons).map((b) => ({
        name: String(b.id ?? ""),
        label: text(b.title) ?? String(b.id ?? ""),
      }));
    case "send_list":
      return records(config.sections).flatMap((section) =>
        records(section.rows).map((row) => ({
          name: String(row.id ?? ""),
          label: text(row.title) ?? String(row.id ?? ""),
        })),
      );
    case "switch":
      return records(config.cases).map((c) => ({
        name: String(c.port ?? ""),
        label: String(c.port ?? ""),
      }));
    case "split":
      return records(config.branches).map((b) => ({
        name: String(b.port ?? ""),
        label: String(b.port ?? ""),
      }));
    default:
      return [];
  }
}

/** Every output port of a node: configured ones first, then the type's own (as the server orders them). */
export function portsOf(node: DocNode, entry: CatalogEntry | undefined): Port[] {
  const fixed = entry?.ports ?? [];
  const ports: Port[] = [];
  for (const { name, label } of configuredPorts(node)) {
    const taken =
      name.trim() === "" ||
      RESERVED.has(name) ||
      fixed.some((port) => port.name === name) ||
      ports.some((port) => port.name === name);
    if (!taken) ports.push({ name, label, role: "main" });
  }
  for (const port of fixed) ports.push({ name: port.name, label: port.name, role: port.role });
  return ports;
}

function clip(value: string, length = 80): string {
  const line = value.replace(/\s+/g, " ").trim();
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

/** One line saying what the node does: its text, its condition, its delay… */
export function summaryOf(node: DocNode): string {
  const c = node.config ?? {};
  const first = (...keys: string[]) => {
    for (const key of keys) {
      const value = text(c[key]);
      if (value) return value;
    }
    return undefined;
  };
  switch (node.type) {
    case "condition":
      return clip(`If ${first("expression") ?? "…"}`);
    case "switch":
      return clip(`${records(c.cases).length} cases, else default`);
    case "split":
      return clip(`${records(c.branches).length} branches`);
    case "delay": {
      const until = first("until");
      return until ? clip(`Until ${until}`) : `Wait ${first("for") ?? "…"}`;
    }
    case "wait_for_reply":
      return clip(
        `Reply saved as ${first("variable") ?? "…"}${text(c.timeout) ? `, gives up after ${String(c.timeout)}` : ""}`,
      );
    case "send_template":
      return clip(`Template ${first("name") ?? "…"}`);
    case "webhook":
      return clip(`Called at hook ${first("hook") ?? "…"}`);
    case "http_request":
      return clip(`${first("method") ?? "GET"} ${first("url") ?? "…"}`);
    case "tag": {
      const add = Array.isArray(c.add) ? c.add.join(", ") : "";
      return add ? clip(`Tag ${add}`) : "Tag";
    }
    case "set":
      return clip(
        `Set ${records(c.assignments)
          .map((a) => String(a.variable ?? ""))
          .join(", ")}`,
      );
    case "handoff":
      return clip(`Hand over to ${first("team") ?? "a person"}`);
    case "end":
      return "Journey ends";
    default:
      return clip(first("text", "body", "prompt", "keyword", "flow", "event") ?? "");
  }
}

/** True when the editor has never placed the nodes (every node at the origin or unplaced). */
export function needsLayout(nodes: readonly DocNode[]): boolean {
  return (
    nodes.length > 1 &&
    nodes.every((n) => !n.position || (n.position.x === 0 && n.position.y === 0))
  );
}

export const NODE_WIDTH = 200;

/** Positions from dagre, left to right, for flows imported without any. */
export function layout(
  nodes: readonly DocNode[],
  edges: readonly DocEdge[],
  heightOf: (node: DocNode) => number,
): Map<string, { x: number; y: number }> {
  const graph = new graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: heightOf(node) });
  for (const edge of edges) {
    if (graph.hasNode(edge.from) && graph.hasNode(edge.to)) graph.setEdge(edge.from, edge.to);
  }
  dagreLayout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const node of nodes) {
    const placed = graph.node(node.id);
    // dagre gives centres; React Flow places top-left corners.
    positions.set(node.id, { x: placed.x - NODE_WIDTH / 2, y: placed.y - heightOf(node) / 2 });
  }
  return positions;
}
