// Who is signed in, in which workspace, and whether the session ran out under us.
// `expired` keeps the screen that was open (and its unsaved input) mounted behind the
// sign-in dialog, so signing in again carries on where the person was.

import { create } from "zustand";
import type { components } from "../api/schema";

export type SessionInfo = components["schemas"]["SessionInfo"];
export type WorkspaceInfo = components["schemas"]["WorkspaceInfo"];

const WORKSPACE_KEY = "spool.workspace";
/**
 * Set while this browser has signed in. Without it the editor shows the sign-in page
 * straight away instead of asking the server, whose 401 the browser would log as an error.
 */
const SIGNED_IN_KEY = "spool.signed-in";

interface SessionState {
  status: "checking" | "signed-out" | "signed-in";
  session: SessionInfo | null;
  expired: boolean;
  workspace: string | null;
  signedIn(session: SessionInfo): void;
  signedOut(): void;
  expire(): void;
  chooseWorkspace(id: string): void;
}

/** The signed-in person's role in `workspace` (viewers see flows but change nothing). */
export function roleIn(
  session: SessionInfo | null,
  workspace: string,
): WorkspaceInfo["role"] | undefined {
  return session?.workspaces.find((w) => w.id === workspace)?.role;
}

/** Whether a role may change flows (an operator works the handoff queue only). */
export function canEditFlows(role: WorkspaceInfo["role"] | undefined): boolean {
  return role === "editor" || role === "admin";
}

/** The workspace to open: the one chosen last time if still ours, else the first. */
export function pickWorkspace(
  workspaces: readonly WorkspaceInfo[],
  remembered: string | null,
): string | null {
  if (remembered && workspaces.some((w) => w.id === remembered)) return remembered;
  return workspaces[0]?.id ?? null;
}

function rememberedWorkspace(): string | null {
  return read(WORKSPACE_KEY);
}

/** Whether this browser may have a session worth checking with the server. */
export function mayBeSignedIn(): boolean {
  return read(SIGNED_IN_KEY) !== null;
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Private windows may refuse storage; it then lasts for this page only.
  }
}

export const useSession = create<SessionState>((set, get) => ({
  status: "checking",
  session: null,
  expired: false,
  workspace: null,
  signedIn(session) {
    const current = get().workspace ?? rememberedWorkspace();
    write(SIGNED_IN_KEY, "1");
    set({
      status: "signed-in",
      session,
      expired: false,
      workspace: pickWorkspace(session.workspaces, current),
    });
  },
  signedOut() {
    write(SIGNED_IN_KEY, null);
    set({ status: "signed-out", session: null, expired: false });
  },
  expire() {
    if (get().status === "signed-in") set({ expired: true });
  },
  chooseWorkspace(id) {
    write(WORKSPACE_KEY, id);
    set({ workspace: id });
  },
}));
