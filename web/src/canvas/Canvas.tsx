// The flow's page: loads the draft and the node catalog, hands the draft to the document
// store and the autosaver, and shows the editing canvas with where saving stands. People
// whose role cannot change flows get the same canvas, read-only and never saved.

import { useEffect } from "react";
import { useQuery } from "@tanstack/react-query";
import "@xyflow/react/dist/style.css";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { closeDocument, loadDocument, useDocumentStore, type FlowDoc } from "../document";
import { startEditing } from "../document/save";
import { readDraft } from "../flows/api";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { canEditFlows, roleIn, useSession } from "../session/store";
import { Editor } from "./Editor";
import { layout, needsLayout, type CatalogEntry } from "./graph";
import { heightOf } from "./view";
import { ConflictBar, SaveStatusBadge } from "./SaveBar";
import "./canvas.css";

export function useCatalog() {
  return useQuery({
    queryKey: ["node-types"],
    queryFn: async () => (await ok(api.GET("/api/v1/node-types"))) as unknown as CatalogEntry[],
    staleTime: Infinity,
  });
}

/** A flow imported without positions, laid out left to right (saved as the first change). */
function laidOut(document: FlowDoc, catalog: readonly CatalogEntry[]): FlowDoc {
  if (!needsLayout(document.nodes)) return document;
  const byType = new Map(catalog.map((entry) => [entry.type, entry]));
  const placed = layout(document.nodes, document.edges, (n) => heightOf(n, byType.get(n.type)));
  return {
    ...document,
    nodes: document.nodes.map((node) => ({ ...node, position: placed.get(node.id) })),
  };
}

/** The editing canvas; inside a `ReactFlowProvider` that the flow page shares with its side
 * panel (whose badges sit on the canvas). */
export function Canvas({ workspace, flowId }: { workspace: string; flowId: string }) {
  // Read once per opening: later revisions arrive through saving and merging, not refetches.
  const draft = useQuery({
    queryKey: ["flow", workspace, flowId],
    queryFn: () => readDraft(workspace, flowId),
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
  const catalog = useCatalog();
  const role = useSession((s) => roleIn(s.session, workspace));
  const readOnly = !canEditFlows(role);
  const ready = useDocumentStore((s) => s.flowId === flowId && s.document !== null);
  const name = useDocumentStore((s) => (s.flowId === flowId ? s.document?.name : undefined));
  useTitle(name ?? flowId);

  const server = draft.data;
  const types = catalog.data;
  useEffect(() => {
    if (!server || !types) return;
    const document = laidOut(server.document as FlowDoc, types);
    if (readOnly) {
      loadDocument(flowId, document);
      return closeDocument;
    }
    const editing = startEditing(workspace, flowId, { document, etag: server.etag });
    return () => {
      editing.saveNow();
      editing.stop();
      closeDocument();
    };
  }, [server, types, workspace, flowId, readOnly]);

  const failed = draft.error ?? catalog.error;
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
        <h1>{name ?? flowId}</h1>
        {readOnly ? (
          <span className="muted">View only: your role does not allow changes.</span>
        ) : (
          ready && <SaveStatusBadge />
        )}
      </div>
      {!readOnly && <ConflictBar workspace={workspace} />}
      {failed && (
        <p className="error-note" role="alert">
          This flow could not be opened. {messageOf(failed)}
        </p>
      )}
      {!failed && !(ready && catalog.data) && <p className="loading">Opening the flow…</p>}
      {ready && catalog.data && <Editor catalog={catalog.data} readOnly={readOnly} />}
    </main>
  );
}
