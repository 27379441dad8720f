// The form's widgets, one per shape of the schema (see schema.ts): text with a character
// counter where WhatsApp limits it, templates and expressions that offer the names in scope
// and say what does not compile, durations as an amount and a unit, lists (buttons, list
// rows, switch cases) and key-value maps (HTTP headers), choices, and tagged variants.
// Every input carries `data-field` (its diagnostic path), so a problem can focus it.

import { useContext, useId, type ReactNode } from "react";
import {
  amountAndUnit,
  durationInWords,
  formatDuration,
  parseDuration,
  UNITS,
  type Unit,
} from "./duration";
import { counterOf } from "./limits";
import { Form, type FormContext } from "./context";
import { childPath, emptyOf, labelOf, shapeOf, type JsonSchema } from "./schema";
import { CodeField } from "./CodeField";

interface FieldProps {
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

function hasMarks(context: FormContext, path: string): boolean {
  return (context.marks.get(path)?.length ?? 0) + (context.limits.get(path)?.length ?? 0) > 0;
}

/** Under a control: its hint, then its marks. */
function Footer({ id, hint, path }: { id: string; hint: string | undefined; path: string }) {
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
function Row({
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

function describedBy(id: string, hint: boolean): string {
  return [hint ? `${id}-hint` : "", `${id}-marks`].filter(Boolean).join(" ");
}

/** A node's whole config, as the form's top level. */
export function ConfigFields({
  config,
  onChange,
}: {
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
}) {
  const { root } = useContext(Form);
  // A step without settings (End, say) says so, rather than offering its empty object as JSON.
  if (shapeOf(root, root).kind === "json" && (root.type === "object" || !root.type)) {
    return <p className="muted">This step has no settings.</p>;
  }
  return (
    <SchemaField
      schema={root}
      value={config}
      path="config"
      label="Settings"
      onChange={(next) => onChange((next ?? {}) as Record<string, unknown>)}
    />
  );
}

/** Any part of a config, by its shape. */
export function SchemaField(props: FieldProps) {
  const context = useContext(Form);
  const shape = shapeOf(props.schema, context.root);
  switch (shape.kind) {
    case "text":
    case "template":
    case "expression":
      return <TextField {...props} kind={shape.kind} />;
    case "duration":
      return <DurationField {...props} />;
    case "number":
      return <NumberField {...props} />;
    case "boolean":
      return <BooleanField {...props} />;
    case "choice":
      return <ChoiceField {...props} options={shape.options} />;
    case "input":
      return <InputField {...props} expression={shape.expression} />;
    case "optional":
      return <OptionalField {...props} inner={shape.inner} />;
    case "list":
      return <ListField {...props} items={shape.items} />;
    case "map":
      return <MapField {...props} values={shape.values} />;
    case "object":
      return <ObjectField {...props} fields={shape.fields} />;
    case "variant":
      return <VariantField {...props} shape={shape} />;
    case "json":
      return <JsonField {...props} />;
  }
}

function hintOf(schema: JsonSchema): string | undefined {
  return schema.description?.split("\n").join(" ");
}

function TextField({
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

function DurationField({ value, path, label, onChange, schema }: FieldProps) {
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

function NumberField({ schema, value, path, label, onChange }: FieldProps) {
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

function BooleanField({ schema, value, path, label, onChange }: FieldProps) {
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

function ChoiceField({
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
function InputField({ value, path, label, onChange }: FieldProps & { expression: JsonSchema }) {
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

function OptionalField(props: FieldProps & { inner: JsonSchema }) {
  const { root } = useContext(Form);
  const { value, label, onChange, inner, path } = props;
  if (value === null || value === undefined) {
    return (
      <div className="form-row form-add">
        <button
          type="button"
          className="button small quiet"
          data-field={path}
          onClick={() => onChange(emptyOf(inner, root))}
        >
          + {label}
        </button>
        {inner.description && <small className="form-hint">{hintOf(inner)}</small>}
        <Marks path={path} id={`${path}-marks`} />
      </div>
    );
  }
  return (
    <div className="optional">
      <SchemaField {...props} schema={inner} />
      <button
        type="button"
        className="button small quiet remove"
        aria-label={`Remove ${label.toLowerCase()}`}
        onClick={() => onChange(undefined)}
      >
        Remove
      </button>
    </div>
  );
}

/** The singular of a list's label, for its items: "Buttons" → "Button". */
function itemLabel(label: string): string {
  if (label.endsWith("ies")) return `${label.slice(0, -3)}y`;
  if (label.endsWith("s")) return label.slice(0, -1);
  return label;
}

function ListField({
  schema,
  value,
  path,
  label,
  onChange,
  items,
}: FieldProps & { items: JsonSchema }) {
  const context = useContext(Form);
  const list = Array.isArray(value) ? value : [];
  const one = itemLabel(label);
  const full = schema.maxItems !== undefined && list.length >= schema.maxItems;
  const set = (i: number, item: unknown) => onChange(list.map((old, j) => (j === i ? item : old)));
  const move = (i: number, by: number) => {
    const next = [...list];
    const [item] = next.splice(i, 1);
    next.splice(i + by, 0, item);
    onChange(next);
  };
  return (
    <fieldset
      className={`form-list${hasMarks(context, path) ? " has-marks" : ""}`}
      data-field={path}
      tabIndex={-1}
    >
      <legend>
        {label}
        {schema.maxItems !== undefined && (
          <span className={`counter${list.length > schema.maxItems ? " over" : ""}`}>
            {" "}
            {list.length} / {schema.maxItems}
          </span>
        )}
      </legend>
      {schema.description && <small className="form-hint">{hintOf(schema)}</small>}
      <Marks path={path} id={`${path}-marks`} />
      {list.map((item, i) => (
        <div className="form-item" key={i}>
          <div className="form-item-head">
            <span>
              {one} {i + 1}
            </span>
            <span className="form-item-actions">
              <button
                type="button"
                className="button small quiet"
                disabled={i === 0}
                onClick={() => move(i, -1)}
                aria-label={`Move ${one.toLowerCase()} ${i + 1} up`}
              >
                ↑
              </button>
              <button
                type="button"
                className="button small quiet"
                disabled={i === list.length - 1}
                onClick={() => move(i, 1)}
                aria-label={`Move ${one.toLowerCase()} ${i + 1} down`}
              >
                ↓
              </button>
              <button
                type="button"
                className="button small quiet"
                onClick={() => onChange(list.filter((_, j) => j !== i))}
                aria-label={`Remove ${one.toLowerCase()} ${i + 1}`}
              >
                Remove
              </button>
            </span>
          </div>
          <SchemaField
            schema={items}
            value={item}
            path={childPath(path, i)}
            label={one}
            onChange={(next) => set(i, next)}
          />
        </div>
      ))}
      <button
        type="button"
        className="button small"
        onClick={() => onChange([...list, emptyOf(items, context.root)])}
        title={full ? `WhatsApp shows at most ${schema.maxItems}` : undefined}
      >
        + Add {one.toLowerCase()}
      </button>
    </fieldset>
  );
}

/** Key-value pairs (HTTP headers, saved variables, contact properties). */
function MapField({
  schema,
  value,
  path,
  label,
  onChange,
  values,
}: FieldProps & { values: JsonSchema }) {
  const context = useContext(Form);
  const entries = Object.entries((value as Record<string, unknown> | undefined) ?? {});
  const rebuild = (next: [string, unknown][]) => onChange(Object.fromEntries(next));
  return (
    <fieldset className="form-list" data-field={path} tabIndex={-1}>
      <legend>{label}</legend>
      {schema.description && <small className="form-hint">{hintOf(schema)}</small>}
      <Marks path={path} id={`${path}-marks`} />
      {entries.map(([key, item], i) => (
        <div className="form-pair" key={i}>
          <input
            aria-label={`${label}: name ${i + 1}`}
            value={key}
            onChange={(e) =>
              rebuild(entries.map((entry, j) => (j === i ? [e.target.value, entry[1]] : entry)))
            }
          />
          <SchemaField
            schema={values}
            value={item}
            path={childPath(path, key)}
            label={key || "Value"}
            onChange={(next) =>
              rebuild(entries.map((entry, j) => (j === i ? [entry[0], next] : entry)))
            }
          />
          <button
            type="button"
            className="button small quiet"
            aria-label={`Remove ${key || "entry"}`}
            onClick={() => rebuild(entries.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="button small"
        onClick={() =>
          rebuild([
            ...entries,
            [
              entries.some(([k]) => k === "") ? `name${entries.length}` : "",
              emptyOf(values, context.root),
            ],
          ])
        }
      >
        + Add
      </button>
    </fieldset>
  );
}

function ObjectField({
  value,
  path,
  onChange,
  fields,
}: FieldProps & { fields: { name: string; schema: JsonSchema; required: boolean }[] }) {
  const record = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  return (
    <div className="form-object">
      {fields.map((field) => (
        <SchemaField
          key={field.name}
          schema={field.schema}
          value={record[field.name]}
          path={childPath(path, field.name)}
          label={labelOf(field.name)}
          required={field.required}
          onChange={(next) => {
            const copy = { ...record };
            if (next === undefined) delete copy[field.name];
            else copy[field.name] = next;
            onChange(copy);
          }}
        />
      ))}
    </div>
  );
}

function VariantField({
  value,
  path,
  label,
  onChange,
  shape,
}: FieldProps & { shape: Extract<ReturnType<typeof shapeOf>, { kind: "variant" }> }) {
  const id = useId();
  const { root } = useContext(Form);
  const record = (value && typeof value === "object" ? value : {}) as Record<string, unknown>;
  const chosen = shape.variants.find((v) => v.option.value === record[shape.tag]);
  const rest = chosen
    ? {
        ...chosen.schema,
        properties: Object.fromEntries(
          Object.entries(chosen.schema.properties ?? {}).filter(([k]) => k !== shape.tag),
        ),
      }
    : undefined;
  return (
    <div className="form-variant">
      <Row id={id} label={label} path={path} hint={chosen?.option.description}>
        <select
          id={id}
          data-field={path}
          value={chosen?.option.value ?? ""}
          onChange={(e) => {
            const next = shape.variants.find((v) => v.option.value === e.target.value);
            if (next)
              onChange({
                ...(emptyOf(next.schema, root) as object),
                [shape.tag]: next.option.value,
              });
          }}
        >
          {!chosen && <option value="">Choose…</option>}
          {shape.variants.map((v) => (
            <option key={v.option.value} value={v.option.value}>
              {v.option.label}
            </option>
          ))}
        </select>
      </Row>
      {rest && (
        <SchemaField
          schema={rest}
          value={record}
          path={path}
          label={label}
          onChange={(next) => onChange({ ...(next as object), [shape.tag]: record[shape.tag] })}
        />
      )}
    </div>
  );
}

/** Free JSON (an AI tool's parameter schema): edited as text, kept when it parses. */
function JsonField({ value, path, label, onChange }: FieldProps) {
  const id = useId();
  return (
    <Row id={id} label={label} path={path} hint="JSON">
      <textarea
        id={id}
        data-field={path}
        className="code"
        rows={4}
        defaultValue={JSON.stringify(value ?? null, null, 2)}
        onChange={(e) => {
          try {
            onChange(JSON.parse(e.target.value));
          } catch {
            // Kept as typed until it is JSON again.
          }
        }}
      />
    </Row>
  );
}
