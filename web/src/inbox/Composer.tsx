// Answering the contact from the ticket, under the thread, within WhatsApp's rules: while the
// contact's 24-hour window is open, free text (Enter sends, Shift+Enter starts a new line)
// with a live countdown of the time left; once it has closed, an approved template instead
// (TemplateReply). Only people who may answer see it: the conversation's owner, anyone when
// no one has it yet (sending takes it), an admin always; the others are told why not.
// A reply is kept in the box until the server took it (202), and a refusal is shown beside
// it in the server's words, never as sent. A second tab, "Private note", writes a note for the
// team instead (NoteComposer): anyone who works the inbox may, whoever has the conversation.

import { useId, useState, type KeyboardEvent, type ReactNode } from "react";
import { messageOf } from "../api/errors";
import type { Contact } from "../contacts/types";
import { roleIn, useSession } from "../session/store";
import { ErrorNote } from "../ui/Dialog";
import { useConversation, useReply, type ReplySend } from "./api";
import { accessOf, countdownOf, lengthWords, textLength, windowClosesAt } from "./composerRules";
import { NoteComposer } from "./NoteComposer";
import { AttachFile, QuickReplies } from "./ReplyExtras";
import { attachmentProblem, buttonProblems, replyBody, type Attachment } from "./richReply";
import { TemplateReply } from "./TemplateReply";
import type { MessageView, Ticket } from "./types";
import "./composer.css";

interface Props {
  workspace: string;
  ticket: Ticket;
  /** The contact, when read (their window and Marketing consent). */
  contact: Contact | undefined;
  now: Date;
}

export function Composer({ workspace, ticket, contact, now }: Props) {
  // Kept here, not in the text box: a refusal stays in view (and the draft is kept) when the
  // composer changes under it, as when a colleague took the conversation in the meantime.
  const [draft, setDraft] = useState("");
  const [refusal, setRefusal] = useState<string | null>(null);
  // A note's draft is its own: switching tabs loses neither.
  const [mode, setMode] = useState<"reply" | "note">("reply");
  const [noteDraft, setNoteDraft] = useState("");
  // Here too: a send's own callbacks run only while the hook that sent it is mounted, and
  // the answer (a refusal, say) may change the composer under it.
  const reply = useReply(workspace, ticket.id);
  const me = useSession((s) => s.session?.email);
  const role = useSession((s) => roleIn(s.session, workspace));
  // The same query as the thread's (shared): the contact's latest message reopens the window.
  const conversation = useConversation(workspace, ticket.id);
  const tabsId = useId();
  const access = accessOf(ticket, { email: me, role });
  if (access.kind === "nothing") return null;
  const refused = <ErrorNote error={refusal && `Not sent. ${refusal}`} />;
  const blocked = access.kind === "blocked" && (
    <>
      <p className="composer-blocked" role="note">
        {access.why}
      </p>
      {refused}
      {/* What they had written is not lost: to copy, or to pass to the colleague. */}
      {draft.trim() !== "" && (
        <>
          <p className="composer-draft-label">What you wrote, not sent:</p>
          <blockquote className="composer-draft" aria-label="Your reply, not sent">
            {draft}
          </blockquote>
        </>
      )}
    </>
  );
  // A closed conversation takes nothing more: no reply, no note.
  if (ticket.status === "closed") return blocked;

  const note = mode === "note";
  const tab = (which: "reply" | "note", label: string) => (
    <button
      type="button"
      role="tab"
      id={`${tabsId}-${which}`}
      aria-selected={mode === which}
      aria-controls={`${tabsId}-panel`}
      className={`composer-tab${mode === which ? " current" : ""}${which === "note" ? " note" : ""}`}
      onClick={() => setMode(which)}
    >
      {label}
    </button>
  );
  return (
    <section
      className={`composer${note ? " composer-noting" : ""}`}
      aria-label={note ? "Private note for your team" : "Reply to the contact"}
    >
      <div className="composer-tabs" role="tablist" aria-label="Write a reply or a note">
        {tab("reply", "Reply")}
        {tab("note", "Private note")}
      </div>
      <div id={`${tabsId}-panel`} role="tabpanel" aria-labelledby={`${tabsId}-${mode}`}>
        {note ? (
          <NoteComposer
            workspace={workspace}
            ticketId={ticket.id}
            text={noteDraft}
            setText={setNoteDraft}
          />
        ) : access.kind === "blocked" ? (
          blocked
        ) : (
          <ReplyPanel
            workspace={workspace}
            ticket={ticket}
            contact={contact}
            now={now}
            hint={access.hint}
            messages={conversation.data?.pages.flatMap((page) => page.messages)}
            reply={reply}
            role={role}
            draft={draft}
            setDraft={setDraft}
            setRefusal={setRefusal}
            refused={refused}
          />
        )}
      </div>
    </section>
  );
}

/** The reply tab: free text while the window is open, an approved template after. */
function ReplyPanel({
  workspace,
  ticket,
  contact,
  now,
  hint,
  messages,
  reply,
  role,
  draft,
  setDraft,
  setRefusal,
  refused,
}: Props & {
  hint: string | null;
  messages: MessageView[] | undefined;
  reply: ReplySend;
  role: string | undefined;
  draft: string;
  setDraft: (text: string) => void;
  setRefusal: (why: string | null) => void;
  refused: ReactNode;
}) {
  const closesAt = windowClosesAt({
    contactClosesAt: contact?.window.closes_at,
    ticketClosesAt: ticket.window_closes_at,
    messages,
  });
  const neverWrote =
    contact !== undefined &&
    !contact.last_inbound_at &&
    !(messages ?? []).some((m) => m.direction === "in");
  const countdown = countdownOf(closesAt, now);
  return (
    <>
      {hint && <p className="composer-hint">{hint}</p>}
      {countdown ? (
        <TextReply
          reply={reply}
          countdown={countdown.words}
          urgent={countdown.urgent}
          text={draft}
          setText={setDraft}
          setRefusal={setRefusal}
        />
      ) : (
        <TemplateReply
          workspace={workspace}
          ticketId={ticket.id}
          reply={reply}
          neverWrote={neverWrote}
          marketingOptIn={contact?.marketing_opt_in}
          role={role}
          setRefusal={setRefusal}
        />
      )}
      {refused}
    </>
  );
}

function TextReply({
  reply,
  countdown,
  urgent,
  text,
  setText,
  setRefusal,
}: {
  reply: ReplySend;
  countdown: string;
  urgent: boolean;
  text: string;
  setText: (text: string) => void;
  setRefusal: (why: string | null) => void;
}) {
  // Quick replies go under the text; a file goes instead of it (WhatsApp sends one or the
  // other). null: none added. The text is kept while a file is attached, for after.
  const [buttons, setButtons] = useState<string[] | null>(null);
  const [attachment, setAttachment] = useState<Attachment | null>(null);
  const length = lengthWords(text);
  const buttonProblemList = buttons ? buttonProblems(buttons) : [];
  const sendable =
    !reply.isPending &&
    (attachment
      ? attachmentProblem(attachment) === null
      : textLength(text) > 0 && !length.over && buttonProblemList.every((p) => p === null));
  // A title's own field says what is wrong with it; an empty one is said here, once there is
  // text to send (not in red as soon as "+ Quick replies" adds a field).
  const untitled =
    textLength(text) > 0 && buttonProblemList.find((p, i) => p && buttons?.[i]?.trim() === "");

  const send = () => {
    if (!sendable) return;
    setRefusal(null);
    reply.mutate(replyBody(text, buttons, attachment), {
      // Cleared only once the server took it: a refused reply stays, to fix or keep.
      onSuccess: () => {
        if (attachment) {
          setAttachment(null);
        } else {
          setText("");
          setButtons(null);
        }
      },
      onError: (failure) => setRefusal(messageOf(failure)),
    });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition is not a send.
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    send();
  };
  const sendButton = (
    <button type="submit" className="button primary composer-send" disabled={!sendable}>
      {reply.isPending ? "Sending…" : attachment ? "Send file" : "Send"}
    </button>
  );

  return (
    <form
      className="composer-text"
      onSubmit={(event) => {
        event.preventDefault();
        send();
      }}
    >
      <p className={`composer-window${urgent ? " urgent" : ""}`} role="status">
        {countdown}
      </p>
      {attachment ? (
        <>
          <AttachFile
            attachment={attachment}
            setAttachment={setAttachment}
            disabled={reply.isPending}
          />
          <div className="composer-extras">
            <button
              type="button"
              className="button small quiet"
              onClick={() => setAttachment(null)}
            >
              {textLength(text) > 0 ? "Remove the file: back to your text" : "Remove the file"}
            </button>
            {sendButton}
          </div>
        </>
      ) : (
        <>
          <div className="composer-row">
            <textarea
              className="composer-box"
              aria-label="Your reply"
              placeholder="Write a reply… (Enter sends, Shift+Enter for a new line)"
              rows={3}
              value={text}
              readOnly={reply.isPending}
              aria-busy={reply.isPending}
              aria-invalid={length.over}
              aria-describedby="composer-length"
              onChange={(event) => setText(event.target.value)}
              onKeyDown={onKeyDown}
            />
            {sendButton}
          </div>
          <p id="composer-length" className={`composer-length${length.over ? " over" : ""}`}>
            {length.words}
            {length.over && ": too long for one WhatsApp message"}
          </p>
          {buttons && (
            <QuickReplies titles={buttons} setTitles={setButtons} disabled={reply.isPending} />
          )}
          {untitled && <p className="composer-waiting">Not ready to send: {untitled}</p>}
          <div className="composer-extras">
            {!buttons && (
              <button type="button" className="button small quiet" onClick={() => setButtons([""])}>
                + Quick replies
              </button>
            )}
            <button
              type="button"
              className="button small quiet"
              onClick={() => setAttachment({ kind: "image", url: "", caption: "" })}
            >
              Attach a file
            </button>
          </div>
        </>
      )}
    </form>
  );
}
