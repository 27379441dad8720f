// Where the draft stands (saved, saving, offline, signed out, conflict), and, after someone
// else saved the same flow with changes that touch ours, the choice of what to keep. The
// choice is a bar above the canvas, not a dialog: the person can look at the flow first.

import { useState } from "react";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import { getDocument } from "../document";
import type { Conflict } from "../document/merge";
import {
  applyChoices,
  conflictId,
  takeTheirs,
  useSaveState,
  type Choice,
  type SaveStatus,
} from "../document/save";
import { uniqueId, uniqueName } from "../flows/documents";
import { navigate } from "../lib/router";

const STATUS_TEXT: Record<SaveStatus, string> = {
  saved: "All changes saved",
  unsaved: "Unsaved changes…",
  saving: "Saving…",
  offline: "Offline: your changes are kept in this browser and saved when Spool is back",
  "signed-out": "Signed out: sign in again to save your changes (they are kept)",
  conflict: "Not saved: someone else changed this flow",
  failed: "Not saved",
};

export function SaveStatusBadge() {
  const status = useSaveState((s) => s.status);
  const message = useSaveState((s) => s.message);
  return (
    <span className={`save-status save-${status}`} role="status" data-status={status}>
      {STATUS_TEXT[status]}
      {status === "failed" && message ? `: ${message}` : ""}
    </span>
  );
}

function describe(conflict: Conflict): string {
  switch (conflict.kind) {
    case "node":
      if (conflict.theirs === null) return `Step ${conflict.key}: you changed it, they deleted it.`;
      if (conflict.mine === null) return `Step ${conflict.key}: you deleted it, they changed it.`;
      return onlyMoved(conflict)
        ? `Step ${conflict.key}: you both moved it.`
        : `Step ${conflict.key}: you both changed it.`;
    case "note":
      return `A note: you both changed it.`;
    case "edge":
      return `Where ${conflict.key} leads: you and they chose differently.`;
    case "field":
      return `The flow's ${conflict.key}: you both changed it.`;
  }
}

/** Whether both sides kept the step as it was but put it in different places. */
function strip(value: unknown): string {
  return JSON.stringify({ ...(value as Record<string, unknown>), position: undefined });
}

function onlyMoved(conflict: Conflict): boolean {
  return (
    conflict.kind === "node" &&
    conflict.mine !== null &&
    conflict.theirs !== null &&
    strip(conflict.mine) === strip(conflict.theirs)
  );
}

/** A short view of one side of a conflict, for people, not JSON. */
function side(conflict: Conflict, which: "mine" | "theirs"): string {
  const value = conflict[which];
  if (onlyMoved(conflict)) return which === "mine" ? "where you put it" : "where they put it";
  if (value === null || value === undefined) return "(deleted)";
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null) {
    const v = value as { to?: string; config?: Record<string, unknown>; text?: string };
    if (v.to) return `leads to ${v.to}`;
    if (v.text !== undefined) return v.text;
    const text = v.config?.text ?? v.config?.body ?? v.config?.prompt;
    if (typeof text === "string") return `“${text}”`;
    return "changed settings";
  }
  return String(value);
}

export function ConflictBar({ workspace }: { workspace: string }) {
  const conflict = useSaveState((s) => s.conflict);
  const [reviewing, setReviewing] = useState(false);
  const [choices, setChoices] = useState<Map<string, Choice>>(new Map());
  const [copying, setCopying] = useState<string | null>(null);
  const [copied, setCopied] = useState<{ id: string; name: string } | null>(null);
  if (!conflict) {
    return copied ? (
      <p className="notice" role="status">
        Your version is saved as a new flow, “{copied.name}”.{" "}
        <a
          href={`/flows/${encodeURIComponent(copied.id)}`}
          onClick={(e) => {
            e.preventDefault();
            navigate(`/flows/${encodeURIComponent(copied.id)}`);
          }}
        >
          Open it
        </a>
      </p>
    ) : null;
  }

  async function keepMineAsCopy() {
    const mine = getDocument();
    if (!mine) return;
    setCopying(null);
    try {
      const flows = await ok(
        api.GET("/api/v1/workspaces/{workspace}/flows", { params: { path: { workspace } } }),
      );
      const name = uniqueName(`${mine.name} (my version)`, new Set(flows.map((f) => f.name)));
      const id = uniqueId(name, new Set(flows.map((f) => f.id)));
      await ok(
        api.POST("/api/v1/workspaces/{workspace}/flows", {
          params: { path: { workspace } },
          body: { ...mine, id, name },
        }),
      );
      setCopied({ id, name });
      takeTheirs();
    } catch (error) {
      setCopying(messageOf(error));
    }
  }

  const count = conflict.conflicts.length;
  return (
    <section className="conflict-bar" aria-label="Conflicting changes" role="alert">
      <p>
        <strong>Someone else saved this flow while you were editing.</strong> Their other changes
        are merged in;{" "}
        {count === 1 ? "one of your changes touches" : `${count} of your changes touch`} theirs.
        Nothing is lost until you choose.
      </p>
      <div className="conflict-actions">
        <button type="button" className="button" onClick={() => setReviewing((r) => !r)}>
          {reviewing ? "Hide the changes" : "Review the changes"}
        </button>
        <button type="button" className="button" onClick={() => void keepMineAsCopy()}>
          Keep mine as a copy
        </button>
        <button type="button" className="button" onClick={takeTheirs}>
          Take theirs
        </button>
      </div>
      {copying && <p className="error-note">Your copy could not be made. {copying}</p>}
      {reviewing && (
        <form
          className="conflict-review"
          onSubmit={(e) => {
            e.preventDefault();
            applyChoices(choices);
            setChoices(new Map());
            setReviewing(false);
          }}
        >
          {conflict.conflicts.map((c) => {
            const id = conflictId(c);
            const chosen = choices.get(id) ?? "mine";
            const choose = (choice: Choice) => setChoices(new Map(choices).set(id, choice));
            return (
              <fieldset key={id}>
                <legend>{describe(c)}</legend>
                <label>
                  <input
                    type="radio"
                    name={id}
                    checked={chosen === "mine"}
                    onChange={() => choose("mine")}
                  />{" "}
                  Keep mine: {side(c, "mine")}
                </label>
                <label>
                  <input
                    type="radio"
                    name={id}
                    checked={chosen === "theirs"}
                    onChange={() => choose("theirs")}
                  />{" "}
                  Take theirs: {side(c, "theirs")}
                </label>
              </fieldset>
            );
          })}
          <button type="submit" className="button primary">
            Save with these choices
          </button>
        </form>
      )}
    </section>
  );
}
