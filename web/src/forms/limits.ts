// WhatsApp's limits on interactive messages (a button title of at most 20 characters, at
// most 3 buttons, at most 10 list rows in all…), checked as the form is typed in. The
// numbers come from the schema (`maxLength`, `maxItems`, `x-max-rows`), which the server
// takes from the same constants its validation uses, so the two never disagree.

import { childPath, resolve, shapeOf, type JsonSchema } from "./schema";

export interface LimitMark {
  field: string;
  message: string;
}

/** Characters of fixed text: a `{{ placeholder }}` is not counted (its length is not known). */
export function fixedLength(text: string, template: boolean): number {
  const fixed = template ? text.replace(/\{\{[^}]*\}\}/g, "") : text;
  return [...fixed].length;
}

/** The counter a limited text field shows: "12 / 20". */
export function counterOf(text: string, schema: JsonSchema, root: JsonSchema) {
  const s = resolve(schema, root);
  if (s.maxLength === undefined) return undefined;
  const shape = shapeOf(s, root);
  const used = fixedLength(text, shape.kind === "template");
  return { used, max: s.maxLength, over: used > s.maxLength };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Every limit `value` breaks, at its field path. */
export function limitMarks(
  schema: JsonSchema,
  value: unknown,
  root: JsonSchema,
  path: string,
): LimitMark[] {
  const shape = shapeOf(schema, root);
  const s = shape.schema;
  const marks: LimitMark[] = [];
  if (typeof value === "string" && s.maxLength !== undefined && shape.kind !== "optional") {
    const used = fixedLength(value, shape.kind === "template");
    if (used > s.maxLength) {
      marks.push({
        field: path,
        message: `${plural(used, "character", "characters")}; WhatsApp shows at most ${s.maxLength} here.`,
      });
    }
  }
  switch (shape.kind) {
    case "optional":
      if (value !== null && value !== undefined) {
        marks.push(...limitMarks(shape.inner, value, root, path));
      }
      break;
    case "list":
      if (Array.isArray(value)) {
        if (s.maxItems !== undefined && value.length > s.maxItems) {
          marks.push({
            field: path,
            message: `${value.length} here; WhatsApp shows at most ${s.maxItems}.`,
          });
        }
        const maxRows = s["x-max-rows"];
        if (maxRows !== undefined) {
          const rows = value.reduce(
            (sum: number, section: { rows?: unknown[] }) => sum + (section?.rows?.length ?? 0),
            0,
          );
          if (rows > maxRows) {
            marks.push({
              field: path,
              message: `${rows} rows in all; WhatsApp shows at most ${maxRows} in a list.`,
            });
          }
        }
        value.forEach((item, i) =>
          marks.push(...limitMarks(shape.items, item, root, childPath(path, i))),
        );
      }
      break;
    case "object":
      if (value && typeof value === "object") {
        for (const field of shape.fields) {
          const child = (value as Record<string, unknown>)[field.name];
          if (child !== undefined) {
            marks.push(...limitMarks(field.schema, child, root, childPath(path, field.name)));
          }
        }
      }
      break;
  }
  return marks;
}
