// Publishing: a button that says why it cannot publish while the flow has errors, and a
// dialog that asks for a short note, lists the warnings to accept, and says how many
// contacts wait in steps this version changes or removes (they finish on the live version).

import { useEffect, useState, type FormEvent } from "react";
import { messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { DialogActions } from "../ui/Field";
import type { Diagnostic } from "../problems/marks";
import { useImpact, usePublishActions } from "./api";
import { changesInWords } from "./changes";
import "./publish.css";

interface Props {
  workspace: string;
  flowId: string;
  diagnostics: readonly Diagnostic[];
  /** Saves what is being edited and gives the revision to publish (its ETag). */
  beforePublish: () => Promise<string | undefined>;
  /** Unsaved changes or a check still running: publishing waits for them. */
  busy?: boolean;
  onPublished?: (version: number) => void;
}

export function PublishControl({
  workspace,
  flowId,
  diagnostics,
  beforePublish,
  busy,
  onPublished,
}: Props) {
  const [open, setOpen] = useState(false);
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const reason =
    errors > 0
      ? `Fix ${errors === 1 ? "the error" : `the ${errors} errors`} in Problems before publishing.`
      : undefined;
  return (
    <div className="publish-control">
      <button
        type="button"
        className="button primary"
        disabled={errors > 0}
        aria-describedby={reason ? "publish-reason" : undefined}
        onClick={() => setOpen(true)}
      >
        Publish…
      </button>
      {reason && (
        <p id="publish-reason" className="publish-reason">
          {reason}
        </p>
      )}
      {open && (
        <PublishDialog
          workspace={workspace}
          flowId={flowId}
          warnings={diagnostics.filter((d) => d.severity === "warning")}
          beforePublish={beforePublish}
          busy={busy}
          onClose={() => setOpen(false)}
          onPublished={(version) => {
            setOpen(false);
            onPublished?.(version);
          }}
        />
      )}
    </div>
  );
}

function PublishDialog({
  workspace,
  flowId,
  warnings,
  beforePublish,
  busy,
  onClose,
  onPublished,
}: {
  workspace: string;
  flowId: string;
  warnings: Diagnostic[];
  beforePublish: () => Promise<string | undefined>;
  busy?: boolean;
  onClose: () => void;
  onPublished: (version: number) => void;
}) {
  const [note, setNote] = useState("");
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // What is being edited is saved first: the impact is about the draft as saved.
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let current = true;
    beforePublish()
      .catch(() => undefined)
      .finally(() => current && setReady(true));
    return () => {
      current = false;
    };
  }, [beforePublish]);
  const impact = useImpact(workspace, flowId, ready);
  const { publish } = usePublishActions(workspace, flowId);
  const waiting = impact.data?.contacts_waiting ?? 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (note.trim() === "") return setError("Say in a few words what this version changes.");
    if (warnings.length > 0 && !accepted) {
      return setError("Tick the box to publish with the warnings, or fix them first.");
    }
    try {
      const etag = await beforePublish();
      const version = await publish.mutateAsync({ note: note.trim(), etag });
      onPublished(version.version);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <Dialog title="Publish this flow" onClose={onClose}>
      <form onSubmit={submit} className="publish-form">
        <div className="field">
          <label htmlFor="publish-note">What does this version change?</label>
          <input
            id="publish-note"
            value={note}
            maxLength={500}
            placeholder="e.g. Shorter welcome, asks for the email earlier"
            onChange={(e) => setNote(e.target.value)}
            autoFocus
          />
          <small>Shown in the version history, so the team knows what went live when.</small>
        </div>
        {impact.data?.changes && (
          <p className="muted">
            Against live version {impact.data.live_version}: {changesInWords(impact.data.changes)}.
          </p>
        )}
        {impact.data && impact.data.live_version == null && (
          <p className="muted">
            This is the first version: contacts start getting this journey once it is live.
          </p>
        )}
        {waiting > 0 && (
          <div className="notice impact" role="status">
            <strong>
              Up to {waiting} {waiting === 1 ? "contact is" : "contacts are"} waiting in steps this
              version changes or removes:
            </strong>
            <ul>
              {impact.data?.waiting.map((at) => (
                <li key={at.node_id}>
                  {at.node_id} ({at.change}): {at.contacts}
                </li>
              ))}
            </ul>
            They finish the journey on version {impact.data?.live_version} as it is; only contacts
            who start after publishing get the new version.
          </div>
        )}
        {warnings.length > 0 && (
          <div className="warnings">
            <p>
              <strong>
                {warnings.length} {warnings.length === 1 ? "warning" : "warnings"}
              </strong>{" "}
              — the flow works, but maybe not as meant:
            </p>
            <ul>
              {warnings.map((w, i) => (
                <li key={i}>
                  {w.node_id && <strong>{w.node_id}: </strong>}
                  {w.message}
                </li>
              ))}
            </ul>
            <label className="check">
              <input
                type="checkbox"
                checked={accepted}
                onChange={(e) => setAccepted(e.target.checked)}
              />
              Publish anyway, with {warnings.length === 1 ? "this warning" : "these warnings"}
            </label>
          </div>
        )}
        <ErrorNote error={error} />
        {busy && <p className="muted">Saving your last change first…</p>}
        <DialogActions onCancel={onClose} submit="Publish" busy={publish.isPending} />
      </form>
    </Dialog>
  );
}
