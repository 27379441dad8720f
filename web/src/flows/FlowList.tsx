// The flow list: every journey of the workspace, its status, who edited it last, and the
// actions on it (open, rename, duplicate, export, delete), plus new and import.

import { useMemo, useRef, useState, type FormEvent } from "react";
import { messageOf } from "../api/errors";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { canEditFlows, roleIn, useSession } from "../session/store";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { DialogActions, Field } from "../ui/Field";
import { exportUrl, takenBy, useFlowActions, useFlowList, type FlowListItem } from "./api";
import { blankFlow, fromExample, NotAFlowFile, readFlowFile } from "./documents";
import { examples } from "./examples";
import { editorName, recentFirst, relativeTime, statusOf } from "./status";

export function FlowList({ workspace }: { workspace: string }) {
  const flows = useFlowList(workspace);
  const actions = useFlowActions(workspace);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<FlowListItem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  useTitle("Flows");
  const list = useMemo(() => recentFirst(flows.data ?? []), [flows.data]);
  const canEdit = useSession((s) => canEditFlows(roleIn(s.session, workspace)));

  async function importFile(file: File) {
    setError(null);
    setNotice(null);
    try {
      const { document, renamedFrom } = readFlowFile(await file.text(), takenBy(list));
      const created = await actions.importFile.mutateAsync(document);
      setNotice(
        renamedFrom
          ? `Imported “${created.name}” as a new flow: this workspace already has a flow with the file's id (${renamedFrom}).`
          : `Imported “${created.name}”.`,
      );
    } catch (failure) {
      setError(failure instanceof NotAFlowFile ? failure.message : messageOf(failure));
    }
  }

  return (
    <main className="page">
      <div className="page-head">
        <div>
          <h1>Flows</h1>
          <p className="muted">
            Each flow is a WhatsApp journey: what Spool sends, and what it does with the answers.
          </p>
        </div>
        {canEdit ? (
          <div className="actions">
            <button className="button" onClick={() => fileInput.current?.click()}>
              Import a file…
            </button>
            <button className="button primary" onClick={() => setCreating(true)}>
              New flow
            </button>
          </div>
        ) : (
          <p className="muted">You can look at the flows here; your role does not allow changes.</p>
        )}
        <input
          ref={fileInput}
          type="file"
          accept="application/json,.json"
          className="visually-hidden"
          aria-label="Flow file to import"
          data-testid="import-file"
          tabIndex={-1}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (file) void importFile(file);
          }}
        />
      </div>
      <div aria-live="polite">{notice && <p className="notice">{notice}</p>}</div>
      <ErrorNote error={error} />
      {flows.isPending && <p className="muted">Loading your flows…</p>}
      {flows.isError && !flows.data && (
        <div className="error-note" role="alert">
          <p>The flows could not be loaded. {messageOf(flows.error)}</p>
          <button className="button" onClick={() => void flows.refetch()}>
            Try again
          </button>
        </div>
      )}
      {flows.isSuccess && list.length === 0 && (
        <EmptyState onCreate={canEdit ? () => setCreating(true) : undefined} />
      )}
      {list.length > 0 && (
        <table className="flow-table">
          <colgroup>
            <col className="col-name" />
            <col className="col-status" />
            <col className="col-edited" />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Last edited</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((flow) => (
              <FlowRow
                key={flow.id}
                flow={flow}
                workspace={workspace}
                list={list}
                canEdit={canEdit}
                onDelete={() => setDeleting(flow)}
                onOutcome={(outcome) => {
                  setNotice(outcome.notice ?? null);
                  setError(outcome.error ?? null);
                }}
              />
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewFlowDialog
          workspace={workspace}
          list={list}
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false);
            setError(null);
            setNotice(`Created “${name}”.`);
          }}
        />
      )}
      {deleting && (
        <DeleteDialog
          workspace={workspace}
          flow={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setError(null);
            setNotice(`Deleted “${deleting.name}”.`);
            setDeleting(null);
          }}
        />
      )}
    </main>
  );
}

function EmptyState({ onCreate }: { onCreate: (() => void) | undefined }) {
  return (
    <section className="empty card">
      <h2>No flows yet</h2>
      <p>
        Start from one of the example journeys — an abandoned-cart reminder, order updates, or
        qualifying leads from an ad — and change it to fit your shop. Or start from a blank canvas,
        or import a flow file someone exported from Spool.
      </p>
      {onCreate && (
        <button className="button primary" onClick={onCreate}>
          Create your first flow
        </button>
      )}
    </section>
  );
}

interface RowProps {
  flow: FlowListItem;
  workspace: string;
  list: readonly FlowListItem[];
  canEdit: boolean;
  onDelete: () => void;
  /** What the last action on the row did, for the messages above the table. */
  onOutcome: (outcome: { notice?: string; error?: string }) => void;
}

function FlowRow({ flow, workspace, list, canEdit, onDelete, onOutcome }: RowProps) {
  const me = useSession((s) => s.session?.email);
  const actions = useFlowActions(workspace);
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(flow.name);
  const status = statusOf(flow);
  const openPath = `/flows/${flow.id}`;

  async function rename(event: FormEvent) {
    event.preventDefault();
    onOutcome({});
    try {
      const saved = await actions.rename.mutateAsync({ id: flow.id, name });
      setEditing(false);
      onOutcome({ notice: `Renamed “${flow.name}” to “${saved.name}”.` });
    } catch (failure) {
      onOutcome({ error: `“${flow.name}” could not be renamed. ${messageOf(failure)}` });
    }
  }

  async function duplicate() {
    onOutcome({});
    try {
      const copy = await actions.duplicate.mutateAsync({ id: flow.id, taken: takenBy(list) });
      onOutcome({ notice: `Duplicated “${flow.name}” as “${copy.name}”.` });
    } catch (failure) {
      onOutcome({ error: `“${flow.name}” could not be duplicated. ${messageOf(failure)}` });
    }
  }

  return (
    <tr data-flow={flow.id}>
      <td className="flow-name">
        {editing ? (
          <form className="inline-form" onSubmit={rename}>
            <label className="visually-hidden" htmlFor={`name-${flow.id}`}>
              New name for {flow.name}
            </label>
            <input
              id={`name-${flow.id}`}
              value={name}
              required
              maxLength={200}
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Escape") {
                  setName(flow.name);
                  setEditing(false);
                }
              }}
              autoFocus
            />
            <button
              className="button primary small"
              type="submit"
              disabled={actions.rename.isPending}
            >
              Save
            </button>
            <button
              className="button small"
              type="button"
              onClick={() => {
                setName(flow.name);
                setEditing(false);
              }}
            >
              Cancel
            </button>
          </form>
        ) : (
          <a
            href={openPath}
            onClick={(e) => {
              e.preventDefault();
              navigate(openPath);
            }}
          >
            {flow.name}
          </a>
        )}
      </td>
      <td>
        <span className={`badge badge-${status.kind}`} title={status.explanation}>
          {status.label}
        </span>
      </td>
      <td className="muted" title={new Date(flow.updated_at).toLocaleString()}>
        {relativeTime(flow.updated_at)} by {editorName(flow.updated_by, me)}
      </td>
      <td className="row-actions">
        {canEdit && (
          <>
            <button className="button small" onClick={() => setEditing(true)} disabled={editing}>
              Rename
            </button>
            <button
              className="button small"
              onClick={duplicate}
              disabled={actions.duplicate.isPending}
            >
              Duplicate
            </button>
          </>
        )}
        <a
          className="button small"
          href={exportUrl(workspace, flow.id)}
          download={`${flow.id}.json`}
        >
          Export
        </a>
        {canEdit && (
          <button className="button small danger" onClick={onDelete}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

interface NewFlowProps {
  workspace: string;
  list: readonly FlowListItem[];
  onClose: () => void;
  onCreated: (name: string) => void;
}

function NewFlowDialog({ workspace, list, onClose, onCreated }: NewFlowProps) {
  const actions = useFlowActions(workspace);
  const [start, setStart] = useState<"blank" | number>(0);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const taken = takenBy(list);
    const example = start === "blank" ? undefined : examples[start];
    const document = example
      ? fromExample(
          name.trim() ? { ...example.document, name: name.trim() } : example.document,
          taken,
        )
      : blankFlow(name || "Untitled flow", taken);
    try {
      const created = await actions.create.mutateAsync(document);
      onCreated(created.name);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <Dialog title="New flow" onClose={onClose} wide>
      <form className="stack" onSubmit={submit}>
        <fieldset className="choices">
          <legend>Start from</legend>
          {examples.map((example, index) => (
            <label key={example.name} className={start === index ? "choice chosen" : "choice"}>
              <input
                type="radio"
                name="start"
                checked={start === index}
                onChange={() => setStart(index)}
              />
              <span className="choice-title">{example.name}</span>
              <span className="choice-text">{example.description}</span>
            </label>
          ))}
          <label className={start === "blank" ? "choice chosen" : "choice"}>
            <input
              type="radio"
              name="start"
              checked={start === "blank"}
              onChange={() => setStart("blank")}
            />
            <span className="choice-title">Blank flow</span>
            <span className="choice-text">An empty canvas to build a journey step by step.</span>
          </label>
        </fieldset>
        <Field
          label="Name"
          hint="You can change it later."
          value={name}
          maxLength={200}
          placeholder={start === "blank" ? "Untitled flow" : examples[start]?.name}
          onChange={setName}
        />
        <ErrorNote error={error} />
        <DialogActions onCancel={onClose} submit="Create flow" busy={actions.create.isPending} />
      </form>
    </Dialog>
  );
}

interface DeleteProps {
  workspace: string;
  flow: FlowListItem;
  onClose: () => void;
  onDeleted: () => void;
}

function DeleteDialog({ workspace, flow, onClose, onDeleted }: DeleteProps) {
  const actions = useFlowActions(workspace);
  const [error, setError] = useState<string | null>(null);
  const live = flow.published_version !== null && flow.published_version !== undefined;

  async function confirm() {
    setError(null);
    try {
      await actions.remove.mutateAsync(flow.id);
      onDeleted();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <Dialog title={`Delete “${flow.name}”?`} onClose={onClose}>
      <p>
        {live
          ? "This flow is live. No new contact will start it; contacts already in it finish their journey. "
          : ""}
        The flow is deleted for good: export it first if you may want it back.
      </p>
      <ErrorNote error={error} />
      <div className="actions">
        <button className="button" onClick={onClose} autoFocus>
          Keep it
        </button>
        <button
          className="button danger-solid"
          onClick={confirm}
          disabled={actions.remove.isPending}
        >
          Delete flow
        </button>
      </div>
    </Dialog>
  );
}
