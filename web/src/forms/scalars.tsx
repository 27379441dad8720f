// The form's single-value widgets: text with a character counter where WhatsApp limits it,
// templates and expressions that offer the names in scope and say what does not compile,
// durations as an amount and a unit, numbers, checkboxes, choices, and inputs fixed or
// computed. Every input carries `data-field` (its diagnostic path), so a problem can focus it.

import { useContext, useId } from "react";
import {
  amountAndUnit,
  durationInWords,
  formatDuration,
  parseDuration,
  UNITS,
  type Unit,
} from "./duration";
import { counterOf } from "./limits";
import { Form } from "./context";
import type { JsonSchema } from "./schema";
import { CodeField } from "./CodeField";
import { describedBy, Footer, Row, type FieldProps } from "./row";

/** A schema's description as a hint: one line, without the Markdown code marks. */
export function hintOf(schema: JsonSchema): string | undefined {
  return schema.description
    ?.split("\n")
    .join(" ")
    .replace(/`([^`]*)`/g, "$1");
}

export function TextField({
  schema,
  value,
  path,
  label,
  onChange,
  kind,
}: FieldProps & { kind: "text" | "template" | "expression" }) {
  const id = useId();
  const { root } = useContext(Form);
  const text = typeof value === "string" ? value : "";
  const counter = counterOf(text, schema, root);
  const hint = kind === "text" ? hintOf(schema) : undefined;
  const extra = counter && (
    <span className={`counter${counter.over ? " over" : ""}`} aria-live="polite">
      {counter.used} / {counter.max}
      {counter.over && <span className="visually-hidden"> characters: too long</span>}
    </span>
  );
  return (
    <Row id={id} label={label} hint={hint} path={path} extra={extra}>
      {kind === "text" ? (
        <input
          id={id}
          data-field={path}
          value={text}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={counter?.over || undefined}
          aria-describedby={describedBy(id, Boolean(hint))}
        />
      ) : (
        <CodeField
          id={id}
          kind={kind}
          path={path}
          value={text}
          multiline={kind === "template" && (schema.maxLength ?? 4096) > 100}
          onChange={onChange}
          describedBy={describedBy(id, false)}
        />
      )}
    </Row>
  );
}

export function DurationField({ value, path, label, onChange, schema }: FieldProps) {
  const id = useId();
  const seconds = typeof value === "string" ? parseDuration(value) : undefined;
  const { amount, unit } = amountAndUnit(seconds ?? 3600);
  const set = (nextAmount: number, nextUnit: Unit) => {
    const per = UNITS.find((u) => u.unit === nextUnit)?.seconds ?? 1;
    if (nextAmount > 0) onChange(formatDuration(Math.round(nextAmount * per)));
  };
  return (
    <Row
      id={id}
      label={label}
      path={path}
      hint={seconds ? durationInWords(seconds) : hintOf(schema)}
    >
      <div className="duration">
        <input
          id={id}
          data-field={path}
          type="number"
          min={1}
          value={amount}
          onChange={(e) => set(Number(e.target.value), unit)}
          aria-describedby={describedBy(id, true)}
        />
        <select
          aria-label={`${label}: unit`}
          value={unit}
          onChange={(e) => set(amount, e.target.value as Unit)}
        >
          {UNITS.map((u) => (
            <option key={u.unit} value={u.unit}>
              {amount === 1 ? u.one : u.many}
            </option>
          ))}
        </select>
      </div>
    </Row>
  );
}

export function NumberField({ schema, value, path, label, onChange }: FieldProps) {
  const id = useId();
  const hint = hintOf(schema);
  return (
    <Row id={id} label={label} hint={hint} path={path}>
      <input
        id={id}
        data-field={path}
        type="number"
        min={schema.minimum}
        max={schema.maximum !== undefined && schema.maximum < 1e9 ? schema.maximum : undefined}
        value={typeof value === "number" ? value : ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        aria-describedby={describedBy(id, Boolean(hint))}
      />
    </Row>
  );
}

export function BooleanField({ schema, value, path, label, onChange }: FieldProps) {
  const id = useId();
  const hint = hintOf(schema);
  return (
    <div className="form-row form-check">
      <input
        id={id}
        data-field={path}
        type="checkbox"
        checked={value === true}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={describedBy(id, Boolean(hint))}
      />
      <label htmlFor={id}>{label}</label>
      <Footer id={id} hint={hint} path={path} />
    </div>
  );
}

export function ChoiceField({
  schema,
  value,
  path,
  label,
  onChange,
  options,
}: FieldProps & { options: { value: string; label: string; description?: string }[] }) {
  const id = useId();
  const chosen = options.find((o) => o.value === value);
  const hint = chosen?.description ?? hintOf(schema);
  return (
    <Row id={id} label={label} hint={hint} path={path}>
      <select
        id={id}
        data-field={path}
        value={typeof value === "string" ? value : ""}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy(id, Boolean(hint))}
      >
        {!chosen && <option value="">Choose…</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Row>
  );
}

/** A fixed value or one computed when the journey runs. */
export function InputField({
  value,
  path,
  label,
  onChange,
}: FieldProps & { expression: JsonSchema }) {
  const id = useId();
  const record = (value ?? {}) as { value?: unknown; expr?: string };
  const computed = typeof record.expr === "string";
  const fixed = record.value;
  return (
    <Row
      id={id}
      label={label}
      path={path}
      extra={
        <span className="segmented" role="group" aria-label={`${label}: fixed or computed`}>
          <button
            type="button"
            aria-pressed={!computed}
            onClick={() => onChange({ value: fixed ?? "" })}
          >
            Fixed
          </button>
          <button
            type="button"
            aria-pressed={computed}
            onClick={() => onChange({ expr: record.expr ?? "" })}
          >
            Computed
          </button>
        </span>
      }
    >
      {computed ? (
        <CodeField
          id={id}
          kind="expression"
          path={path}
          value={record.expr ?? ""}
          onChange={(expr) => onChange({ expr })}
          describedBy={describedBy(id, false)}
        />
      ) : (
        <input
          id={id}
          data-field={path}
          value={typeof fixed === "string" ? fixed : JSON.stringify(fixed ?? "")}
          onChange={(e) => {
            const text = e.target.value;
            const number = Number(text);
            onChange({
              value:
                text.trim() !== "" && !Number.isNaN(number) && typeof fixed === "number"
                  ? number
                  : text,
            });
          }}
          aria-describedby={describedBy(id, false)}
        />
      )}
    </Row>
  );
}
