// Closing a conversation, with the two ways it can end for the contact, said plainly: return
// them to the journey (it goes on from the handoff step through its `resolved` way out, and
// its next messages follow at once), or end the journey here (the contact leaves it, and it
// sends them nothing more). The operator picks one; the button says what it will do.

import { useId, useState } from "react";
import { Dialog } from "../ui/Dialog";
import type { CloseOutcome } from "./api";

interface Props {
  flowName: string;
  /** The handoff step the journey goes on from. */
  step: string;
  pending: boolean;
  onClose: (outcome: CloseOutcome) => void;
  onCancel: () => void;
}

export function CloseDialog({ flowName, step, pending, onClose, onCancel }: Props) {
  const [outcome, setOutcome] = useState<CloseOutcome>("resolved");
  const name = useId();
  return (
    <Dialog title="Close this conversation" onClose={onCancel}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onClose(outcome);
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
        </fieldset>
        <div className="actions">
          <button type="button" className="button" onClick={onCancel}>
            Keep it open
          </button>
          <button type="submit" className="button primary" disabled={pending}>
            {pending
              ? "Closing…"
              : outcome === "resolved"
                ? "Close and return to the journey"
                : "Close and end the journey"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
