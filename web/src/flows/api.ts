// The flow list's calls. Each change re-reads the list, so the status and "last edited"
// the list shows are always the server's.

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { failureOf } from "../api/errors";
import type { components } from "../api/schema";
import { duplicateOf, renamed, type FlowDocument, type Taken } from "./documents";

export type FlowListItem = components["schemas"]["FlowListItem"];

export function flowsKey(workspace: string) {
  return ["flows", workspace] as const;
}

export function useFlowList(workspace: string) {
  return useQuery({
    queryKey: flowsKey(workspace),
    queryFn: () =>
      ok(api.GET("/api/v1/workspaces/{workspace}/flows", { params: { path: { workspace } } })),
  });
}

export function takenBy(flows: readonly FlowListItem[]): Taken {
  return { ids: new Set(flows.map((f) => f.id)), names: new Set(flows.map((f) => f.name)) };
}

/** The draft and the revision it is at (for `If-Match`). */
export async function readDraft(
  workspace: string,
  flow: string,
): Promise<{ document: FlowDocument; etag: string }> {
  const { data, error, response } = await api.GET("/api/v1/workspaces/{workspace}/flows/{flow}", {
    params: { path: { workspace, flow } },
  });
  if (!response.ok || !data) throw failureOf(response.status, error);
  return {
    document: data.document as FlowDocument,
    etag: response.headers.get("ETag") ?? `"${data.revision}"`,
  };
}

async function create(workspace: string, document: FlowDocument, imported: boolean) {
  const path = imported
    ? ("/api/v1/workspaces/{workspace}/flows/import" as const)
    : ("/api/v1/workspaces/{workspace}/flows" as const);
  return ok(api.POST(path, { params: { path: { workspace } }, body: document }));
}

export function useFlowActions(workspace: string) {
  const queryClient = useQueryClient();
  const settle = () => queryClient.invalidateQueries({ queryKey: flowsKey(workspace) });
  const options = { onSettled: settle };

  return {
    create: useMutation({
      mutationFn: (document: FlowDocument) => create(workspace, document, false),
      ...options,
    }),
    importFile: useMutation({
      mutationFn: (document: FlowDocument) => create(workspace, document, true),
      ...options,
    }),
    rename: useMutation({
      mutationFn: async ({ id, name }: { id: string; name: string }) => {
        const { document, etag } = await readDraft(workspace, id);
        return ok(
          api.PUT("/api/v1/workspaces/{workspace}/flows/{flow}", {
            params: { path: { workspace, flow: id }, header: { "If-Match": etag } },
            body: renamed(document, name),
          }),
        );
      },
      ...options,
    }),
    duplicate: useMutation({
      mutationFn: async ({ id, taken }: { id: string; taken: Taken }) => {
        const { document } = await readDraft(workspace, id);
        return create(workspace, duplicateOf(document, taken), false);
      },
      ...options,
    }),
    remove: useMutation({
      mutationFn: (id: string) =>
        ok(
          api.DELETE("/api/v1/workspaces/{workspace}/flows/{flow}", {
            params: { path: { workspace, flow: id } },
          }),
        ),
      ...options,
    }),
  };
}

export function exportUrl(workspace: string, flow: string): string {
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}/flows/${encodeURIComponent(flow)}/export`;
}
