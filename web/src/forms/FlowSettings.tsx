// The journey's own settings, shown while no step is selected: what happens when a contact
// already in it triggers it again, quiet hours for business-initiated messages, and the
// rest of the flow format's `settings` — a form generated from the format's JSON Schema
// (docs/flow.schema.json, generated from the Rust types), like a step's settings.

import { useMemo } from "react";
import flowSchema from "../../../docs/flow.schema.json";
import { fieldFor, type Diagnostic } from "../problems/marks";
import { Form, type FormContext } from "./context";
import { SchemaField } from "./fields";
import { shownPaths, type JsonSchema } from "./schema";
import "./forms.css";

const format = flowSchema as unknown as JsonSchema;
/** The `settings` object's schema, with the definitions its parts refer to. */
export const SETTINGS_SCHEMA: JsonSchema = { ...format.$defs?.Settings, $defs: format.$defs };

interface Props {
  settings: Record<string, unknown>;
  /** The flow's diagnostics: those on `settings.…` are marked on their fields. */
  diagnostics: readonly Diagnostic[];
  onChange: (settings: Record<string, unknown>) => void;
  readOnly?: boolean;
}

export function FlowSettings({ settings, diagnostics, onChange, readOnly = false }: Props) {
  const shown = useMemo(
    () => shownPaths(SETTINGS_SCHEMA, settings, SETTINGS_SCHEMA, "settings"),
    [settings],
  );
  const context: FormContext = useMemo(() => {
    const marks = new Map<string, Diagnostic[]>();
    for (const d of diagnostics) {
      if (d.node_id || !d.field?.startsWith("settings")) continue;
      const at = fieldFor(d, shown);
      marks.set(at, [...(marks.get(at) ?? []), d]);
    }
    return { root: SETTINGS_SCHEMA, scope: [], marks, limits: new Map() };
  }, [diagnostics, shown]);
  return (
    <section className="properties flow-settings" aria-label="Journey settings">
      <header className="properties-head">
        <h2>Journey settings</h2>
        <p className="muted">For the whole journey. Choose a step to change its own settings.</p>
      </header>
      <Form.Provider value={context}>
        <form className="properties-form" onSubmit={(e) => e.preventDefault()}>
          <fieldset disabled={readOnly} className="properties-fields">
            <SchemaField
              schema={SETTINGS_SCHEMA}
              value={settings}
              path="settings"
              label="Journey settings"
              onChange={(next) => onChange((next ?? {}) as Record<string, unknown>)}
            />
          </fieldset>
        </form>
      </Form.Provider>
    </section>
  );
}
