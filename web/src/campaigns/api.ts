// The campaign calls, and the journeys and segments a campaign is made from. A campaign that
// is sending or waiting for its time is read again every 2 s, so its page follows it live.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Campaign, NewCampaign, Preflight, Recipient, Segment } from "./types";

/** How often a live campaign (sending or scheduled) is read again. */
export const LIVE_MS = 2000;

export function isLive(state: string | undefined): boolean {
  return state === "sending" || state === "scheduled";
}

export function campaignsKey(workspace: string) {
  return ["campaigns", workspace] as const;
}

const campaignPath = (workspace: string, campaign: string) => ({
  params: { path: { workspace, campaign } },
});

export function useCampaigns(workspace: string) {
  return useQuery({
    queryKey: campaignsKey(workspace),
    queryFn: async () =>
      (
        await ok(
          api.GET("/api/v1/workspaces/{workspace}/campaigns", { params: { path: { workspace } } }),
        )
      ).campaigns,
    refetchInterval: (query) =>
      (query.state.data ?? []).some((c) => isLive(c.state)) ? LIVE_MS : false,
  });
}

export function useCampaign(workspace: string, id: string) {
  return useQuery({
    queryKey: [...campaignsKey(workspace), id],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/campaigns/{campaign}", campaignPath(workspace, id)),
      ) as Promise<Campaign>,
    refetchInterval: (query) => (isLive(query.state.data?.state) ? LIVE_MS : false),
    retry: false,
  });
}

export function usePreflight(workspace: string, id: string, enabled: boolean) {
  return useQuery({
    queryKey: [...campaignsKey(workspace), id, "preflight"],
    enabled,
    queryFn: () =>
      ok(
        api.GET(
          "/api/v1/workspaces/{workspace}/campaigns/{campaign}/preflight",
          campaignPath(workspace, id),
        ),
      ) as Promise<Preflight>,
    retry: false,
  });
}

export function useRecipients(workspace: string, id: string, state: string, live: boolean) {
  return useQuery({
    queryKey: [...campaignsKey(workspace), id, "recipients", state],
    queryFn: async () =>
      (
        await ok(
          api.GET("/api/v1/workspaces/{workspace}/campaigns/{campaign}/recipients", {
            params: { path: { workspace, campaign: id }, query: state ? { state } : {} },
          }),
        )
      ).recipients as Recipient[],
    refetchInterval: live ? LIVE_MS : false,
    retry: false,
  });
}

const ACTIONS = {
  start: "/api/v1/workspaces/{workspace}/campaigns/{campaign}/start",
  pause: "/api/v1/workspaces/{workspace}/campaigns/{campaign}/pause",
  resume: "/api/v1/workspaces/{workspace}/campaigns/{campaign}/resume",
  cancel: "/api/v1/workspaces/{workspace}/campaigns/{campaign}/cancel",
} as const;

export type CampaignAction = keyof typeof ACTIONS;

function useStep(workspace: string, action: CampaignAction) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      ok(api.POST(ACTIONS[action], campaignPath(workspace, id))) as Promise<Campaign>,
    onSuccess: (campaign) =>
      queryClient.setQueryData([...campaignsKey(workspace), campaign.id], campaign),
    onSettled: () => queryClient.invalidateQueries({ queryKey: campaignsKey(workspace) }),
  });
}

export function useCampaignActions(workspace: string) {
  const queryClient = useQueryClient();
  return {
    create: useMutation({
      mutationFn: (body: NewCampaign) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/campaigns", {
            params: { path: { workspace } },
            body,
          }),
        ) as Promise<Campaign>,
      onSettled: () => queryClient.invalidateQueries({ queryKey: campaignsKey(workspace) }),
    }),
    start: useStep(workspace, "start"),
    pause: useStep(workspace, "pause"),
    resume: useStep(workspace, "resume"),
    cancel: useStep(workspace, "cancel"),
  };
}

export function useSegments(workspace: string) {
  return useQuery({
    queryKey: ["segments", workspace],
    queryFn: async () =>
      (
        await ok(
          api.GET("/api/v1/workspaces/{workspace}/segments", { params: { path: { workspace } } }),
        )
      ).segments as Segment[],
  });
}

/** A published journey and whether its live version starts with a Broadcast trigger. */
export interface Journey {
  id: string;
  name: string;
  broadcast: boolean;
}

/**
 * Every published journey, each with whether its live version has a Broadcast trigger (the
 * only kind a campaign can start).
 */
export function useJourneys(workspace: string) {
  return useQuery({
    queryKey: ["campaign-journeys", workspace],
    queryFn: async (): Promise<Journey[]> => {
      const flows = await ok(
        api.GET("/api/v1/workspaces/{workspace}/flows", { params: { path: { workspace } } }),
      );
      const live = flows.filter(
        (f) => f.published_version !== null && f.published_version !== undefined,
      );
      return Promise.all(
        live.map(async (flow) => {
          const version = await ok(
            api.GET("/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}", {
              params: {
                path: { workspace, flow: flow.id, version: Number(flow.published_version) },
              },
            }),
          );
          return { id: flow.id, name: flow.name, broadcast: hasBroadcast(version.document) };
        }),
      );
    },
  });
}

export function hasBroadcast(document: unknown): boolean {
  const nodes = (document as { nodes?: unknown } | null)?.nodes;
  return (
    Array.isArray(nodes) &&
    nodes.some((node) => (node as { type?: unknown } | null)?.type === "broadcast")
  );
}
