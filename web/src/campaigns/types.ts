// A campaign and what the API says about it, from the generated API types
// (builder-api's campaign routes are the source).

import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type Campaign = Schemas["CampaignView"];
export type Progress = Schemas["Progress"];
export type Preflight = Schemas["Preflight"];
export type LimitUse = Schemas["LimitUse"];
export type Recipient = Schemas["RecipientView"];
export type NewCampaign = Schemas["NewCampaign"];
export type Segment = Schemas["SegmentView"];

/** The states a campaign goes through. */
export type CampaignState =
  "draft" | "scheduled" | "sending" | "paused" | "completed" | "cancelled";
