// A node type's JSON Schema (as `GET /api/v1/node-types` gives it) read as the fields of a
// form: which widget each part gets, its label and hint, and the field paths diagnostics
// use (`config.buttons[0].title`). The hints the catalog adds: `x-widget` (template,
// expression, duration, input), `maxLength`/`maxItems` (WhatsApp's limits), `x-max-rows`.

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  "x-widget"?: string;
  "x-max-rows"?: number;
}

export interface Option {
  value: string;
  label: string;
  description?: string;
}

/** What a part of the schema is edited with. */
export type Shape =
  | { kind: "text"; schema: JsonSchema }
  | { kind: "template"; schema: JsonSchema }
  | { kind: "expression"; schema: JsonSchema }
  | { kind: "duration"; schema: JsonSchema }
  | { kind: "number"; schema: JsonSchema; integer: boolean }
  | { kind: "boolean"; schema: JsonSchema }
  | { kind: "choice"; schema: JsonSchema; options: Option[] }
  | { kind: "input"; schema: JsonSchema; expression: JsonSchema }
  | { kind: "optional"; schema: JsonSchema; inner: JsonSchema }
  | { kind: "list"; schema: JsonSchema; items: JsonSchema }
  | { kind: "map"; schema: JsonSchema; values: JsonSchema }
  | {
      kind: "object";
      schema: JsonSchema;
      fields: { name: string; schema: JsonSchema; required: boolean }[];
    }
  | {
      kind: "variant";
      schema: JsonSchema;
      tag: string;
      variants: { option: Option; schema: JsonSchema }[];
    }
  | { kind: "json"; schema: JsonSchema };

/** `schema` with its `$ref` followed (its own keywords win over the referenced ones). */
export function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace(/^#\/\$defs\//, "");
  const target = root.$defs?.[name] ?? {};
  const { $ref: _ignored, ...own } = schema;
  return resolve({ ...target, ...own }, root);
}

function isNull(schema: JsonSchema): boolean {
  return schema.type === "null";
}

function constOf(schema: JsonSchema, tag: string): string | undefined {
  const value = schema.properties?.[tag]?.const;
  return typeof value === "string" ? value : undefined;
}

/** "preview_url" → "Preview URL". */
export function labelOf(name: string): string {
  const words = name.split("_").map((word) => WORDS[word] ?? word);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const WORDS: Record<string, string> = {
  url: "URL",
  id: "ID",
  ids: "IDs",
  ai: "AI",
  http: "HTTP",
  reentry: "re-entry",
  timezone: "time zone",
};

/** Enum values in words: "tag_added" → "Tag added". */
export function optionsOf(schema: JsonSchema, root: JsonSchema): Option[] | undefined {
  const resolved = resolve(schema, root);
  if (resolved.enum?.every((value) => typeof value === "string")) {
    return (resolved.enum as string[]).map((value) => ({ value, label: labelOf(value) }));
  }
  const branches = resolved.oneOf?.map((branch) => resolve(branch, root));
  if (branches?.length && branches.every((b) => typeof b.const === "string")) {
    return branches.map((b) => ({
      value: b.const as string,
      label: labelOf((b.const as string).toLowerCase()),
      description: b.description,
    }));
  }
  return undefined;
}

/** How a part of a node's config is edited. */
export function shapeOf(schema: JsonSchema, root: JsonSchema): Shape {
  const s = resolve(schema, root);
  const widget = s["x-widget"];
  if (s.anyOf?.length === 2 && s.anyOf.some(isNull)) {
    const inner = s.anyOf.find((branch) => !isNull(branch)) ?? {};
    const { anyOf: _branches, ...own } = s;
    return { kind: "optional", schema: s, inner: { ...inner, ...own } };
  }
  if (Array.isArray(s.type) && s.type.includes("null")) {
    const type = s.type.find((t) => t !== "null");
    return { kind: "optional", schema: s, inner: { ...s, type } };
  }
  if (widget === "template") return { kind: "template", schema: s };
  if (widget === "expression") return { kind: "expression", schema: s };
  if (widget === "duration") return { kind: "duration", schema: s };
  if (widget === "input") {
    const expr = s.oneOf?.map((b) => resolve(b, root)).find((b) => b.properties?.expr);
    return { kind: "input", schema: s, expression: expr?.properties?.expr ?? {} };
  }
  const options = optionsOf(s, root);
  if (options) return { kind: "choice", schema: s, options };
  if (s.oneOf?.length) {
    const branches = s.oneOf.map((branch) => resolve(branch, root));
    if (branches.every((b) => constOf(b, "type") !== undefined)) {
      return {
        kind: "variant",
        schema: s,
        tag: "type",
        variants: branches.map((b) => ({
          option: {
            value: constOf(b, "type") ?? "",
            label: labelOf(constOf(b, "type") ?? ""),
            description: b.description,
          },
          schema: b,
        })),
      };
    }
  }
  switch (s.type) {
    case "string":
      return { kind: "text", schema: s };
    case "integer":
    case "number":
      return { kind: "number", schema: s, integer: s.type === "integer" };
    case "boolean":
      return { kind: "boolean", schema: s };
    case "array":
      return { kind: "list", schema: s, items: s.items ?? {} };
    case "object":
      if (s.properties) {
        const required = new Set(s.required ?? []);
        return {
          kind: "object",
          schema: s,
          fields: Object.entries(s.properties).map(([name, field]) => ({
            name,
            schema: field,
            required: required.has(name),
          })),
        };
      }
      if (typeof s.additionalProperties === "object") {
        return { kind: "map", schema: s, values: s.additionalProperties };
      }
  }
  return { kind: "json", schema: s };
}

/** An empty value of a shape: what a new list item or a filled-in optional starts as. */
export function emptyOf(schema: JsonSchema, root: JsonSchema): unknown {
  const shape = shapeOf(schema, root);
  if (shape.schema.default !== undefined) return structuredClone(shape.schema.default);
  switch (shape.kind) {
    case "number":
      return shape.schema.minimum ?? 0;
    case "boolean":
      return false;
    case "choice":
      return shape.options[0]?.value ?? "";
    case "duration":
      return "1h";
    case "input":
      return { value: "" };
    case "optional":
      return null;
    case "list":
      return [];
    case "map":
      return {};
    case "object":
      // What is required, and what has a default: the value it gets when left out, written
      // so the form shows it (a stated null is what leaving it out means already).
      return Object.fromEntries(
        shape.fields
          .filter((f) => f.required || (resolve(f.schema, root).default ?? null) !== null)
          .map((f) => [f.name, emptyOf(f.schema, root)]),
      );
    case "variant": {
      const first = shape.variants[0];
      return first ? { ...(emptyOf(first.schema, root) as object), type: first.option.value } : {};
    }
    case "json":
      return null;
    default:
      return "";
  }
}

/** Field paths as diagnostics write them: `config.buttons[0].title`, `config.headers.Accept`. */
export function childPath(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : `${path}.${key}`;
}

/** Every field path the form shows an input or a group for, given the config's value. */
export function shownPaths(
  schema: JsonSchema,
  value: unknown,
  root: JsonSchema,
  path: string,
  into: Set<string> = new Set(),
): Set<string> {
  into.add(path);
  const shape = shapeOf(schema, root);
  const record =
    value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  switch (shape.kind) {
    case "optional":
      if (value !== null && value !== undefined) shownPaths(shape.inner, value, root, path, into);
      break;
    case "list":
      if (Array.isArray(value)) {
        value.forEach((item, i) => shownPaths(shape.items, item, root, childPath(path, i), into));
      }
      break;
    case "map":
      for (const [key, item] of Object.entries(record ?? {})) {
        shownPaths(shape.values, item, root, childPath(path, key), into);
      }
      break;
    case "object":
      for (const field of shape.fields) {
        shownPaths(field.schema, record?.[field.name], root, childPath(path, field.name), into);
      }
      break;
    case "variant": {
      const chosen = shape.variants.find((v) => v.option.value === record?.[shape.tag]);
      if (chosen) shownPaths(chosen.schema, value, root, path, into);
      break;
    }
  }
  return into;
}
