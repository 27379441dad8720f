// A template (`Hi {{ contact.name }}`) or an expression (`vars.total > 50`) field: it
// offers the names in scope (a menu, and as `{{` or a name is typed) and says, as it is
// typed, what does not compile, in the words validation uses (`POST /expressions/check`).

import { useContext, useEffect, useRef, useState } from "react";
import { api, ok } from "../api/client";
import { Form } from "./context";

interface Props {
  id: string;
  kind: "template" | "expression";
  path: string;
  value: string;
  multiline?: boolean;
  describedBy: string;
  onChange: (value: string) => void;
}

interface Problem {
  message: string;
  location?: { line: number; column: number };
}

const CHECK_AFTER_MS = 300;

/** What does not compile in `source`, once typing pauses; empty while it does. */
function useCompileCheck(kind: Props["kind"], source: string): Problem[] {
  // Plain text needs no check; an answer is shown only while the text is what it is about.
  const needed = kind === "expression" || source.includes("{{") || source.includes("}}");
  const [checked, setChecked] = useState<{ source: string; problems: Problem[] }>();
  useEffect(() => {
    if (!needed) return;
    let current = true;
    const timer = setTimeout(() => {
      ok(api.POST("/api/v1/expressions/check", { body: { kind, source, names: ["response"] } }))
        .then(
          (answer) =>
            current && setChecked({ source, problems: answer.diagnostics as unknown as Problem[] }),
        )
        .catch(() => current && setChecked({ source, problems: [] }));
    }, CHECK_AFTER_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [kind, source, needed]);
  return needed && checked?.source === source ? checked.problems : [];
}

export function CodeField({ id, kind, path, value, multiline, describedBy, onChange }: Props) {
  const { scope } = useContext(Form);
  const [menu, setMenu] = useState(false);
  const input = useRef<HTMLTextAreaElement & HTMLInputElement>(null);
  const problems = useCompileCheck(kind, value);

  const insert = (name: string) => {
    const element = input.current;
    const at = element?.selectionStart ?? value.length;
    const end = element?.selectionEnd ?? at;
    const before = value.slice(0, at);
    const opened = kind === "template" && /\{\{\s*$/.test(before);
    const text = kind === "template" ? (opened ? `${name} }}` : `{{ ${name} }}`) : name;
    onChange(before + text + value.slice(end));
    setMenu(false);
    requestAnimationFrame(() => {
      element?.focus();
      element?.setSelectionRange(at + text.length, at + text.length);
    });
  };

  const common = {
    id,
    ref: input,
    "data-field": path,
    className: `code${problems.length ? " invalid" : ""}`,
    value,
    spellCheck: kind === "template",
    "aria-invalid": problems.length > 0 || undefined,
    "aria-describedby": `${describedBy} ${id}-compile`,
    onChange: (e: { target: { value: string } }) => {
      onChange(e.target.value);
      if (kind === "template" && /\{\{\s*$/.test(e.target.value)) setMenu(true);
    },
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === "Escape" && menu) {
        e.stopPropagation();
        setMenu(false);
      }
    },
  };
  return (
    <div className="code-field">
      {multiline ? <textarea rows={3} {...common} /> : <input {...common} />}
      <button
        type="button"
        className="button small quiet insert"
        aria-expanded={menu}
        aria-controls={`${id}-scope`}
        onClick={() => setMenu(!menu)}
      >
        {kind === "template" ? "{x} Insert a value" : "{x} Names"}
      </button>
      {menu && (
        <ul className="scope-menu" id={`${id}-scope`} aria-label="Values you can use here">
          {scope.map((entry) => (
            <li key={entry.path}>
              <button type="button" onClick={() => insert(entry.path)}>
                <code>{entry.path}</code> <span className="muted">{entry.hint}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div id={`${id}-compile`} aria-live="polite">
        {problems.map((problem, i) => (
          <p key={i} className="mark mark-error">
            <span className="mark-label">Does not work:</span> {problem.message}
            {problem.location &&
              ` (at character ${problem.location.column}${problem.location.line > 1 ? ` of line ${problem.location.line}` : ""})`}
          </p>
        ))}
      </div>
    </div>
  );
}
