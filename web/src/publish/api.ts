// Publishing and versions: the calls, with react-query keys the dialog and the history share.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { components } from "../api/schema";
import type { Changes } from "./changes";

export type VersionSummary = Omit<components["schemas"]["VersionSummary"], "changes"> & {
  changes?: Changes | null;
};
export type PublishImpact = Omit<components["schemas"]["PublishImpact"], "changes"> & {
  changes?: Changes | null;
};

const path = (workspace: string, flow: string) => ({ params: { path: { workspace, flow } } });

export function versionsKey(workspace: string, flow: string) {
  return ["versions", workspace, flow] as const;
}

export function useVersions(workspace: string, flow: string) {
  return useQuery({
    queryKey: versionsKey(workspace, flow),
    queryFn: async () =>
      (await ok(
        api.GET("/api/v1/workspaces/{workspace}/flows/{flow}/versions", path(workspace, flow)),
      )) as VersionSummary[],
  });
}

export function useImpact(workspace: string, flow: string, enabled: boolean) {
  return useQuery({
    queryKey: ["publish-impact", workspace, flow],
    queryFn: async () =>
      (await ok(
        api.GET(
          "/api/v1/workspaces/{workspace}/flows/{flow}/publish/impact",
          path(workspace, flow),
        ),
      )) as PublishImpact,
    enabled,
    // Never an answer about an earlier draft: dropped once the dialog closes.
    gcTime: 0,
  });
}

export function useVersionDocument(workspace: string, flow: string, version: number | undefined) {
  return useQuery({
    queryKey: ["version", workspace, flow, version],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}", {
          params: { path: { workspace, flow, version: version ?? 0 } },
        }),
      ),
    enabled: version !== undefined,
    staleTime: Infinity,
  });
}

export function usePublishActions(workspace: string, flow: string) {
  const queryClient = useQueryClient();
  const settle = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: versionsKey(workspace, flow) }),
      queryClient.invalidateQueries({ queryKey: ["flows", workspace] }),
    ]);
  return {
    publish: useMutation({
      mutationFn: ({ note, etag }: { note: string; etag?: string }) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/flows/{flow}/publish", {
            params: {
              path: { workspace, flow },
              header: etag ? { "If-Match": etag } : {},
            },
            body: { note },
          }),
        ),
      onSettled: settle,
    }),
    rollback: useMutation({
      mutationFn: (version: number) =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}/rollback", {
            params: { path: { workspace, flow, version } },
            body: {},
          }),
        ),
      onSettled: settle,
    }),
  };
}
