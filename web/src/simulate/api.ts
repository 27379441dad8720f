// The simulator's calls (docs/simulator.md). Each action answers with what it made happen
// (a step), which the chat appends; the event stream is not needed while one tab drives it.

import { api, ok } from "../api/client";
import type { components } from "../api/schema";
import type { SimulationView, StepView } from "./model";

/** Where a test starts when it skips the trigger: a step, with the run's variables. */
export type StartFrom = components["schemas"]["StartFrom"];
/**
 * The answer an HTTP step (`status`, `body`) or an AI step (`reply`) gets instead of calling
 * out; `error` alone makes the call fail.
 */
export type Stub = components["schemas"]["Stub"];
export type NewSimulation = components["schemas"]["NewSimulation"];
export type Say = components["schemas"]["Say"];

const at = (workspace: string, simulation: string) => ({
  params: { path: { workspace, simulation } },
});

export async function startSimulation(
  workspace: string,
  body: NewSimulation,
): Promise<SimulationView> {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/simulations", {
      params: { path: { workspace } },
      body,
    }),
  );
}

export async function say(workspace: string, simulation: string, body: Say): Promise<StepView> {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/simulations/{simulation}/messages", {
      ...at(workspace, simulation),
      body,
    }),
  );
}

export async function fastForward(
  workspace: string,
  simulation: string,
  body: { by: string } | { next_timer: true },
): Promise<StepView> {
  return ok(
    api.POST("/api/v1/workspaces/{workspace}/simulations/{simulation}/fast-forward", {
      ...at(workspace, simulation),
      body,
    }),
  );
}

export async function closeHandoff(workspace: string, simulation: string): Promise<StepView> {
  return ok(
    api.POST(
      "/api/v1/workspaces/{workspace}/simulations/{simulation}/handoff/close",
      at(workspace, simulation),
    ),
  );
}

/** Ends the simulation on the server; a failure is of no interest to anyone (it expires). */
export function endSimulation(workspace: string, simulation: string): void {
  void api
    .DELETE("/api/v1/workspaces/{workspace}/simulations/{simulation}", at(workspace, simulation))
    .catch(() => undefined);
}
