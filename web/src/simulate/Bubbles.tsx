// The chat's messages as WhatsApp shows them: the flow's on the left (text, media, a message
// with reply buttons under it, a list opened by its button, a template with its values
// filled in), the contact's on the right, and between them notes of what happened and, in
// words, why a send was refused.

import { useState } from "react";
import type { components } from "../api/schema";
import { componentsOf, previewOf } from "../forms/TemplatePicker";
import {
  readableTimes,
  type ChatItem,
  type Choice,
  type ContactMessage,
  type FlowMessage,
  type Refusal,
} from "./model";

type TemplateInfo = components["schemas"]["TemplateInfo"];

export interface ChatActions {
  /** The contact taps a reply button or a template's quick reply (by its id or payload). */
  tap: (id: string) => void;
  /** The contact picks a list row. */
  pick: (rowId: string) => void;
  /** True while an action is on its way: nothing else can be tapped. */
  busy: boolean;
}

interface Props {
  item: ChatItem;
  actions: ChatActions;
  /** The workspace's approved templates, to show a template's own words when known. */
  templates?: readonly TemplateInfo[];
  /** Node names to show instead of ids. */
  label?: (nodeId: string) => string;
}

export function ChatBubble({ item, actions, templates, label = (id) => id }: Props) {
  const time = item.entry.at.slice(11, 16);
  switch (item.kind) {
    case "flow":
      return (
        <div className="bubble-row from-flow" data-node={item.entry.node_id ?? undefined}>
          <FlowBubble message={item.message} actions={actions} templates={templates} time={time} />
        </div>
      );
    case "contact":
      return (
        <div className="bubble-row from-contact">
          <div className="bubble contact-bubble">
            <ContactContent message={item.message} text={item.entry.text} />
            <span className="bubble-time">{time} ✓✓</span>
          </div>
        </div>
      );
    case "refusal":
      return <RefusalNotice refusal={item.refusal} label={label} />;
    case "stub":
      return (
        <p className="chat-note chat-stub" data-node={item.entry.node_id ?? undefined}>
          <span className="chat-note-time">{time}</span>{" "}
          <span className="stub-mark">Test answer</span> {item.stub.call}{" "}
          {outcomeInWords(item.stub.outcome)} (no real call).
        </p>
      );
    case "note":
      return (
        <p className="chat-note">
          <span className="chat-note-time">{time}</span> {readableTimes(item.entry.text)}
        </p>
      );
  }
}

/** `the AI answers “…”` → `answers “…”`, after the AI's name; `answers 201` as it is. */
function outcomeInWords(outcome: string): string {
  return outcome.replace(/^the AI answers\b/, "answers");
}

export function RefusalNotice({
  refusal,
  label = (id) => id,
}: {
  refusal: Refusal;
  label?: (nodeId: string) => string;
}) {
  const held = refusal.code === "quiet_hours";
  return (
    <div className={`chat-refusal ${held ? "held" : "refused"}`} role="status">
      <strong>{held ? "Held back" : "WhatsApp would refuse this"}</strong>
      {refusal.nodeId && <span className="muted"> · step {label(refusal.nodeId)}</span>}
      <p>{refusal.words}</p>
    </div>
  );
}

function FlowBubble({
  message,
  actions,
  templates,
  time,
}: {
  message: FlowMessage;
  actions: ChatActions;
  templates?: readonly TemplateInfo[];
  time: string;
}) {
  switch (message.type) {
    case "text":
      return (
        <div className="bubble flow-bubble">
          <Linked text={message.text} />
          <span className="bubble-time">{time}</span>
        </div>
      );
    case "media":
      return (
        <div className="bubble flow-bubble media-bubble">
          <div className={`media-frame media-${message.kind}`} aria-label={`${message.kind} file`}>
            <span className="media-kind">{mediaWord(message.kind)}</span>
            <small>{message.filename ?? fileName(message.url)}</small>
          </div>
          {message.caption && <p className="bubble-text">{message.caption}</p>}
          <span className="bubble-time">{time}</span>
        </div>
      );
    case "buttons":
      return (
        <div className="bubble-stack">
          <div className="bubble flow-bubble">
            {message.header && <strong className="bubble-header">{message.header}</strong>}
            <Linked text={message.text} />
            {message.footer && <small className="bubble-footer">{message.footer}</small>}
            <span className="bubble-time">{time}</span>
          </div>
          <div className="reply-buttons">
            {message.buttons.map((button) => (
              <button
                key={button.id}
                type="button"
                className="reply-button"
                disabled={actions.busy}
                onClick={() => actions.tap(button.id)}
              >
                {button.title}
              </button>
            ))}
          </div>
        </div>
      );
    case "list":
      return <ListBubble message={message} actions={actions} time={time} />;
    case "template":
      return (
        <TemplateBubble message={message} actions={actions} templates={templates} time={time} />
      );
  }
}

function ListBubble({
  message,
  actions,
  time,
}: {
  message: Extract<FlowMessage, { type: "list" }>;
  actions: ChatActions;
  time: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <div className="bubble-stack">
      <div className="bubble flow-bubble">
        {message.header && <strong className="bubble-header">{message.header}</strong>}
        <Linked text={message.text} />
        {message.footer && <small className="bubble-footer">{message.footer}</small>}
        <span className="bubble-time">{time}</span>
        <button
          type="button"
          className="list-open"
          aria-expanded={open}
          disabled={actions.busy}
          onClick={() => setOpen(!open)}
        >
          ☰ {message.button}
        </button>
      </div>
      {open && (
        <div className="list-sheet" role="dialog" aria-label={message.button}>
          <div className="list-sheet-head">
            <strong>{message.button}</strong>
            <button type="button" className="button small quiet" onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
          {message.sections.map((section, s) => (
            <div key={s} className="list-section">
              {section.title && <h4>{section.title}</h4>}
              {section.rows.map((row: Choice) => (
                <button
                  key={row.id}
                  type="button"
                  className="list-row"
                  disabled={actions.busy}
                  onClick={() => {
                    setOpen(false);
                    actions.pick(row.id);
                  }}
                >
                  <span>{row.title}</span>
                  {row.description && <small>{row.description}</small>}
                </button>
              ))}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function TemplateBubble({
  message,
  actions,
  templates,
  time,
}: {
  message: Extract<FlowMessage, { type: "template" }>;
  actions: ChatActions;
  templates?: readonly TemplateInfo[];
  time: string;
}) {
  const known = templates?.find((t) => t.name === message.name && t.language === message.language);
  const parts = known ? componentsOf(known) : [];
  const part = (type: string) => parts.find((p) => p.type?.toUpperCase() === type);
  const header = part("HEADER");
  const body = part("BODY");
  const footer = part("FOOTER");
  const metaButtons = part("BUTTONS")?.buttons ?? [];
  const values = message.body ?? [];
  const headerValues = message.header ?? [];
  const sent = message.buttons ?? [];
  // Buttons as the contact sees them: the template's own ones when known, else those the
  // send gave a value to (a link's suffix, a quick reply's payload).
  const buttons =
    metaButtons.length > 0
      ? metaButtons.map((b, index) => ({
          index,
          quickReply: b.type?.toUpperCase() === "QUICK_REPLY",
          title: b.text ?? "",
          payload: sent.find((s) => s.index === index)?.parameter ?? b.text ?? "",
        }))
      : sent.map((s) => ({
          index: s.index,
          quickReply: s.sub_type === "quick_reply",
          title: s.sub_type === "quick_reply" ? s.parameter : `Link …/${s.parameter}`,
          payload: s.parameter,
        }));
  return (
    <div className="bubble-stack">
      <div className="bubble flow-bubble template-bubble">
        <span className="template-tag">
          Template {message.name} · {categoryInWords(message.category)} · {message.language}
        </span>
        {header?.text ? (
          <strong className="bubble-header">
            <Filled text={header.text} values={headerValues} />
          </strong>
        ) : (
          headerValues.length > 0 && (
            <strong className="bubble-header">{headerValues.join(" · ")}</strong>
          )
        )}
        {body?.text ? (
          <p className="bubble-text">
            <Filled text={body.text} values={values} />
          </p>
        ) : (
          values.length > 0 && (
            <dl className="template-values" aria-label="Values filled in">
              {values.map((value, i) => (
                <div key={i}>
                  <dt>{`{{${i + 1}}}`}</dt>
                  <dd className="filled">{value}</dd>
                </div>
              ))}
            </dl>
          )
        )}
        {footer?.text && <small className="bubble-footer">{footer.text}</small>}
        <span className="bubble-time">{time}</span>
      </div>
      {buttons.length > 0 && (
        <div className="reply-buttons">
          {buttons.map((button) =>
            button.quickReply ? (
              <button
                key={button.index}
                type="button"
                className="reply-button"
                disabled={actions.busy}
                onClick={() => actions.tap(button.payload)}
              >
                {button.title}
              </button>
            ) : (
              <span key={button.index} className="reply-button link-button">
                {button.title} ↗
              </span>
            ),
          )}
        </div>
      )}
    </div>
  );
}

function Filled({ text, values }: { text: string; values: readonly string[] }) {
  return previewOf(text, values).map((p, i) => (
    <span key={i} className={p.filled ? "filled" : undefined}>
      {p.text}
    </span>
  ));
}

function ContactContent({ message, text }: { message: ContactMessage | undefined; text: string }) {
  if (!message) return <span className="bubble-text">{text}</span>;
  switch (message.type) {
    case "text":
      return <span className="bubble-text">{message.body}</span>;
    case "button_reply":
    case "list_reply":
      return <span className="bubble-text tapped">↩ {message.title}</span>;
    case "template_button":
      return <span className="bubble-text tapped">↩ {message.text}</span>;
    case "media":
      return (
        <>
          <div className={`media-frame media-${message.kind}`} aria-label={`${message.kind} file`}>
            <span className="media-kind">{mediaWord(message.kind)}</span>
          </div>
          {message.caption && <span className="bubble-text">{message.caption}</span>}
        </>
      );
    case "location":
      return (
        <span className="bubble-text">
          Location: {message.name ?? "shared place"}
          <small className="bubble-footer">
            {message.address ? `${message.address} · ` : ""}
            {message.latitude.toFixed(4)}, {message.longitude.toFixed(4)}
          </small>
        </span>
      );
  }
}

/** Text with its links underlined, as WhatsApp shows them. */
function Linked({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/\S+)/g);
  return (
    <p className="bubble-text">
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          <span key={i} className="bubble-link">
            {part}
          </span>
        ) : (
          part
        ),
      )}
    </p>
  );
}

function categoryInWords(category: string): string {
  const lower = category.toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** The kind of file, as the chat shows in place of the file itself (nothing is fetched). */
function mediaWord(kind: string): string {
  const known: Record<string, string> = {
    image: "Image",
    sticker: "Sticker",
    video: "Video",
    audio: "Voice message",
    document: "Document",
  };
  return known[kind] ?? kind;
}

function fileName(url: string): string {
  const last = (url.split(/[?#]/)[0] ?? url).split("/").pop();
  return last && last !== "" ? last : url;
}
