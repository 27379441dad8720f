// One journey run of a contact: where it is (with a link to that step in the flow), what it
// waits for and until when, the variables it carries, what started it and its course.
// Editors may cancel a run in progress.

import { useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { useCatalog } from "../canvas/Canvas";
import { useFlowList } from "../flows/api";
import { useTitle } from "../lib/title";
import { roleIn, useSession } from "../session/store";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { useContactActions, useRun } from "./api";
import { shownNumber } from "./ContactPage";
import { AppLink, contactPath, selectWhenOpened } from "./links";
import { usePendingChange, useSettles, type PendingChange } from "./pending";
import type { RunDetail } from "./types";
import { statusWords, valueWords, versionWords, waitWords, when, whereWords } from "./words";
import "./contacts.css";

interface Props {
  workspace: string;
  phone: string;
  runId: string;
}

export function RunPage({ workspace, phone, runId }: Props) {
  const digits = phone.replace(/^\+/, "");
  const pending = usePendingChange<RunDetail>();
  const run = useRun(workspace, digits, runId, pending.waiting);
  useSettles(pending, run.data);
  const flows = useFlowList(workspace);
  const flowId = run.data?.flow_id;
  const flowName = flowId ? (flows.data?.find((f) => f.id === flowId)?.name ?? flowId) : undefined;
  useTitle(flowName ? `${flowName} · ${shownNumber(phone)}` : "Run");

  const back = (
    <p className="contact-back">
      <AppLink to={contactPath(digits)}>← Contact {shownNumber(phone)}</AppLink>
    </p>
  );
  if (run.isLoading) return <p className="loading">Loading the run…</p>;
  if (run.error || !run.data) {
    const missing = run.error instanceof ApiFailure && run.error.status === 404;
    return (
      <main className="page contact-page">
        {back}
        <h1>Run {runId}</h1>
        {missing ? (
          <p className="contact-empty" role="status">
            No such run: {shownNumber(phone)} has no run {runId} (any more). Finished runs are kept
            for a while, then only the latest few.
          </p>
        ) : (
          <ErrorNote error={`This run could not be read. ${messageOf(run.error)}`} />
        )}
      </main>
    );
  }
  return (
    <main className="page contact-page">
      {back}
      <RunView
        workspace={workspace}
        digits={digits}
        run={run.data}
        flowName={flowName}
        pending={pending}
      />
    </main>
  );
}

function RunView({
  workspace,
  digits,
  run,
  flowName,
  pending,
}: {
  workspace: string;
  digits: string;
  run: RunDetail;
  flowName: string | undefined;
  pending: PendingChange<RunDetail>;
}) {
  const catalog = useCatalog();
  const role = useSession((s) => roleIn(s.session, workspace));
  const canEdit = role === "editor" || role === "admin";
  const actions = useContactActions(workspace, digits);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const typeLabel = (type: string) => catalog.data?.find((e) => e.type === type)?.label ?? type;
  const vars = Object.entries(run.vars);

  const cancel = () =>
    actions.cancelRun.mutate(run.id, {
      onSuccess: () => {
        setConfirming(false);
        pending.start("the run is cancelled", (r) => r.status === "cancelled");
      },
      onError: (failure) => {
        setConfirming(false);
        setError(messageOf(failure));
      },
    });

  return (
    <>
      <div className="page-head">
        <div>
          <h1>{flowName ?? run.flow_id}</h1>
          <p className="muted">
            Run {run.id} of {shownNumber(digits)} on {versionWords(run)} · started{" "}
            {when(run.started_at)}
          </p>
        </div>
      </div>
      {pending.message && (
        <p className="notice" role="status">
          {pending.message}
        </p>
      )}
      <ErrorNote error={error} />

      <section className="card contact-card run-where" aria-labelledby="run-where">
        <h2 id="run-where">
          {statusWords(run.status)}
          {run.reason && <span className="muted"> — {run.reason}</span>}
        </h2>
        <p>
          {whereWords(run, typeLabel)}.{" "}
          <AppLink
            to={`/flows/${encodeURIComponent(run.flow_id)}`}
            onFollow={() => selectWhenOpened(run.flow_id, run.node_id)}
          >
            Open the flow at this step
          </AppLink>
        </p>
        {run.waiting && <p>{waitWords(run.waiting)}</p>}
        <p className="muted">
          {run.steps} {run.steps === 1 ? "step" : "steps"} taken · last change{" "}
          {when(run.updated_at)}
        </p>
        {run.active &&
          (canEdit ? (
            <button type="button" className="button danger" onClick={() => setConfirming(true)}>
              Cancel this run…
            </button>
          ) : (
            <p className="muted contact-hint">
              Your role in this workspace (viewer) lets you see runs, not cancel them.
            </p>
          ))}
      </section>

      <div className="contact-grid">
        <section className="card contact-card" aria-labelledby="run-vars">
          <h2 id="run-vars">Variables</h2>
          {vars.length === 0 ? (
            <p className="muted">No variables set.</p>
          ) : (
            <table className="contact-table">
              <tbody>
                {vars.map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>{valueWords(value)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="card contact-card" aria-labelledby="run-history">
          <h2 id="run-history">History</h2>
          <ol className="run-history">
            {run.history.map((entry, i) => (
              <li key={i}>
                <strong>{statusWords(entry.what)}</strong>
                {entry.node_id && <> at {entry.node_id}</>} · {when(entry.at)}
                {entry.detail && <div className="muted">{entry.detail}</div>}
              </li>
            ))}
          </ol>
          <p className="muted contact-hint">The steps in between are counted, not listed.</p>
        </section>

        <section className="card contact-card" aria-labelledby="run-msg">
          <h2 id="run-msg">Latest message from the contact</h2>
          {run.msg ? (
            <pre className="run-json">{JSON.stringify(run.msg, null, 2)}</pre>
          ) : (
            <p className="muted">None in this run yet.</p>
          )}
        </section>

        <section className="card contact-card" aria-labelledby="run-payload">
          <h2 id="run-payload">What started it</h2>
          {run.payload && Object.keys(run.payload).length > 0 ? (
            <pre className="run-json">{JSON.stringify(run.payload, null, 2)}</pre>
          ) : (
            <p className="muted">No webhook data: the contact or an event started it.</p>
          )}
        </section>
      </div>

      {confirming && (
        <Dialog title="Cancel this run?" onClose={() => setConfirming(false)}>
          <p>
            The run of {flowName ?? run.flow_id} for {shownNumber(digits)} stops where it is (
            {run.node_id}): no further step of it runs, and its timers are dropped. The contact's
            profile and their other journeys stay as they are.
          </p>
          <div className="actions">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Keep it running
            </button>
            <button
              type="button"
              className="button danger-solid"
              disabled={actions.cancelRun.isPending}
              onClick={cancel}
            >
              Cancel the run
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
