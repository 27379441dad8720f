// The conversation on a ticket: every message between the contact and the business, oldest
// first, as WhatsApp Web shows it to the business (see MessageBubble), with a day line between
// days, the team's private notes in yellow among them. It is read again when the inbox hears
// of a change (live.ts; every few seconds without the live stream), and earlier messages
// come a page at a time when the operator asks for them.

import { messageOf } from "../api/errors";
import { ErrorNote } from "../ui/Dialog";
import { useConversation, useTemplates } from "./api";
import { threadOf } from "./conversation";
import { MessageBubble } from "./MessageBubble";
import { useThreadScroll } from "./threadScroll";
import type { MessageView } from "./types";
import "./conversation.css";

interface Props {
  workspace: string;
  ticketId: string;
  /** The contact as the ticket names them, for the thread's label. */
  who: string;
  me: string | undefined;
  now: Date;
}

export function Conversation({ workspace, ticketId, who, me, now }: Props) {
  const conversation = useConversation(workspace, ticketId);
  const templates = useTemplates(workspace);
  // Pages come latest first; the thread reads oldest first.
  const messages: MessageView[] = (conversation.data?.pages ?? [])
    .toReversed()
    .flatMap((page) => page.messages);
  const items = threadOf(messages, now);
  const { ref, onScroll } = useThreadScroll<HTMLDivElement>(
    messages[0]?.key,
    messages[messages.length - 1]?.key,
  );

  let body;
  if (conversation.isLoading) {
    body = <p className="thread-state">Loading the messages…</p>;
  } else if (conversation.error && !conversation.data) {
    body = (
      <div className="thread-state">
        <ErrorNote
          error={`The messages could not be read. ${messageOf(conversation.error)} They are tried again every few seconds.`}
        />
      </div>
    );
  } else if (items.length === 0) {
    body = <p className="thread-state">No messages yet with this contact.</p>;
  } else {
    body = (
      <>
        {conversation.hasNextPage && (
          <button
            type="button"
            className="button small thread-earlier"
            disabled={conversation.isFetchingNextPage}
            onClick={() => void conversation.fetchNextPage()}
          >
            {conversation.isFetchingNextPage
              ? "Loading earlier messages…"
              : "Load earlier messages"}
          </button>
        )}
        <ol className="thread-list">
          {items.map((item) =>
            item.kind === "day" ? (
              <li key={item.key} className="thread-day">
                <span>{item.label}</span>
              </li>
            ) : (
              <MessageBubble
                key={item.key}
                message={item.message}
                me={me}
                templates={templates.data?.templates}
              />
            ),
          )}
        </ol>
      </>
    );
  }

  return (
    <section className="thread" aria-label={`Messages with ${who}`}>
      <div
        ref={ref}
        className="thread-scroll"
        role="log"
        aria-label="Messages"
        // A scrolled region must be reachable by keyboard to be read.
        tabIndex={0}
        onScroll={onScroll}
      >
        {body}
      </div>
      {conversation.error && conversation.data && (
        <p className="thread-stale" role="status">
          The latest messages could not be read: what you see may be behind. Trying again…
        </p>
      )}
    </section>
  );
}
