// The properties panel: the selected node's settings as a form generated from its type's
// JSON Schema, with the problems validation found marked on their fields and WhatsApp's
// limits flagged as they are typed. It edits through `onChange(config)` only: whoever
// mounts it owns the document (and its undo and saving).
//
// Hand-written rather than @rjsf/core: the schemas are schemars output (optional fields as
// `anyOf [T, null]`, tagged unions as `oneOf` with a `const` tag, fixed-or-computed inputs),
// which rjsf draws as "Option 1 / Option 2" pickers; diagnostics name fields by paths like
// `config.buttons[0].title` that the form must map to inputs to mark and focus them; and
// rjsf with ajv adds ~300 kB and `new Function` (a strict CSP) for validation the server
// does anyway. The generator is schema.ts (tested) and fields.tsx.

import { useEffect, useMemo, useRef } from "react";
import { placeMarks, type Diagnostic } from "../problems/marks";
import { Form, type FormContext } from "./context";
import { ConfigFields } from "./fields";
import { limitMarks } from "./limits";
import type { ScopeEntry } from "./scope";
import { shownPaths, type JsonSchema } from "./schema";
import { StepName } from "./StepName";
import { TemplatePicker } from "./TemplatePicker";
import "./forms.css";

export interface PanelNode {
  id: string;
  type: string;
  config?: Record<string, unknown>;
}

export interface PanelNodeType {
  type: string;
  label: string;
  description: string;
  config_schema: JsonSchema;
}

export interface PropertiesPanelProps {
  node: PanelNode;
  nodeType: PanelNodeType | undefined;
  scope: ScopeEntry[];
  /** The flow's diagnostics (those of other nodes are ignored). */
  diagnostics: readonly Diagnostic[];
  onChange: (config: Record<string, unknown>) => void;
  /** Renames the step (the reason when refused); without it the name is not editable. */
  onRename?: (name: string) => string | undefined;
  /** A field to focus (from the problems panel); a new object focuses again. */
  focus?: { field: string } | undefined;
  /** For the template picker: the workspace whose channels' templates to offer. */
  workspace?: string;
  readOnly?: boolean;
}

export function PropertiesPanel({
  node,
  nodeType,
  scope,
  diagnostics,
  onChange,
  onRename,
  focus,
  workspace,
  readOnly = false,
}: PropertiesPanelProps) {
  const root = useMemo(() => nodeType?.config_schema ?? {}, [nodeType]);
  const config = useMemo(() => node.config ?? {}, [node.config]);
  const shown = useMemo(() => shownPaths(root, config, root, "config"), [root, config]);
  const context: FormContext = useMemo(() => {
    const limits = new Map<string, string[]>();
    for (const mark of limitMarks(root, config, root, "config")) {
      limits.set(mark.field, [...(limits.get(mark.field) ?? []), mark.message]);
    }
    return { root, scope, marks: placeMarks(diagnostics, node.id, shown), limits };
  }, [root, config, scope, diagnostics, node.id, shown]);
  const general = context.marks.get("") ?? [];
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (!focus) return;
    const target = form.current?.querySelector<HTMLElement>(
      `[data-field="${CSS.escape(focus.field)}"]`,
    );
    (target ?? form.current?.querySelector<HTMLElement>("input, select, textarea"))?.focus();
    target?.scrollIntoView({ block: "center" });
  }, [focus]);

  if (!nodeType) {
    return (
      <section className="properties" aria-label="Step settings">
        <h2>{node.id}</h2>
        <p className="notice">This kind of step ({node.type}) is not one Spool knows.</p>
      </section>
    );
  }
  return (
    <section className="properties" aria-label={`Settings of ${node.id}`}>
      <header className="properties-head">
        <span className="properties-type">{nodeType.label}</span>
        <h2>{node.id}</h2>
        <p className="muted">{nodeType.description}</p>
        {onRename && !readOnly && <StepName key={node.id} id={node.id} onRename={onRename} />}
      </header>
      {general.length > 0 && (
        <ul className="field-marks node-marks">
          {general.map((d, i) => (
            <li key={i} className={`mark mark-${d.severity}`}>
              <span className="mark-label">{d.severity === "error" ? "Error:" : "Warning:"}</span>{" "}
              {d.message}
            </li>
          ))}
        </ul>
      )}
      <Form.Provider value={context}>
        <form ref={form} className="properties-form" onSubmit={(e) => e.preventDefault()}>
          <fieldset disabled={readOnly} className="properties-fields">
            {node.type === "send_template" && workspace ? (
              <TemplatePicker workspace={workspace} config={config} onChange={onChange} />
            ) : (
              <ConfigFields config={config} onChange={onChange} />
            )}
          </fieldset>
        </form>
      </Form.Provider>
    </section>
  );
}
