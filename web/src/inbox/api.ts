// The handoff queue's calls. The queue is read again after every claim, hand-over, release
// or close, and whenever the inbox page hears of a change (live.ts), so the tabs' counts and
// the top bar's "Inbox (N)" follow what the team does; besides, it is polled: every 10 s
// without the live stream (the top bar elsewhere in the editor), every 30 s with it.

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { create } from "zustand";
import { api, ok } from "../api/client";
import { contactKey, POLL_MS } from "../contacts/api";
import type { Contact, RunDetail } from "../contacts/types";
import type { View } from "./queue";
import type { ConversationPage, Member, MessageView, Reply, Ticket, TicketList } from "./types";

/** How often the queue is read again while it is on screen (the top bar's count too). */
export const QUEUE_POLL_MS = 10_000;

/** How often inbox queries are read again while the live stream is open: a fallback only. */
export const LIVE_POLL_MS = 30_000;

/** Whether the inbox's live stream is open now (live.ts sets it). */
export const useLiveStream = create<{ open: boolean }>(() => ({ open: false }));

/** How often an inbox query is read again: `alone` without the live stream, slower with it. */
export function pollEvery(live: boolean, alone: number): number {
  return live ? Math.max(LIVE_POLL_MS, alone) : alone;
}

function usePollEvery(alone: number): number {
  return pollEvery(
    useLiveStream((s) => s.open),
    alone,
  );
}

export function handoffsKey(workspace: string) {
  return ["handoffs", workspace] as const;
}

export function useQueue(workspace: string, view: View, team: string) {
  const every = usePollEvery(QUEUE_POLL_MS);
  return useQuery({
    queryKey: [...handoffsKey(workspace), "list", view, team],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/handoffs", {
          params: { path: { workspace }, query: team ? { view, team } : { view } },
        }),
      ) as Promise<TicketList>,
    refetchInterval: every,
    // Keeps the rows on screen while a tab or team switch is on its way.
    placeholderData: (previous) => previous,
  });
}

/**
 * The counts alone (`limit=0`) and the teams open tickets wait for: the top bar's
 * "Inbox (N)", the tabs' numbers and the team filter's choices.
 */
export function useQueueCounts(workspace: string) {
  const every = usePollEvery(QUEUE_POLL_MS);
  return useQuery({
    queryKey: [...handoffsKey(workspace), "counts"],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/handoffs", {
          params: { path: { workspace }, query: { limit: 0 } },
        }),
      ) as Promise<TicketList>,
    refetchInterval: every,
  });
}

export function useTicket(workspace: string, ticket: string | undefined) {
  const every = usePollEvery(QUEUE_POLL_MS);
  return useQuery({
    queryKey: [...handoffsKey(workspace), "ticket", ticket],
    enabled: ticket !== undefined,
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/handoffs/{ticket}", {
          params: { path: { workspace, ticket: ticket ?? "" } },
        }),
      ) as Promise<Ticket>,
    refetchInterval: every,
    retry: false,
  });
}

/** How often an open ticket's conversation is read again without the live stream. */
export const CONVERSATION_POLL_MS = 4_000;

/**
 * The conversation of a ticket's contact: the latest page first, then, one by one as the
 * operator asks, the pages before it (`fetchNextPage`). Read again, every page loaded, when
 * the live stream says something happened (and every few seconds without it), so new
 * messages and notes show and statuses (delivered, read, failed) move on.
 */
export function useConversation(workspace: string, ticket: string) {
  const every = usePollEvery(CONVERSATION_POLL_MS);
  return useInfiniteQuery({
    queryKey: [...handoffsKey(workspace), "messages", ticket],
    initialPageParam: null as number | null,
    queryFn: ({ pageParam }) =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/handoffs/{ticket}/messages", {
          params: {
            path: { workspace, ticket },
            query: pageParam === null ? {} : { before: pageParam },
          },
        }),
      ) as Promise<ConversationPage>,
    getNextPageParam: (page: ConversationPage) => page.earlier ?? undefined,
    refetchInterval: every,
    retry: false,
  });
}

export function useContactOf(workspace: string, digits: string | undefined) {
  return useQuery({
    queryKey: [...contactKey(workspace, digits ?? ""), "inbox"],
    enabled: digits !== undefined,
    queryFn: async () =>
      (await ok(
        api.GET("/api/v1/workspaces/{workspace}/contacts/{phone}", {
          params: { path: { workspace, phone: digits ?? "" } },
        }),
      )) as unknown as Contact,
    staleTime: 60_000,
    retry: false,
  });
}

/**
 * The run that raised a ticket (its variables), when the contact has a number; read again
 * every `pollMs` while `poll` (the journey is picking the contact up after a resolve).
 */
export function useRunOf(
  workspace: string,
  digits: string | undefined,
  run: string,
  poll: boolean,
) {
  return useQuery({
    queryKey: [...contactKey(workspace, digits ?? ""), "run", run],
    enabled: digits !== undefined,
    queryFn: async () =>
      (await ok(
        api.GET("/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}", {
          params: { path: { workspace, phone: digits ?? "", run } },
        }),
      )) as unknown as RunDetail,
    refetchInterval: poll ? POLL_MS : false,
    retry: false,
  });
}

export function useTicketActions(workspace: string, ticket: string) {
  const queryClient = useQueryClient();
  const path = { params: { path: { workspace, ticket } } };
  const settled = (answer: Ticket | undefined) => {
    if (answer) queryClient.setQueryData([...handoffsKey(workspace), "ticket", ticket], answer);
    return queryClient.invalidateQueries({ queryKey: handoffsKey(workspace) });
  };
  return {
    claim: useMutation({
      mutationFn: () =>
        ok(api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/claim", path)),
      onSettled: settled,
    }),
    release: useMutation({
      mutationFn: () =>
        ok(api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/release", path)),
      onSettled: settled,
    }),
    /**
     * `resolved`: the journey goes on through its resolved way out; `ended`: it ends here;
     * `moved`: it ends here and the live journey `flow` starts for the contact.
     */
    close: useMutation({
      mutationFn: (close: CloseOutcome) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/close", {
            ...path,
            body: close,
          }),
        ),
      onSettled: settled,
    }),
    /** To a colleague (`to`: their email), back to the queue (`to: null`), another `team`. */
    assign: useMutation({
      mutationFn: (handover: Handover) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/assign", {
            ...path,
            body: handover,
          }),
        ),
      onSettled: settled,
    }),
  };
}

export type CloseOutcome =
  { outcome: "resolved" } | { outcome: "ended" } | { outcome: "moved"; flow: string };

/** Who has a ticket next, and for which team: what is absent stays as it is. */
export interface Handover {
  to?: string | null;
  team?: string;
}

/**
 * The workspace's members, to pick a colleague from. Not every role may list them: a refusal
 * (`403`) is an answer too (the picker becomes a typed email), so it is not retried.
 */
export function useMembers(workspace: string) {
  return useQuery({
    queryKey: ["members", workspace],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/members", {
          params: { path: { workspace } },
        }),
      ) as Promise<Member[]>,
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/**
 * Writes a private note on a ticket (`201`): it is kept in the conversation for the team and
 * never sent. The thread is read again at once, so the note shows as the box empties.
 */
export function useNote(workspace: string, ticket: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (text: string) =>
      ok(
        api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/notes", {
          params: { path: { workspace, ticket } },
          body: { text },
        }),
      ) as Promise<unknown> as Promise<MessageView>,
    onSettled: () =>
      queryClient.invalidateQueries({ queryKey: [...handoffsKey(workspace), "messages", ticket] }),
  });
}

/**
 * The workspace's templates, whatever their status (one paused since still reads as it was
 * sent in the thread; the composer keeps the APPROVED ones), and how fresh they are.
 */
export function useTemplates(workspace: string) {
  return useQuery({
    queryKey: ["templates", workspace, "any status"],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/templates", {
          params: { path: { workspace } },
        }),
      ),
    staleTime: 5 * 60_000,
  });
}

/**
 * Sends a reply from the inbox (`202`: it is on its way). Whatever the answer, the thread is
 * read again at once (the reply shows there, queued or refused), and so are the ticket (a
 * reply to a conversation no one had takes it) and the queue; the send ends once they are
 * read, so the box empties as the reply appears in the thread.
 */
export function useReply(workspace: string, ticket: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (reply: Reply) =>
      ok(
        api.POST("/api/v1/workspaces/{workspace}/handoffs/{ticket}/messages", {
          params: { path: { workspace, ticket } },
          body: reply,
        }),
      ),
    // The ticket, its messages and the queue's counts all live under the handoffs' key.
    onSettled: () => queryClient.invalidateQueries({ queryKey: handoffsKey(workspace) }),
  });
}

/** The send of a reply, shared by the composer's text box and its template picker. */
export type ReplySend = ReturnType<typeof useReply>;
