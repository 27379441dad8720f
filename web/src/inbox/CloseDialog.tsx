// Closing a conversation, with the three ways it can end for the contact, said plainly:
// return them to the journey (it goes on from the handoff step through its `resolved` way
// out, and its next messages follow at once), end the journey here (the contact leaves it,
// and it sends them nothing more), or send them to another live journey (this one ends, that
// one starts for them at once). The operator picks one; the button says what it will do.

import { useId, useState } from "react";
import { useFlowList } from "../flows/api";
import { Dialog } from "../ui/Dialog";
import type { CloseOutcome } from "./api";
import { liveJourneys } from "./moveTo";

interface Props {
  workspace: string;
  /** The journey the contact is in now (left out of the journeys to send them to). */
  flowId: string;
  flowName: string;
  /** The handoff step the journey goes on from. */
  step: string;
  pending: boolean;
  onClose: (outcome: CloseOutcome) => void;
  onCancel: () => void;
}

type Choice = CloseOutcome["outcome"];

export function CloseDialog({
  workspace,
  flowId,
  flowName,
  step,
  pending,
  onClose,
  onCancel,
}: Props) {
  const [outcome, setOutcome] = useState<Choice>("resolved");
  const [target, setTarget] = useState("");
  const flows = useFlowList(workspace);
  const journeys = liveJourneys(flows.data ?? [], flowId);
  const targetName = journeys.find((j) => j.id === target)?.name;
  const name = useId();
  const pickerId = useId();
  const submit = () => {
    if (outcome !== "moved") onClose({ outcome });
    else if (targetName) onClose({ outcome, flow: target });
  };
  const label =
    outcome === "resolved"
      ? "Close and return to the journey"
      : outcome === "ended"
        ? "Close and end the journey"
        : targetName
          ? `Close and send to ${targetName}`
          : "Pick a journey to send them to";
  return (
    <Dialog title="Close this conversation" onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <fieldset className="close-choices">
          <legend>What happens to the contact next?</legend>
          <label className={`close-choice${outcome === "resolved" ? " chosen" : ""}`}>
            <input
              type="radio"
              name={name}
              value="resolved"
              checked={outcome === "resolved"}
              onChange={() => setOutcome("resolved")}
            />
            <span>
              <strong>Return to the journey</strong>
              <span className="close-choice-words">
                {flowName} goes on for this contact from step {step} through its{" "}
                <strong>resolved</strong> way out, moments from now: its next messages follow at
                once, so make sure the contact has had their answer.
              </span>
            </span>
          </label>
          <label className={`close-choice${outcome === "ended" ? " chosen" : ""}`}>
            <input
              type="radio"
              name={name}
              value="ended"
              checked={outcome === "ended"}
              onChange={() => setOutcome("ended")}
            />
            <span>
              <strong>End the journey here</strong>
              <span className="close-choice-words">
                The contact leaves {flowName} now: nothing more is sent to them by it. For when you
                have taken care of everything yourself.
              </span>
            </span>
          </label>
          <label className={`close-choice${outcome === "moved" ? " chosen" : ""}`}>
            <input
              type="radio"
              name={name}
              value="moved"
              checked={outcome === "moved"}
              onChange={() => setOutcome("moved")}
            />
            <span>
              <strong>Send to another journey</strong>
              <span className="close-choice-words">
                The contact leaves {flowName} now and the journey you pick starts for them from its
                beginning: its first messages go out at once.
              </span>
            </span>
          </label>
          {outcome === "moved" && (
            <JourneyPicker
              id={pickerId}
              loading={flows.isLoading}
              journeys={journeys}
              value={target}
              onChange={setTarget}
            />
          )}
        </fieldset>
        <div className="actions">
          <button type="button" className="button" onClick={onCancel}>
            Keep it open
          </button>
          <button
            type="submit"
            className="button primary"
            disabled={pending || (outcome === "moved" && !targetName)}
          >
            {pending ? "Closing…" : label}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The live journeys to send the contact to, or why there are none. */
function JourneyPicker({
  id,
  loading,
  journeys,
  value,
  onChange,
}: {
  id: string;
  loading: boolean;
  journeys: readonly { id: string; name: string }[];
  value: string;
  onChange: (flow: string) => void;
}) {
  if (loading) return <p className="close-move muted">Reading the live journeys…</p>;
  if (journeys.length === 0) {
    return (
      <p className="close-move muted" role="note">
        No other journey is live in this workspace: publish one first, then come back.
      </p>
    );
  }
  return (
    <div className="close-move">
      <label htmlFor={id}>Journey to send them to (live ones only)</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
        <option value="" disabled>
          Pick a journey…
        </option>
        {journeys.map((journey) => (
          <option key={journey.id} value={journey.id}>
            {journey.name}
          </option>
        ))}
      </select>
    </div>
  );
}
