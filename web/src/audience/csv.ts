// Reading the start of a CSV file in the browser, for the column matching screen: a few
// values of each column, shown beside its header. The server reads the whole file (and
// says which delimiter it found); this reads only enough lines for the samples.

export type Delimiter = "comma" | "semicolon" | "tab";

const CHARS: Record<Delimiter, string> = { comma: ",", semicolon: ";", tab: "\t" };

/** The delimiter a file seems to use, when the server has not said: the most frequent one of the first line. */
export function guessDelimiter(text: string): Delimiter {
  const first = text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "";
  const count = (c: string) => first.split(c).length - 1;
  const ranked = (Object.keys(CHARS) as Delimiter[]).toSorted(
    (a, b) => count(CHARS[b]) - count(CHARS[a]),
  );
  return ranked[0] ?? "comma";
}

/** The records of `text` (quotes, doubled quotes and line breaks inside quotes understood), at most `limit`. */
export function records(text: string, delimiter: Delimiter, limit = 200): string[][] {
  const sep = CHARS[delimiter];
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  const endRow = () => {
    row.push(cell);
    cell = "";
    if (!(row.length === 1 && row[0]?.trim() === "")) rows.push(row);
    row = [];
  };
  while (i < text.length && rows.length < limit) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 1;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell.trim() === "") {
      quoted = true;
      cell = "";
    } else if (c === sep) {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      endRow();
    } else cell += c;
    i += 1;
  }
  if (rows.length < limit && (cell !== "" || row.length > 0)) endRow();
  return rows;
}

/**
 * Up to `count` values of each of `columns` columns, from the rows after the header: the
 * first non-blank ones, trimmed.
 */
export function columnSamples(
  text: string,
  delimiter: Delimiter,
  columns: number,
  count = 3,
): string[][] {
  const samples: string[][] = Array.from({ length: columns }, () => []);
  for (const row of records(text, delimiter).slice(1)) {
    row.slice(0, columns).forEach((cell, index) => {
      const value = cell.trim();
      const list = samples[index];
      if (list && value !== "" && list.length < count) list.push(value);
    });
    if (samples.every((list) => list.length >= count)) break;
  }
  return samples;
}

/** The server's delimiter word, or a guess when it sent something else. */
export function delimiterOf(word: string, text: string): Delimiter {
  return word === "comma" || word === "semicolon" || word === "tab" ? word : guessDelimiter(text);
}
