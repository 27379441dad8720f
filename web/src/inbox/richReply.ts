// What a reply may carry besides plain text, within WhatsApp's limits: quick-reply buttons
// under the text (at most 3, titles of 1 to 20 characters, all different), or one file by its
// public https link (WhatsApp fetches it from there: nothing is uploaded). The same limits
// the server enforces, checked as the operator types, so a send is never refused for them.
// Pure functions, so the composer and its tests read the same words.

import type { Reply } from "./types";

/** WhatsApp's reply buttons: at most 3 under one message… */
export const MOST_BUTTONS = 3;
/** …each titled in at most 20 characters. */
export const LONGEST_BUTTON = 20;
/** WhatsApp's longest caption under a file. */
export const LONGEST_CAPTION = 1_024;

/** What can be attached, with the words the operator picks from. */
export const MEDIA_KINDS = [
  { kind: "image", label: "Image" },
  { kind: "video", label: "Video" },
  { kind: "audio", label: "Audio" },
  { kind: "document", label: "Document" },
] as const;

export type MediaKind = (typeof MEDIA_KINDS)[number]["kind"];

/** A file being attached, as the operator fills it in. */
export interface Attachment {
  kind: MediaKind;
  url: string;
  caption: string;
}

/** A title's length as WhatsApp counts it (characters, not UTF-16 units), spaces trimmed. */
export function titleLength(title: string): number {
  return [...title.trim()].length;
}

/**
 * What is wrong with each button title, in order (null when it is fine): empty, too long,
 * or the same words as a button before it (WhatsApp needs them to differ).
 */
export function buttonProblems(titles: readonly string[]): (string | null)[] {
  return titles.map((title, index) => {
    const which = `Button ${index + 1}`;
    const length = titleLength(title);
    if (length === 0) return `${which} has no title: give it one, or remove it.`;
    if (length > LONGEST_BUTTON) {
      return `${which} is too long: at most ${LONGEST_BUTTON} characters.`;
    }
    const same = titles.slice(0, index).findIndex((t) => sameTitle(t, title));
    if (same >= 0) {
      return `${which} says the same as button ${same + 1}: the contact could not tell them apart.`;
    }
    return null;
  });
}

/** WhatsApp compares the titles as sent: trimmed, case counts. */
function sameTitle(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

/** "12 / 20" under a button's title. */
export function titleCounter(title: string): string {
  return `${titleLength(title)} / ${LONGEST_BUTTON}`;
}

/**
 * Why the attachment cannot go yet, or null when it can: the link must be a whole https
 * address (WhatsApp fetches the file from it), the caption at most 1,024 characters.
 */
export function attachmentProblem(attachment: Attachment): string | null {
  const url = attachment.url.trim();
  if (url === "") return "Paste the link to the file.";
  if (!isHttps(url)) {
    return "WhatsApp fetches the file from a public link starting with https://.";
  }
  if ([...captionOf(attachment)].length > LONGEST_CAPTION) {
    return `The caption is too long: at most ${LONGEST_CAPTION.toLocaleString("en")} characters.`;
  }
  return null;
}

function isHttps(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" && parsed.hostname !== "";
  } catch {
    return false;
  }
}

/** The caption that goes: WhatsApp sends none with an audio file. */
function captionOf(attachment: Attachment): string {
  return attachment.kind === "audio" ? "" : attachment.caption.trim();
}

/** "[image] Your receipt · receipt.png": what the contact will get, in one line. */
export function attachmentPreview(attachment: Attachment): string {
  const caption = captionOf(attachment);
  const name = fileNameOf(attachment.url.trim());
  return [`[${attachment.kind}]`, caption, name && `· ${name}`].filter(Boolean).join(" ");
}

/** The last part of a link's path ("receipt.png"), or "" when it has none. */
export function fileNameOf(url: string): string {
  try {
    const last = new URL(url).pathname.split("/").pop() ?? "";
    return decodeURIComponent(last);
  } catch {
    return "";
  }
}

/**
 * The body of a free-form send: the file when one is attached (exactly one of text and
 * media goes), else the text with its buttons, if any. A document carries its file's name,
 * which the contact sees.
 */
export function replyBody(
  text: string,
  buttons: readonly string[] | null,
  attachment: Attachment | null,
): Reply {
  if (attachment) {
    const caption = captionOf(attachment);
    const url = attachment.url.trim();
    const filename = attachment.kind === "document" ? fileNameOf(url) : "";
    return {
      media: {
        kind: attachment.kind,
        url,
        ...(caption && { caption }),
        ...(filename && { filename }),
      },
    };
  }
  const titles = (buttons ?? []).map((b) => b.trim());
  return titles.length > 0 ? { text: text.trim(), buttons: titles } : { text: text.trim() };
}
