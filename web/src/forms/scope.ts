// The names a node's templates and expressions may read: the contact, the variables set by
// the steps before it (`vars.…`), the message that woke the run (`msg`) and the webhook body
// that started it (`payload`), with a word on what each holds.

export interface ScopeEntry {
  /** What to insert: `contact.name`, `vars.email`. */
  path: string;
  /** What it holds, in words. */
  hint: string;
}

interface DocNode {
  id: string;
  type: string;
  config?: Record<string, unknown>;
}

interface DocEdge {
  from: string;
  to: string;
}

const CONTACT: ScopeEntry[] = [
  { path: "contact.name", hint: "the contact's name" },
  { path: "contact.phone", hint: "their WhatsApp number" },
  { path: "contact.tags", hint: "their tags" },
  { path: "contact.locale", hint: "the language they read" },
];

const MESSAGE: ScopeEntry[] = [
  { path: "msg.text", hint: "the text of their last message" },
  { path: "msg.type", hint: "text, image, button…" },
  { path: "payload", hint: "the body of the webhook that started the journey" },
  { path: "now", hint: "the time now (Unix seconds)" },
];

function named(value: unknown, hint: string): ScopeEntry[] {
  return typeof value === "string" && value !== "" ? [{ path: `vars.${value}`, hint }] : [];
}

/** The variables a node sets, with what they hold. */
function setBy(node: DocNode): ScopeEntry[] {
  const config = node.config ?? {};
  switch (node.type) {
    case "set":
      return (Array.isArray(config.assignments) ? config.assignments : []).flatMap(
        (a: { variable?: unknown }) => named(a?.variable, `set in ${node.id}`),
      );
    case "wait_for_reply":
      return named(config.variable, `the answer to ${node.id}`);
    case "send_buttons":
    case "send_list":
      return named(config.variable, `the choice made in ${node.id}`);
    case "ai_agent":
      return named(config.variable, `the summary of ${node.id}`);
    case "http_request":
      return Object.keys((config.save as object | undefined) ?? {}).flatMap((name) =>
        named(name, `from the answer to ${node.id}`),
      );
    default:
      return [];
  }
}

/** Contact fields used anywhere in the flow (`update_contact` properties). */
function properties(nodes: readonly DocNode[]): ScopeEntry[] {
  return nodes
    .filter((n) => n.type === "update_contact")
    .flatMap((n) => Object.keys((n.config?.properties as object | undefined) ?? {}))
    .map((name) => ({ path: `contact.properties.${name}`, hint: "a contact property" }));
}

/** Everything `nodeId` may read: the contact, variables set upstream, the message, the payload. */
export function scopeOf(
  document: { nodes: unknown[]; edges: unknown[] },
  nodeId: string,
): ScopeEntry[] {
  const nodes = document.nodes as DocNode[];
  const edges = document.edges as DocEdge[];
  const upstream = new Set<string>();
  const queue = [nodeId];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const edge of edges) {
      if (edge.to === at && !upstream.has(edge.from)) {
        upstream.add(edge.from);
        queue.push(edge.from);
      }
    }
  }
  const vars = nodes.filter((n) => upstream.has(n.id)).flatMap(setBy);
  const unique = new Map(
    [...CONTACT, ...properties(nodes), ...vars, ...MESSAGE].map((e) => [e.path, e]),
  );
  return [...unique.values()];
}
