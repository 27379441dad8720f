// What every field of one node's form reads: the schema's definitions, the names in scope,
// and the marks to show (the server's diagnostics and the limits broken as typed).

import { createContext } from "react";
import type { Diagnostic } from "../problems/marks";
import type { JsonSchema } from "./schema";
import type { ScopeEntry } from "./scope";

export interface FormContext {
  root: JsonSchema;
  scope: ScopeEntry[];
  /** Server diagnostics placed on this form's fields. */
  marks: Map<string, Diagnostic[]>;
  /** Limits broken as typed, by field. */
  limits: Map<string, string[]>;
}

export const Form = createContext<FormContext>({
  root: {},
  scope: [],
  marks: new Map(),
  limits: new Map(),
});
