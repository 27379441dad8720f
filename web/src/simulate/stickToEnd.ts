// A scrolled list that follows what is added at its end, as a chat does.

import { useEffect, useRef } from "react";

/** A ref for a scrolling element that scrolls to its end whenever `count` grows. */
export function useStickToEnd<T extends HTMLElement>(count: number) {
  const element = useRef<T>(null);
  const seen = useRef(0);
  useEffect(() => {
    if (seen.current === count) return;
    seen.current = count;
    const el = element.current;
    if (el) el.scrollTop = el.scrollHeight;
  });
  return element;
}
