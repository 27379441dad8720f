import { beforeEach, describe, expect, it } from "vitest";
import { mayBeSignedIn, pickWorkspace, roleIn, useSession, type SessionInfo } from "./store";

const session: SessionInfo = {
  user_id: "u1",
  email: "admin@spool.local",
  name: "Admin",
  csrf_token: "t",
  expires_at: "2030-01-01T00:00:00Z",
  workspaces: [
    { id: "default", name: "Default", role: "admin" },
    { id: "shop", name: "Shop", role: "editor" },
  ],
};

describe("pickWorkspace", () => {
  it("reopens the workspace chosen last time", () => {
    expect(pickWorkspace(session.workspaces, "shop")).toBe("shop");
  });
  it("falls back to the first when the remembered one is gone", () => {
    expect(pickWorkspace(session.workspaces, "gone")).toBe("default");
    expect(pickWorkspace([], null)).toBeNull();
  });
});

describe("roleIn", () => {
  it("finds the role the person has in a workspace", () => {
    expect(roleIn(session, "shop")).toBe("editor");
    expect(roleIn(session, "elsewhere")).toBeUndefined();
    expect(roleIn(null, "shop")).toBeUndefined();
  });
});

describe("session store", () => {
  beforeEach(() => {
    localStorage.clear();
    useSession.setState({ status: "checking", session: null, expired: false, workspace: null });
  });

  it("marks an expired session without forgetting who or where", () => {
    const store = useSession.getState();
    store.signedIn(session);
    store.chooseWorkspace("shop");
    useSession.getState().expire();
    const state = useSession.getState();
    expect(state.expired).toBe(true);
    expect(state.status).toBe("signed-in");
    expect(state.workspace).toBe("shop");
    state.signedIn({ ...session, csrf_token: "new" });
    expect(useSession.getState().expired).toBe(false);
    expect(useSession.getState().workspace).toBe("shop");
  });

  it("remembers that this browser signed in, until it signs out", () => {
    expect(mayBeSignedIn()).toBe(false);
    useSession.getState().signedIn(session);
    expect(mayBeSignedIn()).toBe(true);
    useSession.getState().expire();
    expect(mayBeSignedIn()).toBe(true);
    useSession.getState().signedOut();
    expect(mayBeSignedIn()).toBe(false);
  });

  it("does not call a failed first check an expiry", () => {
    useSession.getState().expire();
    expect(useSession.getState().expired).toBe(false);
  });

  it("remembers the workspace across reloads", () => {
    useSession.getState().chooseWorkspace("shop");
    useSession.setState({ workspace: null });
    useSession.getState().signedIn(session);
    expect(useSession.getState().workspace).toBe("shop");
  });
});
