// The top bar's way into the inbox, with how many contacts wait for someone to take them
// ("Inbox (2)"), read again every 10 s.

import { navigate } from "../lib/router";
import { useQueueCounts } from "./api";
import "./inbox.css";

export function InboxLink({ workspace, current }: { workspace: string; current: boolean }) {
  const queue = useQueueCounts(workspace);
  const waiting = queue.data?.counts.unassigned;
  return (
    <a
      href="/inbox"
      className={`inbox-link${waiting ? " waiting" : ""}`}
      aria-current={current ? "page" : undefined}
      title={
        waiting === undefined
          ? undefined
          : `${waiting} ${waiting === 1 ? "contact waits" : "contacts wait"} for someone to take them`
      }
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate("/inbox");
      }}
    >
      Inbox{waiting === undefined ? "" : ` (${waiting})`}
    </a>
  );
}
