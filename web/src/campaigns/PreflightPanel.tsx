// The pre-flight of a draft: who gets it, who is skipped and why, how many people it starts
// new conversations with against what is left of the number's daily limit, and the button
// that sends it (now, or at its time). A start refused for the limit shows the numbers the
// server checked then, in words.

import { useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { ErrorNote } from "../ui/Dialog";
import { useCampaignActions, usePreflight } from "./api";
import type { Campaign, Preflight } from "./types";
import { count, limitShares, limitWords, people, shortTime, skippedLines } from "./words";

interface Props {
  workspace: string;
  campaign: Campaign;
  /** After it was started: the campaign as the server answered. */
  onStarted: (campaign: Campaign) => void;
  /** The way back to change the draft, when there is one (the new-campaign form). */
  onChange?: () => void;
}

export function PreflightPanel({ workspace, campaign, onStarted, onChange }: Props) {
  const preflight = usePreflight(workspace, campaign.id, true);
  const actions = useCampaignActions(workspace);
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState<Preflight | null>(null);
  const shown = refused ?? preflight.data;

  async function start() {
    setError(null);
    setRefused(null);
    try {
      onStarted(await actions.start.mutateAsync(campaign.id));
    } catch (failure) {
      if (failure instanceof ApiFailure && failure.code === "over_messaging_limit") {
        const details = failure.details as { preflight?: Preflight } | null | undefined;
        if (details?.preflight) setRefused(details.preflight);
      }
      setError(messageOf(failure));
    }
  }

  const scheduled = Boolean(campaign.send_at);
  return (
    <section className="card cmp-preflight" aria-labelledby="cmp-preflight-title">
      <h2 id="cmp-preflight-title">Before you send</h2>
      {preflight.isPending && <p className="muted">Counting who gets it…</p>}
      {preflight.isError && !shown && (
        <ErrorNote
          error={`The pre-flight could not be worked out. ${messageOf(preflight.error)}`}
        />
      )}
      {shown && <PreflightFacts preflight={shown} split={campaign.split_over_days} />}
      <ErrorNote error={error} />
      <div className="actions cmp-send">
        {onChange && (
          <button type="button" className="button" onClick={onChange}>
            Change the campaign
          </button>
        )}
        <button
          type="button"
          className="button primary"
          onClick={() => void start()}
          disabled={actions.start.isPending || !shown || shown.recipients === 0}
        >
          {scheduled ? `Schedule for ${shortTime(String(campaign.send_at))}` : "Send now"}
        </button>
      </div>
    </section>
  );
}

export function PreflightFacts({ preflight, split }: { preflight: Preflight; split: boolean }) {
  const skipped = skippedLines(preflight);
  const inWindow = preflight.recipients - preflight.outside_window;
  const limit = limitWords(preflight);
  const shares = limitShares(preflight);
  return (
    <div className="cmp-facts">
      <div className="cmp-fact">
        <h3>Who gets it</h3>
        <p className="cmp-big" data-testid="preflight-recipients">
          {people(preflight.recipients)}
        </p>
        <p className="muted">
          of {people(preflight.audience)} in the audience
          {preflight.marketing ? " · the journey sends a Marketing template" : ""}
        </p>
      </div>
      <div className="cmp-fact">
        <h3>Who is skipped</h3>
        {skipped.length === 0 ? (
          <p>Nobody is skipped.</p>
        ) : (
          <ul className="cmp-lines" data-testid="preflight-skipped">
            {skipped.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        )}
      </div>
      <div className="cmp-fact cmp-fact-wide">
        <h3>WhatsApp's daily limit</h3>
        <p data-testid="preflight-window">
          {preflight.outside_window === 0
            ? "Everyone who gets it wrote in the last 24 hours: it starts no new conversation."
            : `${people(preflight.outside_window)} have not written in the last 24 hours: each is a new conversation that counts towards the number's daily limit.` +
              (inWindow > 0 ? ` ${count(inWindow)} wrote recently and do not count.` : "")}
        </p>
        {limit ? (
          <p data-testid="preflight-limit">{limit}</p>
        ) : (
          <p className="muted">
            No WhatsApp number is connected to this workspace, so the daily limit cannot be checked.
          </p>
        )}
        {shares && (
          <div
            className="cmp-limit-bar"
            role="img"
            aria-label={`Used today ${Math.round(shares.used)}%, this campaign ${Math.round(shares.needed)}% of the daily limit`}
          >
            <span className="cmp-limit-used" style={{ width: `${shares.used}%` }} />
            <span
              className={preflight.fits ? "cmp-limit-needed" : "cmp-limit-needed over"}
              style={{ width: `${shares.needed}%` }}
            />
          </div>
        )}
      </div>
      {preflight.recipients === 0 && (
        <div className="cmp-warning" role="alert">
          <strong>Nobody would get this campaign.</strong> Everyone in the audience is skipped:
          choose another segment, or a journey that sends no Marketing template.
        </div>
      )}
      {!preflight.fits && !split && preflight.recipients > 0 && (
        <div className="cmp-warning" role="alert">
          <strong>This campaign does not fit in what is left of today's limit.</strong> Sending it
          would be refused. Change the campaign and tick “Spread over several days”, so it goes out
          over {preflight.days_needed} days, or choose a smaller audience.
        </div>
      )}
      {!preflight.fits && split && preflight.recipients > 0 && (
        <p className="notice">
          It goes out over {preflight.days_needed} days: as many people each day as WhatsApp's limit
          lets this number reach.
        </p>
      )}
    </div>
  );
}
