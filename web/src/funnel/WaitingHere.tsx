// Who is still at a step: the contacts whose journeys rest there now (waiting for a reply,
// a timer, a person or a call), longest waiting first, each a link to its run. Read again
// while the funnel refreshes.

import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { AppLink, runPath } from "../contacts/links";
import { REFRESH_MS } from "./api";

const HOW: Record<string, string> = {
  waiting_reply: "waits for their reply",
  waiting_timer: "waits for a timer",
  handoff: "waits for a person",
  calling: "waits for another system",
};

function useWaitingAt(workspace: string, flow: string, node: string) {
  return useQuery({
    queryKey: ["waiting", workspace, flow, node],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/flows/{flow}/waiting/{node}", {
          params: { path: { workspace, flow, node } },
        }),
      ),
    refetchInterval: REFRESH_MS,
  });
}

export function WaitingHere({
  workspace,
  flowId,
  nodeId,
}: {
  workspace: string;
  flowId: string;
  nodeId: string;
}) {
  const waiting = useWaitingAt(workspace, flowId, nodeId);
  if (waiting.isPending) return <p className="muted funnel-note">Looking for who is here now…</p>;
  if (waiting.isError) {
    return (
      <p className="error-note" role="alert">
        Who is here now could not be read. {messageOf(waiting.error)}
      </p>
    );
  }
  const { contacts, total } = waiting.data;
  if (total === 0) return <p className="funnel-note">No one is at this step now.</p>;
  return (
    <div className="funnel-waiting">
      <p>
        {total === 1 ? "1 contact is" : `${total} contacts are`} at this step now
        {total > contacts.length ? ` (the ${contacts.length} waiting longest):` : ":"}
      </p>
      <ul>
        {contacts.map((contact) => {
          const digits = contact.phone?.replace(/^\+/, "");
          const since = new Date(contact.since).toLocaleString();
          const how = HOW[contact.status] ?? "waits";
          return (
            <li key={`${contact.phone ?? ""}/${contact.run_id}`}>
              {digits ? (
                <AppLink to={runPath(digits, contact.run_id)}>{contact.phone}</AppLink>
              ) : (
                "A contact known only by their WhatsApp user id"
              )}{" "}
              {how}, since {since}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
