// What the rest of the editor (the properties panel, the toolbar) uses of the document
// store: hooks with narrow selectors, and plain functions that make one undo step each.

import { metaOf } from "./history";
import { useDocumentStore, commit, findNode, getDocument } from "./store";
import type { DocNode, FlowDoc } from "./types";

/** The document being edited (re-renders on every change: prefer the narrower hooks). */
export function useDocument(): FlowDoc | null {
  return useDocumentStore((s) => s.document);
}

/** A number that changes whenever the document does. */
export function useRevision(): number {
  return useDocumentStore((s) => s.revision);
}

/** The node whose form to show: the one selected node, or undefined when none or several are. */
export function useSelectedNode(): DocNode | undefined {
  return useDocumentStore((s) => {
    const [only, ...more] = s.selection.nodes;
    if (only === undefined || more.length > 0) return undefined;
    return s.document?.nodes.find((node) => node.id === only);
  });
}

/** One node, by id (the same object until that node changes). */
export function useNode(id: string): DocNode | undefined {
  return useDocumentStore((s) => s.document?.nodes.find((node) => node.id === id));
}

export function useCanUndo(): boolean {
  return useDocumentStore((s) => s.past.length > 0);
}

export function useCanRedo(): boolean {
  return useDocumentStore((s) => s.future.length > 0);
}

/** The top-level config fields whose values differ. */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/**
 * Sets a node's whole config: one undo step, except that a run of changes to the same field
 * within about a second (typing) merges into one.
 */
export function updateNodeConfig(nodeId: string, config: Record<string, unknown>): void {
  const before = findNode(nodeId);
  if (!before) return;
  const fields = changedFields(before.config ?? {}, config);
  if (fields.length === 0) return;
  const key = fields.length === 1 ? `config:${nodeId}:${fields[0]}` : undefined;
  commit(
    `Edit ${nodeId}`,
    [{ kind: "node", id: nodeId, before, after: { ...before, config } }],
    key,
  );
}

/**
 * Sets the journey's settings (re-entry, quiet hours…): one undo step, except that a run of
 * changes to the same setting within about a second (typing) merges into one.
 */
export function updateSettings(settings: Record<string, unknown>): void {
  const doc = getDocument();
  if (!doc) return;
  const before = metaOf(doc);
  const fields = changedFields(before.settings ?? {}, settings);
  if (fields.length === 0) return;
  const key = fields.length === 1 ? `settings:${fields[0]}` : undefined;
  commit(
    "Change the journey's settings",
    [{ kind: "meta", before, after: { ...before, settings } }],
    key,
  );
}
