// The directory, segments and imports as the API answers them (from the generated types;
// builder-api/src/routes/{contacts/directory,segments,imports}.rs are the source). A
// condition is typed here: the generated type has a property's value as an object, where
// the server takes any JSON value (text or a number).

import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type DirectoryEntry = Schemas["DirectoryEntry"];
export type Sort = Schemas["Sort"];
export type SegmentView = Schemas["SegmentView"];
export type ImportView = Schemas["ImportView"];
export type ImportReport = Schemas["ImportReport"];
export type PropertyTest = Schemas["PropertyTest"];

export type Condition =
  | { kind: "tag"; tag: string }
  | { kind: "not_tag"; tag: string }
  | { kind: "property"; name: string; test: PropertyTest; value?: unknown }
  | { kind: "marketing_consent"; given: boolean }
  | { kind: "wrote_within"; days: number }
  | { kind: "silent_for"; days: number }
  | { kind: "reached"; flow_id: string; node_id?: string | null }
  | { kind: "from_ad"; ad_id: string }
  | { kind: "channel"; channel: string }
  | { kind: "search"; text: string };

export interface Audience {
  all: Condition[];
}

/** The API's audience type, for the calls (see the note above). */
export function apiAudience(audience: Audience): Schemas["Audience"] {
  return audience as unknown as Schemas["Audience"];
}

/** A row the import could not take: line, column, value, why. */
export interface Rejection {
  line: number;
  column?: string | null;
  value?: string | null;
  reason: string;
}

/** What a column of a file holds (`{"kind":"phone"}`, `{"kind":"property","name":"city"}`). */
export type ColumnKind =
  | "phone"
  | "name"
  | "first_name"
  | "last_name"
  | "country"
  | "tags"
  | "tag"
  | "property"
  | "marketing_consent"
  | "consent_at"
  | "locale"
  | "timezone"
  | "ignore";

export interface ColumnChoice {
  kind: ColumnKind;
  name?: string;
}
