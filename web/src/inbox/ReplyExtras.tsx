// What a free-text reply may carry besides its words (richReply.ts holds WhatsApp's limits):
// up to 3 quick-reply buttons under the text, whose tap comes back into the thread, or, in
// place of the text, one file WhatsApp fetches from its public https link (there is no
// upload). Each field says what is wrong with it as it is typed, before anything is sent.

import { useId } from "react";
import {
  attachmentPreview,
  attachmentProblem,
  buttonProblems,
  LONGEST_BUTTON,
  MEDIA_KINDS,
  MOST_BUTTONS,
  titleCounter,
  titleLength,
  type Attachment,
} from "./richReply";

/** The quick-reply buttons under the text: a title field each, with its count and problem. */
export function QuickReplies({
  titles,
  setTitles,
  disabled,
}: {
  titles: string[];
  /** null removes the buttons altogether (the reply goes as plain text). */
  setTitles: (titles: string[] | null) => void;
  disabled: boolean;
}) {
  const id = useId();
  const problems = buttonProblems(titles);
  const change = (index: number, title: string) =>
    setTitles(titles.map((t, i) => (i === index ? title : t)));
  const remove = (index: number) => {
    const left = titles.filter((_, i) => i !== index);
    setTitles(left.length === 0 ? null : left);
  };
  return (
    <fieldset className="composer-buttons">
      <legend>Quick replies</legend>
      <p className="composer-extra-hint">
        The contact taps one instead of typing; their tap arrives in this conversation.
      </p>
      <ol>
        {titles.map((title, index) => {
          const problem = problems[index];
          const over = titleLength(title) > LONGEST_BUTTON;
          return (
            <li key={index} className="composer-button-row">
              <input
                type="text"
                aria-label={`Button ${index + 1}`}
                placeholder={index === 0 ? "e.g. Yes please" : `Button ${index + 1}`}
                value={title}
                readOnly={disabled}
                aria-invalid={problem !== null && title.trim() !== ""}
                aria-describedby={`${id}-${index}`}
                onChange={(event) => change(index, event.target.value)}
              />
              <span className={`composer-counter${over ? " over" : ""}`} aria-hidden="true">
                {titleCounter(title)}
              </span>
              <button
                type="button"
                className="button small quiet"
                aria-label={`Remove button ${index + 1}`}
                onClick={() => remove(index)}
              >
                Remove
              </button>
              {/* An empty title is not flagged in red until the operator tries to send. */}
              <p
                id={`${id}-${index}`}
                className={`composer-button-problem${problem && title.trim() !== "" ? " shown" : ""}`}
              >
                {title.trim() !== "" ? problem : null}
              </p>
            </li>
          );
        })}
      </ol>
      {titles.length < MOST_BUTTONS ? (
        <button
          type="button"
          className="button small quiet"
          onClick={() => setTitles([...titles, ""])}
        >
          + Another button
        </button>
      ) : (
        <p className="composer-extra-hint">WhatsApp shows at most {MOST_BUTTONS} buttons.</p>
      )}
    </fieldset>
  );
}

/** The file to send instead of text: its kind, its public link, a caption, and a preview. */
export function AttachFile({
  attachment,
  setAttachment,
  disabled,
}: {
  attachment: Attachment;
  setAttachment: (attachment: Attachment) => void;
  disabled: boolean;
}) {
  const id = useId();
  const problem = attachmentProblem(attachment);
  const typed = attachment.url.trim() !== "";
  return (
    <fieldset className="composer-attach">
      <legend>Send a file</legend>
      <div className="composer-kinds" role="radiogroup" aria-label="Kind of file">
        {MEDIA_KINDS.map(({ kind, label }) => (
          <label key={kind} className={attachment.kind === kind ? "chosen" : undefined}>
            <input
              type="radio"
              name={`${id}-kind`}
              value={kind}
              checked={attachment.kind === kind}
              disabled={disabled}
              onChange={() => setAttachment({ ...attachment, kind })}
            />
            {label}
          </label>
        ))}
      </div>
      <label className="composer-field">
        <span>Link to the file</span>
        <input
          type="url"
          inputMode="url"
          placeholder="https://…"
          value={attachment.url}
          readOnly={disabled}
          aria-invalid={typed && problem !== null}
          aria-describedby={`${id}-how`}
          onChange={(event) => setAttachment({ ...attachment, url: event.target.value })}
        />
      </label>
      <p id={`${id}-how`} className="composer-extra-hint">
        WhatsApp fetches the file from this link when it sends it, so the link must be public
        (anyone who has it can open it) and start with https://. Files cannot be uploaded from here
        yet.
      </p>
      {attachment.kind !== "audio" && (
        <label className="composer-field">
          <span>Caption (optional)</span>
          <textarea
            rows={2}
            value={attachment.caption}
            readOnly={disabled}
            onChange={(event) => setAttachment({ ...attachment, caption: event.target.value })}
          />
        </label>
      )}
      {typed &&
        (problem ? (
          <p className="composer-button-problem shown">{problem}</p>
        ) : (
          <p className="composer-preview-line">
            <span className="muted">The contact gets: </span>
            {attachmentPreview(attachment)}
          </p>
        ))}
    </fieldset>
  );
}
