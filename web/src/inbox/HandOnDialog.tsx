// "Hand to…": giving a conversation to a colleague, or back to the queue, and, if it belongs
// with another team, to that team's queue. Colleagues are picked from the workspace's members
// who work the inbox; when the signed-in person may not list the members, they type the
// colleague's email instead. The server has the last word: its refusals show in its words.

import { useId, useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { Dialog, ErrorNote } from "../ui/Dialog";
import { useMembers, useQueueCounts, useTicketActions } from "./api";
import { colleaguesOf, handoverOf, memberWords, type HandOnChoice } from "./handOn";
import { teamsOf } from "./queue";
import type { Ticket } from "./types";

interface Props {
  workspace: string;
  ticket: Ticket;
  me: string | undefined;
  onDone: () => void;
}

export function HandOnDialog({ workspace, ticket, me, onDone }: Props) {
  const actions = useTicketActions(workspace, ticket.id);
  const members = useMembers(workspace);
  const teams = teamsOf(useQueueCounts(workspace).data?.teams ?? [], ticket.team);
  const [choice, setChoice] = useState<HandOnChoice>({
    who: "colleague",
    email: "",
    team: ticket.team,
  });
  const [error, setError] = useState<string | null>(null);
  const ids = useId();
  const asked = handoverOf(ticket, choice);
  const choose = (change: Partial<HandOnChoice>) => {
    setError(null);
    setChoice((before) => ({ ...before, ...change }));
  };
  // Not allowed to list the members (or they could not be read): an email typed in.
  const typed = members.isError;
  const colleagues = colleaguesOf(members.data ?? []);

  return (
    <Dialog title="Hand this conversation on" onClose={onDone}>
      <form
        className="hand-on"
        onSubmit={(event) => {
          event.preventDefault();
          if (!("handover" in asked)) return;
          actions.assign.mutate(asked.handover, {
            onSuccess: onDone,
            onError: (failure) => setError(refusalWords(failure, me)),
          });
        }}
      >
        <fieldset className="hand-on-who">
          <legend>Who has it next</legend>
          <label className="hand-on-choice">
            <input
              type="radio"
              name={`${ids}-who`}
              checked={choice.who === "colleague"}
              onChange={() => choose({ who: "colleague" })}
            />
            A colleague
          </label>
          <div className="hand-on-pick">
            {typed ? (
              <>
                <input
                  type="email"
                  aria-label="Your colleague's email"
                  placeholder="rita@yourshop.com"
                  value={choice.email}
                  onFocus={() => choose({ who: "colleague" })}
                  onChange={(e) => choose({ who: "colleague", email: e.target.value })}
                />
                <small className="muted">
                  Your role cannot list the workspace's people: type the email they sign in with.
                </small>
              </>
            ) : (
              <select
                aria-label="Colleague"
                value={choice.email}
                disabled={members.isLoading}
                onChange={(e) => choose({ who: "colleague", email: e.target.value })}
              >
                <option value="" disabled>
                  {members.isLoading ? "Loading your colleagues…" : "Choose a colleague…"}
                </option>
                {colleagues.map((m) => (
                  <option key={m.user_id} value={m.email}>
                    {memberWords(m)}
                    {m.email === ticket.assignee ? " · has it now" : ""}
                    {m.email === me ? " · you" : ""}
                  </option>
                ))}
              </select>
            )}
          </div>
          <label className="hand-on-choice">
            <input
              type="radio"
              name={`${ids}-who`}
              checked={choice.who === "queue"}
              onChange={() => choose({ who: "queue" })}
            />
            <span>
              Back to the queue{" "}
              <span className="muted">(Unassigned: anyone on the team can claim it)</span>
            </span>
          </label>
        </fieldset>
        <label className="hand-on-team">
          <span>Team</span>
          <input
            list={`${ids}-teams`}
            value={choice.team}
            onChange={(e) => choose({ team: e.target.value })}
          />
          <small className="muted">The team whose queue it waits in.</small>
        </label>
        <datalist id={`${ids}-teams`}>
          {teams.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        {"problem" in asked && <p className="muted hand-on-problem">{asked.problem}</p>}
        <ErrorNote error={error} />
        <div className="actions">
          <button type="button" className="button" onClick={onDone}>
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={!("handover" in asked) || actions.assign.isPending}
          >
            {actions.assign.isPending ? "Handing over…" : "Hand over"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The server's refusal, with who has it when a colleague took it meanwhile. */
function refusalWords(failure: unknown, me: string | undefined): string {
  if (failure instanceof ApiFailure && failure.code === "ticket_claimed") {
    const by = (failure.details as { by?: unknown } | undefined)?.by;
    if (typeof by === "string" && by !== "" && by !== me) {
      return `${by} has this conversation now: only they, or an admin, can hand it on.`;
    }
  }
  return messageOf(failure);
}
