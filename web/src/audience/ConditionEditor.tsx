// The rows of conditions an audience is made of, shared by the segment builder and the
// contact list's "More filters". Each row reads as a sentence ("Has tag [vip]"); what a row
// still needs shows under it, and an incomplete row is left out of the count until done.

import { useId } from "react";
import { useFlowChoices, useFlowSteps } from "./api";
import { blankDraft, KINDS, takesValue, TESTS, type Draft, type DraftKind } from "./conditions";
import type { PropertyTest } from "./types";

interface Props {
  workspace: string;
  drafts: Draft[];
  onChange: (drafts: Draft[]) => void;
  /** What each row still needs (null when complete), shown once the row was touched. */
  problems: (string | null)[];
  /** Tags seen on contacts, offered while typing one. */
  tags: readonly string[];
  /** The first row's kind when "Add a condition" is pressed. */
  addLabel?: string;
}

export function ConditionEditor({
  workspace,
  drafts,
  onChange,
  problems,
  tags,
  addLabel = "Add a condition",
}: Props) {
  const tagList = useId();
  const set = (index: number, draft: Draft) =>
    onChange(drafts.map((d, i) => (i === index ? draft : d)));
  return (
    <div className="conditions">
      <datalist id={tagList}>
        {tags.map((tag) => (
          <option key={tag} value={tag} />
        ))}
      </datalist>
      {drafts.length > 1 && (
        <p className="conditions-all">
          <strong>All of these</strong> must be true for a contact to be included.
        </p>
      )}
      <ol className="condition-list">
        {drafts.map((draft, index) => (
          <li key={index} className="condition-row" aria-label={`Condition ${index + 1}`}>
            <div className="condition-line">
              <label className="visually-hidden" htmlFor={`${tagList}-kind-${index}`}>
                Condition {index + 1}
              </label>
              <select
                id={`${tagList}-kind-${index}`}
                value={draft.kind}
                onChange={(e) =>
                  set(index, { ...blankDraft(e.target.value as DraftKind), tag: draft.tag })
                }
              >
                {KINDS.map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
                {draft.kind === "channel" && <option value="channel">Last wrote to number</option>}
              </select>
              <Parameters
                workspace={workspace}
                draft={draft}
                tagList={tagList}
                onChange={(d) => set(index, d)}
              />
              <button
                type="button"
                className="button quiet small"
                aria-label={`Remove condition ${index + 1}`}
                onClick={() => onChange(drafts.filter((_, i) => i !== index))}
              >
                ✕ Remove
              </button>
            </div>
            {problems[index] && <p className="condition-problem">{problems[index]}</p>}
          </li>
        ))}
      </ol>
      <button
        type="button"
        className="button small"
        onClick={() => onChange([...drafts, blankDraft()])}
      >
        + {addLabel}
      </button>
    </div>
  );
}

function Parameters({
  workspace,
  draft,
  tagList,
  onChange,
}: {
  workspace: string;
  draft: Draft;
  tagList: string;
  onChange: (draft: Draft) => void;
}) {
  switch (draft.kind) {
    case "tag":
    case "not_tag":
      return (
        <input
          aria-label="Tag"
          list={tagList}
          placeholder="tag, e.g. vip"
          value={draft.tag}
          onChange={(e) => onChange({ ...draft, tag: e.target.value })}
        />
      );
    case "property":
      return (
        <>
          <input
            aria-label="Field name"
            placeholder="field, e.g. city"
            value={draft.name}
            onChange={(e) => onChange({ ...draft, name: e.target.value })}
          />
          <select
            aria-label="Test"
            value={draft.test}
            onChange={(e) => onChange({ ...draft, test: e.target.value as PropertyTest })}
          >
            {TESTS.map((t) => (
              <option key={t.test} value={t.test}>
                {t.label}
              </option>
            ))}
          </select>
          {takesValue(draft.test) && (
            <input
              aria-label="Value"
              placeholder="value"
              value={draft.value}
              onChange={(e) => onChange({ ...draft, value: e.target.value })}
            />
          )}
        </>
      );
    case "marketing_consent":
      return (
        <select
          aria-label="Consent"
          value={draft.given ? "given" : "none"}
          onChange={(e) => onChange({ ...draft, given: e.target.value === "given" })}
        >
          <option value="given">Agreed to receive offers</option>
          <option value="none">Hasn't agreed to receive offers</option>
        </select>
      );
    case "wrote_within":
    case "silent_for":
      return (
        <>
          <input
            aria-label="Days"
            className="condition-days"
            inputMode="numeric"
            value={draft.days}
            onChange={(e) => onChange({ ...draft, days: e.target.value })}
          />
          <span>days</span>
        </>
      );
    case "reached":
      return <ReachedStep workspace={workspace} draft={draft} onChange={onChange} />;
    case "from_ad":
      return (
        <input
          aria-label="Ad id"
          placeholder="the ad's id, as in Ads Manager"
          value={draft.ad_id}
          onChange={(e) => onChange({ ...draft, ad_id: e.target.value })}
        />
      );
    case "channel":
      return (
        <input
          aria-label="Number"
          value={draft.channel}
          onChange={(e) => onChange({ ...draft, channel: e.target.value })}
        />
      );
    case "search":
      return (
        <input
          aria-label="Name or number"
          placeholder="e.g. Maria or +351"
          value={draft.text}
          onChange={(e) => onChange({ ...draft, text: e.target.value })}
        />
      );
  }
}

function ReachedStep({
  workspace,
  draft,
  onChange,
}: {
  workspace: string;
  draft: Draft;
  onChange: (draft: Draft) => void;
}) {
  const flows = useFlowChoices(workspace);
  const steps = useFlowSteps(workspace, draft.flow_id);
  return (
    <>
      <select
        aria-label="Step"
        value={draft.node_id}
        disabled={draft.flow_id === ""}
        onChange={(e) => onChange({ ...draft, node_id: e.target.value })}
      >
        <option value="">any step</option>
        {(steps.data ?? []).map((s) => (
          <option key={s.id} value={s.id}>
            {s.label}
          </option>
        ))}
      </select>
      <span>of</span>
      <select
        aria-label="Journey"
        value={draft.flow_id}
        onChange={(e) => onChange({ ...draft, flow_id: e.target.value, node_id: "" })}
      >
        <option value="">{flows.isLoading ? "Loading journeys…" : "Choose a journey"}</option>
        {(flows.data ?? []).map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
          </option>
        ))}
      </select>
    </>
  );
}
