// The form of a node's settings, generated from its schema (see schema.ts): each shape gets
// its widget — single values (scalars.tsx), lists (buttons, list rows, switch cases),
// key-value maps (HTTP headers), objects, optional parts, tagged variants, free JSON.

import { useContext, useId } from "react";
import { Form } from "./context";
import { childPath, emptyOf, labelOf, shapeOf, type JsonSchema } from "./schema";
import { hasMarks, Marks, Row, type FieldProps } from "./row";
import {
  BooleanField,
  ChoiceField,
  DurationField,
  hintOf,
  InputField,
  NumberField,
  TextField,
} from "./scalars";

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
  // A group of fields (quiet hours' start, end and time zone) is framed under its name.
  if (shapeOf(inner, root).kind === "object") {
    return (
      <fieldset className="form-list optional" data-field={path} tabIndex={-1}>
        <legend>{label}</legend>
        {inner.description && <small className="form-hint">{hintOf(inner)}</small>}
        <SchemaField {...props} schema={inner} />
        <button type="button" className="button small quiet" onClick={() => onChange(undefined)}>
          Remove {label.toLowerCase()}
        </button>
      </fieldset>
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
  // A list of single values (tags, keywords, a template's body values) is one input a row;
  // a list of records gets a numbered header per item.
  const compact = SINGLE_VALUES.has(shapeOf(items, context.root).kind);
  const actions = (i: number) => (
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
  );
  const item = (i: number, entry: unknown) => (
    <SchemaField
      schema={items}
      value={entry}
      path={childPath(path, i)}
      label={compact ? `${one} ${i + 1}` : one}
      onChange={(next) => set(i, next)}
    />
  );
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
      {list.map((entry, i) =>
        compact ? (
          <div className="form-item-compact" key={i}>
            {item(i, entry)}
            {actions(i)}
          </div>
        ) : (
          <div className="form-item" key={i}>
            <div className="form-item-head">
              <span>
                {one} {i + 1}
              </span>
              {actions(i)}
            </div>
            {item(i, entry)}
          </div>
        ),
      )}
      <button
        type="button"
        className="button small"
        onClick={() => onChange([...list, emptyOf(items, context.root)])}
        title={full ? `WhatsApp shows at most ${schema.maxItems}` : undefined}
      >
        {/* "+ Add add" says nothing: a list named by a verb (a tag step's "add") adds plainly. */}
        {one === label ? "+ Add" : `+ Add ${one.toLowerCase()}`}
      </button>
    </fieldset>
  );
}

/** The shapes drawn as one input: a list of them is drawn one input a row. */
const SINGLE_VALUES = new Set(["text", "template", "expression", "number"]);

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
