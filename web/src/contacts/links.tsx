// Links between the contact screens and the flows: real <a href>s (open in a new tab, copy
// the address) that move within the app on a plain click.

import type { MouseEvent, ReactNode } from "react";
import { create } from "zustand";
import { select, useDocumentStore } from "../document";
import { navigate } from "../lib/router";

/** How many numbers were looked up: a page shown for a search answers the next one afresh,
 * even for the same number (the address does not change then). */
export const useSearches = create<{ count: number }>(() => ({ count: 0 }));

export function contactPath(digits: string): string {
  return `/contacts/${digits}`;
}

export function runPath(digits: string, run: string): string {
  return `/contacts/${digits}/runs/${encodeURIComponent(run)}`;
}

function plainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

export function AppLink({
  to,
  children,
  onFollow,
  ...rest
}: {
  to: string;
  children: ReactNode;
  onFollow?: () => void;
  className?: string;
  "aria-label"?: string;
}) {
  return (
    <a
      href={to}
      {...rest}
      onClick={(event) => {
        if (!plainClick(event)) return;
        event.preventDefault();
        navigate(to);
        onFollow?.();
      }}
    >
      {children}
    </a>
  );
}

/**
 * Opens a flow with one step selected (its settings open in the side panel): once the flow
 * page has loaded that flow and the canvas shows the step, selects it (the canvas reports
 * its own, empty, selection as it first draws, so selecting earlier would be undone). Gives
 * up after 20 s, and when another flow opens first.
 */
export function selectWhenOpened(flowId: string, nodeId: string): void {
  const started = Date.now();
  const shown = () =>
    document.querySelector(`.react-flow__node[data-id="${CSS.escape(nodeId)}"]`) !== null;
  const attempt = () => {
    const s = useDocumentStore.getState();
    if (Date.now() - started > 20_000 || (s.flowId !== null && s.flowId !== flowId)) return;
    if (s.flowId === flowId && s.document !== null && shown()) {
      if (s.document.nodes.some((n) => n.id === nodeId)) {
        select({ nodes: [nodeId], notes: [], edges: [] });
      }
      return;
    }
    setTimeout(attempt, 100);
  };
  attempt();
}
