// The document store's public face: see README.md.

export {
  useCanRedo,
  useCanUndo,
  useDocument,
  useNode,
  useRevision,
  useSelectedNode,
  updateNodeConfig,
  updateSettings,
} from "./api";
export {
  closeDocument,
  commit,
  getDocument,
  loadDocument,
  redo,
  select,
  undo,
  useDocumentStore,
} from "./store";
export { flushSave, useSaveState } from "./save";
export type { Selection } from "./store";
export type { DocEdge, DocNode, DocNote, FlowDoc, Op, Step } from "./types";
