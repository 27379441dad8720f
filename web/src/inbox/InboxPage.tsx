// The operator inbox: the contacts journeys handed to a person, in tabs (Unassigned, Mine,
// All open, Closed), longest waiting first, with the opened ticket beside the queue.
// The keyboard works it: j/k or the arrows move through the queue, Enter opens. While it is
// on screen it listens to the server's live events (live.ts), so what colleagues and contacts
// do shows at once.

import { useEffect, useEffectEvent, useId, useRef, useState, type KeyboardEvent } from "react";
import { messageOf } from "../api/errors";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { useSession } from "../session/store";
import { ErrorNote } from "../ui/Dialog";
import { useLiveStream, useQueue, useQueueCounts } from "./api";
import { useInboxEvents } from "./live";
import {
  emptyWords,
  inQueueOrder,
  movedCursor,
  tabLabel,
  teamsOf,
  VIEWS,
  type View,
} from "./queue";
import { TicketView } from "./TicketView";
import type { Ticket } from "./types";
import { useNow } from "./useNow";
import {
  atWords,
  contactWords,
  ownerWords,
  timeoutWords,
  waitingWords,
  windowIsOpen,
  windowWords,
  closedWords,
} from "./words";
import "./inbox.css";

export function inboxPath(ticket?: string): string {
  return ticket ? `/inbox/${encodeURIComponent(ticket)}` : "/inbox";
}

interface Props {
  workspace: string;
  /** The ticket the address opens, if any. */
  ticket: string | undefined;
}

export function InboxPage({ workspace, ticket }: Props) {
  const [view, setView] = useState<View>("unassigned");
  const [team, setTeam] = useState("");
  const [cursor, setCursor] = useState<string | undefined>(ticket);
  const queue = useQueue(workspace, view, team);
  const summary = useQueueCounts(workspace);
  const counts = queue.data?.counts ?? summary.data?.counts;
  const waiting = counts?.unassigned;
  useTitle(waiting ? `Inbox (${waiting})` : "Inbox");
  const tickets = inQueueOrder(queue.data?.tickets ?? [], view);
  const ids = tickets.map((t) => t.id);
  const listRef = useRef<HTMLDivElement>(null);
  const listId = useId();
  const now = useNow();
  const me = useSession((s) => s.session?.email);
  useInboxEvents(workspace, ticket);
  const live = useLiveStream((s) => s.open);

  const openTicket = (id: string) => {
    setCursor(id);
    navigate(inboxPath(id));
  };
  const move = (step: 1 | -1) => {
    const next = movedCursor(ids, cursor, step);
    if (next === undefined) return;
    setCursor(next);
    listRef.current?.focus();
    document.getElementById(`${listId}-${next}`)?.scrollIntoView({ block: "nearest" });
  };
  // j/k move through the queue from anywhere on the page, except while typing or in a dialog.
  // An effect event: the listener is added once, yet moves in the queue as it is now.
  const onPageKey = useEffectEvent((event: globalThis.KeyboardEvent) => {
    if (event.key !== "j" && event.key !== "k") return;
    if (event.metaKey || event.ctrlKey || event.altKey || event.defaultPrevented) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest("input, textarea, select, [contenteditable], dialog")) return;
    event.preventDefault();
    move(event.key === "j" ? 1 : -1);
  });
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => onPageKey(event);
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const onListKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" && cursor && ids.includes(cursor)) {
      event.preventDefault();
      openTicket(cursor);
    }
  };

  const cursorShown = cursor !== undefined && ids.includes(cursor) ? cursor : undefined;
  const teams = teamsOf(summary.data?.teams ?? [], team);

  return (
    <main className="inbox-page">
      <section className="inbox-queue" aria-label="Queue">
        <div className="inbox-queue-head">
          <h1>Inbox</h1>
          <span
            className={live ? "inbox-live on" : "inbox-live"}
            role="status"
            title={
              live
                ? "New conversations, messages and notes show as they happen."
                : "Not connected live: the inbox is read again every few seconds."
            }
          >
            {live ? "Live" : "Connecting…"}
          </span>
          <label className="inbox-team">
            <span>Team</span>
            <select value={team} onChange={(e) => setTeam(e.target.value)}>
              <option value="">All teams</option>
              {teams.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="inbox-tabs" role="tablist" aria-label="Which conversations">
          {VIEWS.map((v) => (
            <button
              key={v}
              type="button"
              role="tab"
              aria-selected={v === view}
              className={v === view ? "inbox-tab current" : "inbox-tab"}
              onClick={() => setView(v)}
            >
              {tabLabel(v, counts)}
            </button>
          ))}
        </div>
        {queue.isLoading ? (
          <p className="loading">Loading the queue…</p>
        ) : queue.error && !queue.data ? (
          <ErrorNote error={`The queue could not be read. ${messageOf(queue.error)}`} />
        ) : tickets.length === 0 ? (
          <p className="inbox-empty" role="status">
            {emptyWords(view, team)}
          </p>
        ) : (
          <div
            ref={listRef}
            className={queue.isPlaceholderData ? "inbox-list stale" : "inbox-list"}
            aria-busy={queue.isPlaceholderData}
            role="listbox"
            aria-label={`${tabLabel(view, counts)}: j and k or the arrows move, Enter opens`}
            tabIndex={0}
            aria-activedescendant={cursorShown ? `${listId}-${cursorShown}` : undefined}
            onKeyDown={onListKey}
            onFocus={() => cursor === undefined && setCursor(ids[0])}
          >
            {tickets.map((t) => (
              <QueueRow
                key={t.id}
                id={`${listId}-${t.id}`}
                ticket={t}
                opened={t.id === ticket}
                cursor={t.id === cursorShown}
                now={now}
                me={me}
                onOpen={() => openTicket(t.id)}
              />
            ))}
          </div>
        )}
        {queue.error && queue.data && (
          <ErrorNote error={`The queue could not be read again. ${messageOf(queue.error)}`} />
        )}
      </section>
      <section className="inbox-ticket" aria-label="Conversation">
        {ticket ? (
          <TicketView key={ticket} workspace={workspace} ticketId={ticket} />
        ) : (
          <div className="inbox-pick">
            <p>
              Pick a conversation from the queue to see who the contact is, what the journey knew
              and what you can do.
            </p>
            <p className="muted">Keys: j / k or ↓ / ↑ move through the queue, Enter opens.</p>
          </div>
        )}
      </section>
    </main>
  );
}

function QueueRow({
  id,
  ticket,
  opened,
  cursor,
  now,
  me,
  onOpen,
}: {
  id: string;
  ticket: Ticket;
  opened: boolean;
  cursor: boolean;
  now: Date;
  me: string | undefined;
  onOpen: () => void;
}) {
  const who = contactWords(ticket.phone, ticket.contact_name);
  const closed = ticket.status === "closed";
  const classes = ["inbox-row", opened && "opened", cursor && "cursor"].filter(Boolean).join(" ");
  return (
    <div
      id={id}
      role="option"
      aria-selected={opened}
      className={classes}
      data-ticket={ticket.id}
      onClick={onOpen}
    >
      <div className="inbox-row-top">
        <span className="inbox-row-who">
          <strong>{who.title}</strong>
          {who.subtitle && <span className="muted"> {who.subtitle}</span>}
        </span>
        <span className={closed ? "inbox-row-waited closed" : "inbox-row-waited"}>
          {closed
            ? `closed ${ticket.closed_at ? atWords(new Date(ticket.closed_at), now) : ""}`
            : `waiting ${waitingWords(ticket.raised_at, now)}`}
        </span>
      </div>
      <div className="inbox-row-note">{ticket.note ?? <span className="muted">No note</span>}</div>
      <div className="inbox-row-facts">
        <span className="inbox-chip">{ticket.team}</span>
        {closed ? (
          <span>{closedWords(ticket, me)}</span>
        ) : (
          <>
            <span>{ownerWords(ticket, me)}</span>
            <span>{timeoutWords(ticket.times_out_at, now)}</span>
            <span className={windowIsOpen(ticket.window_closes_at, now) ? "window-open" : ""}>
              {windowWords(ticket.window_closes_at, now)}
            </span>
          </>
        )}
      </div>
    </div>
  );
}
