// A step's name (its id): what the canvas, Problems and the journey's wiring call it. New
// steps are named after their type (`send_text_2`, `end_5`); naming them after what they
// do ("ask_support") is what makes a long journey readable. Renamed when the field is left
// or Enter is pressed; a name that cannot be used is said, and Escape puts the old one back.

import { useEffect, useId, useRef, useState } from "react";

interface Props {
  id: string;
  /** Renames the step; gives the reason when the name cannot be used. */
  onRename: (name: string) => string | undefined;
}

/**
 * The name a step was just given with Enter. The settings are drawn anew for the renamed
 * step; its name field takes the focus back, so the next key (Backspace, say) goes to the
 * field and not to the canvas, where it would delete the step.
 */
let renamedWithEnter: string | undefined;

export function StepName({ id, onRename }: Props) {
  const field = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState(id);
  const [refusal, setRefusal] = useState<string>();
  const rename = () => {
    const reason = text.trim() === id ? undefined : onRename(text);
    setRefusal(reason);
    return reason === undefined && text.trim() !== id;
  };
  useEffect(() => {
    if (renamedWithEnter !== id) return;
    renamedWithEnter = undefined;
    input.current?.focus();
  }, [id]);
  return (
    <div className={`form-row step-name${refusal ? " has-marks" : ""}`}>
      <div className="form-label">
        <label htmlFor={field}>Step name</label>
      </div>
      <input
        id={field}
        ref={input}
        value={text}
        spellCheck={false}
        aria-invalid={refusal ? true : undefined}
        aria-describedby={`${field}-marks`}
        onChange={(e) => setText(e.target.value)}
        onBlur={rename}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            if (rename()) renamedWithEnter = text.trim();
          } else if (e.key === "Escape") {
            setText(id);
            setRefusal(undefined);
          }
        }}
      />
      <ul className="field-marks" id={`${field}-marks`}>
        {refusal && (
          <li className="mark mark-error">
            <span className="mark-label">Not renamed:</span> {refusal}
          </li>
        )}
      </ul>
    </div>
  );
}
