// A sticky note on the canvas: text for the people building the flow, behind the steps,
// resizable. Typing in it is one undo step per burst (see updateNote).

import { memo } from "react";
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { updateNote } from "../document/edits";
import type { NoteNodeType } from "./view";

function NoteView({ data, selected }: NodeProps<NoteNodeType>) {
  const { note } = data;
  return (
    <div className={`sticky-note${selected ? " selected" : ""}`}>
      <NodeResizer
        isVisible={selected}
        minWidth={140}
        minHeight={80}
        onResizeEnd={(_, size) =>
          updateNote(note.id, { width: Math.round(size.width), height: Math.round(size.height) })
        }
      />
      <textarea
        className="nodrag nowheel"
        aria-label="Note"
        placeholder="Write a note for your team…"
        value={note.text}
        onChange={(e) => updateNote(note.id, { text: e.target.value })}
      />
    </div>
  );
}

export const NoteNode = memo(NoteView);
