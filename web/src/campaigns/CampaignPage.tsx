// One campaign: its state, a bar of where everyone is (sent, delivered, read, replied,
// failed, skipped, waiting), its pace, the buttons its state allows (pause, resume, cancel),
// why it is paused, and its recipients with a state filter. Read again every 2 s while it
// sends or waits for its time. A draft shows its pre-flight and the button that sends it.

import { useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { AppLink } from "../contacts/links";
import { useFlowList } from "../flows/api";
import { useTitle } from "../lib/title";
import { canEditFlows, roleIn, useSession } from "../session/store";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { audienceWords } from "./CampaignsPage";
import {
  isLive,
  useCampaign,
  useCampaignActions,
  useRecipients,
  useSegments,
  type CampaignAction,
} from "./api";
import { PreflightPanel } from "./PreflightPanel";
import type { Campaign } from "./types";
import {
  bands,
  count,
  paceWords,
  pauseWords,
  progressWords,
  reasonWords,
  recipientStateWords,
  RECIPIENT_STATE_ORDER,
  shortTime,
  stateLook,
  whenWords,
} from "./words";
import "./campaigns.css";

export function CampaignPage({ workspace, id }: { workspace: string; id: string }) {
  const campaign = useCampaign(workspace, id);
  useTitle(campaign.data?.name ?? "Campaign");
  if (campaign.isPending) return <p className="loading">Loading the campaign…</p>;
  if (campaign.isError || !campaign.data) {
    const missing = campaign.error instanceof ApiFailure && campaign.error.status === 404;
    return (
      <main className="page cmp-page">
        <BackToList />
        <h1>Campaign</h1>
        {missing ? (
          <p role="status">No such campaign in this workspace: it may have been made elsewhere.</p>
        ) : (
          <ErrorNote error={`The campaign could not be read. ${messageOf(campaign.error)}`} />
        )}
      </main>
    );
  }
  return <CampaignView workspace={workspace} campaign={campaign.data} />;
}

function BackToList() {
  return (
    <p className="cmp-back">
      <AppLink to="/campaigns">← All campaigns</AppLink>
    </p>
  );
}

function CampaignView({ workspace, campaign }: { workspace: string; campaign: Campaign }) {
  const flows = useFlowList(workspace);
  const segments = useSegments(workspace);
  const canEdit = useSession((s) => canEditFlows(roleIn(s.session, workspace)));
  const look = stateLook(campaign.state);
  const journey = flows.data?.find((f) => f.id === campaign.flow_id)?.name ?? campaign.flow_id;
  const pace = isLive(campaign.state) ? paceWords(campaign.progress) : null;

  return (
    <main className="page cmp-page">
      <BackToList />
      <div className="page-head">
        <div>
          <h1>
            {campaign.name}{" "}
            <span className={`cmp-state tone-${look.tone}`} data-testid="campaign-state">
              {look.label}
            </span>
          </h1>
          <p className="muted">
            <AppLink to={`/flows/${campaign.flow_id}`}>{journey}</AppLink> to{" "}
            {audienceWords(campaign, segments.data)} · {whenWords(campaign)}
            {campaign.quiet_hours &&
              ` · quiet from ${campaign.quiet_hours.start} to ${campaign.quiet_hours.end}`}
            {campaign.split_over_days && " · spread over days if needed"}
          </p>
        </div>
        {canEdit && campaign.state !== "draft" && (
          <Controls workspace={workspace} campaign={campaign} />
        )}
      </div>

      {campaign.state === "paused" && (
        <div className="cmp-paused" role="status">
          <strong>{pauseWords(campaign.pause_reason) || "Paused."}</strong> Nobody more gets it
          until it is resumed; messages already sent stay sent.
        </div>
      )}
      {campaign.state === "cancelled" && campaign.pause_reason && (
        <p className="notice">{pauseWords(campaign.pause_reason)}</p>
      )}

      {campaign.state === "draft" ? (
        canEdit ? (
          <PreflightPanel workspace={workspace} campaign={campaign} onStarted={() => undefined} />
        ) : (
          <p className="notice">This campaign is a draft: an editor can send it.</p>
        )
      ) : (
        <>
          <section className="card cmp-progress" aria-labelledby="cmp-progress-title">
            <h2 id="cmp-progress-title">Progress</h2>
            <p className="cmp-big" data-testid="progress-words">
              {progressWords(campaign)}
            </p>
            <ProgressBar campaign={campaign} />
            <p className="muted" data-testid="pace">
              {pace ??
                (campaign.state === "scheduled"
                  ? campaign.send_at
                    ? `Starts ${shortTime(campaign.send_at)}.`
                    : "Starts in a moment."
                  : campaign.state === "sending"
                    ? "Working out the pace…"
                    : campaign.finished_at
                      ? `Ended ${shortTime(campaign.finished_at)}.`
                      : "")}
            </p>
          </section>
          <Recipients workspace={workspace} campaign={campaign} />
        </>
      )}
    </main>
  );
}

export function ProgressBar({ campaign }: { campaign: Campaign }) {
  const all = bands(campaign.progress);
  const shown = all.filter((band) => band.count > 0);
  return (
    <>
      <div
        className="cmp-bar"
        role="img"
        aria-label={
          shown.length === 0
            ? "Nobody yet"
            : shown.map((band) => `${band.label}: ${count(band.count)}`).join(", ")
        }
      >
        {shown.map((band) => (
          <span
            key={band.key}
            className={`cmp-band band-${band.key}`}
            style={{ width: `${band.percent}%` }}
            title={`${band.label}: ${count(band.count)}`}
          />
        ))}
      </div>
      <ul className="cmp-legend" aria-label="Where everyone is">
        {all.map((band) => (
          <li key={band.key} data-band={band.key} className={band.count === 0 ? "zero" : ""}>
            <span className={`cmp-swatch band-${band.key}`} aria-hidden="true" />
            {band.label} <strong>{count(band.count)}</strong>
          </li>
        ))}
      </ul>
    </>
  );
}

const ALLOWED: Record<string, CampaignAction[]> = {
  scheduled: ["pause", "cancel"],
  sending: ["pause", "cancel"],
  paused: ["resume", "cancel"],
};

function Controls({ workspace, campaign }: { workspace: string; campaign: Campaign }) {
  const actions = useCampaignActions(workspace);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const allowed = ALLOWED[campaign.state] ?? [];
  const busy =
    actions.pause.isPending || actions.resume.isPending || actions.cancel.isPending || false;

  async function run(action: CampaignAction) {
    setError(null);
    try {
      await actions[action].mutateAsync(campaign.id);
      setConfirming(false);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  if (allowed.length === 0) return null;
  return (
    <div className="cmp-controls">
      <div className="actions">
        {allowed.includes("pause") && (
          <button className="button" disabled={busy} onClick={() => void run("pause")}>
            Pause
          </button>
        )}
        {allowed.includes("resume") && (
          <button className="button primary" disabled={busy} onClick={() => void run("resume")}>
            Resume
          </button>
        )}
        {allowed.includes("cancel") && (
          <button className="button danger" disabled={busy} onClick={() => setConfirming(true)}>
            Cancel campaign
          </button>
        )}
      </div>
      {!confirming && <ErrorNote error={error} />}
      {confirming && (
        <Dialog title={`Cancel “${campaign.name}”?`} onClose={() => setConfirming(false)}>
          <p>
            Nobody more gets this campaign, and it cannot be started again. Messages already sent
            stay sent, and people already in the journey go on with it.
          </p>
          <ErrorNote error={error} />
          <div className="actions">
            <button className="button" onClick={() => setConfirming(false)} autoFocus>
              Keep it
            </button>
            <button
              className="button danger-solid"
              disabled={busy}
              onClick={() => void run("cancel")}
            >
              Cancel campaign
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}

function Recipients({ workspace, campaign }: { workspace: string; campaign: Campaign }) {
  const [state, setState] = useState("");
  const recipients = useRecipients(workspace, campaign.id, state, isLive(campaign.state));
  const list = recipients.data ?? [];
  const counts = campaign.progress.counts;
  return (
    <section className="card cmp-recipients" aria-labelledby="cmp-recipients-title">
      <div className="cmp-recipients-head">
        <h2 id="cmp-recipients-title">Recipients</h2>
        <label>
          Show{" "}
          <select value={state} onChange={(e) => setState(e.target.value)}>
            <option value="">Everyone ({count(campaign.progress.total)})</option>
            {RECIPIENT_STATE_ORDER.map((s) => (
              <option key={s} value={s}>
                {recipientStateWords(s)} ({count(counts[s] ?? 0)})
              </option>
            ))}
          </select>
        </label>
      </div>
      {recipients.isPending && <p className="muted">Loading the recipients…</p>}
      {recipients.isError && (
        <ErrorNote error={`The recipients could not be loaded. ${messageOf(recipients.error)}`} />
      )}
      {recipients.isSuccess && list.length === 0 && (
        <p className="muted">
          {state
            ? `Nobody is “${recipientStateWords(state)}”.`
            : campaign.progress.total === 0 && campaign.state !== "completed"
              ? "The recipients are chosen when the campaign starts."
              : "Nobody yet."}
        </p>
      )}
      {list.length > 0 && (
        <table className="flow-table cmp-recipient-table">
          <thead>
            <tr>
              <th scope="col">Contact</th>
              <th scope="col">State</th>
              <th scope="col">Why</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {list.map((recipient) => (
              <tr key={recipient.phone} data-phone={recipient.phone}>
                <td>
                  <AppLink to={`/contacts/${recipient.phone.replace(/^\+/, "")}`}>
                    {recipient.phone}
                  </AppLink>
                </td>
                <td>
                  <span className={`cmp-rstate rstate-${recipient.state}`}>
                    {recipientStateWords(recipient.state)}
                  </span>
                </td>
                <td>
                  {reasonWords(recipient.state, recipient.reason)}
                  {recipient.attempts > 1 && (
                    <span className="muted"> · {count(recipient.attempts)} tries</span>
                  )}
                </td>
                <td className="muted">
                  {recipient.state === "queued" ? `Due ${shortTime(recipient.due_at)}` : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.length >= 500 && (
        <p className="muted">The first 500 are shown; filter by state to see others.</p>
      )}
    </section>
  );
}
