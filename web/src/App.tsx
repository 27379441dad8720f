// The shell: checks the session once, then shows sign-in or the workspace's screens.

import { useEffect, useState } from "react";
import { api } from "./api/client";
import { messageOf } from "./api/errors";
import { ContactPage } from "./contacts/ContactPage";
import { ContactSearch } from "./contacts/ContactSearch";
import { RunPage } from "./contacts/RunPage";
import { FlowList } from "./flows/FlowList";
import { FlowPage } from "./flows/FlowPage";
import { ContactsPage } from "./audience/ContactsPage";
import { ImportPage } from "./audience/ImportPage";
import { SegmentsPage } from "./audience/SegmentsPage";
import { CampaignPage } from "./campaigns/CampaignPage";
import { CampaignsPage } from "./campaigns/CampaignsPage";
import { NewCampaignPage } from "./campaigns/NewCampaignPage";
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
      <NavLink path="/contacts" current={["contacts", "import", "segments"].includes(screen)}>
        Contacts
      </NavLink>
      <NavLink
        path="/campaigns"
        current={["campaigns", "new-campaign", "campaign"].includes(screen)}
      >
        Campaigns
      </NavLink>
      <ContactSearch />
      <AccountMenu />
    </header>
  );
}

function NavLink({
  path,
  current,
  children,
}: {
  path: string;
  current: boolean;
  children: string;
}) {
  return (
    <a
      href={path}
      className="nav-link"
      aria-current={current ? "page" : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(path);
      }}
    >
      {children}
    </a>
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
  if (route.screen === "contacts") return <ContactsPage key={workspace} workspace={workspace} />;
  if (route.screen === "import") {
    return (
      <ImportPage key={`${workspace}/${route.id ?? ""}`} workspace={workspace} id={route.id} />
    );
  }
  if (route.screen === "segments") {
    return (
      <SegmentsPage key={`${workspace}/${route.id ?? ""}`} workspace={workspace} id={route.id} />
    );
  }
  if (route.screen === "campaigns") return <CampaignsPage key={workspace} workspace={workspace} />;
  if (route.screen === "new-campaign") {
    return <NewCampaignPage key={workspace} workspace={workspace} />;
  }
  if (route.screen === "campaign") {
    return <CampaignPage key={`${workspace}/${route.id}`} workspace={workspace} id={route.id} />;
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
