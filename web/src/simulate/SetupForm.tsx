// Before a test: which version runs, who the test contact is, and how the journey starts
// (the contact writes, taps an ad, or the business's system calls the webhook).

import { useId, type ReactNode } from "react";
import { useVersions } from "../publish/api";
import { COUNTRIES, TIMEZONES, type Setup } from "./setup";

interface Props {
  workspace: string;
  flowId: string;
  setup: Setup;
  onChange: (setup: Setup) => void;
  onStart: () => void;
  starting: boolean;
  /** What is wrong with the form, by field, after a try to start. */
  problem?: { field: keyof Setup; message: string };
  /** Steps that call other systems, told before the test calls them for real. */
  realCalls: { id: string; type: string }[];
}

export function SetupForm(props: Props) {
  const { workspace, flowId, setup, onChange, onStart, starting, problem, realCalls } = props;
  const versions = useVersions(workspace, flowId);
  const set = <K extends keyof Setup>(key: K, value: Setup[K]) =>
    onChange({ ...setup, [key]: value });
  const errorFor = (field: keyof Setup) =>
    problem?.field === field ? (
      <p className="error-text" role="alert">
        {problem.message}
      </p>
    ) : null;

  return (
    <form
      className="sim-setup"
      aria-label="Test setup"
      onSubmit={(e) => {
        e.preventDefault();
        onStart();
      }}
    >
      <Row label="Version to test">
        {(id) => (
          <select
            id={id}
            value={String(setup.source)}
            onChange={(e) =>
              set("source", e.target.value === "draft" ? "draft" : Number(e.target.value))
            }
          >
            <option value="draft">The draft you are editing</option>
            {(versions.data ?? []).map((v) => (
              <option key={v.version} value={v.version}>
                Version {v.version}
                {v.live ? " (live)" : ""}
                {v.note ? ` — ${v.note}` : ""}
              </option>
            ))}
          </select>
        )}
      </Row>

      <fieldset>
        <legend>How the journey starts</legend>
        <Choice
          name="mode"
          checked={setup.mode === "message"}
          onChange={() => set("mode", "message")}
        >
          The contact writes to you
        </Choice>
        <Choice name="mode" checked={setup.mode === "ad"} onChange={() => set("mode", "ad")}>
          The contact taps a Click-to-WhatsApp ad
        </Choice>
        <Choice
          name="mode"
          checked={setup.mode === "webhook"}
          onChange={() => set("mode", "webhook")}
        >
          Your system calls the webhook
        </Choice>
        {setup.mode === "ad" && (
          <div className="sim-indent">
            <Row label="Ad headline">
              {(id) => (
                <input
                  id={id}
                  value={setup.adHeadline}
                  onChange={(e) => set("adHeadline", e.target.value)}
                />
              )}
            </Row>
            <Row label="Ad id (source id)">
              {(id) => (
                <input
                  id={id}
                  value={setup.adSourceId}
                  onChange={(e) => set("adSourceId", e.target.value)}
                />
              )}
            </Row>
          </div>
        )}
        {setup.mode === "webhook" && (
          <div className="sim-indent">
            <Row label="Webhook payload (JSON)" hint="What your system would POST to the webhook.">
              {(id) => (
                <textarea
                  id={id}
                  className="code"
                  rows={6}
                  spellCheck={false}
                  aria-invalid={problem?.field === "payload"}
                  value={setup.payload}
                  onChange={(e) => set("payload", e.target.value)}
                />
              )}
            </Row>
            {errorFor("payload")}
          </div>
        )}
      </fieldset>

      <fieldset>
        <legend>The test contact</legend>
        <Row label="Name">
          {(id) => (
            <input id={id} value={setup.name} onChange={(e) => set("name", e.target.value)} />
          )}
        </Row>
        <div className="sim-phone-row">
          <Row label="Country">
            {(id) => (
              <select
                id={id}
                value={setup.country}
                onChange={(e) => set("country", e.target.value)}
              >
                {COUNTRIES.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </Row>
          <Row label="Phone number">
            {(id) => (
              <input
                id={id}
                inputMode="tel"
                aria-invalid={problem?.field === "number"}
                value={setup.number}
                onChange={(e) => set("number", e.target.value)}
              />
            )}
          </Row>
        </div>
        {errorFor("number")}
        <Choice type="checkbox" checked={setup.optIn} onChange={(v) => set("optIn", v)}>
          Agreed to Marketing messages (opt-in)
        </Choice>
        <Choice type="checkbox" checked={setup.windowOpen} onChange={(v) => set("windowOpen", v)}>
          Wrote to you in the last 24 hours
        </Choice>
        <Row label="Tags" hint="Separated by commas.">
          {(id) => (
            <input id={id} value={setup.tags} onChange={(e) => set("tags", e.target.value)} />
          )}
        </Row>
        <Row label="Properties" hint="One a line: name = value (city = Lisbon).">
          {(id) => (
            <textarea
              id={id}
              rows={2}
              aria-invalid={problem?.field === "properties"}
              value={setup.properties}
              onChange={(e) => set("properties", e.target.value)}
            />
          )}
        </Row>
        {errorFor("properties")}
        <Row label="Time zone">
          {(id) => (
            <select
              id={id}
              value={setup.timezone}
              onChange={(e) => set("timezone", e.target.value)}
            >
              <option value="">Not known</option>
              {TIMEZONES.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row
          label="Clock starts at (UTC)"
          hint="Empty: now. Quiet hours and the 24 h window follow this clock."
        >
          {(id) => (
            <input
              id={id}
              type="datetime-local"
              value={setup.startAt}
              onChange={(e) => set("startAt", e.target.value)}
            />
          )}
        </Row>
        {errorFor("startAt")}
      </fieldset>

      {realCalls.length > 0 && (
        <div className="notice sim-real-calls">
          <strong>These steps call the real service during the test:</strong>
          <ul>
            {realCalls.map((c) => (
              <li key={c.id}>
                {c.id} ({c.type === "ai_agent" ? "AI agent" : "HTTP request"})
              </li>
            ))}
          </ul>
          Point them at a test endpoint if a call would change something.
        </div>
      )}

      <button type="submit" className="button primary" disabled={starting}>
        {starting ? "Starting…" : "Start the test"}
      </button>
    </form>
  );
}

function Row({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small>{hint}</small>}
    </div>
  );
}

function Choice({
  type = "radio",
  name,
  checked,
  onChange,
  children,
}: {
  type?: "radio" | "checkbox";
  name?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  children: ReactNode;
}) {
  return (
    <label className="sim-choice">
      <input
        type={type}
        name={name}
        checked={checked}
        onChange={(e) => onChange(e.target.checked)}
      />
      {children}
    </label>
  );
}
