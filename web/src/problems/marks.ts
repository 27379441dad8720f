// Diagnostics (from the API's validation) as the editor shows them: a badge per node with
// its errors and warnings, and marks on the form's fields. A diagnostic names its field as
// a path (`config.buttons[3].title`); when the form has no input at that path (a fourth
// button that was removed meanwhile), it is marked on the nearest field that has one, and
// failing that on the node itself.

export interface Diagnostic {
  severity: "error" | "warning";
  code: string;
  message: string;
  node_id?: string;
  field?: string;
  location?: { line: number; column: number };
}

export interface Badge {
  errors: number;
  warnings: number;
}

/** Errors and warnings per node id (diagnostics on the whole flow are not on a node). */
export function badgesOf(diagnostics: readonly Diagnostic[]): Map<string, Badge> {
  const badges = new Map<string, Badge>();
  for (const d of diagnostics) {
    if (!d.node_id) continue;
    const badge = badges.get(d.node_id) ?? { errors: 0, warnings: 0 };
    if (d.severity === "error") badge.errors++;
    else badge.warnings++;
    badges.set(d.node_id, badge);
  }
  return badges;
}

/** The paths above a field path, nearest first: `a.b[2].c` → `a.b[2]`, `a.b`, `a`. */
export function ancestorsOf(path: string): string[] {
  const ancestors: string[] = [];
  let rest = path;
  for (;;) {
    const cut = Math.max(rest.lastIndexOf("."), rest.lastIndexOf("["));
    if (cut <= 0) return ancestors;
    rest = rest.slice(0, cut);
    ancestors.push(rest);
  }
}

/**
 * One node's diagnostics placed on the fields the form shows (`fields`): by the field's
 * path, or the nearest shown ancestor's; `""` holds those about the node as a whole.
 */
export function placeMarks(
  diagnostics: readonly Diagnostic[],
  nodeId: string,
  fields: ReadonlySet<string>,
): Map<string, Diagnostic[]> {
  const placed = new Map<string, Diagnostic[]>();
  for (const d of diagnostics) {
    if (d.node_id !== nodeId) continue;
    const at = fieldFor(d, fields);
    placed.set(at, [...(placed.get(at) ?? []), d]);
  }
  return placed;
}

/** The field a problem leads to: the path `placeMarks` put it on. */
export function fieldFor(diagnostic: Diagnostic, fields: ReadonlySet<string>): string {
  const field = diagnostic.field ?? "";
  return fields.has(field) ? field : (ancestorsOf(field).find((a) => fields.has(a)) ?? "");
}

/** Errors first, then warnings; each in the order the flow has them. */
export function sorted(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.toSorted((a, b) =>
    a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1,
  );
}
