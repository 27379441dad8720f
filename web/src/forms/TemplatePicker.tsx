// The settings of a `send_template` step: a picker of the workspace's approved templates
// (as last synced from Meta), the template's header, body, footer and buttons, a field per
// placeholder, the parameters of its buttons (a link's suffix, a quick reply's payload), and
// a preview of the message with the values filled in. Without a connected number (or with
// no approved template yet) it is the plain form, where the name and language are typed.

import { useContext, useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, ok } from "../api/client";
import type { components } from "../api/schema";
import { Form } from "./context";
import { ConfigFields, SchemaField } from "./fields";
import { CodeField } from "./CodeField";

type TemplateInfo = components["schemas"]["TemplateInfo"];

interface Props {
  workspace: string;
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
}

interface Component {
  type?: string;
  format?: string;
  text?: string;
  buttons?: { type?: string; text?: string; url?: string }[];
}

/** Meta's components, whether listed as an array or keyed by kind. */
export function componentsOf(template: TemplateInfo): Component[] {
  const raw = template.components as unknown;
  if (Array.isArray(raw)) return raw as Component[];
  if (raw && typeof raw === "object") return Object.values(raw) as Component[];
  return [];
}

/** `Hi {{1}}, your order {{2}}` with the values given (or the placeholder, marked). */
export function previewOf(
  text: string,
  values: readonly string[],
): { text: string; filled: boolean }[] {
  const parts: { text: string; filled: boolean }[] = [];
  let last = 0;
  let position = 0;
  for (const match of text.matchAll(/\{\{\s*([^}]+?)\s*\}\}/g)) {
    parts.push({ text: text.slice(last, match.index), filled: false });
    const number = Number(match[1]);
    const value = values[Number.isInteger(number) ? number - 1 : position];
    parts.push({ text: value && value !== "" ? value : `{{${match[1]}}}`, filled: true });
    position++;
    last = (match.index ?? 0) + match[0].length;
  }
  parts.push({ text: text.slice(last), filled: false });
  return parts.filter((p) => p.text !== "");
}

/** A template's text with its placeholders filled in, the values highlighted. */
function Filled({ text, values }: { text: string; values: readonly string[] }) {
  return previewOf(text, values).map((p, i) => (
    <span key={i} className={p.filled ? "filled" : undefined}>
      {p.text}
    </span>
  ));
}

/** `values` cut or padded to `n`: one per placeholder of the chosen template. */
function sized(values: string[], n: number): string[] {
  return Array.from({ length: n }, (_, i) => values[i] ?? "");
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : "")) : [];
}

export function TemplatePicker({ workspace, config, onChange }: Props) {
  const { root } = useContext(Form);
  const templates = useQuery({
    queryKey: ["templates", workspace],
    queryFn: () =>
      ok(
        api.GET("/api/v1/workspaces/{workspace}/templates", {
          params: { path: { workspace }, query: { status: "APPROVED" } },
        }),
      ),
    staleTime: 60_000,
  });
  const approved = templates.data?.templates ?? [];
  const chosen = approved.find((t) => t.name === config.name && t.language === config.language);
  const parts = useMemo(() => (chosen ? componentsOf(chosen) : []), [chosen]);

  const plain = <ConfigFields config={config} onChange={onChange} />;
  if (templates.isLoading) return <p className="loading">Loading your templates…</p>;
  if (approved.length === 0) {
    return (
      <>
        <p className="notice">
          {templates.isError
            ? "Your templates could not be loaded; type the template's name and language as Meta approved them."
            : "No approved templates yet: connect a WhatsApp number (and sync its templates) to pick one here, or type its name and language as Meta approved them."}
        </p>
        {plain}
      </>
    );
  }

  const pick = (key: string) => {
    const template = approved.find((t) => `${t.name}|${t.language}` === key);
    if (!template) return;
    const count = (component: string) =>
      template.parameters.find((p) => p.component === component)?.count ?? 0;
    onChange({
      ...config,
      name: template.name,
      language: template.language,
      category: template.category.toLowerCase(),
      header: sized(strings(config.header), count("header")),
      body: sized(strings(config.body), count("body")),
    });
  };
  const setValue = (part: "header" | "body", i: number, value: string) => {
    const values = [...strings(config[part])];
    values[i] = value;
    onChange({ ...config, [part]: values });
  };
  const body = parts.find((p) => p.type?.toUpperCase() === "BODY");
  const header = parts.find((p) => p.type?.toUpperCase() === "HEADER");
  const footer = parts.find((p) => p.type?.toUpperCase() === "FOOTER");
  const buttons = parts.find((p) => p.type?.toUpperCase() === "BUTTONS")?.buttons ?? [];
  const buttonsSchema = root.properties?.buttons;
  const buttonValues = Array.isArray(config.buttons) ? config.buttons : [];

  return (
    <div className="template-picker">
      <div className="form-row">
        <label htmlFor="template-choice">Template</label>
        <select
          id="template-choice"
          data-field="config.name"
          value={chosen ? `${chosen.name}|${chosen.language}` : ""}
          onChange={(e) => pick(e.target.value)}
        >
          {!chosen && <option value="">Choose an approved template…</option>}
          {approved.map((t) => (
            <option key={`${t.name}|${t.language}`} value={`${t.name}|${t.language}`}>
              {t.name} · {t.language} · {t.category.toLowerCase()}
            </option>
          ))}
        </select>
        {!chosen && typeof config.name === "string" && config.name !== "" && (
          <p className="mark mark-warning">
            <span className="mark-label">Not approved:</span> {config.name} (
            {String(config.language)}) is not among this workspace's approved templates.
          </p>
        )}
      </div>
      {chosen && (
        <>
          {(["header", "body"] as const).map((part) =>
            strings(config[part]).map((value, i) => (
              <div className="form-row" key={`${part}${i}`}>
                <label htmlFor={`tpl-${part}-${i}`}>
                  {part === "body" ? "Body" : "Header"} value {`{{${i + 1}}}`}
                </label>
                <CodeField
                  id={`tpl-${part}-${i}`}
                  kind="template"
                  path={`config.${part}[${i}]`}
                  value={value}
                  describedBy=""
                  onChange={(next) => setValue(part, i, next)}
                />
              </div>
            )),
          )}
          {buttonsSchema && (buttons.length > 0 || buttonValues.length > 0) && (
            <SchemaField
              schema={buttonsSchema}
              value={buttonValues}
              path="config.buttons"
              label="Button parameters"
              onChange={(next) => onChange({ ...config, buttons: next })}
            />
          )}
          <figure className="phone-preview" aria-label="Preview of the message">
            {header?.text && (
              <strong>
                <Filled text={header.text} values={strings(config.header)} />
              </strong>
            )}
            {header && !header.text && (
              <span className="muted">[{header.format?.toLowerCase()} header]</span>
            )}
            {body?.text && (
              <p>
                <Filled text={body.text} values={strings(config.body)} />
              </p>
            )}
            {footer?.text && <small className="muted">{footer.text}</small>}
            {buttons.length > 0 && (
              <ul className="preview-buttons">
                {buttons.map((b, i) => (
                  <li key={i}>{b.text}</li>
                ))}
              </ul>
            )}
            <figcaption className="muted">
              {chosen.category.toLowerCase()} template · {chosen.language}
            </figcaption>
          </figure>
        </>
      )}
    </div>
  );
}
