// Autosave: the draft goes to the server about a second after the last change (at once when
// the tab hides), with If-Match so a newer save is never overwritten. Until the server has
// it, the work is also in localStorage, so a reload, a lost network or an ended session
// loses nothing. On 409 the newer revision is merged in (silently when the changes do not
// touch); otherwise the person chooses, and nothing is overwritten without them.

import { create } from "zustand";
import { api } from "../api/client";
import { ApiFailure, failureOf, messageOf } from "../api/errors";
import { readDraft } from "../flows/api";
import { useSession } from "../session/store";
import { merge, type Conflict } from "./merge";
import { getDocument, loadDocument, replaceDocument, useDocumentStore } from "./store";
import type { DocEdge, FlowDoc } from "./types";

export type SaveStatus =
  "saved" | "unsaved" | "saving" | "offline" | "signed-out" | "conflict" | "failed";

export interface PendingConflict {
  theirs: FlowDoc;
  etag: string;
  conflicts: Conflict[];
}

interface SaveState {
  status: SaveStatus;
  /** Why the last save failed, in words (for "failed"). */
  message: string | null;
  conflict: PendingConflict | null;
}

export const useSaveState = create<SaveState>(() => ({
  status: "saved",
  message: null,
  conflict: null,
}));

/** How long after the last change the draft is saved. */
export const SAVE_DELAY_MS = 1000;
const RETRY_OFFLINE_MS = 5000;
/** Browsers refuse keepalive requests with bodies above 64 kB. */
const KEEPALIVE_LIMIT = 60_000;

interface Stored {
  mine: FlowDoc;
  base: FlowDoc;
  etag: string;
}

function storageKey(workspace: string, flowId: string): string {
  return `spool.unsaved.${workspace}.${flowId}`;
}

export function readStored(workspace: string, flowId: string): Stored | null {
  try {
    const text = localStorage.getItem(storageKey(workspace, flowId));
    return text ? (JSON.parse(text) as Stored) : null;
  } catch {
    return null;
  }
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

const set = (state: Partial<SaveState>) => useSaveState.setState(state);

/**
 * Starts editing `flowId` from the server's draft (and any work this browser had not saved
 * yet); returns the function that stops autosaving.
 */
export function startEditing(
  workspace: string,
  flowId: string,
  server: { document: FlowDoc; etag: string },
): { stop: () => void; saveNow: () => void } {
  let base = server.document;
  let etag = server.etag;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = false;
  // Read through a function: a save under way sets it back from another task.
  const saving = () => inFlight;
  let again = false;
  let stopped = false;
  const key = storageKey(workspace, flowId);

  const store = () => {
    const mine = getDocument();
    if (!mine) return;
    try {
      localStorage.setItem(key, JSON.stringify({ mine, base, etag } satisfies Stored));
    } catch {
      // Storage full or refused: the server save still runs.
    }
  };
  const forget = () => {
    try {
      localStorage.removeItem(key);
    } catch {
      // Nothing stored, nothing to forget.
    }
  };

  const schedule = (delay = SAVE_DELAY_MS) => {
    clearTimeout(timer);
    timer = setTimeout(() => void save(false), delay);
  };

  async function put(document: FlowDoc, keepalive: boolean) {
    const { data, error, response } = await api.PUT("/api/v1/workspaces/{workspace}/flows/{flow}", {
      params: { path: { workspace, flow: flowId }, header: { "If-Match": etag } },
      body: document,
      keepalive,
    });
    if (!response.ok || !data) throw failureOf(response.status, error);
    return response.headers.get("ETag") ?? `"${data.revision}"`;
  }

  /** Someone saved since our revision: merge their draft in, or ask. */
  async function reconcile(theirs: { document: FlowDoc; etag: string }) {
    const mine = getDocument();
    if (!mine) return;
    const { merged, conflicts } = merge(base, mine, theirs.document);
    if (conflicts.length === 0) {
      base = theirs.document;
      etag = theirs.etag;
      if (!same(merged, mine)) replaceDocument(merged);
      store();
      schedule(0);
      return;
    }
    set({
      status: "conflict",
      conflict: { theirs: theirs.document, etag: theirs.etag, conflicts },
    });
  }

  async function save(flush: boolean) {
    clearTimeout(timer);
    if (stopped) return;
    const status = useSaveState.getState().status;
    if (status === "conflict" || status === "signed-out") return;
    if (inFlight) {
      again = true;
      return;
    }
    const document = getDocument();
    if (!document) return;
    if (same(document, base)) {
      base = document;
      forget();
      set({ status: "saved", message: null });
      return;
    }
    inFlight = true;
    set({ status: "saving" });
    try {
      const body = JSON.stringify(document);
      etag = await put(document, flush && body.length < KEEPALIVE_LIMIT);
      base = document;
      if (stopped || getDocument() === document) {
        forget();
        set({ status: "saved", message: null });
      } else {
        set({ status: "unsaved" });
        schedule();
      }
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 409) {
        set({ status: "unsaved" });
        try {
          const theirs = await readDraft(workspace, flowId);
          await reconcile({ document: theirs.document as FlowDoc, etag: theirs.etag });
        } catch (reading) {
          failed(reading);
        }
      } else {
        failed(error);
      }
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function failed(error: unknown) {
    if (error instanceof ApiFailure && error.status === 401) {
      // The session layer shows the sign-in dialog; we save again once it closes.
      set({ status: "signed-out", message: null });
    } else if (error instanceof TypeError) {
      set({ status: "offline", message: null });
      schedule(RETRY_OFFLINE_MS);
    } else {
      set({ status: "failed", message: messageOf(error) });
    }
  }

  // Open: the server's draft, or this browser's unsaved work on top of it.
  const stored = readStored(workspace, flowId);
  set({ status: "saved", message: null, conflict: null });
  if (stored && !same(stored.mine, stored.base)) {
    loadDocument(flowId, stored.mine);
    if (stored.etag === server.etag) {
      set({ status: "unsaved" });
      schedule(0);
    } else {
      base = stored.base;
      set({ status: "unsaved" });
      void reconcile(server);
    }
  } else {
    forget();
    loadDocument(flowId, server.document);
  }

  const unsubscribeDocument = useDocumentStore.subscribe((state, previous) => {
    if (state.document === previous.document || !state.document) return;
    store();
    const status = useSaveState.getState().status;
    if (status === "saved" || status === "saving" || status === "failed")
      set({ status: "unsaved" });
    if (status !== "conflict" && status !== "signed-out") schedule();
  });
  const unsubscribeSession = useSession.subscribe((state, previous) => {
    if (previous.expired && !state.expired && useSaveState.getState().status === "signed-out") {
      set({ status: "unsaved" });
      schedule(0);
    }
  });
  const onHide = () => {
    if (document.visibilityState === "hidden") void save(true);
  };
  const onOnline = () => {
    if (useSaveState.getState().status === "offline") schedule(0);
  };
  document.addEventListener("visibilitychange", onHide);
  window.addEventListener("pagehide", onHide);
  window.addEventListener("online", onOnline);

  resolver = {
    async flush() {
      while (saving()) await new Promise((wait) => setTimeout(wait, 50));
      await save(false);
      const { status, message } = useSaveState.getState();
      if (status !== "saved") throw new Error(message ?? "The latest changes are not saved yet.");
      return etag;
    },
    takeTheirs() {
      const conflict = useSaveState.getState().conflict;
      if (!conflict) return;
      base = conflict.theirs;
      etag = conflict.etag;
      forget();
      loadDocument(flowId, conflict.theirs);
      set({ status: "saved", conflict: null });
    },
    apply(choices) {
      const conflict = useSaveState.getState().conflict;
      const mine = getDocument();
      if (!conflict || !mine) return;
      const { merged } = merge(base, mine, conflict.theirs);
      base = conflict.theirs;
      etag = conflict.etag;
      replaceDocument(resolve(merged, conflict, choices));
      set({ status: "unsaved", conflict: null });
      store();
      schedule(0);
    },
  };

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      unsubscribeDocument();
      unsubscribeSession();
      document.removeEventListener("visibilitychange", onHide);
      window.removeEventListener("pagehide", onHide);
      window.removeEventListener("online", onOnline);
      resolver = null;
    },
    saveNow: () => void save(false),
  };
}

export type Choice = "mine" | "theirs";

let resolver: {
  flush(): Promise<string>;
  takeTheirs(): void;
  apply(choices: Map<string, Choice>): void;
} | null = null;

/**
 * Saves what is being edited now (publishing starts from the saved draft); resolves to the
 * saved revision's ETag, or fails in words when it cannot be saved (a conflict, signed out,
 * offline). Nothing open: nothing to save.
 */
export function flushSave(): Promise<string | undefined> {
  return resolver ? resolver.flush() : Promise.resolve(undefined);
}

/** Drops my conflicting changes for the newer saved draft. */
export function takeTheirs(): void {
  resolver?.takeTheirs();
}

/** Settles each conflict as chosen (by `conflictId`; mine when not chosen) and saves. */
export function applyChoices(choices: Map<string, Choice>): void {
  resolver?.apply(choices);
}

export function conflictId(conflict: Conflict): string {
  return `${conflict.kind}:${conflict.key}`;
}

/** The merged document with the conflicts chosen as "theirs" taken from their draft. */
export function resolve(
  merged: FlowDoc,
  conflict: PendingConflict,
  choices: Map<string, Choice>,
): FlowDoc {
  let doc: FlowDoc = { ...merged, nodes: [...merged.nodes], edges: [...merged.edges] };
  for (const c of conflict.conflicts) {
    if (choices.get(conflictId(c)) !== "theirs") continue;
    if (c.kind === "node" || c.kind === "note") {
      const list = c.kind === "node" ? doc.nodes : (doc.notes ?? []);
      const theirs = (
        c.kind === "node" ? conflict.theirs.nodes : (conflict.theirs.notes ?? [])
      ).find((item) => item.id === c.key);
      const kept = list.filter((item) => item.id !== c.key) as typeof list;
      const index = list.findIndex((item) => item.id === c.key);
      if (theirs) kept.splice(index === -1 ? kept.length : index, 0, theirs as never);
      doc =
        c.kind === "node"
          ? { ...doc, nodes: kept as FlowDoc["nodes"] }
          : { ...doc, notes: kept as FlowDoc["notes"] };
    } else if (c.kind === "edge") {
      const leaves = (edge: DocEdge) => `${edge.from} → ${edge.port}` === c.key;
      doc.edges = [
        ...doc.edges.filter((edge) => !leaves(edge)),
        ...conflict.theirs.edges.filter(leaves),
      ];
    } else {
      doc = { ...doc, [c.key]: conflict.theirs[c.key] };
      if (conflict.theirs[c.key] === undefined) delete doc[c.key];
    }
  }
  return doc;
}
