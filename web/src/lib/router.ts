// Client-side routes on the History API: few enough screens that a router library would
// not earn its place. The server answers every non-API path with index.html.

import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

export function navigate(path: string): void {
  if (path === window.location.pathname) return;
  window.history.pushState(null, "", path);
  listeners.forEach((listener) => listener());
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

export type Route =
  | { screen: "flows" }
  | { screen: "flow"; id: string }
  | { screen: "contact"; phone: string }
  | { screen: "run"; phone: string; run: string }
  /** The handoff queue, with one ticket open when the address names it. */
  | { screen: "inbox"; ticket?: string }
  /** Every contact of the workspace, with filters. */
  | { screen: "contacts" }
  /** Importing a file of contacts (a new upload, or one already uploaded). */
  | { screen: "import"; id?: string }
  /** Saved audiences, with one open (or a new one) when the address names it. */
  | { screen: "segments"; id?: string }
  /** Broadcast campaigns. */
  | { screen: "campaigns" }
  | { screen: "new-campaign" }
  | { screen: "campaign"; id: string }
  | { screen: "missing" };

function decoded(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function routeOf(path: string): Route {
  if (path === "/" || path === "/flows" || path === "/flows/") return { screen: "flows" };
  const flow = /^\/flows\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
  if (flow?.[1]) return { screen: "flow", id: flow[1] };
  const inbox = /^\/inbox(?:\/([^/]{1,128}))?\/?$/.exec(path);
  if (inbox) {
    if (inbox[1] === undefined) return { screen: "inbox" };
    const ticket = decoded(inbox[1]);
    return ticket ? { screen: "inbox", ticket } : { screen: "missing" };
  }
  if (path === "/contacts" || path === "/contacts/") return { screen: "contacts" };
  const imports = /^\/contacts\/import(?:\/(imp_[A-Za-z0-9]{1,64}))?\/?$/.exec(path);
  if (imports) return imports[1] ? { screen: "import", id: imports[1] } : { screen: "import" };
  const segments = /^\/segments(?:\/([A-Za-z0-9_-]{1,64}))?\/?$/.exec(path);
  if (segments)
    return segments[1] ? { screen: "segments", id: segments[1] } : { screen: "segments" };
  if (path === "/campaigns" || path === "/campaigns/") return { screen: "campaigns" };
  if (path === "/campaigns/new" || path === "/campaigns/new/") return { screen: "new-campaign" };
  const campaign = /^\/campaigns\/(cmp_[A-Za-z0-9]{1,64})\/?$/.exec(path);
  if (campaign?.[1]) return { screen: "campaign", id: campaign[1] };
  // A contact by its number (digits, or `+`/%2B and digits); the page says when it is not one.
  const contact = /^\/contacts\/([^/]{1,40})(?:\/runs\/([^/]{1,128}))?\/?$/.exec(path);
  const phone = contact?.[1] === undefined ? undefined : decoded(contact[1]);
  const run = contact?.[2] === undefined ? undefined : decoded(contact[2]);
  if (phone && contact?.[2] === undefined) return { screen: "contact", phone };
  if (phone && run) return { screen: "run", phone, run };
  return { screen: "missing" };
}
