// One handed-over conversation: first the messages themselves (Conversation) under what the
// journey noted, then, beside them on a wide screen or below on a narrow one, the step that
// raised it (a link opens the flow there), who the contact is (from the contacts API) and the
// run's variables; and what an operator can do: claim it, let it go, hand it to a colleague or
// another team (HandOnDialog), or close it (CloseDialog: return the contact to the journey
// through the handoff's `resolved` way out, end the journey here, or send them to another live
// journey); and, under the thread, answer them or write a note for the team (Composer).
// Viewers see it all and act on nothing.

import { useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { useCatalog } from "../canvas/Canvas";
import { useContact } from "../contacts/api";
import { AppLink, contactPath, selectWhenOpened } from "../contacts/links";
import { touchWords, valueWords, versionWords, when } from "../contacts/words";
import { useFlowList } from "../flows/api";
import { roleIn, useSession } from "../session/store";
import { ErrorNote } from "../ui/Dialog";
import { useRunOf, useTicket, useTicketActions } from "./api";
import { CloseDialog } from "./CloseDialog";
import { Composer } from "./Composer";
import { Conversation } from "./Conversation";
import { HandOnDialog } from "./HandOnDialog";
import type { Ticket } from "./types";
import { useNow } from "./useNow";
import {
  atWords,
  claimRefusal,
  closedWords,
  contactWords,
  digitsOf,
  ownerWords,
  sinceWords,
  timeoutWords,
  waitingWords,
  windowWords,
} from "./words";

export function TicketView({ workspace, ticketId }: { workspace: string; ticketId: string }) {
  const ticket = useTicket(workspace, ticketId);
  if (ticket.isLoading) return <p className="loading">Loading the conversation…</p>;
  if (ticket.error || !ticket.data) {
    const missing = ticket.error instanceof ApiFailure && ticket.error.status === 404;
    return (
      <div className="inbox-pick">
        {missing ? (
          <p role="status">
            There is no such conversation in this workspace. It may belong to another workspace.
          </p>
        ) : (
          <ErrorNote error={`This conversation could not be read. ${messageOf(ticket.error)}`} />
        )}
      </div>
    );
  }
  return <Loaded workspace={workspace} ticket={ticket.data} />;
}

function Loaded({ workspace, ticket }: { workspace: string; ticket: Ticket }) {
  const now = useNow();
  const me = useSession((s) => s.session?.email);
  const role = useSession((s) => roleIn(s.session, workspace));
  const digits = digitsOf(ticket.phone);
  const closed = ticket.status === "closed";
  // After a resolve, the journey goes on moments later: the run and the contact are read
  // again until the run has left the handoff (the tags it adds then show). The state is
  // what the run read last said, so the polling stops by itself.
  const [returning, setReturning] = useState(false);
  const run = useRunOf(workspace, digits, ticket.run_id, returning);
  const stillInHandoff = closed && ticket.outcome === "resolved" && run.data?.status === "handoff";
  if (stillInHandoff !== returning) setReturning(stillInHandoff);
  const contact = useContact(workspace, digits ?? "", {
    poll: returning,
    lookup: 0,
    enabled: digits !== undefined,
  });
  const flows = useFlowList(workspace);
  const catalog = useCatalog();
  const flowName = flows.data?.find((f) => f.id === ticket.flow_id)?.name ?? ticket.flow_id;
  const runData = run.data;
  // The run says its step's type only while it is still at the handoff step.
  const stepType =
    runData?.node_type && runData.node_id === ticket.node_id
      ? catalog.data?.find((e) => e.type === runData.node_type)?.label
      : undefined;
  const who = contactWords(ticket.phone, contact.data?.name);

  return (
    <article className="ticket" aria-labelledby="ticket-title">
      <header className="ticket-head">
        <div>
          <h2 id="ticket-title">{who.title}</h2>
          <p className="muted">
            {who.subtitle && `${who.subtitle} · `}
            {closed
              ? `team ${ticket.team} · closed ${ticket.closed_at ? atWords(new Date(ticket.closed_at), now) : ""}`
              : `waiting ${waitingWords(ticket.raised_at, now)} · team ${ticket.team}`}
          </p>
        </div>
        {digits && <AppLink to={contactPath(digits)}>Contact page</AppLink>}
      </header>

      {!closed && (
        <Actions
          ticket={ticket}
          workspace={workspace}
          me={me}
          role={role}
          flowName={flowName}
          now={now}
        />
      )}

      <div className="ticket-body">
        <div className="ticket-main">
          <blockquote className="ticket-note" aria-label="The journey's note">
            {ticket.note ?? <span className="muted">The handoff step left no note.</span>}
          </blockquote>

          <Conversation
            workspace={workspace}
            ticketId={ticket.id}
            who={who.title}
            me={me}
            now={now}
          />

          <Composer
            key={ticket.id}
            workspace={workspace}
            ticket={ticket}
            contact={contact.data}
            now={now}
          />
        </div>

        <aside className="ticket-side" aria-label="About this conversation">
          <section className="card ticket-card" aria-labelledby="ticket-journey">
            <h3 id="ticket-journey">The journey</h3>
            <p>
              <strong>{flowName}</strong>
              {runData && <span className="muted"> ({versionWords(runData)})</span>} handed the
              contact over at step <strong>{ticket.node_id}</strong>
              {stepType && ` (${stepType})`} {atWords(new Date(ticket.raised_at), now)}.
            </p>
            <p>
              <AppLink
                to={`/flows/${encodeURIComponent(ticket.flow_id)}`}
                onFollow={() => selectWhenOpened(ticket.flow_id, ticket.node_id)}
              >
                Open the flow at this step
              </AppLink>
            </p>
            {closed ? (
              <p>{closedWords(ticket, me)}.</p>
            ) : (
              <p>If no one closes it, the journey {timeoutWords(ticket.times_out_at, now)}.</p>
            )}
            {returning && (
              <p className="notice" role="status">
                The journey is picking the contact up again…
              </p>
            )}
          </section>

          <section className="card ticket-card" aria-labelledby="ticket-contact">
            <h3 id="ticket-contact">The contact</h3>
            <ContactSummary ticket={ticket} contact={contact} now={now} />
          </section>

          <section className="card ticket-card" aria-labelledby="ticket-vars">
            <h3 id="ticket-vars">What the journey knows</h3>
            <RunVariables run={run} hasPhone={digits !== undefined} />
          </section>
        </aside>
      </div>
    </article>
  );
}

function Actions({
  ticket,
  workspace,
  me,
  role,
  flowName,
  now,
}: {
  ticket: Ticket;
  workspace: string;
  me: string | undefined;
  role: string | undefined;
  flowName: string;
  now: Date;
}) {
  const actions = useTicketActions(workspace, ticket.id);
  const [error, setError] = useState<string | null>(null);
  const [dialog, setDialog] = useState<"close" | "hand-on" | null>(null);
  const canAct = role === "operator" || role === "editor" || role === "admin";
  const mine = ticket.assignee === me && me !== undefined;
  const busy =
    actions.claim.isPending ||
    actions.release.isPending ||
    actions.close.isPending ||
    actions.assign.isPending;
  // Someone else's ticket cannot be claimed (the server keeps one owner); an admin may
  // release it for them, hand it on and close it.
  const othersAndNotAdmin = ticket.assignee && !mine && role !== "admin";

  const since = ticket.assigned_at ? ` ${sinceWords(new Date(ticket.assigned_at), now)}` : "";
  const owner = ticket.assignee
    ? `${ownerWords(ticket, me)}${since}.`
    : "No one has taken this conversation yet.";
  const open = (which: "close" | "hand-on") => {
    setError(null);
    setDialog(which);
  };
  return (
    <div className="ticket-actions-block">
      <p className={`ticket-owner${mine ? " mine" : ""}`}>{owner}</p>
      {canAct && (
        <div className="ticket-actions">
          {!ticket.assignee && (
            <button
              type="button"
              className="button primary"
              disabled={busy}
              onClick={() => {
                setError(null);
                actions.claim.mutate(undefined, {
                  onError: (failure) => setError(claimRefusal(failure, me)),
                });
              }}
            >
              Claim
            </button>
          )}
          {ticket.assignee && (mine || role === "admin") && (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => {
                setError(null);
                actions.release.mutate(undefined, {
                  onError: (failure) => setError(messageOf(failure)),
                });
              }}
            >
              Release
            </button>
          )}
          {!othersAndNotAdmin && (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => open("hand-on")}
            >
              Hand to…
            </button>
          )}
          {!othersAndNotAdmin && (
            <button
              type="button"
              className={mine ? "button primary" : "button"}
              disabled={busy}
              onClick={() => open("close")}
            >
              Close…
            </button>
          )}
        </div>
      )}
      {canAct && othersAndNotAdmin && (
        <p className="muted ticket-hint">
          Only {ticket.assignee} or an admin can let it go, hand it on or close it.
        </p>
      )}
      {!canAct && (
        <p className="muted ticket-hint">
          Your role in this workspace (viewer) lets you see the inbox, not claim or close
          conversations.
        </p>
      )}
      <ErrorNote error={error} />
      {dialog === "close" && (
        <CloseDialog
          workspace={workspace}
          flowId={ticket.flow_id}
          flowName={flowName}
          step={ticket.node_id}
          pending={actions.close.isPending}
          onCancel={() => setDialog(null)}
          onClose={(outcome) =>
            actions.close.mutate(outcome, {
              onSettled: () => setDialog(null),
              onError: (failure) => setError(messageOf(failure)),
            })
          }
        />
      )}
      {dialog === "hand-on" && (
        <HandOnDialog
          workspace={workspace}
          ticket={ticket}
          me={me}
          onDone={() => setDialog(null)}
        />
      )}
    </div>
  );
}

function ContactSummary({
  ticket,
  contact,
  now,
}: {
  ticket: Ticket;
  contact: ReturnType<typeof useContact>;
  now: Date;
}) {
  if (!ticket.phone) {
    return (
      <p className="muted">
        This contact is known only by their WhatsApp user id, so their profile cannot be looked up
        by number.
      </p>
    );
  }
  if (contact.isLoading) return <p className="muted">Loading the contact…</p>;
  if (contact.error || !contact.data) {
    return <ErrorNote error={`The contact could not be read. ${messageOf(contact.error)}`} />;
  }
  const c = contact.data;
  // The contact's own window is the live one (they may have written since the handoff); the
  // ticket's is counted from the last message before it.
  const windowCloses = c.window.open ? c.window.closes_at : ticket.window_closes_at;
  return (
    <dl className="contact-facts">
      <dt>Number</dt>
      <dd>{c.phone}</dd>
      <dt>Window</dt>
      <dd>{windowWords(c.window.open ? windowCloses : null, now)}</dd>
      <dt>Tags</dt>
      <dd>
        {c.tags.length === 0 ? (
          <span className="muted">None</span>
        ) : (
          <ul className="tag-list" aria-label="Tags">
            {c.tags.map((tag) => (
              <li key={tag} className="tag ticket-tag">
                {tag}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Marketing</dt>
      <dd>
        {c.marketing_opt_in
          ? `Agreed${c.marketing_opt_in_at ? ` on ${when(c.marketing_opt_in_at)}` : ""}`
          : "Has not agreed to Marketing messages"}
      </dd>
      <dt>Last wrote</dt>
      <dd>{c.last_inbound_at ? when(c.last_inbound_at) : "Has not written yet"}</dd>
      {c.first_touch && (
        <>
          <dt>Came from</dt>
          <dd>{touchWords(c.first_touch)}</dd>
        </>
      )}
    </dl>
  );
}

function RunVariables({ run, hasPhone }: { run: ReturnType<typeof useRunOf>; hasPhone: boolean }) {
  if (!hasPhone) return <p className="muted">The run cannot be looked up without a number.</p>;
  if (run.isLoading) return <p className="muted">Loading the run…</p>;
  if (run.error || !run.data) {
    const gone = run.error instanceof ApiFailure && run.error.status === 404;
    return gone ? (
      <p className="muted">This run is no longer kept.</p>
    ) : (
      <ErrorNote error={`The run could not be read. ${messageOf(run.error)}`} />
    );
  }
  const vars = Object.entries(run.data.vars);
  const payload = Object.entries(run.data.payload ?? {});
  if (vars.length === 0 && payload.length === 0) {
    return <p className="muted">The journey set no variables and had no webhook data.</p>;
  }
  return (
    <table className="contact-table">
      <tbody>
        {vars.map(([name, value]) => (
          <tr key={`v-${name}`}>
            <th scope="row">{name}</th>
            <td>{valueWords(value)}</td>
          </tr>
        ))}
        {payload.map(([name, value]) => (
          <tr key={`p-${name}`}>
            <th scope="row">payload.{name}</th>
            <td>{valueWords(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
