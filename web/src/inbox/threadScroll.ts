// Where a chat thread's scroll goes as messages come and go, as WhatsApp Web does it: it opens
// at the latest message; a new message at the end is followed only while the operator is at
// the end (one who scrolled up to read stays where they are); earlier messages loaded above
// leave the message being read where it was on screen.

import { useCallback, useLayoutEffect, useRef } from "react";

/** How near the end (px) still counts as "at the end": a new message is followed. */
const NEAR_END = 64;

export function useThreadScroll<T extends HTMLElement>(
  firstKey: string | undefined,
  lastKey: string | undefined,
) {
  const element = useRef<T>(null);
  const atEnd = useRef(true);
  const seen = useRef<{ first?: string; last?: string; height: number }>({ height: 0 });

  const onScroll = useCallback(() => {
    const el = element.current;
    if (el) atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight <= NEAR_END;
  }, []);

  useLayoutEffect(() => {
    const el = element.current;
    if (!el) return;
    const before = seen.current;
    if (before.first !== firstKey && before.last === lastKey && before.height > 0) {
      // Earlier messages came in above: what was on screen stays put.
      el.scrollTop += el.scrollHeight - before.height;
    } else if (before.last !== lastKey && atEnd.current) {
      el.scrollTop = el.scrollHeight;
    }
    seen.current = { first: firstKey, last: lastKey, height: el.scrollHeight };
  });

  return { ref: element, onScroll };
}
