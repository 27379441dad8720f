// A private note on a ticket, written in the composer's "Private note" tab: for the team
// (what was checked, what was promised, who to ask), kept in the thread in yellow and never
// sent to the contact. Enter adds it, Shift+Enter starts a new line, as in the reply box; what
// was written stays in the box until the server kept it, and a refusal shows in its words.

import { useState, type KeyboardEvent } from "react";
import { messageOf } from "../api/errors";
import { ErrorNote } from "../ui/Dialog";
import { useNote } from "./api";
import { textLength } from "./composerRules";

interface Props {
  workspace: string;
  ticketId: string;
  text: string;
  setText: (text: string) => void;
}

export function NoteComposer({ workspace, ticketId, text, setText }: Props) {
  const note = useNote(workspace, ticketId);
  const [refusal, setRefusal] = useState<string | null>(null);
  const addable = textLength(text) > 0 && !note.isPending;

  const add = () => {
    if (!addable) return;
    setRefusal(null);
    note.mutate(text.trim(), {
      onSuccess: () => setText(""),
      onError: (failure) => setRefusal(messageOf(failure)),
    });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    add();
  };

  return (
    <form
      className="composer-text"
      onSubmit={(event) => {
        event.preventDefault();
        add();
      }}
    >
      <p className="composer-note-hint">
        Only your team sees notes: they are never sent to the contact.
      </p>
      <div className="composer-row">
        <textarea
          className="composer-box composer-note-box"
          aria-label="Your note"
          placeholder="A note for your team… (Enter adds it, Shift+Enter for a new line)"
          rows={3}
          value={text}
          readOnly={note.isPending}
          aria-busy={note.isPending}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="submit"
          className="button composer-send composer-note-add"
          disabled={!addable}
        >
          {note.isPending ? "Adding…" : "Add note"}
        </button>
      </div>
      <ErrorNote error={refusal && `Not added. ${refusal}`} />
    </form>
  );
}
