// What changed between two versions, in words for the version history and the publish
// dialog: "2 steps added, 1 changed · 3 connections changed".

export interface Changes {
  added: string[];
  removed: string[];
  changed: string[];
  edges_added: number;
  edges_removed: number;
  settings_changed: boolean;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One line; "No changes" when only positions moved. */
export function changesInWords(changes: Changes | null | undefined, first = false): string {
  if (!changes) return "";
  if (first) return `First version: ${count(changes.added.length, "step", "steps")}`;
  const steps = [
    changes.added.length && `${changes.added.length} added`,
    changes.changed.length && `${changes.changed.length} changed`,
    changes.removed.length && `${changes.removed.length} removed`,
  ].filter(Boolean);
  const parts = [];
  if (steps.length) {
    const total = changes.added.length + changes.changed.length + changes.removed.length;
    parts.push(`${total === 1 ? "Step" : "Steps"}: ${steps.join(", ")}`);
  }
  const edges = changes.edges_added + changes.edges_removed;
  if (edges) parts.push(count(edges, "connection changed", "connections changed"));
  if (changes.settings_changed) parts.push("name or settings changed");
  return parts.length ? parts.join(" · ") : "No changes to what contacts get";
}

/** The node ids each kind of change touches, for a tooltip or a list. */
export function changedSteps(changes: Changes): { label: string; ids: string[] }[] {
  return [
    { label: "Added", ids: changes.added },
    { label: "Changed", ids: changes.changed },
    { label: "Removed", ids: changes.removed },
  ].filter((group) => group.ids.length > 0);
}
