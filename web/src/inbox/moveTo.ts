// Where a contact can be sent when their conversation closes: the workspace's other LIVE
// journeys (a published version is what a new run starts on; a draft never published has
// none). The one they are in now is left out: "another journey" is what the operator picks.

import type { FlowListItem } from "../flows/api";

export interface Journey {
  id: string;
  name: string;
}

/** The live journeys other than `current`, by name. */
export function liveJourneys(flows: readonly FlowListItem[], current: string): Journey[] {
  return flows
    .filter((f) => f.id !== current && f.published_version != null)
    .map((f) => ({ id: f.id, name: f.name }))
    .toSorted((a, b) => a.name.localeCompare(b.name, "en") || a.id.localeCompare(b.id));
}
