// One message of a ticket's conversation, drawn as WhatsApp Web draws it for the business:
// the contact's on the left, the business's on the right, with the time and ticks inside the
// bubble and, under a message out, who sent it and what became of it in words. Nothing in it
// can be tapped: reply buttons and list rows are shown as the contact saw them, to be read.
// (The test chat's bubbles in simulate/Bubbles.tsx are made to be tapped, as the contact.)
// A private note of the team is no bubble: a yellow card across the thread, saying who
// wrote it and that only the team sees it, with no ticks (it never went anywhere).

import type { components } from "../api/schema";
import { componentsOf, previewOf } from "../forms/TemplatePicker";
import type { ContactMessage, FlowMessage } from "../simulate/model";
import {
  contentOf,
  failureWords,
  noteWords,
  senderWords,
  statusOf,
  timeWords,
  windowClosedWords,
} from "./conversation";
import type { MessageView } from "./types";

type TemplateInfo = components["schemas"]["TemplateInfo"];

interface Props {
  message: MessageView;
  /** The signed-in operator, to say "You" for their own replies. */
  me: string | undefined;
  /** The workspace's templates, to show a template's own words when known. */
  templates: readonly TemplateInfo[] | undefined;
}

export function MessageBubble({ message, me, templates }: Props) {
  if (message.direction === "note") return <NoteCard message={message} me={me} />;
  const content = contentOf(message);
  const out = message.direction === "out";
  const status = statusOf(message.status);
  const sender = senderWords(message, me);
  return (
    <li className={`msg-row ${out ? "msg-out" : "msg-in"}`} data-status={message.status}>
      <div className={`msg${status?.tone === "failed" ? " msg-failed" : ""}`}>
        {message.window_closed && <span className="msg-window">{windowClosedWords(content)}</span>}
        {content.kind === "out" ? (
          <OutContent body={content.body} templates={templates} />
        ) : content.kind === "in" ? (
          <InContent content={content.content} />
        ) : (
          <p className="msg-text">
            {message.text || <span className="muted">A message this inbox cannot show.</span>}
          </p>
        )}
        <span className="msg-time">
          {timeWords(message)}
          {status && (
            <span className={`msg-ticks ${status.tone}`} aria-hidden="true">
              {status.tone === "waiting" ? <ClockIcon /> : status.ticks}
            </span>
          )}
        </span>
      </div>
      {content.kind === "out" && <Choices body={content.body} templates={templates} />}
      {out && (
        <p className="msg-meta">
          {sender && <span>{sender}</span>}
          {status && <span className={`msg-status ${status.tone}`}>{status.words}</span>}
        </p>
      )}
      {(message.status === "failed" || message.status === "refused") && (
        <p className="msg-error">{failureWords(message.error, message.status)}</p>
      )}
    </li>
  );
}

function NoteCard({ message, me }: { message: MessageView; me: string | undefined }) {
  const words = noteWords(message, me);
  return (
    <li className="msg-note-row" data-status="note" aria-label={words}>
      <div className="msg-note">
        <p className="msg-note-label">
          {words}
          <span className="msg-note-time">{timeWords(message)}</span>
        </p>
        <p className="msg-text">{message.text}</p>
      </div>
    </li>
  );
}

function OutContent({
  body,
  templates,
}: {
  body: FlowMessage;
  templates: readonly TemplateInfo[] | undefined;
}) {
  switch (body.type) {
    case "text":
      return <p className="msg-text">{body.text}</p>;
    case "media":
      return (
        <>
          <MediaFrame kind={body.kind} name={body.filename ?? fileName(body.url)} link={body.url} />
          {body.caption && <p className="msg-text">{body.caption}</p>}
        </>
      );
    case "buttons":
      return (
        <>
          {body.header && <strong className="msg-header">{body.header}</strong>}
          <p className="msg-text">{body.text}</p>
          {body.footer && <small className="msg-footer">{body.footer}</small>}
        </>
      );
    case "list":
      return (
        <>
          {body.header && <strong className="msg-header">{body.header}</strong>}
          <p className="msg-text">{body.text}</p>
          {body.footer && <small className="msg-footer">{body.footer}</small>}
          <span className="msg-list-button">☰ {body.button}</span>
        </>
      );
    case "template":
      return <TemplateContent body={body} templates={templates} />;
  }
}

function TemplateContent({
  body,
  templates,
}: {
  body: Extract<FlowMessage, { type: "template" }>;
  templates: readonly TemplateInfo[] | undefined;
}) {
  const known = templates?.find((t) => t.name === body.name && t.language === body.language);
  const parts = known ? componentsOf(known) : [];
  const part = (type: string) => parts.find((p) => p.type?.toUpperCase() === type);
  const header = part("HEADER")?.text;
  const text = part("BODY")?.text;
  const footer = part("FOOTER")?.text;
  const values = body.body ?? [];
  const headerValues = body.header ?? [];
  return (
    <>
      <span className="msg-template-tag">
        Template {body.name} · {categoryWords(body.category)} · {body.language}
      </span>
      {header ? (
        <strong className="msg-header">
          <Filled text={header} values={headerValues} />
        </strong>
      ) : (
        headerValues.length > 0 && (
          <strong className="msg-header">{headerValues.join(" · ")}</strong>
        )
      )}
      {text ? (
        <p className="msg-text">
          <Filled text={text} values={values} />
        </p>
      ) : (
        values.length > 0 && (
          // The template's words are not known here (not synced): its values, in order.
          <dl className="msg-values" aria-label="Values filled in">
            {values.map((value, i) => (
              <div key={i}>
                <dt>{`{{${i + 1}}}`}</dt>
                <dd className="filled">{value}</dd>
              </div>
            ))}
          </dl>
        )
      )}
      {footer && <small className="msg-footer">{footer}</small>}
    </>
  );
}

/** The buttons or list rows under a message out, as the contact saw them (not tappable). */
function Choices({
  body,
  templates,
}: {
  body: FlowMessage;
  templates: readonly TemplateInfo[] | undefined;
}) {
  if (body.type === "buttons") {
    return (
      <ul className="msg-choices" aria-label="Reply buttons">
        {body.buttons.map((button) => (
          <li key={button.id}>{button.title}</li>
        ))}
      </ul>
    );
  }
  if (body.type === "list") {
    return (
      <div className="msg-rows" aria-label={`The list behind “${body.button}”`}>
        {body.sections.map((section, s) => (
          <div key={s}>
            {section.title && <h4>{section.title}</h4>}
            <ul>
              {section.rows.map((row) => (
                <li key={row.id}>
                  {row.title}
                  {row.description && <small>{row.description}</small>}
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    );
  }
  if (body.type === "template") {
    const titles = templateButtons(body, templates);
    if (titles.length === 0) return null;
    return (
      <ul className="msg-choices" aria-label="Template buttons">
        {titles.map((title, i) => (
          <li key={i}>{title}</li>
        ))}
      </ul>
    );
  }
  return null;
}

/** A template's buttons: its own when known, else those the send gave a value to. */
function templateButtons(
  body: Extract<FlowMessage, { type: "template" }>,
  templates: readonly TemplateInfo[] | undefined,
): string[] {
  const known = templates?.find((t) => t.name === body.name && t.language === body.language);
  const own = (known ? componentsOf(known) : []).find((p) => p.type?.toUpperCase() === "BUTTONS");
  if (own?.buttons && own.buttons.length > 0) {
    return own.buttons.map((b) =>
      b.type?.toUpperCase() === "URL" ? `${b.text ?? "Link"} ↗` : (b.text ?? ""),
    );
  }
  return (body.buttons ?? []).map((b) =>
    b.sub_type === "quick_reply" ? b.parameter : `Link …/${b.parameter} ↗`,
  );
}

function InContent({ content }: { content: ContactMessage }) {
  switch (content.type) {
    case "text":
      return <p className="msg-text">{content.body}</p>;
    case "button_reply":
      return <Tapped title={content.title} how="Tapped a button" />;
    case "list_reply":
      return <Tapped title={content.title} how="Picked from the list" />;
    case "template_button":
      return <Tapped title={content.text} how="Tapped a template button" />;
    case "media":
      return (
        <>
          <MediaFrame kind={content.kind} />
          {content.caption && <p className="msg-text">{content.caption}</p>}
        </>
      );
    case "location":
      return (
        <p className="msg-text">
          📍 {content.name ?? "A shared location"}
          <small className="msg-footer">
            {content.address ? `${content.address} · ` : ""}
            {content.latitude.toFixed(4)}, {content.longitude.toFixed(4)}
          </small>
        </p>
      );
  }
}

function Tapped({ title, how }: { title: string; how: string }) {
  return (
    <>
      <small className="msg-footer msg-tapped-how">{how}</small>
      <p className="msg-text msg-tapped">↩ {title}</p>
    </>
  );
}

/**
 * A file, by its kind (nothing is fetched to show it); a file sent by its public link opens
 * from its name, so the operator can check what the contact got.
 */
function MediaFrame({ kind, name, link }: { kind: string; name?: string; link?: string }) {
  const https = link?.startsWith("https://") ? link : undefined;
  return (
    <div className="msg-media" aria-label={`${mediaWord(kind)} file`}>
      <span>{mediaWord(kind)}</span>
      {name &&
        (https ? (
          <a href={https} target="_blank" rel="noreferrer noopener" title={https}>
            {name} ↗
          </a>
        ) : (
          <small>{name}</small>
        ))}
    </div>
  );
}

/** WhatsApp's clock for a message not sent yet (drawn: not every system has the emoji). */
function ClockIcon() {
  return (
    <svg className="msg-clock" viewBox="0 0 16 16" width="11" height="11">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  );
}

function Filled({ text, values }: { text: string; values: readonly string[] }) {
  return previewOf(text, values).map((p, i) => (
    <span key={i} className={p.filled ? "filled" : undefined}>
      {p.text}
    </span>
  ));
}

function categoryWords(category: string): string {
  const lower = category.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The kind of file, shown in place of the file itself (nothing is fetched). */
function mediaWord(kind: string): string {
  const known: Record<string, string> = {
    image: "Photo",
    sticker: "Sticker",
    video: "Video",
    audio: "Voice message",
    document: "Document",
  };
  return Object.hasOwn(known, kind) ? (known[kind] ?? kind) : kind;
}

function fileName(url: string): string {
  const last = (url.split(/[?#]/)[0] ?? url).split("/").pop();
  return last && last !== "" ? last : url;
}
