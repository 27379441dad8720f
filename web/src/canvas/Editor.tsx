// The editing canvas: React Flow over the document store. React Flow keeps its own node
// state while a drag runs (nothing global is written per frame); the document changes when
// the drag stops, a wire is dropped, a step is added, deleted or pasted — one undo step each.

import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type EdgeTypes,
  type FinalConnectionState,
  type NodeChange,
  type NodeTypes,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import { redo, select, undo, useDocumentStore, type FlowDoc, type Selection } from "../document";
import { copyText } from "../document/clipboard";
import {
  addNode,
  addNote,
  connect,
  move,
  paste,
  relayout,
  remove,
  selectAll,
} from "../document/edits";
import { freeSpot } from "../document/placement";
import type { TypeFacts } from "../document/rules";
import type { Point } from "../document/types";
import { initialConfig } from "../forms/defaults";
import type { JsonSchema } from "../forms/schema";
import { FlowNode, type FlowNodeType } from "./FlowNode";
import { layout, NODE_WIDTH } from "./graph";
import type { CatalogEntry } from "./graph";
import { NoteNode } from "./NoteNode";
import { ShortcutSheet } from "./Shortcuts";
import { markEdges, markNodes, useCanvasOverlay } from "./overlay";
import "./overlay.css";
import { DRAG_TYPE, Palette, PaletteRail } from "./Palette";
import { NOTE_PREFIX, edgeOfId, edgesFor, heightOf, nodesFor, type CanvasNode } from "./view";
import { WindowEdge, WindowReason } from "../problems/WindowEdge";
import { useClosedWindow, type ClosedWindow } from "../problems/window";

const PALETTE_KEY = "spool.palette";
const nodeTypes: NodeTypes = { flow: FlowNode, note: NoteNode };
const edgeTypes: EdgeTypes = { window: WindowEdge };
// Never zoomed in past 100%: a flow of one or two steps stays at a size to build on.
const fitViewOptions = { padding: 0.15, maxZoom: 1 };
const proOptions = { hideAttribution: true };
const CATEGORY_COLOURS: Record<string, string> = {
  trigger: "#6b4fbb",
  messaging: "#0a6b4d",
  logic: "#b26b00",
  contact: "#1a5fd0",
  integration: "#a8251c",
};

function minimapColour(node: CanvasNode): string {
  if (node.type === "note") return "#f3d86b";
  return CATEGORY_COLOURS[(node as FlowNodeType).data.category] ?? "#8a94a3";
}

function build(
  doc: FlowDoc | null,
  byType: ReadonlyMap<string, CatalogEntry>,
  selection: Selection,
  closed: ClosedWindow,
  previous: Parameters<typeof nodesFor>[3],
) {
  const drawn = doc
    ? nodesFor(doc, byType, selection, previous)
    : { nodes: [] as CanvasNode[], index: new Map() };
  const lines = doc
    ? edgesFor(doc, drawn.index, new Set(selection.edges), closed)
    : { edges: [], undrawn: 0 };
  return { doc, byType, selection, closed, ...drawn, ...lines };
}

/** Keys typed into a field are the field's, not the canvas's. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return Boolean(
    el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)),
  );
}

export function Editor({
  catalog,
  readOnly,
}: {
  catalog: readonly CatalogEntry[];
  readOnly: boolean;
}) {
  const doc = useDocumentStore((s) => s.document);
  const selection = useDocumentStore((s) => s.selection);
  const closed = useClosedWindow((s) => s.closed);
  const overlay = useCanvasOverlay((s) => s.overlay);
  const byType = useMemo(() => new Map(catalog.map((e) => [e.type, e])), [catalog]);
  const factsOf = useCallback(
    (type: string): TypeFacts | undefined => {
      const entry = byType.get(type);
      return entry ? { waits: entry.waits ?? false } : undefined;
    },
    [byType],
  );
  const flow = useReactFlow<CanvasNode>();
  // React Flow's own copy of the nodes, which moves during a drag without touching the
  // document; rebuilt (reusing unchanged nodes' objects, see view.ts) when the document or
  // the selection changes.
  const [view, setView] = useState(() => build(doc, byType, selection, closed, new Map()));
  const [nodes, setNodes] = useState<CanvasNode[]>(view.nodes);
  if (
    view.doc !== doc ||
    view.byType !== byType ||
    view.selection !== selection ||
    view.closed !== closed
  ) {
    const next = build(doc, byType, selection, closed, view.index);
    setView(next);
    setNodes(next.nodes);
  }
  // What the test chat or the funnel draws over the canvas (overlay.ts).
  const shownNodes = useMemo(() => markNodes(nodes, overlay.nodes), [nodes, overlay.nodes]);
  const shownEdges = useMemo(
    () => markEdges(view.edges, overlay.edges),
    [view.edges, overlay.edges],
  );
  // Fitting an empty canvas would zoom onto the first step dropped and move the view under
  // the person's hand: only a flow that has steps when it opens is fitted.
  const [fitOnOpen] = useState(() => (doc?.nodes.length ?? 0) + (doc?.notes?.length ?? 0) > 0);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [sheet, setSheet] = useState(false);
  const search = useRef<HTMLInputElement>(null);
  // The palette folds away for a wider canvas; the choice is kept for the next visit.
  const [paletteOpen, setPaletteOpen] = useState(
    () => localStorage.getItem(PALETTE_KEY) !== "hidden",
  );
  useEffect(() => {
    localStorage.setItem(PALETTE_KEY, paletteOpen ? "shown" : "hidden");
  }, [paletteOpen]);
  // Unfolded to be searched (N): the search is focused once it is drawn, in the next frame.
  const openPalette = useCallback(() => {
    setPaletteOpen(true);
    requestAnimationFrame(() => search.current?.focus());
  }, []);
  const [pending, setPending] = useState<{
    node: string;
    port: string;
    at: { x: number; y: number };
  } | null>(null);
  const wrapper = useRef<HTMLDivElement>(null);

  const onNodesChange = useCallback((changes: NodeChange<CanvasNode>[]) => {
    // Removal goes through onDelete (one undo step with the edges); the rest is view state.
    setNodes((current) =>
      applyNodeChanges(
        changes.filter((c) => c.type !== "remove"),
        current,
      ),
    );
  }, []);

  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    const picked = changes.filter((c) => c.type === "select");
    if (picked.length === 0) return;
    const s = useDocumentStore.getState().selection;
    const edges = new Set(s.edges);
    for (const c of picked) {
      if (c.selected) edges.add(c.id);
      else edges.delete(c.id);
    }
    select({ ...s, edges: [...edges] });
  }, []);

  const onSelectionChange = useCallback(({ nodes: picked, edges }: OnSelectionChangeParams) => {
    select({
      nodes: picked.filter((n) => n.type === "flow").map((n) => n.id),
      notes: picked.filter((n) => n.type === "note").map((n) => n.id.slice(NOTE_PREFIX.length)),
      edges: edges.map((e) => e.id),
    });
  }, []);

  const onNodeDragStop = useCallback((_: unknown, __: unknown, dragged: CanvasNode[]) => {
    const steps = new Map<string, { x: number; y: number }>();
    const notes = new Map<string, { x: number; y: number }>();
    for (const node of dragged) {
      if (node.type === "note") notes.set(node.id.slice(NOTE_PREFIX.length), node.position);
      else steps.set(node.id, node.position);
    }
    move(steps, notes);
  }, []);

  const onDelete = useCallback(
    ({ nodes: gone, edges }: { nodes: CanvasNode[]; edges: { id: string }[] }) => {
      remove({
        nodes: gone.filter((n) => n.type === "flow").map((n) => n.id),
        notes: gone.filter((n) => n.type === "note").map((n) => n.id.slice(NOTE_PREFIX.length)),
        edges: edges.flatMap((e) => edgeOfId(e.id) ?? []),
      });
    },
    [],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.sourceHandle) return;
      const verdict = connect(factsOf, { from: c.source, port: c.sourceHandle, to: c.target });
      setRefusal(verdict.ok ? null : verdict.reason);
    },
    [factsOf],
  );

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromNode || !state.fromHandle?.id) return;
      if (state.toNode) return; // dropped on a step: onConnect decides
      // Dropped on empty canvas: the palette adds the next step there, already joined.
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      if (!point || state.fromNode.type !== "flow") return;
      const at = flow.screenToFlowPosition({ x: point.clientX, y: point.clientY });
      setPending({ node: state.fromNode.id, port: state.fromHandle.id, at });
      search.current?.focus();
    },
    [flow],
  );

  const centre = useCallback(() => {
    const box = wrapper.current?.getBoundingClientRect();
    if (!box) return { x: 0, y: 0 };
    const c = flow.screenToFlowPosition({
      x: box.left + box.width / 2,
      y: box.top + box.height / 2,
    });
    return { x: c.x - 100, y: c.y - 40 };
  }, [flow]);

  // A new step starts with its type's default settings (so its form shows what will really
  // happen, and validation names the fields still to fill), clear of the steps around it.
  const addStep = useCallback(
    (type: string, at: Point, from?: { node: string; port: string }) => {
      const entry = byType.get(type) as (CatalogEntry & { config_schema?: JsonSchema }) | undefined;
      const config = entry?.config_schema ? initialConfig(entry.config_schema) : undefined;
      const sizeOf = (node: { id: string; type: string; config?: Record<string, unknown> }) =>
        heightOf(node, byType.get(node.type));
      const others = useDocumentStore.getState().document?.nodes ?? [];
      const spot = freeSpot(at, sizeOf({ id: "", type, config }), others, {
        width: NODE_WIDTH,
        heightOf: sizeOf,
      });
      addNode(type, spot, config, from);
    },
    [byType],
  );

  const onPick = useCallback(
    (type: string) => {
      if (readOnly) return;
      if (pending) {
        addStep(type, pending.at, { node: pending.node, port: pending.port });
        setPending(null);
      } else {
        addStep(type, centre());
      }
    },
    [pending, centre, readOnly, addStep],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(DRAG_TYPE);
      if (!type || readOnly) return;
      event.preventDefault();
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addStep(type, { x: at.x - 100, y: at.y - 20 });
    },
    [flow, readOnly, addStep],
  );

  const tidyUp = useCallback(() => {
    const current = useDocumentStore.getState().document;
    if (!current) return;
    relayout(layout(current.nodes, current.edges, (n) => heightOf(n, byType.get(n.type))));
    requestAnimationFrame(() => void flow.fitView(fitViewOptions));
  }, [byType, flow]);

  // Shortcuts (ignored while typing in a field) and the clipboard.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typing(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !readOnly) {
        e.preventDefault();
        if (e.shiftKey) redo();
        else undo();
      } else if (mod && key === "y" && !readOnly) {
        e.preventDefault();
        redo();
      } else if (mod && key === "a") {
        e.preventDefault();
        selectAll();
      } else if (!mod && !e.altKey && key === "n" && !readOnly) {
        e.preventDefault();
        openPalette();
      } else if (!mod && e.shiftKey && key === "s" && !readOnly) {
        e.preventDefault();
        addNote(centre());
      } else if (!mod && !e.altKey && e.key === "?") {
        e.preventDefault();
        setSheet(true);
      } else if (!mod && !e.altKey && !e.shiftKey && key === "f") {
        e.preventDefault();
        void flow.fitView(fitViewOptions);
      }
    };
    const selected = () => {
      const s = useDocumentStore.getState();
      return s.document ? copyText(s.document, s.selection.nodes, s.selection.notes) : undefined;
    };
    const onCopy = (e: ClipboardEvent) => {
      if (typing(e.target)) return;
      const text = selected();
      if (!text || !e.clipboardData) return;
      e.clipboardData.setData("text/plain", text);
      e.preventDefault();
    };
    const onCut = (e: ClipboardEvent) => {
      if (typing(e.target) || readOnly) return;
      onCopy(e);
      const s = useDocumentStore.getState().selection;
      remove({ nodes: s.nodes, notes: s.notes });
    };
    const onPaste = (e: ClipboardEvent) => {
      if (typing(e.target) || readOnly) return;
      const text = e.clipboardData?.getData("text/plain");
      if (text && paste(text, centre())) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCut);
    document.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKey);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCut);
      document.removeEventListener("paste", onPaste);
    };
  }, [centre, readOnly, flow, openPalette]);

  const pendingLabel = pending ? `“${pending.port}” of ${pending.node}` : null;
  return (
    <div className="editor">
      {!readOnly &&
        (paletteOpen || pending ? (
          <Palette
            catalog={catalog}
            connecting={pendingLabel}
            searchRef={search}
            onPick={onPick}
            onCancel={() => setPending(null)}
            onHide={() => setPaletteOpen(false)}
          />
        ) : (
          <PaletteRail onShow={openPalette} />
        ))}
      <div
        className="canvas"
        data-testid="canvas"
        ref={wrapper}
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes(DRAG_TYPE)) {
            e.preventDefault();
            e.dataTransfer.dropEffect = "copy";
          }
        }}
        onDrop={onDrop}
      >
        {view.undrawn > 0 && (
          <p className="notice canvas-notice">
            {view.undrawn === 1 ? "One connection" : `${view.undrawn} connections`} could not be
            drawn: {view.undrawn === 1 ? "it leads" : "they lead"} from a way out or to a step that
            does not exist.
          </p>
        )}
        <ReactFlow<CanvasNode>
          nodes={shownNodes}
          edges={shownEdges}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onSelectionChange={onSelectionChange}
          onNodeDragStop={onNodeDragStop}
          onDelete={onDelete}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          fitView={fitOnOpen}
          fitViewOptions={fitViewOptions}
          nodesDraggable={!readOnly}
          nodesConnectable={!readOnly}
          elementsSelectable
          deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
          multiSelectionKeyCode={["Shift", "Meta", "Control"]}
          selectNodesOnDrag={false}
          minZoom={0.1}
          proOptions={proOptions}
        >
          <Background gap={24} />
          <Controls showInteractive={false} fitViewOptions={fitViewOptions} />
          <MiniMap
            pannable
            zoomable
            ariaLabel="Map of the whole flow"
            nodeColor={minimapColour}
            maskColor="rgb(20 28 40 / 0.08)"
          />
          {readOnly && (
            <Panel position="top-right" className="canvas-tools">
              <button type="button" className="button small" onClick={() => setSheet(true)}>
                Shortcuts
              </button>
            </Panel>
          )}
          {!readOnly && (
            <Panel position="top-right" className="canvas-tools">
              <button
                type="button"
                className="button small"
                onClick={() => undo()}
                title="Undo (Ctrl+Z)"
              >
                Undo
              </button>
              <button
                type="button"
                className="button small"
                onClick={() => redo()}
                title="Redo (Shift+Ctrl+Z)"
              >
                Redo
              </button>
              <button
                type="button"
                className="button small"
                onClick={() => addNote(centre())}
                title="Add a note (Shift+S)"
              >
                Note
              </button>
              <button
                type="button"
                className="button small"
                onClick={tidyUp}
                title="Lay out every step again"
              >
                Tidy up
              </button>
              <button
                type="button"
                className="button small"
                onClick={() => setSheet(true)}
                title="Keyboard shortcuts (?)"
              >
                Shortcuts
              </button>
            </Panel>
          )}
          <WindowReason />
          {refusal && (
            <Panel position="bottom-center" className="refusal" role="alert">
              {refusal}{" "}
              <button type="button" className="button quiet small" onClick={() => setRefusal(null)}>
                OK
              </button>
            </Panel>
          )}
        </ReactFlow>
      </div>
      {sheet && <ShortcutSheet readOnly={readOnly} onClose={() => setSheet(false)} />}
    </div>
  );
}
