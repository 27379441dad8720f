// The version history: every published version with its note, who published it and when,
// and what it changed; open one to look at it (read-only), or roll back to it (a new
// version with its content; the draft stays as it is).

import { useState } from "react";
import { messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { usePublishActions, useVersions, type VersionSummary } from "./api";
import { changedSteps, changesInWords } from "./changes";
import { VersionView } from "./VersionView";

interface Props {
  workspace: string;
  flowId: string;
  canEdit: boolean;
}

function when(at: string): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function who(by: string): string {
  return by.replace(/^user:/, "").replace(/^api_key:/, "API key ");
}

export function VersionHistory({ workspace, flowId, canEdit }: Props) {
  const versions = useVersions(workspace, flowId);
  const { rollback } = usePublishActions(workspace, flowId);
  const [opened, setOpened] = useState<VersionSummary | null>(null);
  const [confirm, setConfirm] = useState<VersionSummary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = versions.data ?? [];
  const oldest = list.at(-1)?.version;

  return (
    <section className="versions" aria-label="Version history">
      <h2>Versions</h2>
      {versions.isLoading && <p className="loading">Loading versions…</p>}
      {versions.error && <ErrorNote error={messageOf(versions.error)} />}
      {!versions.isLoading && list.length === 0 && (
        <p className="muted">Not published yet: publish to make this journey live.</p>
      )}
      <ol className="version-list">
        {list.map((v) => (
          <li key={v.version} className={v.live ? "version live" : "version"}>
            <div className="version-head">
              <strong>Version {v.version}</strong>
              {v.live && <span className="pill">Live</span>}
            </div>
            <p className="version-note">{v.note ?? <span className="muted">No note</span>}</p>
            <p className="muted version-meta">
              {who(v.published_by)} · {when(v.published_at)}
            </p>
            <p
              className="version-changes"
              title={
                v.changes
                  ? changedSteps(v.changes)
                      .map((g) => `${g.label}: ${g.ids.join(", ")}`)
                      .join("\n")
                  : undefined
              }
            >
              {changesInWords(v.changes, v.version === oldest)}
            </p>
            <div className="version-actions">
              <button type="button" className="button small" onClick={() => setOpened(v)}>
                Open
              </button>
              {canEdit && !v.live && (
                <button type="button" className="button small" onClick={() => setConfirm(v)}>
                  Roll back to this
                </button>
              )}
            </div>
          </li>
        ))}
      </ol>
      {opened && (
        <VersionView
          workspace={workspace}
          flowId={flowId}
          version={opened}
          onClose={() => setOpened(null)}
        />
      )}
      {confirm && (
        <Dialog title={`Roll back to version ${confirm.version}?`} onClose={() => setConfirm(null)}>
          <p>
            Contacts who start the journey from now on get version {confirm.version}
            {confirm.note ? ` (“${confirm.note}”)` : ""} again, published as a new version. Contacts
            already in the journey finish on the version they started. Your draft stays as it is.
          </p>
          <ErrorNote error={error} />
          <div className="actions">
            <button type="button" className="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="button primary"
              disabled={rollback.isPending}
              onClick={() =>
                rollback
                  .mutateAsync(confirm.version)
                  .then(() => setConfirm(null))
                  .catch((e: unknown) => setError(messageOf(e)))
              }
            >
              Roll back
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
