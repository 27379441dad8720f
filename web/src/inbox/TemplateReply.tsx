// The composer once the contact's 24-hour window has closed: WhatsApp lets a business write
// first only with a template Meta approved, so free text is replaced by a picker of the
// approved ones (each with its category and language; a Marketing one held back, saying
// why, from a contact who has not agreed to Marketing messages), a field per placeholder
// and a live preview of what the contact will read. Without templates, it says what to do.

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, ok } from "../api/client";
import { messageOf } from "../api/errors";
import type { components } from "../api/schema";
import { previewOf } from "../forms/TemplatePicker";
import { ErrorNote } from "../ui/Dialog";
import { useTemplates, type ReplySend } from "./api";
import { missingValues, sizedValues, templateChoices, type TemplateChoice } from "./composerRules";

type TemplateList = components["schemas"]["TemplateList"];

interface Props {
  workspace: string;
  ticketId: string;
  reply: ReplySend;
  /** The contact has never written (rather than: not in the last 24 hours). */
  neverWrote: boolean;
  /** The contact's Marketing consent; undefined while (or if) the contact cannot be read. */
  marketingOptIn: boolean | undefined;
  role: string | undefined;
  /** Where a refusal is told (under the composer, in the server's words). */
  setRefusal: (why: string | null) => void;
}

export function TemplateReply({
  workspace,
  ticketId,
  reply,
  neverWrote,
  marketingOptIn,
  role,
  setRefusal,
}: Props) {
  const templates = useTemplates(workspace);
  const [chosenKey, setChosenKey] = useState<string | null>(null);
  const [values, setValues] = useState<string[]>([]);

  const closedWords = (
    <p className="composer-closed" role="status">
      {neverWrote
        ? "They have not written to this number yet: WhatsApp only allows an approved template to start the conversation."
        : "More than 24 hours since they wrote: WhatsApp only allows an approved template now."}
    </p>
  );
  if (templates.isLoading) {
    return (
      <>
        {closedWords}
        <p className="muted">Loading your approved templates…</p>
      </>
    );
  }
  if (templates.error || !templates.data) {
    return (
      <>
        {closedWords}
        <ErrorNote error={`Your templates could not be read. ${messageOf(templates.error)}`} />
      </>
    );
  }
  const choices = templateChoices(templates.data.templates, { marketingOptIn });
  if (choices.length === 0) {
    return (
      <>
        {closedWords}
        <NoTemplates workspace={workspace} list={templates.data} role={role} />
      </>
    );
  }

  const chosen = choices.find((c) => c.key === chosenKey && c.unavailable === null);
  const filled = chosen ? sizedValues(values, chosen.placeholders.length) : [];
  const missing = chosen ? missingValues(chosen.placeholders, filled) : [];
  const pick = (choice: TemplateChoice) => {
    setChosenKey(choice.key);
    setValues((previous) => sizedValues(previous, choice.placeholders.length));
    setRefusal(null);
  };
  const send = () => {
    if (!chosen || missing.length > 0 || reply.isPending) return;
    setRefusal(null);
    const { name, language } = chosen.template;
    reply.mutate(
      { template: { name, language, body: filled.map((v) => v.trim()) } },
      {
        onSuccess: () => (setChosenKey(null), setValues([])),
        onError: (failure) => setRefusal(messageOf(failure)),
      },
    );
  };

  return (
    <form
      className="composer-template"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      {closedWords}
      <fieldset className="template-choices">
        <legend>Approved templates</legend>
        <ul>
          {choices.map((choice) => (
            <li key={choice.key}>
              <label className={`template-choice${choice.unavailable ? " unavailable" : ""}`}>
                <input
                  type="radio"
                  name={`template-${ticketId}`}
                  value={choice.key}
                  checked={chosen?.key === choice.key}
                  disabled={choice.unavailable !== null || reply.isPending}
                  onChange={() => pick(choice)}
                />
                <span className="template-choice-words">
                  <span className="template-choice-name">
                    {choice.template.name}
                    <span className={`template-category ${choice.category.toLowerCase()}`}>
                      {choice.category}
                    </span>
                    <span className="template-language">{choice.template.language}</span>
                  </span>
                  {choice.body && <span className="template-choice-body">{choice.body}</span>}
                  {choice.unavailable && (
                    <span className="template-choice-why">{choice.unavailable}</span>
                  )}
                </span>
              </label>
            </li>
          ))}
        </ul>
      </fieldset>

      {chosen && (
        <div className="template-fill">
          {chosen.placeholders.length > 0 && (
            <div className="template-values">
              {chosen.placeholders.map((label, i) => (
                <label key={`${chosen.key}-${i}`} className="template-value">
                  <span>Value for {label}</span>
                  <input
                    type="text"
                    value={filled[i] ?? ""}
                    readOnly={reply.isPending}
                    onChange={(event) => {
                      const next = [...filled];
                      next[i] = event.target.value;
                      setValues(next);
                    }}
                  />
                </label>
              ))}
            </div>
          )}
          <figure className="template-preview" aria-label="What the contact will read">
            <figcaption>What the contact will read</figcaption>
            <p>
              {chosen.body ? (
                previewOf(chosen.body, filled).map((part, i) => (
                  <span key={i} className={part.filled ? "filled" : undefined}>
                    {part.text}
                  </span>
                ))
              ) : (
                <span className="muted">This template's words were not synced.</span>
              )}
            </p>
          </figure>
          <div className="template-send">
            <button
              type="submit"
              className="button primary"
              disabled={missing.length > 0 || reply.isPending}
            >
              {reply.isPending ? "Sending…" : "Send template"}
            </button>
            {missing.length > 0 && (
              <span className="muted">Fill in {missing.join(", ")} to send it.</span>
            )}
          </div>
        </div>
      )}
    </form>
  );
}

/**
 * No approved template to offer: why, and what to do. An editor or admin can read the
 * templates from Meta again here (one just approved shows then).
 */
function NoTemplates({
  workspace,
  list,
  role,
}: {
  workspace: string;
  list: TemplateList;
  role: string | undefined;
}) {
  const queryClient = useQueryClient();
  const sync = list.syncs[0];
  const channel = sync?.channels[0];
  const reread = useMutation({
    mutationFn: (channelId: string) =>
      ok(
        api.POST("/api/v1/workspaces/{workspace}/channels/{channel}/templates/sync", {
          params: { path: { workspace, channel: channelId } },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["templates", workspace] }),
  });
  if (!sync) {
    return (
      <p className="composer-empty">
        There are no templates to send: no WhatsApp number is connected to this workspace yet. An
        admin connects one (see “WhatsApp setup” in Spool's documentation); its templates are then
        read from Meta, and the approved ones show here.
      </p>
    );
  }
  const why = sync.last_error
    ? `Your templates could not be read from Meta: ${sync.last_error}`
    : sync.synced_at
      ? "None of your WhatsApp number's templates is approved by Meta yet. Templates are written and submitted in Meta's WhatsApp Manager; once one is approved, read them again."
      : "Your WhatsApp number's templates have not been read from Meta yet.";
  const canSync = role === "editor" || role === "admin";
  return (
    <div className="composer-empty">
      <p>{why}</p>
      {canSync && channel ? (
        <button
          type="button"
          className="button"
          disabled={reread.isPending}
          onClick={() => reread.mutate(channel)}
        >
          {reread.isPending ? "Reading templates…" : "Read templates from Meta again"}
        </button>
      ) : (
        <p className="muted">An editor or admin can read them from Meta again.</p>
      )}
      {reread.data && <p className="muted">{reread.data.message}</p>}
      <ErrorNote error={reread.error && messageOf(reread.error)} />
    </div>
  );
}
