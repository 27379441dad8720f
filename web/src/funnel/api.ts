// The funnel's call: one version's counts over a time range, read again every ~10 s while
// the funnel is open. "Last 24 hours" is measured from each read, so the key names the
// choice, not the instants.

import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { Funnel } from "./funnel";

export type RangeChoice =
  | { kind: "24h" | "7d" | "30d" }
  /** Local date-times as a `datetime-local` input gives them ("2026-11-24T09:00"). */
  | { kind: "custom"; from: string; to: string };

const HOUR = 3_600_000;
const SPANS = { "24h": 24 * HOUR, "7d": 7 * 24 * HOUR, "30d": 30 * 24 * HOUR } as const;

export const RANGE_LABELS: Record<RangeChoice["kind"], string> = {
  "24h": "Last 24 hours",
  "7d": "Last 7 days",
  "30d": "Last 30 days",
  custom: "Custom…",
};

/** The query's `from`/`to` for a choice, at `now`; an error sentence for a custom range that cannot be asked. */
export function rangeQuery(
  choice: RangeChoice,
  now: number,
): { from: string; to?: string } | { invalid: string } {
  if (choice.kind !== "custom") return { from: new Date(now - SPANS[choice.kind]).toISOString() };
  const from = Date.parse(choice.from);
  const to = Date.parse(choice.to);
  if (Number.isNaN(from) || Number.isNaN(to)) return { invalid: "Choose both a start and an end." };
  if (from >= to) return { invalid: "The start must be before the end." };
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/** Why a choice cannot be asked (a custom period's ends), or null. Needs no clock. */
export function rangeProblem(choice: RangeChoice): string | null {
  if (choice.kind !== "custom") return null;
  const asked = rangeQuery(choice, 0);
  return "invalid" in asked ? asked.invalid : null;
}

export const REFRESH_MS = 10_000;

export function useFunnel(
  workspace: string,
  flow: string,
  version: number | undefined,
  choice: RangeChoice,
  /** False until the flow is known to have a version: asking before would only answer 404. */
  published: boolean,
) {
  return useQuery({
    queryKey: ["funnel", workspace, flow, version ?? "live", choice],
    queryFn: async () => {
      const asked = rangeQuery(choice, Date.now());
      if ("invalid" in asked) throw new Error(asked.invalid);
      return (await ok(
        api.GET("/api/v1/workspaces/{workspace}/flows/{flow}/analytics", {
          params: {
            path: { workspace, flow },
            query: { ...(version === undefined ? {} : { version }), ...asked },
          },
        }),
      )) as Funnel;
    },
    enabled: published && rangeProblem(choice) === null,
    refetchInterval: REFRESH_MS,
    retry: false,
  });
}
