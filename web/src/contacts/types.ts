// A contact and its runs as `GET /contacts/{phone}` answers them, from the generated API
// types (builder-api/src/routes/contacts/{mod,runs}.rs are the source); the ad a contact
// came from is an open object there, typed here.

import type { components } from "../api/schema";

type Schemas = components["schemas"];

export type ContactWindow = Schemas["Window"];
export type WaitView = Schemas["WaitView"];
export type ContactRun = Schemas["RunView"];
export type HistoryEntry = Schemas["HistoryEntry"];
export type RunDetail = Schemas["RunDetail"];

/** A Click-to-WhatsApp ad, as WhatsApp described it (`at` in seconds). */
export interface Touch {
  source_id?: string;
  source_url?: string;
  source_type?: string;
  headline?: string;
  body?: string;
  ctwa_clid?: string;
  at?: number;
  [key: string]: unknown;
}

export type Contact = Omit<Schemas["ContactView"], "first_touch" | "last_touch"> & {
  first_touch?: Touch | null;
  last_touch?: Touch | null;
};

/** What `PATCH /contacts/{phone}` takes. */
export interface ContactChange {
  name?: string;
  add_tags?: string[];
  remove_tags?: string[];
  properties?: Record<string, unknown>;
  marketing_opt_in?: boolean;
  locale?: string;
}
