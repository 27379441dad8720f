// Flow documents as the list creates them: blank, from an example, as a copy, from a file.
// Ids follow the flow format's rule (1 to 64 letters, digits, `-` or `_`) and never collide
// with a flow of the workspace, so a create never fails on a taken id.

export interface FlowDocument {
  schema: number;
  id?: string;
  name?: string;
  description?: string;
  nodes: unknown[];
  edges: unknown[];
  [key: string]: unknown;
}

const MAX_ID = 64;

/** A flow id made from a name: "Black Friday!" → "black-friday". */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_ID - 4)
    .replace(/-+$/g, "");
  return slug === "" ? "flow" : slug;
}

/** `base`, or `base-2`, `base-3`… whichever is not taken. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  const root = slugify(base);
  if (!taken.has(root)) return root;
  for (let n = 2; ; n++) {
    const id = `${root}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/** `name`, or `name (2)`, `name (3)`… so two flows in the list never look the same. */
export function uniqueName(name: string, taken: ReadonlySet<string>): string {
  const base = name.trim() === "" ? "Untitled flow" : name.trim();
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base} (${n})`;
    if (!taken.has(candidate)) return candidate;
  }
}

export interface Taken {
  ids: ReadonlySet<string>;
  names: ReadonlySet<string>;
}

export function blankFlow(name: string, taken: Taken): FlowDocument {
  const unique = uniqueName(name, taken.names);
  return { schema: 1, id: uniqueId(unique, taken.ids), name: unique, nodes: [], edges: [] };
}

export function fromExample(example: FlowDocument, taken: Taken): FlowDocument {
  const copy = structuredClone(example);
  copy.name = uniqueName(example.name ?? "Example", taken.names);
  copy.id = uniqueId(example.id ?? copy.name, taken.ids);
  return copy;
}

export function duplicateOf(document: FlowDocument, taken: Taken): FlowDocument {
  const copy = structuredClone(document);
  copy.name = uniqueName(`Copy of ${document.name ?? document.id ?? "flow"}`, taken.names);
  copy.id = uniqueId(copy.name, taken.ids);
  return copy;
}

export function renamed(document: FlowDocument, name: string): FlowDocument {
  return { ...document, name: name.trim() };
}

export class NotAFlowFile extends Error {}

/**
 * Reads an exported flow file. When its id is taken (importing into the workspace it came
 * from), it gets a fresh id and name, so an import never replaces or fails on a flow.
 */
export function readFlowFile(
  text: string,
  taken: Taken,
): { document: FlowDocument; renamedFrom?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NotAFlowFile("This file is not a Spool flow: it is not valid JSON.");
  }
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    !Array.isArray((value as FlowDocument).nodes)
  ) {
    throw new NotAFlowFile(
      "This file is not a Spool flow: a flow file has a list of nodes. Export one from Spool to see the shape.",
    );
  }
  const document = value as FlowDocument;
  if (typeof document.id === "string" && taken.ids.has(document.id)) {
    const copy = { ...document };
    copy.name = uniqueName(document.name ?? document.id, taken.names);
    copy.id = uniqueId(copy.name, taken.ids);
    return { document: copy, renamedFrom: document.id };
  }
  return { document };
}
