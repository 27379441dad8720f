// THE ADAPTER (to be replaced when the editable canvas and its document store land): the
// flow page as the read-only canvas plus the side panel — publish, the selected step's
// settings, problems, versions. It keeps its own copy of the draft, saves each edit (after
// a pause, with If-Match) and validates what it holds. Everything it passes the panels goes
// through their narrow props, so wiring them to the document store means replacing this
// file only:
//   PropertiesPanel  { node, nodeType, scope, diagnostics, onChange(config), focus }
//   ProblemsPanel    { diagnostics, onSelect(nodeId, field) }
//   NodeBadges       { badges, onSelect(nodeId) }   (inside the canvas's ReactFlowProvider)
//   PublishControl   { diagnostics, beforePublish() → etag }, VersionHistory { canEdit }

import { useCallback, useMemo, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { ReactFlowProvider, useOnSelectionChange, useReactFlow, useStoreApi } from "@xyflow/react";
import { api } from "../api/client";
import { failureOf, messageOf } from "../api/errors";
import { Canvas, useCatalog } from "../canvas/Canvas";
import { readDraft } from "../flows/api";
import type { FlowDocument } from "../flows/documents";
import { badgesOf } from "../problems/marks";
import { NodeBadges } from "../problems/NodeBadges";
import { ProblemsPanel } from "../problems/ProblemsPanel";
import { useValidation } from "../problems/useValidation";
import { PublishControl } from "../publish/PublishControl";
import { VersionHistory } from "../publish/VersionHistory";
import { roleIn, useSession } from "../session/store";
import { PropertiesPanel, type PanelNode, type PanelNodeType } from "./PropertiesPanel";
import { scopeOf } from "./scope";

const SAVE_AFTER_MS = 800;

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
  const draft = useQuery({
    queryKey: ["flow", workspace, flowId],
    queryFn: () => readDraft(workspace, flowId),
  });
  const catalog = useCatalog();
  const canEdit = useSession((s) => roleIn(s.session, workspace) !== "viewer");
  const queryClient = useQueryClient();
  // Edits are kept here; until the first one, the document is the draft as read.
  const [edited, setEdited] = useState<FlowDocument>();
  const document = edited ?? draft.data?.document;
  const [saveError, setSaveError] = useState<string | null>(null);
  const etag = useRef<string | undefined>(undefined);
  const pending = useRef<{ timer: ReturnType<typeof setTimeout>; save: () => Promise<void> }>(
    undefined,
  );
  const [saving, setSaving] = useState(false);
  // Edits not saved yet (waiting for the pause, or being saved).
  const [dirty, setDirty] = useState(false);

  const save = useCallback(
    async (next: FlowDocument) => {
      const { data, error, response } = await api.PUT(
        "/api/v1/workspaces/{workspace}/flows/{flow}",
        {
          params: {
            path: { workspace, flow: flowId },
            header: { "If-Match": etag.current ?? draft.data?.etag ?? "" },
          },
          body: next,
        },
      );
      if (!response.ok || !data) throw failureOf(response.status, error);
      etag.current = response.headers.get("ETag") ?? `"${data.revision}"`;
      void queryClient.invalidateQueries({ queryKey: ["flows", workspace] });
    },
    [workspace, flowId, queryClient, draft.data?.etag],
  );

  const flush = useCallback(async () => {
    const job = pending.current;
    if (!job) return etag.current ?? draft.data?.etag;
    clearTimeout(job.timer);
    pending.current = undefined;
    await job.save();
    return etag.current;
  }, [draft.data?.etag]);

  const edit = useCallback(
    (next: FlowDocument) => {
      setEdited(next);
      setDirty(true);
      if (pending.current) clearTimeout(pending.current.timer);
      const run = async () => {
        setSaving(true);
        try {
          await save(next);
          setSaveError(null);
          if (!pending.current) setDirty(false);
        } catch (failure) {
          setSaveError(messageOf(failure));
          throw failure;
        } finally {
          setSaving(false);
        }
      };
      const timer = setTimeout(() => {
        pending.current = undefined;
        run().catch(() => {});
      }, SAVE_AFTER_MS);
      pending.current = { timer, save: run };
    },
    [save],
  );

  const validation = useValidation(workspace, flowId, document, []);
  const badges = useMemo(() => badgesOf(validation.diagnostics), [validation.diagnostics]);

  // Selection: a click on the canvas, or a problem chosen in the list.
  const [selected, setSelected] = useState<string | null>(null);
  const [focus, setFocus] = useState<{ field: string }>();
  const store = useStoreApi();
  const flow = useReactFlow();
  useOnSelectionChange({
    onChange: useCallback(({ nodes }: { nodes: { id: string }[] }) => {
      if (nodes.length === 1) setSelected(nodes[0]!.id);
      else if (nodes.length === 0) setSelected(null);
    }, []),
  });
  const select = useCallback(
    (nodeId: string, field?: string) => {
      store.getState().addSelectedNodes([nodeId]);
      setSelected(nodeId);
      setFocus({ field: field ?? "" });
      void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, minZoom: 0.6, duration: 0 });
    },
    [store, flow],
  );

  const nodes = useMemo(() => (document?.nodes ?? []) as PanelNode[], [document]);
  const node = nodes.find((n) => n.id === selected);
  const nodeType = catalog.data?.find((entry) => entry.type === node?.type) as
    PanelNodeType | undefined;
  const scope = useMemo(
    () => (document && selected ? scopeOf(document, selected) : []),
    [document, selected],
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

  if (!document) return <aside className="side-panel" aria-label="Flow tools" />;
  return (
    <aside className="side-panel" aria-label="Flow tools">
      <NodeBadges badges={badges} onSelect={(id) => select(id)} />
      <div className="side-status">
        {canEdit && (
          <PublishControl
            workspace={workspace}
            flowId={flowId}
            diagnostics={validation.diagnostics}
            beforePublish={flush}
            busy={dirty}
          />
        )}
        <span className="muted save-state" aria-live="polite">
          {saveError ? (
            <span className="error-text">Not saved: {saveError}</span>
          ) : saving ? (
            "Saving…"
          ) : dirty ? (
            "Unsaved changes"
          ) : (
            "All changes saved"
          )}
        </span>
      </div>
      {node && (
        <div className="side-section">
          <button
            type="button"
            className="button small quiet close-panel"
            onClick={() => {
              store.getState().unselectNodesAndEdges();
              setSelected(null);
            }}
          >
            Close settings
          </button>
          <PropertiesPanel
            key={node.id}
            node={node}
            nodeType={nodeType}
            scope={scope}
            diagnostics={validation.diagnostics}
            focus={focus}
            workspace={workspace}
            readOnly={!canEdit}
            onChange={(config) =>
              edit({
                ...document,
                nodes: document.nodes.map((n) =>
                  (n as PanelNode).id === node.id ? { ...(n as PanelNode), config } : n,
                ),
              })
            }
          />
        </div>
      )}
      <div className="side-section">
        <ProblemsPanel
          diagnostics={validation.diagnostics}
          onSelect={select}
          labels={labels}
          checking={validation.checking}
        />
      </div>
      <div className="side-section">
        <VersionHistory workspace={workspace} flowId={flowId} canEdit={canEdit} />
      </div>
    </aside>
  );
}
