// One published version, read-only: its canvas (drawn as the editor draws a draft) in a
// wide dialog, with its note. Nothing in it can be changed.

import { useMemo } from "react";
import { Background, Controls, ReactFlow, ReactFlowProvider, type NodeTypes } from "@xyflow/react";
import { toCanvas } from "../canvas/draw";
import { FlowNode } from "../canvas/FlowNode";
import { useCatalog } from "../canvas/Canvas";
import { messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { useVersionDocument, type VersionSummary } from "./api";

const nodeTypes: NodeTypes = { flow: FlowNode };
const fit = { padding: 0.1 };
const proOptions = { hideAttribution: true };

interface Props {
  workspace: string;
  flowId: string;
  version: VersionSummary;
  onClose: () => void;
}

export function VersionView({ workspace, flowId, version, onClose }: Props) {
  const detail = useVersionDocument(workspace, flowId, version.version);
  const catalog = useCatalog();
  const drawn = useMemo(
    () =>
      detail.data && catalog.data
        ? toCanvas(detail.data.document as { nodes: unknown[]; edges: unknown[] }, catalog.data)
        : undefined,
    [detail.data, catalog.data],
  );
  return (
    <Dialog title={`Version ${version.version} (read-only)`} onClose={onClose} wide>
      <p className="muted">
        {version.note ?? "No note"} · published by {version.published_by.replace(/^user:/, "")}
      </p>
      <ErrorNote error={detail.error ? messageOf(detail.error) : null} />
      <div className="version-canvas" data-testid="version-canvas">
        {drawn && (
          <ReactFlowProvider>
            <ReactFlow
              nodes={drawn.nodes}
              edges={drawn.edges}
              nodeTypes={nodeTypes}
              fitView
              fitViewOptions={fit}
              nodesDraggable={false}
              nodesConnectable={false}
              elementsSelectable={false}
              proOptions={proOptions}
              minZoom={0.1}
            >
              <Background gap={24} />
              <Controls showInteractive={false} />
            </ReactFlow>
          </ReactFlowProvider>
        )}
      </div>
      <div className="actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
