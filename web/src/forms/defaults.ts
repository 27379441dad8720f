// What a new step's settings start as: the values its type's schema says it has when left
// out (a reply waited for 24 hours, any kind of answer), and an empty value for each field
// it requires. Without them a step dropped on the canvas had no settings at all: its form
// showed guesses (a 1-hour timeout where the runtime waits 24) and validation could only say
// the whole step failed to read, not which field to fill.

import { emptyOf, resolve, shapeOf, type JsonSchema } from "./schema";

/** The settings a new step of a type with this config schema starts with. */
export function initialConfig(schema: JsonSchema): Record<string, unknown> {
  const shape = shapeOf(schema, schema);
  if (shape.kind !== "object") return {};
  const config: Record<string, unknown> = {};
  for (const field of shape.fields) {
    const stated = resolve(field.schema, schema).default;
    // A stated `null` is what "left out" already means: nothing to write.
    if (stated !== undefined && stated !== null) config[field.name] = structuredClone(stated);
    else if (field.required) config[field.name] = emptyOf(field.schema, schema);
  }
  return config;
}
