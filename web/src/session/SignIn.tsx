// Signing in: the page when no one is, and the dialog over the open screen when the
// session ran out (so nothing typed there is lost).

import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { useTitle } from "../lib/title";
import { useSession } from "./store";

function SignInForm({ email: knownEmail, submitLabel }: { email?: string; submitLabel: string }) {
  const signedIn = useSession((s) => s.signedIn);
  const queryClient = useQueryClient();
  const [email, setEmail] = useState(knownEmail ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await ok(api.POST("/api/v1/session", { body: { email, password } }));
      signedIn(session);
      await queryClient.invalidateQueries();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={submit}>
      <Field
        label="Email"
        type="email"
        autoComplete="username"
        required
        value={email}
        onChange={setEmail}
        autoFocus={!knownEmail}
      />
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        required
        value={password}
        onChange={setPassword}
        autoFocus={Boolean(knownEmail)}
      />
      <ErrorNote error={error} />
      <button className="button primary" type="submit" disabled={busy}>
        {busy ? "Signing in…" : submitLabel}
      </button>
    </form>
  );
}

export function SignInPage() {
  useTitle("Sign in");
  return (
    <main className="sign-in">
      <div className="card sign-in-card">
        <p className="brand">Spool</p>
        <h1>Sign in</h1>
        <p className="muted">
          The first time Spool starts, it prints the administrator&apos;s email and password in the
          window where it runs: look for the line that begins with &ldquo;First start&rdquo;.
        </p>
        <SignInForm submitLabel="Sign in" />
      </div>
    </main>
  );
}

export function SessionExpiredDialog() {
  const email = useSession((s) => s.session?.email);
  return (
    <Dialog title="Your session has ended" onClose={() => {}} dismissible={false}>
      <p>Sign in again to go on. Nothing you typed on this page is lost.</p>
      <SignInForm {...(email ? { email } : {})} submitLabel="Sign in and go on" />
    </Dialog>
  );
}
