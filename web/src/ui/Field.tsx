// A labelled text input: the label is the input's accessible name, the hint its description.

import { useId, type InputHTMLAttributes } from "react";

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, "onChange"> {
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
}

export function Field({ label, hint, value, onChange, ...input }: Props) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        {...input}
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
    </div>
  );
}

/** Cancel and the form's main action, at the foot of a dialog. */
export function DialogActions({
  onCancel,
  submit,
  busy,
}: {
  onCancel: () => void;
  submit: string;
  busy: boolean;
}) {
  return (
    <div className="actions">
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button primary" disabled={busy}>
        {submit}
      </button>
    </div>
  );
}
