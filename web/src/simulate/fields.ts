// Reading what the builder types in the test setup: JSON (a webhook's payload, a response
// body, a step's variables) and `name = value` lines (properties, variables), with problems
// said where they are, in words.

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The field a JSON text is for, as the message names it ("The variables are …"). */
export interface JsonField {
  what: string;
  plural?: boolean;
}

/**
 * JSON, or why the text is not JSON (with the line where the parser stopped). `object`
 * refuses anything but `{ … }`.
 */
export function parseJson(
  text: string,
  field?: JsonField,
  shape?: "object",
): Parsed<Record<string, unknown>>;
export function parseJson(text: string, field: JsonField, shape: "any"): Parsed<unknown>;
export function parseJson(
  text: string,
  { what, plural }: JsonField = { what: "The payload" },
  shape: "object" | "any" = "object",
): Parsed<unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(raw);
    // The parser's words, without its character count (the line says where).
    const reason = raw.replace(/\s*(at position \d+)?\s*(\(line \d+ column \d+\))?$/, "");
    const line = position ? text.slice(0, Number(position[1])).split("\n").length : undefined;
    return {
      ok: false,
      message: `${what} ${plural ? "are" : "is"} not valid JSON${line ? ` (line ${line})` : ""}: ${reason}`,
    };
  }
  if (shape === "object" && (!value || typeof value !== "object" || Array.isArray(value))) {
    return { ok: false, message: `${what} must be a JSON object: { … }.` };
  }
  return { ok: true, value };
}

/** `city = Lisbon` lines as values (numbers, true/false, else text); blank lines skipped. */
export function parseLines(text: string, example: string): Parsed<Record<string, unknown>> {
  const value: Record<string, unknown> = {};
  const lines = text.split("\n").map((line) => line.trim());
  for (const [i, line] of lines.entries()) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      return {
        ok: false,
        message: `Line ${i + 1} needs the form name = value (e.g. ${example}).`,
      };
    }
    value[line.slice(0, eq).trim()] = valueOf(line.slice(eq + 1).trim());
  }
  return { ok: true, value };
}

/** `42` → 42, `true` → true, anything else stays the text typed. */
function valueOf(text: string): unknown {
  if (text === "true") return true;
  if (text === "false") return false;
  if (text !== "" && !Number.isNaN(Number(text))) return Number(text);
  return text;
}
