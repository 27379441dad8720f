// What every field of the form is drawn in: its row (label, input, hint), and the marks of
// the problems found on it (the server's words, then WhatsApp's limits broken as typed).

import { useContext, type ReactNode } from "react";
import { Form, type FormContext } from "./context";
import type { JsonSchema } from "./schema";

export interface FieldProps {
  schema: JsonSchema;
  value: unknown;
  path: string;
  label: string;
  required?: boolean;
  onChange: (value: unknown) => void;
}

/** What is wrong with one field: the server's words, then the limits broken as typed. */
export function Marks({ path, id }: { path: string; id: string }) {
  const { marks, limits } = useContext(Form);
  const found = marks.get(path) ?? [];
  // A limit broken as typed says it before the server does; once the server has a word on
  // this field, its words are enough.
  const broken = found.length > 0 ? [] : (limits.get(path) ?? []);
  if (found.length === 0 && broken.length === 0) return null;
  return (
    <ul className="field-marks" id={id}>
      {found.map((d, i) => (
        <li key={`d${i}`} className={`mark mark-${d.severity}`}>
          <span className="mark-label">{d.severity === "error" ? "Error:" : "Warning:"}</span>{" "}
          {d.message}
        </li>
      ))}
      {broken.map((message, i) => (
        <li key={`l${i}`} className="mark mark-error">
          <span className="mark-label">Too long:</span> {message}
        </li>
      ))}
    </ul>
  );
}

export function hasMarks(context: FormContext, path: string): boolean {
  return (context.marks.get(path)?.length ?? 0) + (context.limits.get(path)?.length ?? 0) > 0;
}

/** Under a control: its hint, then its marks. */
export function Footer({ id, hint, path }: { id: string; hint: string | undefined; path: string }) {
  return (
    <>
      {hint && (
        <small className="form-hint" id={`${id}-hint`}>
          {hint}
        </small>
      )}
      <Marks path={path} id={`${id}-marks`} />
    </>
  );
}

/** A labelled row: label, hint, the control, its marks. */
export function Row({
  id,
  label,
  hint,
  path,
  children,
  extra,
}: {
  id: string;
  label: string;
  hint?: string;
  path: string;
  children: ReactNode;
  extra?: ReactNode;
}) {
  const context = useContext(Form);
  return (
    <div className={`form-row${hasMarks(context, path) ? " has-marks" : ""}`}>
      <div className="form-label">
        <label htmlFor={id}>{label}</label>
        {extra}
      </div>
      {children}
      <Footer id={id} hint={hint} path={path} />
    </div>
  );
}

export function describedBy(id: string, hint: boolean): string {
  return [hint ? `${id}-hint` : "", `${id}-marks`].filter(Boolean).join(" ");
}
