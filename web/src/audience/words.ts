// The contacts screens' words: times ("3 hours ago"), counts ("1,234 contacts"), file
// sizes, what a column of a file can hold, countries, and the column problems the server
// finds, each worded for the column it concerns.

import type { ColumnChoice, ColumnKind } from "./types";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago", then the date. */
export function ago(at: number | null | undefined, now: number): string {
  if (at === null || at === undefined) return "Never wrote";
  const past = Math.max(0, now - at);
  if (past < MINUTE) return "Just now";
  if (past < HOUR) return `${plural(Math.floor(past / MINUTE), "minute", "minutes")} ago`;
  if (past < DAY) return `${plural(Math.floor(past / HOUR), "hour", "hours")} ago`;
  if (past < 30 * DAY) return `${plural(Math.floor(past / DAY), "day", "days")} ago`;
  return new Date(at).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
  });
}

/** "1 contact", "1,234 contacts". */
export function contactsWord(n: number): string {
  return plural(n, "contact", "contacts");
}

export function number(n: number): string {
  return n.toLocaleString("en-US");
}

/** "820 bytes", "12.4 KB", "3.1 MB". */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** What a column can hold, as the matching screen's select shows it. */
export const COLUMN_KINDS: { kind: ColumnKind; label: string }[] = [
  { kind: "phone", label: "WhatsApp number" },
  { kind: "name", label: "Full name" },
  { kind: "first_name", label: "First name" },
  { kind: "last_name", label: "Last name" },
  { kind: "country", label: "Country (of the number)" },
  { kind: "tags", label: "Tags (several in one cell)" },
  { kind: "tag", label: "Yes/no: adds a tag" },
  { kind: "property", label: "Custom field" },
  { kind: "marketing_consent", label: "Marketing consent (yes/no)" },
  { kind: "consent_at", label: "Date consent was given" },
  { kind: "locale", label: "Language" },
  { kind: "timezone", label: "Time zone" },
  { kind: "ignore", label: "Don't import" },
];

const KIND_NAMES = new Set<string>(COLUMN_KINDS.map((k) => k.kind));

/** A suggestion of the server as a choice (an unknown one: not imported). */
export function choiceOf(suggested: unknown): ColumnChoice {
  const s = suggested as { kind?: unknown; name?: unknown } | null;
  const kind = typeof s?.kind === "string" && KIND_NAMES.has(s.kind) ? s.kind : "ignore";
  const name = typeof s?.name === "string" ? s.name : undefined;
  return name === undefined ? { kind: kind as ColumnKind } : { kind: kind as ColumnKind, name };
}

/** A name for a custom field or tag made from a column's header: "Favourite Shop" → "favourite_shop". */
export function nameFromHeader(header: string): string {
  const name = header
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, "_")
    .replace(/^_+|_+$/g, "");
  return name.slice(0, 64);
}

/** The choice as the API takes it. */
export function columnBody(choice: ColumnChoice): Record<string, string> {
  if (choice.kind === "tag" || choice.kind === "property") {
    return { kind: choice.kind, name: (choice.name ?? "").trim() };
  }
  return { kind: choice.kind };
}

/** Common countries first, by name, with their ISO code. */
export const COUNTRIES: { code: string; name: string }[] = [
  { code: "PT", name: "Portugal" },
  { code: "BR", name: "Brazil" },
  { code: "ES", name: "Spain" },
  { code: "GB", name: "United Kingdom" },
  { code: "US", name: "United States" },
  { code: "DE", name: "Germany" },
  { code: "FR", name: "France" },
  { code: "IT", name: "Italy" },
  { code: "MX", name: "Mexico" },
  { code: "IN", name: "India" },
  { code: "AR", name: "Argentina" },
  { code: "CO", name: "Colombia" },
  { code: "CL", name: "Chile" },
  { code: "NL", name: "Netherlands" },
  { code: "BE", name: "Belgium" },
  { code: "IE", name: "Ireland" },
  { code: "CH", name: "Switzerland" },
  { code: "AO", name: "Angola" },
  { code: "MZ", name: "Mozambique" },
  { code: "ZA", name: "South Africa" },
  { code: "NG", name: "Nigeria" },
  { code: "ID", name: "Indonesia" },
  { code: "CA", name: "Canada" },
  { code: "AU", name: "Australia" },
];

/** One problem the server found in the column choices, as `details.problems` has it. */
export interface MappingProblem {
  code: string;
  column?: string;
  columns?: string[];
  label?: string;
  name?: string;
  value?: string;
}

/** Where a problem shows and what it says: on a column (by header), on the country, or above. */
export interface Placed {
  column?: string;
  country?: boolean;
  message: string;
}

const quoted = (columns: readonly string[]) => columns.map((c) => `“${c}”`).join(", ");

/** The server's column problems, each placed next to what it concerns. */
export function placeProblems(problems: readonly MappingProblem[]): Placed[] {
  return problems.flatMap((p): Placed[] => {
    switch (p.code) {
      case "no_phone":
        return [{ message: "Choose the column that holds the WhatsApp numbers." }];
      case "repeated":
        return (p.columns ?? []).map((column) => ({
          column,
          message: `Only one column can be “${p.label ?? "this"}”; ${quoted(p.columns ?? [])} all are.`,
        }));
      case "property_name_length":
        return [{ column: p.column, message: "Give the field a name of 1 to 64 characters." }];
      case "property_name_taken":
        return (p.columns ?? []).map((column) => ({
          column,
          message: `${quoted(p.columns ?? [])} would all be saved as the field “${p.name ?? ""}”: give them different names.`,
        }));
      case "tag_name":
        return [
          {
            column: p.column,
            message: "Give the tag 1 to 64 characters, without commas, semicolons or |.",
          },
        ];
      case "consent_at_without_consent":
        return [
          {
            column: p.column,
            message:
              "This column says when people agreed, but no column says whether they did: choose a “Marketing consent” column too, or don't import this one.",
          },
        ];
      case "unknown_default_country":
        return [{ country: true, message: "Choose a country from the list." }];
      default:
        return [{ message: "The column choices need fixing." }];
    }
  });
}
