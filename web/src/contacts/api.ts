// The contact and run calls. Changes (PATCH, cancel) are answered 202: the runtime applies
// them in order with the contact's messages and timers moments later, so the pages read the
// contact again until the change shows (`poll`).

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Contact, ContactChange, RunDetail } from "./types";

/** How often a page reads again while a change it sent is on its way. */
export const POLL_MS = 700;

const contactPath = (workspace: string, phone: string) => ({
  params: { path: { workspace, phone } },
});

export function contactKey(workspace: string, phone: string) {
  return ["contact", workspace, phone] as const;
}

/** `lookup` counts the searches: each one reads the contact afresh. */
export function useContact(
  workspace: string,
  phone: string,
  { poll, lookup, enabled }: { poll: boolean; lookup: number; enabled: boolean },
) {
  return useQuery({
    queryKey: [...contactKey(workspace, phone), lookup],
    enabled,
    queryFn: async () =>
      (await ok(
        api.GET("/api/v1/workspaces/{workspace}/contacts/{phone}", contactPath(workspace, phone)),
      )) as unknown as Contact,
    refetchInterval: poll ? POLL_MS : false,
    retry: false,
  });
}

export function useRun(workspace: string, phone: string, run: string, poll: boolean) {
  return useQuery({
    queryKey: [...contactKey(workspace, phone), "run", run],
    queryFn: async () =>
      (await ok(
        api.GET("/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}", {
          params: { path: { workspace, phone, run } },
        }),
      )) as unknown as RunDetail,
    refetchInterval: poll ? POLL_MS : false,
    retry: false,
  });
}

export function useContactActions(workspace: string, phone: string) {
  const queryClient = useQueryClient();
  const reread = () => queryClient.invalidateQueries({ queryKey: contactKey(workspace, phone) });
  return {
    change: useMutation({
      mutationFn: (change: ContactChange) =>
        ok(
          api.PATCH("/api/v1/workspaces/{workspace}/contacts/{phone}", {
            ...contactPath(workspace, phone),
            body: change,
          }),
        ),
      onSettled: reread,
    }),
    cancelRun: useMutation({
      mutationFn: (run: string) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}/cancel", {
            params: { path: { workspace, phone, run } },
          }),
        ),
      onSettled: reread,
    }),
    erase: useMutation({
      mutationFn: () =>
        ok(
          api.DELETE(
            "/api/v1/workspaces/{workspace}/contacts/{phone}",
            contactPath(workspace, phone),
          ),
        ),
      // Nothing is left to read: the page's query would only answer 404 now.
      onSuccess: () => queryClient.removeQueries({ queryKey: contactKey(workspace, phone) }),
    }),
  };
}
