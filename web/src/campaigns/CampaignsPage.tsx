// Broadcast campaigns: each with its journey, audience, state, progress and time, newest
// first, and the way to make a new one. Read again every 2 s while one is sending.

import { messageOf } from "../api/errors";
import { AppLink } from "../contacts/links";
import { useFlowList } from "../flows/api";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { canEditFlows, roleIn, useSession } from "../session/store";
import { useCampaigns, useSegments } from "./api";
import type { Campaign, Segment } from "./types";
import { progressWords, sentCount, stateLook, whenWords } from "./words";
import "./campaigns.css";

export function CampaignsPage({ workspace }: { workspace: string }) {
  useTitle("Campaigns");
  const campaigns = useCampaigns(workspace);
  const flows = useFlowList(workspace);
  const segments = useSegments(workspace);
  const canEdit = useSession((s) => canEditFlows(roleIn(s.session, workspace)));
  const journeyName = (id: string) => flows.data?.find((f) => f.id === id)?.name ?? id;
  const list = campaigns.data ?? [];

  return (
    <main className="page cmp-page">
      <div className="page-head">
        <div>
          <h1>Campaigns</h1>
          <p className="muted">Journeys sent to many contacts at once, and how far each has got.</p>
        </div>
        {canEdit && list.length > 0 && (
          <button className="button primary" onClick={() => navigate("/campaigns/new")}>
            New campaign
          </button>
        )}
      </div>
      {campaigns.isPending && <p className="muted">Loading your campaigns…</p>}
      {campaigns.isError && !campaigns.data && (
        <div className="error-note" role="alert">
          <p>The campaigns could not be loaded. {messageOf(campaigns.error)}</p>
          <button className="button" onClick={() => void campaigns.refetch()}>
            Try again
          </button>
        </div>
      )}
      {campaigns.isSuccess && list.length === 0 && (
        <section className="empty card">
          <h2>No campaigns yet</h2>
          <p>
            A campaign sends one of your journeys to a segment of your contacts — say, a spring
            offer to everyone tagged “vip”. Before anything goes out, Spool checks it against
            WhatsApp's daily limit for your number and skips people who have not agreed to receive
            offers.
          </p>
          <p>
            You need a published journey that starts with a <strong>Broadcast</strong> trigger, and
            a <AppLink to="/segments">segment</AppLink> of{" "}
            <AppLink to="/contacts">contacts</AppLink> (or a list of numbers to paste).
          </p>
          {canEdit && (
            <button className="button primary" onClick={() => navigate("/campaigns/new")}>
              New campaign
            </button>
          )}
        </section>
      )}
      {list.length > 0 && (
        <table className="flow-table cmp-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Journey</th>
              <th scope="col">Audience</th>
              <th scope="col">State</th>
              <th scope="col">Progress</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {list.map((campaign) => (
              <CampaignRow
                key={campaign.id}
                campaign={campaign}
                journey={journeyName(campaign.flow_id)}
                segments={segments.data}
              />
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

export function audienceWords(campaign: Campaign, segments: Segment[] | undefined): string {
  if (campaign.segment_id) {
    return segments?.find((s) => s.id === campaign.segment_id)?.name ?? "A segment";
  }
  return "Chosen numbers";
}

function CampaignRow({
  campaign,
  journey,
  segments,
}: {
  campaign: Campaign;
  journey: string;
  segments: Segment[] | undefined;
}) {
  const look = stateLook(campaign.state);
  const total = campaign.progress.total;
  const share = total > 0 ? (sentCount(campaign.progress) * 100) / total : 0;
  return (
    <tr data-campaign={campaign.id}>
      <td className="flow-name">
        <AppLink to={`/campaigns/${campaign.id}`}>{campaign.name}</AppLink>
      </td>
      <td>{journey}</td>
      <td>{audienceWords(campaign, segments)}</td>
      <td>
        <span className={`cmp-state tone-${look.tone}`} title={look.explanation}>
          {look.label}
        </span>
      </td>
      <td>
        <span className="cmp-progress-words">{progressWords(campaign)}</span>
        {total > 0 && (
          <span className="cmp-mini-bar" aria-hidden="true">
            <span style={{ width: `${share}%` }} />
          </span>
        )}
      </td>
      <td className="muted">{whenWords(campaign)}</td>
    </tr>
  );
}
