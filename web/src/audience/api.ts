// The directory, bulk tagging, imports and segments calls. Bulk changes are answered at
// once and applied moments later (in order with each contact's events), so the list is
// read again shortly after one.

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { failureOf } from "../api/errors";
import type { FlowDocument } from "../flows/documents";
import {
  apiAudience,
  type Audience,
  type DirectoryEntry,
  type ImportReport,
  type ImportView,
  type SegmentView,
  type Sort,
} from "./types";

export const path = (workspace: string) => ({ params: { path: { workspace } } });

export function directoryKey(workspace: string) {
  return ["directory", workspace] as const;
}

export function segmentsKey(workspace: string) {
  return ["segments", workspace] as const;
}

/** One page of the contacts an audience matches. */
export async function searchPage(
  workspace: string,
  audience: Audience,
  sort: Sort,
  cursor: string | null,
  limit = 50,
): Promise<{ contacts: DirectoryEntry[]; next_cursor?: string | null }> {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/contacts/search", {
      ...path(workspace),
      body: { audience: apiAudience(audience), sort, cursor, limit },
    }),
  );
}

/** The tags on the 500 contacts who wrote last, sorted: what the tag pickers offer. */
export function useSeenTags(workspace: string) {
  return useQuery({
    queryKey: [...directoryKey(workspace), "tags"],
    queryFn: async () => {
      const page = await searchPage(workspace, { all: [] }, "last_inbound", null, 500);
      return [...new Set(page.contacts.flatMap((c) => c.tags))].toSorted((a, b) =>
        a.localeCompare(b),
      );
    },
  });
}

/** How many contacts an audience holds now, and up to 10 of them. */
export function usePreview(workspace: string, audience: Audience | null) {
  return useQuery({
    queryKey: [...directoryKey(workspace), "preview", audience],
    enabled: audience !== null,
    queryFn: () =>
      ok(
        api.POST("/api/v1/workspaces/{workspace}/segments/preview", {
          ...path(workspace),
          body: apiAudience(audience ?? { all: [] }),
        }),
      ),
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export interface BulkTags {
  phones?: string[];
  audience?: Audience;
  add_tags?: string[];
  remove_tags?: string[];
}

export function useBulk(workspace: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: BulkTags) =>
      ok(
        api.POST("/api/v1/workspaces/{workspace}/contacts/bulk", {
          ...path(workspace),
          body: {
            ...change,
            audience: change.audience ? apiAudience(change.audience) : null,
          },
        }),
      ),
    onSuccess: () => {
      // The change lands moments later: read the list again then, and once more after.
      for (const wait of [600, 1500, 3500]) {
        setTimeout(
          () => void queryClient.invalidateQueries({ queryKey: directoryKey(workspace) }),
          wait,
        );
      }
    },
  });
}

// Segments

export function useSegments(workspace: string) {
  return useQuery({
    queryKey: segmentsKey(workspace),
    queryFn: () => ok(api.GET("/api/v1/workspaces/{workspace}/segments", path(workspace))),
  });
}

export function useSegment(workspace: string, id: string | null) {
  return useQuery({
    queryKey: [...segmentsKey(workspace), id],
    enabled: id !== null,
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/segments/{segment}", {
          params: { path: { workspace, segment: id ?? "" } },
        }),
      ),
    retry: false,
  });
}

export interface SegmentInput {
  name: string;
  description: string | null;
  audience: Audience;
}

const segmentBody = (input: SegmentInput) => ({
  ...input,
  audience: apiAudience(input.audience),
});

export function useSegmentActions(workspace: string) {
  const queryClient = useQueryClient();
  const settle = () => queryClient.invalidateQueries({ queryKey: segmentsKey(workspace) });
  return {
    create: useMutation({
      mutationFn: (input: SegmentInput): Promise<SegmentView> =>
        ok(
          api.POST("/api/v1/workspaces/{workspace}/segments", {
            ...path(workspace),
            body: segmentBody(input),
          }),
        ),
      onSettled: settle,
    }),
    replace: useMutation({
      mutationFn: ({ id, input }: { id: string; input: SegmentInput }): Promise<SegmentView> =>
        ok(
          api.PUT("/api/v1/workspaces/{workspace}/segments/{segment}", {
            params: { path: { workspace, segment: id } },
            body: segmentBody(input),
          }),
        ),
      onSettled: settle,
    }),
    remove: useMutation({
      mutationFn: (id: string) =>
        ok(
          api.DELETE("/api/v1/workspaces/{workspace}/segments/{segment}", {
            params: { path: { workspace, segment: id } },
          }),
        ),
      onSettled: settle,
    }),
  };
}

// Journeys, for "Reached a step"

export interface FlowChoice {
  id: string;
  name: string;
}

export function useFlowChoices(workspace: string) {
  return useQuery({
    queryKey: ["flows", workspace],
    queryFn: () =>
      ok(api.GET("/api/v1/workspaces/{workspace}/flows", { params: { path: { workspace } } })),
    select: (flows): FlowChoice[] => flows.map((f) => ({ id: f.id, name: f.name })),
  });
}

export interface StepChoice {
  id: string;
  label: string;
}

export function useFlowSteps(workspace: string, flow: string) {
  return useQuery({
    queryKey: ["audience-flow-steps", workspace, flow],
    enabled: flow !== "",
    queryFn: async (): Promise<StepChoice[]> => {
      const detail = await ok(
        api.GET("/api/v1/workspaces/{workspace}/flows/{flow}", {
          params: { path: { workspace, flow } },
        }),
      );
      const document = detail.document as FlowDocument;
      return document.nodes.flatMap((node) => {
        const { id, name } = node as { id?: unknown; name?: unknown };
        if (typeof id !== "string") return [];
        return [{ id, label: typeof name === "string" && name.trim() !== "" ? name : id }];
      });
    },
    retry: false,
  });
}

// Imports

export function importKey(workspace: string, id: string) {
  return ["import", workspace, id] as const;
}

export async function upload(workspace: string, file: { name: string; text: string }) {
  const { data, error, response } = await api.POST(
    "/api/v1/workspaces/{workspace}/contacts/imports",
    {
      params: { path: { workspace }, query: { name: file.name } },
      body: file.text,
      bodySerializer: (body: string) => body,
      headers: { "Content-Type": "text/csv" },
    },
  );
  if (!response.ok || !data) throw failureOf(response.status, error);
  return data;
}

/** An import, read again every 700 ms while it runs. */
export function useImport(workspace: string, id: string) {
  return useQuery({
    queryKey: importKey(workspace, id),
    queryFn: (): Promise<ImportView> =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/contacts/imports/{import}", {
          params: { path: { workspace, import: id } },
        }),
      ),
    refetchInterval: (query) => (query.state.data?.state === "importing" ? 700 : false),
    retry: false,
  });
}

export interface ImportPlan {
  columns: Record<string, string>[];
  default_country: string | null;
  consent_basis: string | null;
}

export async function dryRun(
  workspace: string,
  id: string,
  plan: ImportPlan,
): Promise<ImportReport> {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/contacts/imports/{import}/dry-run", {
      params: { path: { workspace, import: id } },
      body: plan,
    }),
  );
}

export async function startImport(workspace: string, id: string, plan: ImportPlan) {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/contacts/imports/{import}/start", {
      params: { path: { workspace, import: id } },
      body: plan,
    }),
  );
}

/** The address of the CSV of the contacts these list filters match. */
export function exportHref(workspace: string, params: URLSearchParams): string {
  const query = params.toString();
  return `/api/v1/workspaces/${encodeURIComponent(workspace)}/contacts/export${query ? `?${query}` : ""}`;
}
