// Saved audiences: the list of segments with how many contacts each holds now, and the
// builder (name, description, conditions) with a live count and a sample of who matches.
// `/segments/new` opens an empty builder.

import { useMemo, useState } from "react";
import { ApiFailure, messageOf } from "../api/errors";
import { AppLink, contactPath } from "../contacts/links";
import { navigate } from "../lib/router";
import { useTitle } from "../lib/title";
import { Dialog, ErrorNote } from "../ui/Dialog";
import {
  useFlowChoices,
  usePreview,
  useSeenTags,
  useSegment,
  useSegmentActions,
  useSegments,
} from "./api";
import { audienceWords, checkAll, draftOf, type Draft } from "./conditions";
import { ConditionEditor } from "./ConditionEditor";
import type { Audience, Condition, DirectoryEntry, SegmentView } from "./types";
import { useSettled } from "./settle";
import { contactsWord, number } from "./words";
import "./audience.css";

export const NEW_SEGMENT = "new";

export function SegmentsPage({ workspace, id }: { workspace: string; id?: string | undefined }) {
  if (id === undefined) return <SegmentList workspace={workspace} />;
  if (id === NEW_SEGMENT) return <SegmentBuilder workspace={workspace} segment={null} />;
  return <SavedSegment workspace={workspace} id={id} />;
}

function SegmentList({ workspace }: { workspace: string }) {
  useTitle("Segments");
  const segments = useSegments(workspace);
  const flows = useFlowChoices(workspace);
  const flowName = (flowId: string) => flows.data?.find((f) => f.id === flowId)?.name;
  const list = segments.data?.segments ?? [];
  return (
    <main className="page audience-page">
      <p className="audience-back">
        <AppLink to="/contacts">← All contacts</AppLink>
      </p>
      <div className="page-head">
        <div>
          <h1>Segments</h1>
          <p className="muted">
            A segment is a saved group of contacts, described by conditions (“has the tag vip”,
            “wrote in the last 7 days”). Its count is always up to date: contacts join and leave as
            they change.
          </p>
        </div>
        <AppLink to={`/segments/${NEW_SEGMENT}`} className="button primary">
          New segment
        </AppLink>
      </div>
      {segments.isLoading && <p className="loading">Loading segments…</p>}
      {segments.error && (
        <ErrorNote error={`The segments could not be read. ${messageOf(segments.error)}`} />
      )}
      {segments.data && list.length === 0 && (
        <div className="card audience-empty">
          <h2>No segments yet</h2>
          <p>
            Make one to send a campaign to the same people again, or to keep an eye on a group
            (customers in Lisbon, people who agreed to offers…).
          </p>
          <AppLink to={`/segments/${NEW_SEGMENT}`} className="button primary">
            New segment
          </AppLink>
        </div>
      )}
      {list.length > 0 && (
        <table className="flow-table segment-table">
          <thead>
            <tr>
              <th className="segment-col-name">Segment</th>
              <th>Who is in it</th>
              <th className="segment-col-count">Contacts now</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id}>
                <td className="flow-name">
                  <AppLink to={`/segments/${s.id}`}>{s.name}</AppLink>
                  {s.description && <div className="muted">{s.description}</div>}
                </td>
                <td>{audienceWords((s.audience.all ?? []) as Condition[], { flow: flowName })}</td>
                <td className="segment-count">{number(s.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}

function SavedSegment({ workspace, id }: { workspace: string; id: string }) {
  const segment = useSegment(workspace, id);
  if (segment.isLoading) return <p className="loading">Loading the segment…</p>;
  if (segment.error || !segment.data) {
    const missing = segment.error instanceof ApiFailure && segment.error.status === 404;
    return (
      <main className="page audience-page">
        <p className="audience-back">
          <AppLink to="/segments">← All segments</AppLink>
        </p>
        <h1>Segment</h1>
        <ErrorNote
          error={
            missing
              ? "This segment does not exist any more: someone may have deleted it."
              : `The segment could not be read. ${messageOf(segment.error)}`
          }
        />
      </main>
    );
  }
  return <SegmentBuilder workspace={workspace} segment={segment.data} />;
}

function SegmentBuilder({
  workspace,
  segment,
}: {
  workspace: string;
  segment: SegmentView | null;
}) {
  useTitle(segment ? segment.name : "New segment");
  const actions = useSegmentActions(workspace);
  const [name, setName] = useState(segment?.name ?? "");
  const [description, setDescription] = useState(segment?.description ?? "");
  const [drafts, setDrafts] = useState<Draft[]>(() =>
    ((segment?.audience.all ?? []) as Condition[]).map(draftOf),
  );
  const [nameProblem, setNameProblem] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const { conditions, problems } = useMemo(() => checkAll(drafts), [drafts]);
  const audience = useSettled<Audience>({ all: conditions });
  const preview = usePreview(workspace, audience);
  const tags = useSeenTags(workspace).data ?? [];

  const save = () => {
    setSaveError(null);
    setSaved(false);
    if (name.trim() === "") {
      setNameProblem("Give the segment a name, e.g. “Customers in Lisbon”.");
      return;
    }
    if (problems.some((p) => p !== null)) {
      setSaveError("Finish or remove the conditions marked below first.");
      return;
    }
    const input = {
      name: name.trim(),
      description: description.trim() === "" ? null : description.trim(),
      audience: { all: conditions },
    };
    const onError = (error: unknown) => {
      if (error instanceof ApiFailure && error.status === 409) {
        setNameProblem("Another segment has this name already: choose another one.");
      } else setSaveError(`The segment was not saved. ${messageOf(error)}`);
    };
    if (segment) {
      actions.replace.mutate(
        { id: segment.id, input },
        { onSuccess: () => setSaved(true), onError },
      );
    } else {
      actions.create.mutate(input, {
        onSuccess: (created) => navigate(`/segments/${created.id}`),
        onError,
      });
    }
  };

  const count = preview.data?.count;
  return (
    <main className="page audience-page">
      <p className="audience-back">
        <AppLink to="/segments">← All segments</AppLink>
      </p>
      <h1>{segment ? segment.name : "New segment"}</h1>
      <div className="segment-builder">
        <form
          className="card stack"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <div className="field">
            <label htmlFor="segment-name">Name</label>
            <input
              id="segment-name"
              value={name}
              aria-invalid={nameProblem !== null}
              onChange={(e) => {
                setName(e.target.value);
                setNameProblem(null);
                setSaved(false);
              }}
            />
            {nameProblem && <p className="field-problem">{nameProblem}</p>}
          </div>
          <div className="field">
            <label htmlFor="segment-description">Description (optional)</label>
            <input
              id="segment-description"
              value={description}
              onChange={(e) => {
                setDescription(e.target.value);
                setSaved(false);
              }}
            />
          </div>
          <fieldset className="segment-conditions">
            <legend>Who is in it</legend>
            {drafts.length === 0 && (
              <p className="muted">
                No conditions yet: every contact is in it. Add conditions to narrow it down;
                contacts must match all of them.
              </p>
            )}
            <ConditionEditor
              workspace={workspace}
              drafts={drafts}
              onChange={(next) => {
                setDrafts(next);
                setSaved(false);
              }}
              problems={problems}
              tags={tags}
            />
          </fieldset>
          <ErrorNote error={saveError} />
          <div className="actions segment-actions">
            {segment && (
              <button
                type="button"
                className="button danger"
                onClick={() => setConfirmDelete(true)}
              >
                Delete segment
              </button>
            )}
            <span className="spacer" />
            {saved && (
              <span role="status" className="saved-note">
                ✓ Saved
              </span>
            )}
            <button
              type="submit"
              className="button primary"
              disabled={actions.create.isPending || actions.replace.isPending}
            >
              {segment ? "Save changes" : "Save segment"}
            </button>
          </div>
        </form>
        <aside className="card segment-preview" aria-label="Who matches now">
          <p className="segment-live" role="status">
            {count === undefined
              ? preview.error
                ? "The count could not be read."
                : "Counting…"
              : `${contactsWord(count)} ${count === 1 ? "matches" : "match"} now`}
          </p>
          {preview.error && <ErrorNote error={messageOf(preview.error)} />}
          {preview.data && preview.data.sample.length > 0 && (
            <>
              <h2 className="segment-sample-title">
                {preview.data.sample.length < (count ?? 0)
                  ? `${preview.data.sample.length} of them, the latest to write first`
                  : "Who they are"}
              </h2>
              <SampleList sample={preview.data.sample} />
            </>
          )}
          {count === 0 && <p className="muted">Nobody matches these conditions right now.</p>}
        </aside>
      </div>
      {confirmDelete && segment && (
        <Dialog title="Delete this segment?" onClose={() => setConfirmDelete(false)}>
          <p>
            “{segment.name}” will be deleted. Its contacts stay as they are; only the saved
            conditions go.
          </p>
          <ErrorNote error={actions.remove.error ? messageOf(actions.remove.error) : null} />
          <div className="actions">
            <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="button danger-solid"
              disabled={actions.remove.isPending}
              onClick={() =>
                actions.remove.mutate(segment.id, { onSuccess: () => navigate("/segments") })
              }
            >
              Delete segment
            </button>
          </div>
        </Dialog>
      )}
    </main>
  );
}

function SampleList({ sample }: { sample: DirectoryEntry[] }) {
  return (
    <ul className="segment-sample">
      {sample.map((c, i) => {
        const label = c.name?.trim() || c.phone || "Unnamed contact";
        return (
          <li key={c.phone ?? c.bsuid ?? i}>
            {c.phone ? (
              <AppLink to={contactPath(c.phone.replace(/^\+/, ""))}>{label}</AppLink>
            ) : (
              label
            )}
            {c.name && c.phone && <span className="muted"> · {c.phone}</span>}
          </li>
        );
      })}
    </ul>
  );
}
