// The shell: checks the session once, then shows sign-in or the workspace's screens.

import { useEffect, useState } from "react";
import { api } from "./api/client";
import { messageOf } from "./api/errors";
import { ContactPage } from "./contacts/ContactPage";
import { ContactSearch } from "./contacts/ContactSearch";
import { RunPage } from "./contacts/RunPage";
import { FlowList } from "./flows/FlowList";
import { FlowPage } from "./flows/FlowPage";
import { InboxLink } from "./inbox/InboxLink";
import { InboxPage } from "./inbox/InboxPage";
import { navigate, routeOf, usePath } from "./lib/router";
import { AccountMenu, WorkspaceSwitcher } from "./session/AccountMenu";
import { SessionExpiredDialog, SignInPage } from "./session/SignIn";
import { mayBeSignedIn, useSession } from "./session/store";

export function App() {
  const status = useSession((s) => s.status);
  const expired = useSession((s) => s.expired);
  const [bootError, setBootError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    if (!mayBeSignedIn()) {
      useSession.getState().signedOut();
      return;
    }
    api
      .GET("/api/v1/session")
      .then(({ data, response }) => {
        if (cancelled) return;
        if (response.ok && data) useSession.getState().signedIn(data);
        else useSession.getState().signedOut();
      })
      .catch((error: unknown) => !cancelled && setBootError(messageOf(error)));
    return () => {
      cancelled = true;
    };
  }, []);

  if (bootError) {
    return (
      <main className="sign-in">
        <div className="card sign-in-card" role="alert">
          <h1>Spool is not answering</h1>
          <p>{bootError}</p>
          <button className="button primary" onClick={() => window.location.reload()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (status === "checking") return <p className="loading">Loading…</p>;
  if (status === "signed-out") return <SignInPage />;
  return (
    <>
      <Header />
      <Screen />
      {expired && <SessionExpiredDialog />}
    </>
  );
}

function Header() {
  const workspace = useSession((s) => s.workspace);
  const screen = routeOf(usePath()).screen;
  return (
    <header className="app-header">
      <a
        className="brand"
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate("/");
        }}
      >
        Spool
      </a>
      <WorkspaceSwitcher />
      <span className="spacer" />
      {workspace && (
        <InboxLink key={workspace} workspace={workspace} current={screen === "inbox"} />
      )}
      <ContactSearch />
      <AccountMenu />
    </header>
  );
}

function Screen() {
  const workspace = useSession((s) => s.workspace);
  const route = routeOf(usePath());
  if (!workspace) {
    return (
      <main className="page">
        <h1>No workspace</h1>
        <p>You are not a member of any workspace. Ask an administrator to add you to one.</p>
      </main>
    );
  }
  if (route.screen === "flows") return <FlowList key={workspace} workspace={workspace} />;
  if (route.screen === "flow") {
    return <FlowPage key={`${workspace}/${route.id}`} workspace={workspace} flowId={route.id} />;
  }
  if (route.screen === "contact") {
    return (
      <ContactPage key={`${workspace}/${route.phone}`} workspace={workspace} phone={route.phone} />
    );
  }
  if (route.screen === "inbox") {
    return <InboxPage key={workspace} workspace={workspace} ticket={route.ticket} />;
  }
  if (route.screen === "run") {
    return (
      <RunPage
        key={`${workspace}/${route.phone}/${route.run}`}
        workspace={workspace}
        phone={route.phone}
        runId={route.run}
      />
    );
  }
  return (
    <main className="page">
      <h1>Nothing here</h1>
      <p>
        This address does not lead to a screen of Spool.{" "}
        <a href="/" onClick={(e) => (e.preventDefault(), navigate("/"))}>
          See all flows
        </a>
        .
      </p>
    </main>
  );
}
