// The problems panel: every diagnostic of the flow, errors first, each naming the step and
// saying what to do; choosing one selects the step, opens its settings and puts the cursor
// in the field (through `onSelect`, which whoever mounts the panel wires to the canvas).

import { sorted, type Diagnostic } from "./marks";
import "./problems.css";

interface Props {
  diagnostics: readonly Diagnostic[];
  onSelect: (nodeId: string, field: string | undefined) => void;
  /** Step names to show instead of ids, when known. */
  labels?: ReadonlyMap<string, string>;
  checking?: boolean;
}

export function ProblemsPanel({ diagnostics, onSelect, labels, checking = false }: Props) {
  const list = sorted(diagnostics);
  const errors = list.filter((d) => d.severity === "error").length;
  const warnings = list.length - errors;
  return (
    <section className="problems" aria-label="Problems">
      <h2>
        Problems{" "}
        <span className="muted">
          {list.length === 0
            ? checking
              ? "(checking…)"
              : "— none, this flow can be published"
            : `— ${errors} ${errors === 1 ? "error" : "errors"}, ${warnings} ${warnings === 1 ? "warning" : "warnings"}`}
        </span>
      </h2>
      {list.length > 0 && (
        <ul className="problem-list">
          {list.map((d, i) => (
            <li key={i} className={`problem problem-${d.severity}`}>
              {d.node_id ? (
                <button type="button" onClick={() => onSelect(d.node_id!, d.field)}>
                  <span className="problem-severity">
                    {d.severity === "error" ? "Error" : "Warning"}
                  </span>
                  <span className="problem-where">
                    {labels?.get(d.node_id) ?? d.node_id}
                    {d.field && d.field.startsWith("config.") && (
                      <span className="muted"> · {fieldInWords(d.field)}</span>
                    )}
                  </span>
                  <span className="problem-message">{d.message}</span>
                </button>
              ) : (
                <div className="problem-flow">
                  <span className="problem-severity">
                    {d.severity === "error" ? "Error" : "Warning"}
                  </span>
                  <span className="problem-where">The whole flow</span>
                  <span className="problem-message">{d.message}</span>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** `config.buttons[1].title` → "buttons 2 › title". */
export function fieldInWords(field: string): string {
  return field
    .replace(/^config\./, "")
    .replace(/\[(\d+)\]/g, (_, i: string) => ` ${Number(i) + 1}`)
    .split(".")
    .map((part) => part.replace(/_/g, " "))
    .join(" › ");
}
