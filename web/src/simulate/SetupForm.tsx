// Before a test: which version runs, who the test contact is, how the journey starts (the
// contact writes, taps an ad, the business's system calls the webhook, or the test skips to
// a step with variables set) and how steps that call other systems answer.

import { useVersions } from "../publish/api";
import type { CallingStep } from "./answers";
import { Choice, FieldProblem, Row } from "./FormParts";
import { COUNTRIES, TIMEZONES, type Field, type Setup } from "./setup";
import { StepAnswers } from "./StepAnswers";

interface Props {
  workspace: string;
  flowId: string;
  setup: Setup;
  onChange: (setup: Setup) => void;
  onStart: () => void;
  starting: boolean;
  /** What is wrong with the form, by field, after a try to start. */
  problem?: { field: Field; message: string };
  /** The steps a test can start at (no triggers), in the flow's order. */
  startSteps: readonly string[];
  /** Steps that call other systems: each answers for real, from the form, or fails. */
  callingSteps: readonly CallingStep[];
  /** The one step selected on the canvas, when a test can start there. */
  selectedStep?: string;
  /** A step as the canvas names it. */
  stepName: (stepId: string) => string;
}

export function SetupForm(props: Props) {
  const { workspace, flowId, setup, onChange, onStart, starting, problem, stepName } = props;
  const { selectedStep } = props;
  const versions = useVersions(workspace, flowId);
  const set = <K extends keyof Setup>(key: K, value: Setup[K]) =>
    onChange({ ...setup, [key]: value });
  const errorFor = (field: Field) => (
    <FieldProblem message={problem?.field === field ? problem.message : undefined} />
  );
  const startingThere = setup.mode === "step" && setup.startNode === selectedStep;

  return (
    <form
      className="sim-setup"
      aria-label="Test setup"
      onSubmit={(e) => {
        e.preventDefault();
        onStart();
      }}
    >
      {selectedStep && !startingThere && (
        <div className="notice sim-from-selected">
          <span>
            Selected on the canvas: <strong>{stepName(selectedStep)}</strong>
          </span>
          <button
            type="button"
            className="button small"
            onClick={() => onChange({ ...setup, mode: "step", startNode: selectedStep })}
          >
            Test from this step
          </button>
        </div>
      )}

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
        <Choice name="mode" checked={setup.mode === "step"} onChange={() => set("mode", "step")}>
          From a step, with variables you set
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
        {setup.mode === "step" && (
          <div className="sim-indent">
            <Row
              label="Start at"
              hint="The steps before it do not run: the test starts here at once. If the contact would have written by then, tick “Wrote to you in the last 24 hours” below."
            >
              {(id) => (
                <select
                  id={id}
                  value={setup.startNode}
                  aria-invalid={problem?.field === "startNode"}
                  onChange={(e) => set("startNode", e.target.value)}
                >
                  {setup.startNode === "" && <option value="">Choose a step…</option>}
                  {props.startSteps.map((step) => (
                    <option key={step} value={step}>
                      {stepName(step)}
                    </option>
                  ))}
                </select>
              )}
            </Row>
            {errorFor("startNode")}
            <Row
              label="Variables"
              hint="What the journey would know by then. One a line: name = value (score = 80), or a JSON object."
            >
              {(id) => (
                <textarea
                  id={id}
                  className="code"
                  rows={3}
                  spellCheck={false}
                  placeholder="score = 80"
                  aria-invalid={problem?.field === "vars"}
                  value={setup.vars}
                  onChange={(e) => set("vars", e.target.value)}
                />
              )}
            </Row>
            {errorFor("vars")}
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

      {props.callingSteps.length > 0 && (
        <StepAnswers
          steps={props.callingSteps}
          answers={setup.answers}
          onChange={(stepId, answer) => set("answers", { ...setup.answers, [stepId]: answer })}
          problem={problem}
          stepName={stepName}
        />
      )}

      <button type="submit" className="button primary" disabled={starting}>
        {starting ? "Starting…" : "Start the test"}
      </button>
    </form>
  );
}
