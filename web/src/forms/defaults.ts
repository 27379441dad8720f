// What a new step's settings start as: the values its type's schema says it has when left
// out (a reply waited for 24 hours, any kind of answer), and an empty value for each field
// it requires. Without them a step dropped on the canvas had no settings at all: its form
// showed guesses (a 1-hour timeout where the runtime waits 24) and validation could only say
// the whole step failed to read, not which field to fill.

import { emptyOf, shapeOf, type JsonSchema } from "./schema";

/** The settings a new step of a type with this config schema starts with. */
export function initialConfig(schema: JsonSchema): Record<string, unknown> {
  if (shapeOf(schema, schema).kind !== "object") return {};
  return emptyOf(schema, schema) as Record<string, unknown>;
}
