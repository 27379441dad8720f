// A change the server took (202) but applies moments later: the page says so, reads again
// until the change shows, then says it is done — or, after a while, that it has not shown yet.
// Never "saved" before it is.

import { useCallback, useEffect, useState } from "react";

/** How long to keep reading before saying the change has not shown yet. */
export const PATIENCE_MS = 10_000;

interface Pending<T> {
  words: string;
  applied: (data: T) => boolean;
}

export interface PendingChange<T> {
  /** Read again often while true. */
  waiting: boolean;
  /** What to tell people now. */
  message: string | null;
  start: (words: string, applied: (data: T) => boolean) => void;
  current: Pending<T> | null;
  finish: (words: string) => void;
}

export function usePendingChange<T>(): PendingChange<T> {
  const [pending, setPending] = useState<Pending<T> | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => {
      setNotice(
        `Sent, but not shown yet: ${pending.words}. Spool applies it after the contact's earlier messages and timers; look again in a moment.`,
      );
      setPending(null);
    }, PATIENCE_MS);
    return () => clearTimeout(timer);
  }, [pending]);

  const start = useCallback((words: string, applied: (data: T) => boolean) => {
    setNotice(null);
    setPending({ words, applied });
  }, []);
  const finish = useCallback((words: string) => {
    setNotice(`Done: ${words}.`);
    setPending(null);
  }, []);

  return {
    waiting: pending !== null,
    message: pending
      ? `Sent: ${pending.words}. Spool applies it in order with the contact's messages and timers, moments from now…`
      : notice,
    start,
    current: pending,
    finish,
  };
}

/** Says "done" once an answer read shows the pending change. */
export function useSettles<T>(change: PendingChange<T>, data: T | undefined): void {
  const { current, finish } = change;
  const shown = current !== null && data !== undefined && current.applied(data);
  useEffect(() => {
    if (shown && current) finish(current.words);
  }, [shown, current, finish]);
}
