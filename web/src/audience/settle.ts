// A value that follows another once it stops changing: the live counts ask the server
// after the marketer pauses, not on every key.

import { useEffect, useState } from "react";

/** `value` once it has not changed (compared as JSON) for `ms`. */
export function useSettled<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(key) as T), ms);
    return () => clearTimeout(timer);
  }, [key, ms]);
  return settled;
}
