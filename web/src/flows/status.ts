// What the flow list says about a flow: whether contacts get it, and who touched it last.

export interface StatusInput {
  published_version?: number | null;
  unpublished_changes?: boolean;
}

export interface FlowStatus {
  kind: "draft" | "live" | "changed";
  /** Short, shown as a badge (readable without its colour). */
  label: string;
  /** A sentence for the badge's tooltip and screen readers. */
  explanation: string;
}

export function statusOf(flow: StatusInput): FlowStatus {
  const version = flow.published_version;
  if (version === null || version === undefined) {
    return {
      kind: "draft",
      label: "Draft",
      explanation: "Not published: no contact receives this flow yet.",
    };
  }
  if (flow.unpublished_changes) {
    return {
      kind: "changed",
      label: `Live v${version} · unpublished changes`,
      explanation: `Contacts get version ${version}; the latest edits are not published yet.`,
    };
  }
  return {
    kind: "live",
    label: `Live v${version}`,
    explanation: `Contacts get version ${version}, which is the flow as you see it.`,
  };
}

/** The audit label of who saved last ("user:ana@shop.com", "api_key:…") in words. */
export function editorName(label: string, myEmail?: string): string {
  if (label.startsWith("user:")) {
    const email = label.slice("user:".length);
    return email === myEmail ? "you" : email;
  }
  if (label.startsWith("api_key:")) return "an API key";
  return label;
}

/** The flows most recently saved first, as people look for what they were working on. */
export function recentFirst<T extends { updated_at: string; name: string }>(
  flows: readonly T[],
): T[] {
  return flows.toSorted(
    (a, b) => b.updated_at.localeCompare(a.updated_at) || a.name.localeCompare(b.name),
  );
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 minutes ago", "yesterday", or a date for anything older than a week. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const ago = now.getTime() - at.getTime();
  if (Number.isNaN(ago)) return "";
  if (ago < MINUTE) return "just now";
  if (ago < HOUR) return plural(Math.floor(ago / MINUTE), "minute") + " ago";
  if (ago < DAY) return plural(Math.floor(ago / HOUR), "hour") + " ago";
  if (ago < 2 * DAY) return "yesterday";
  if (ago < 7 * DAY) return `${Math.floor(ago / DAY)} days ago`;
  return at.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" });
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
