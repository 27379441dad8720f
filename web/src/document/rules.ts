// Which connections the flow format allows, checked while a wire is dropped so the canvas
// can refuse a bad one and say why (the validator would report it later otherwise).

import type { FlowDoc } from "./types";

/** What the rules need to know of a node type. */
export interface TypeFacts {
  /** Whether the node waits (for a reply, a timer, an operator): a loop must pass one. */
  waits: boolean;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether an edge from `from`'s port `port` to `to` may be added: a port goes one way only
 * (`port_connected_twice`), and a loop must pass through a step that waits
 * (`loop_without_wait`).
 */
export function checkConnection(
  doc: FlowDoc,
  factsOf: (type: string) => TypeFacts | undefined,
  from: string,
  port: string,
  to: string,
): Verdict {
  const byId = new Map(doc.nodes.map((node) => [node.id, node]));
  const source = byId.get(from);
  const target = byId.get(to);
  if (!source || !target) return { ok: false, reason: "That step no longer exists." };
  const taken = doc.edges.find((edge) => edge.from === from && edge.port === port);
  if (taken) {
    if (taken.to === to) return { ok: false, reason: "These two steps are already connected." };
    return {
      ok: false,
      reason: `“${port}” already leads to ${taken.to}: a contact can only go one way. Remove that connection first.`,
    };
  }
  const waits = (id: string) => factsOf(byId.get(id)?.type ?? "")?.waits ?? false;
  if (!waits(from) && reachesWithoutWaiting(doc, to, from, waits)) {
    return {
      ok: false,
      reason:
        from === to
          ? `${from} cannot lead back to itself: a contact would go round forever. Put a wait for reply or a delay in between.`
          : `This would make a loop with nothing that waits: a contact would go round forever. Put a wait for reply or a delay inside the loop.`,
    };
  }
  return { ok: true };
}

/** Whether `goal` can be reached from `start` through steps that do not wait. */
function reachesWithoutWaiting(
  doc: FlowDoc,
  start: string,
  goal: string,
  waits: (id: string) => boolean,
): boolean {
  const next = new Map<string, string[]>();
  for (const edge of doc.edges) next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (id === goal) return true;
    if (seen.has(id) || waits(id)) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return false;
}
