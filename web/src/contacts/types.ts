// A contact and its runs as `GET /contacts/{phone}` answers them. Written by hand: the
// OpenAPI document names the simulator's smaller contact and run `ContactView` and `RunView`
// too, and the generated schema.d.ts kept the simulator's, which lack most of these fields
// (builder-api/src/routes/contacts/{mod,runs}.rs are the source).

export interface ContactWindow {
  open: boolean;
  /** When it closes (or closed): 24 hours after the contact last wrote. */
  closes_at?: string | null;
}

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

export interface WaitView {
  /** `reply`, `timer`, `handoff` or `call`. */
  kind: string;
  deadline?: string | null;
  /** Answers that were not valid so far. */
  attempts: number;
}

export interface ContactRun {
  id: string;
  flow_id: string;
  version?: number | null;
  version_hash: string;
  /** `running`, `waiting_reply`, `waiting_timer`, `handoff`, `done`, `failed`, `cancelled`. */
  status: string;
  active: boolean;
  node_id: string;
  node_type?: string | null;
  vars: Record<string, unknown>;
  waiting?: WaitView | null;
  steps: number;
  started_at: string;
  updated_at: string;
  reason?: string | null;
}

export interface Contact {
  /** E.164 with `+`. */
  phone: string;
  wa_id: string;
  name?: string | null;
  tags: string[];
  properties: Record<string, unknown>;
  timezone?: string | null;
  locale?: string | null;
  marketing_opt_in: boolean;
  marketing_opt_in_at?: string | null;
  last_inbound_at?: string | null;
  window: ContactWindow;
  first_touch?: Touch | null;
  last_touch?: Touch | null;
  free_entry_until?: string | null;
  runs: ContactRun[];
  finished_runs: ContactRun[];
  /** Flows that start when the current conversation ends. */
  queued: string[];
}

export interface HistoryEntry {
  at: string;
  what: string;
  node_id?: string | null;
  detail?: string | null;
}

export interface RunDetail extends ContactRun {
  /** The latest message the run received (`msg`); null before any. */
  msg: Record<string, unknown> | null;
  /** The webhook body that started it (`payload`). */
  payload: Record<string, unknown> | null;
  history: HistoryEntry[];
}

/** What `PATCH /contacts/{phone}` takes. */
export interface ContactChange {
  name?: string;
  add_tags?: string[];
  remove_tags?: string[];
  properties?: Record<string, unknown>;
  marketing_opt_in?: boolean;
  locale?: string;
}
