// Live updates for the inbox: while the inbox page is on screen it listens to the server's
// stream of hints (`GET /inbox/events`, Server-Sent Events: a ticket was opened, taken, let
// go, closed; a message came in, went out, moved on, a note was written) and reads again what
// they concern, a moment after they stop coming (several hints at once make one read). The
// hints carry no data: the queue and the conversation are read as usual. While the stream is
// open the polling slows down to a fallback (LIVE_POLL_MS); the browser reconnects by itself.

import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useEffectEvent } from "react";
import { contactKey } from "../contacts/api";
import { handoffsKey, useLiveStream } from "./api";
import type { Ticket } from "./types";
import { digitsOf } from "./words";

/** How long the page waits for more hints before it reads: a burst makes one read. */
export const SETTLE_MS = 200;

/** What the server said changed: `changed` when it fell behind and cannot say what. */
export interface Hint {
  kind: "ticket" | "message" | "changed";
  ticket?: string;
  /** The contact's number in E.164. */
  contact?: string;
}

/** A hint from one event of the stream; undefined for anything this page does not know. */
export function hintOf(type: string, data: string): Hint | undefined {
  if (type !== "ticket" && type !== "message" && type !== "changed") return undefined;
  let fields: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(data);
    if (parsed && typeof parsed === "object") fields = parsed as Record<string, unknown>;
  } catch {
    // `changed` may come with no data at all; a hint without one still says "read again".
  }
  const hint: Hint = { kind: type };
  if (typeof fields.ticket === "string" && fields.ticket !== "") hint.ticket = fields.ticket;
  if (typeof fields.contact === "string" && fields.contact !== "") hint.contact = fields.contact;
  return hint;
}

/** What to read again after some hints, for the ticket open on the page (if any). */
export interface Reads {
  /** The queue's rows and counts (and so the top bar's "Inbox (N)"). */
  queue: boolean;
  /** The open ticket, its conversation and its contact. */
  openTicket: boolean;
}

/**
 * A ticket's news and `changed` concern the queue; a message only when it names a ticket (a
 * contact no one handed over does not change the queue). The open ticket is read again when
 * a hint names it or its contact, and on `changed`.
 */
export function readsFor(
  hints: readonly Hint[],
  open: Pick<Ticket, "id" | "phone"> | undefined,
): Reads {
  const reads: Reads = { queue: false, openTicket: false };
  for (const hint of hints) {
    if (hint.kind !== "message" || hint.ticket !== undefined) reads.queue = true;
    if (!open) continue;
    const aboutOpen =
      hint.kind === "changed" ||
      hint.ticket === open.id ||
      (hint.contact !== undefined && hint.contact === open.phone);
    if (aboutOpen) reads.openTicket = true;
  }
  return reads;
}

function read(queryClient: QueryClient, workspace: string, reads: Reads, ticketId?: string) {
  const handoffs = handoffsKey(workspace);
  if (reads.queue) {
    void queryClient.invalidateQueries({ queryKey: [...handoffs, "list"] });
    void queryClient.invalidateQueries({ queryKey: [...handoffs, "counts"] });
  }
  if (reads.openTicket && ticketId) {
    const ticket = queryClient.getQueryData<Ticket>([...handoffs, "ticket", ticketId]);
    void queryClient.invalidateQueries({ queryKey: [...handoffs, "ticket", ticketId] });
    void queryClient.invalidateQueries({ queryKey: [...handoffs, "messages", ticketId] });
    // The contact's window reopens when they write; their run moves on when the ticket closes.
    const digits = digitsOf(ticket?.phone);
    if (digits) void queryClient.invalidateQueries({ queryKey: contactKey(workspace, digits) });
  }
}

/**
 * Listens to the workspace's inbox events while mounted (one stream per page), and reads
 * again what they concern; `ticketId` is the ticket open on the page. Closed on unmount, so
 * leaving the inbox (or a stopping server) leaves nothing behind trying to reconnect.
 */
export function useInboxEvents(workspace: string, ticketId: string | undefined) {
  const queryClient = useQueryClient();
  // An effect event: the stream stays open while the operator moves from ticket to ticket,
  // and hints are weighed against the ticket open when they arrive.
  const onHints = useEffectEvent((hints: readonly Hint[]) => {
    const cached = ticketId
      ? queryClient.getQueryData<Ticket>([...handoffsKey(workspace), "ticket", ticketId])
      : undefined;
    const open = ticketId ? (cached ?? { id: ticketId }) : undefined;
    read(queryClient, workspace, readsFor(hints, open), ticketId);
  });
  useEffect(() => {
    const source = new EventSource(
      `/api/v1/workspaces/${encodeURIComponent(workspace)}/inbox/events`,
    );
    let pending: Hint[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const hints = pending;
      pending = [];
      onHints(hints);
    };
    const onEvent = (event: MessageEvent<string>) => {
      const hint = hintOf(event.type, event.data);
      if (!hint) return;
      pending.push(hint);
      if (timer === undefined) timer = setTimeout(flush, SETTLE_MS);
    };
    const kinds = ["ticket", "message", "changed"] as const;
    for (const kind of kinds) source.addEventListener(kind, onEvent);
    source.addEventListener("open", () => {
      useLiveStream.setState({ open: true });
      // What happened while the stream was down (or before it opened) is read now.
      pending.push({ kind: "changed" });
      if (timer === undefined) timer = setTimeout(flush, SETTLE_MS);
    });
    // The browser reconnects by itself; meanwhile the polling goes back to its own pace.
    source.addEventListener("error", () => useLiveStream.setState({ open: false }));
    return () => {
      source.close();
      if (timer !== undefined) clearTimeout(timer);
      useLiveStream.setState({ open: false });
    };
  }, [workspace]);
}
