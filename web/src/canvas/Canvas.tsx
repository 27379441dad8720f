// The canvas of one flow: its nodes and edges drawn with React Flow, laid out with dagre
// when the flow has no positions, with zoom, pan, fit view and a minimap. Read-only for
// now: editing (and saving) comes with the next part of the editor.

import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useNodesState,
  type NodeTypes,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { readDraft } from "../flows/api";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { toCanvas } from "./draw";
import { FlowNode, type FlowNodeType } from "./FlowNode";
import type { CatalogEntry } from "./graph";
import "./canvas.css";

const nodeTypes: NodeTypes = { flow: FlowNode };
const fitViewOptions = { padding: 0.15 };
const proOptions = { hideAttribution: true };

export function useCatalog() {
  return useQuery({
    queryKey: ["node-types"],
    queryFn: async () => (await ok(api.GET("/api/v1/node-types"))) as unknown as CatalogEntry[],
    staleTime: Infinity,
  });
}

const CATEGORY_COLOURS: Record<string, string> = {
  trigger: "#6b4fbb",
  messaging: "#0a6b4d",
  logic: "#b26b00",
  contact: "#1a5fd0",
  integration: "#a8251c",
};

function minimapColour(node: FlowNodeType): string {
  return CATEGORY_COLOURS[node.data.category] ?? "#8a94a3";
}

export function Canvas({ workspace, flowId }: { workspace: string; flowId: string }) {
  const draft = useQuery({
    queryKey: ["flow", workspace, flowId],
    queryFn: () => readDraft(workspace, flowId),
  });
  const catalog = useCatalog();
  const drawn = useMemo(
    () => (draft.data && catalog.data ? toCanvas(draft.data.document, catalog.data) : undefined),
    [draft.data, catalog.data],
  );
  const failed = draft.error ?? catalog.error;
  useTitle(draft.data?.document.name ?? flowId);

  return (
    <main className="canvas-page">
      <div className="canvas-bar">
        <a
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate("/");
          }}
        >
          ← All flows
        </a>
        <h1>{draft.data?.document.name ?? flowId}</h1>
        <span className="muted">View only: editing on the canvas comes next.</span>
      </div>
      {failed && (
        <p className="error-note" role="alert">
          This flow could not be opened. {messageOf(failed)}
        </p>
      )}
      {!failed && !drawn && <p className="loading">Opening the flow…</p>}
      {drawn && drawn.undrawn > 0 && (
        <p className="notice">
          {drawn.undrawn === 1 ? "One connection" : `${drawn.undrawn} connections`} could not be
          drawn: {drawn.undrawn === 1 ? "it leads" : "they lead"} from a way out or to a step that
          does not exist.
        </p>
      )}
      {drawn && <DrawnFlow key={draft.data?.etag} drawn={drawn} />}
    </main>
  );
}

/** React Flow over one drawn revision; its node state takes React Flow's measurements. */
function DrawnFlow({ drawn }: { drawn: ReturnType<typeof toCanvas> }) {
  const [nodes, , onNodesChange] = useNodesState(drawn.nodes);
  const openOn = useMemo(
    () => ({ padding: 0.1, maxZoom: 1, minZoom: 0.5, nodes: drawn.start.map((id) => ({ id })) }),
    [drawn.start],
  );
  return (
    <div className="canvas" data-testid="canvas">
      <ReactFlow
        nodes={nodes}
        edges={drawn.edges}
        onNodesChange={onNodesChange}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={openOn}
        nodesDraggable={false}
        nodesConnectable={false}
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
      </ReactFlow>
    </div>
  );
}
