// The flow's page: the editing canvas, and beside it the side panel — publish, the selected
// step's settings, problems, versions. The flow being edited lives in the document store
// (`../document`): the panel reads the selected step from it and changes its settings
// through it (one undo step per change, typing merged), and the store's autosaver saves it.

import { useCallback, useEffect, useMemo, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { Canvas, useCatalog } from "../canvas/Canvas";
import {
  flushSave,
  select,
  updateNodeConfig,
  updateSettings,
  useDocument,
  useDocumentStore,
  useSaveState,
} from "../document";
import { renameNode } from "../document/edits";
import type { FlowDocument } from "./documents";
import { badgesOf } from "../problems/marks";
import { NodeBadges } from "../problems/NodeBadges";
import { FunnelPanel } from "../funnel/FunnelPanel";
import { ProblemsPanel } from "../problems/ProblemsPanel";
import { useValidation } from "../problems/useValidation";
import { showClosedWindow } from "../problems/window";
import { PublishControl } from "../publish/PublishControl";
import { VersionHistory } from "../publish/VersionHistory";
import { canEditFlows, roleIn, useSession } from "../session/store";
import { FlowSettings } from "../forms/FlowSettings";
import { PropertiesPanel, type PanelNode, type PanelNodeType } from "../forms/PropertiesPanel";
import { scopeOf } from "../forms/scope";
import { isTrigger } from "../simulate/setup";
import { TestChat } from "../simulate/TestChat";

export function FlowPage({ workspace, flowId }: { workspace: string; flowId: string }) {
  return (
    <ReactFlowProvider>
      <div className="flow-page">
        <Canvas workspace={workspace} flowId={flowId} />
        <SidePanel workspace={workspace} flowId={flowId} />
      </div>
    </ReactFlowProvider>
  );
}

function SidePanel({ workspace, flowId }: { workspace: string; flowId: string }) {
  const catalog = useCatalog();
  const canEdit = useSession((s) => canEditFlows(roleIn(s.session, workspace)));
  const open = useDocumentStore((s) => s.flowId === flowId);
  const document = useDocument() as FlowDocument | null;
  const current = open ? (document ?? undefined) : undefined;
  const saveStatus = useSaveState((s) => s.status);
  const [funnel, setFunnel] = useState(false);

  const validation = useValidation(workspace, flowId, current, []);
  const badges = useMemo(() => badgesOf(validation.diagnostics), [validation.diagnostics]);
  // The canvas draws these edges dashed; cleared when the flow closes.
  useEffect(() => showClosedWindow(validation.closedWindow), [validation.closedWindow]);
  useEffect(() => () => showClosedWindow([]), []);

  // The selected step: one node selected on the canvas, or a problem chosen in the list.
  const selected = useDocumentStore((s) =>
    s.selection.nodes.length === 1 ? s.selection.nodes[0] : undefined,
  );
  const [focus, setFocus] = useState<{ field: string }>();
  const flow = useReactFlow();
  const choose = useCallback(
    (nodeId: string, field?: string) => {
      select({ nodes: [nodeId], notes: [], edges: [] });
      setFocus({ field: field ?? "" });
      void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, minZoom: 0.6, duration: 0 });
    },
    [flow],
  );

  const nodes = useMemo(() => (current?.nodes ?? []) as PanelNode[], [current]);
  const node = nodes.find((n) => n.id === selected);
  const nodeType = catalog.data?.find((entry) => entry.type === node?.type) as
    PanelNodeType | undefined;
  const scope = useMemo(
    () => (current && selected ? scopeOf(current, selected) : []),
    [current, selected],
  );
  const labels = useMemo(
    () =>
      new Map(
        nodes.map((n) => [
          n.id,
          `${n.id} (${catalog.data?.find((c) => c.type === n.type)?.label ?? n.type})`,
        ]),
      ),
    [nodes, catalog.data],
  );

  // Open: the test chat replaces the side panel, from a chosen step when `from` is set.
  const [testing, setTesting] = useState<{ from?: string } | null>(null);

  if (!current) return <aside className="side-panel" aria-label="Flow tools" />;
  if (testing) {
    return (
      <aside className="side-panel" aria-label="Flow tools">
        <TestChat
          workspace={workspace}
          flowId={flowId}
          from={testing.from}
          onClose={() => setTesting(null)}
        />
      </aside>
    );
  }
  return (
    <aside className="side-panel" aria-label="Flow tools">
      <NodeBadges badges={badges} onSelect={(id) => choose(id)} />
      {!funnel && (
        <button
          type="button"
          className="button small funnel-toggle"
          onClick={() => setFunnel(true)}
        >
          Funnel: how contacts go through
        </button>
      )}
      {funnel && (
        <FunnelPanel workspace={workspace} flowId={flowId} onClose={() => setFunnel(false)} />
      )}
      {canEdit && (
        <div className="side-status">
          <PublishControl
            workspace={workspace}
            flowId={flowId}
            diagnostics={validation.diagnostics}
            beforePublish={flushSave}
            busy={saveStatus === "saving" || saveStatus === "unsaved"}
          />
          <button type="button" className="button small" onClick={() => setTesting({})}>
            Test
          </button>
        </div>
      )}
      {node && (
        <div className="side-section">
          <button
            type="button"
            className="button small quiet close-panel"
            onClick={() => select({ nodes: [], notes: [], edges: [] })}
          >
            Close settings
          </button>
          {canEdit && !isTrigger(node.type) && (
            <button
              type="button"
              className="button small quiet test-from-here"
              onClick={() => setTesting({ from: node.id })}
            >
              Test from this step
            </button>
          )}
          <PropertiesPanel
            key={node.id}
            node={node}
            nodeType={nodeType}
            scope={scope}
            diagnostics={validation.diagnostics}
            focus={focus}
            workspace={workspace}
            readOnly={!canEdit}
            onChange={(config) => updateNodeConfig(node.id, config)}
            onRename={(name) => renameNode(node.id, name)}
          />
        </div>
      )}
      <div className="side-section">
        <ProblemsPanel
          diagnostics={validation.diagnostics}
          onSelect={choose}
          labels={labels}
          checking={validation.checking}
        />
      </div>
      {!node && (
        <div className="side-section">
          <FlowSettings
            settings={(current.settings as Record<string, unknown> | undefined) ?? {}}
            diagnostics={validation.diagnostics}
            onChange={updateSettings}
            readOnly={!canEdit}
          />
        </div>
      )}
      <div className="side-section">
        <VersionHistory workspace={workspace} flowId={flowId} canEdit={canEdit} />
      </div>
    </aside>
  );
}
