// The header's right side: which workspace, and the account (password, sign out).

import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { ApiFailure, messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { DialogActions, Field } from "../ui/Field";
import { navigate } from "../lib/router";
import { useSession } from "./store";

export function WorkspaceSwitcher() {
  const workspaces = useSession((s) => s.session?.workspaces ?? []);
  const workspace = useSession((s) => s.workspace);
  const choose = useSession((s) => s.chooseWorkspace);
  if (workspaces.length <= 1) {
    return <span className="workspace-name">{workspaces[0]?.name ?? "No workspace"}</span>;
  }
  return (
    <label className="workspace-switch">
      <span className="visually-hidden">Workspace</span>
      <select
        value={workspace ?? ""}
        onChange={(e) => {
          choose(e.target.value);
          // A flow open in one workspace is not in the other: start from its list.
          navigate("/");
        }}
      >
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
    </label>
  );
}

export function AccountMenu() {
  const email = useSession((s) => s.session?.email);
  const signedOut = useSession((s) => s.signedOut);
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [changing, setChanging] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function signOut() {
    setError(null);
    try {
      await ok(api.DELETE("/api/v1/session"));
    } catch (failure) {
      // Already signed out on the server is as good as signed out.
      if (!(failure instanceof ApiFailure && failure.status === 401)) {
        setError(messageOf(failure));
        return;
      }
    }
    queryClient.clear();
    signedOut();
  }

  return (
    <div
      className="account"
      onBlur={(e) => {
        // The menu closes when focus leaves it (a click elsewhere, Tab past its end).
        if (!e.currentTarget.contains(e.relatedTarget)) setOpen(false);
      }}
    >
      <button
        className="button quiet"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {email} <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="menu" role="menu" onKeyDown={(e) => e.key === "Escape" && setOpen(false)}>
          <button
            role="menuitem"
            onClick={() => {
              setOpen(false);
              setChanging(true);
            }}
          >
            Change password
          </button>
          <button role="menuitem" onClick={signOut}>
            Sign out
          </button>
        </div>
      )}
      <ErrorNote error={error} />
      {changing && <ChangePasswordDialog onClose={() => setChanging(false)} />}
    </div>
  );
}

function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== again) {
      setError("The two new passwords are not the same.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await ok(
        api.PUT("/api/v1/session/password", {
          body: { current_password: current, new_password: next },
        }),
      );
      setDone(true);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  if (done) {
    return (
      <Dialog title="Password changed" onClose={onClose}>
        <p>Use your new password the next time you sign in.</p>
        <div className="actions">
          <button className="button primary" onClick={onClose} autoFocus>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Change password" onClose={onClose}>
      <form className="stack" onSubmit={submit}>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={setCurrent}
          autoFocus
        />
        <Field
          label="New password"
          hint="At least 12 characters."
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          value={next}
          onChange={setNext}
        />
        <Field
          label="New password again"
          type="password"
          autoComplete="new-password"
          required
          value={again}
          onChange={setAgain}
        />
        <ErrorNote error={error} />
        <DialogActions onCancel={onClose} submit="Change password" busy={busy} />
      </form>
    </Dialog>
  );
}
