// The palette: every node type from the catalog, grouped by category and searchable. Drag a
// type onto the canvas, or pick it with the keyboard (Enter) to add it at the centre of the
// view, or (after a wire was dropped on empty canvas) where the wire ended, already joined.

import { memo, useMemo, useState, type RefObject } from "react";
import type { CatalogEntry } from "./graph";

export const DRAG_TYPE = "application/x-spool-node-type";

const CATEGORY_NAMES: Record<string, string> = {
  trigger: "Start the journey",
  messaging: "Send and ask",
  logic: "Decide and wait",
  contact: "Contact",
  integration: "Other systems",
};

function matches(entry: CatalogEntry, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === "") return true;
  return [entry.label, entry.type, entry.description, entry.category].some((text) =>
    text.toLowerCase().includes(q),
  );
}

interface PaletteProps {
  catalog: readonly CatalogEntry[];
  /** Set when a dropped wire waits for its new step: says what the new step will follow. */
  connecting: string | null;
  searchRef: RefObject<HTMLInputElement | null>;
  onPick(type: string): void;
  onCancel(): void;
}

function PaletteView({ catalog, connecting, searchRef, onPick, onCancel }: PaletteProps) {
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const found = catalog.filter((entry) => matches(entry, query));
    const byCategory = new Map<string, CatalogEntry[]>();
    for (const entry of found) {
      byCategory.set(entry.category, [...(byCategory.get(entry.category) ?? []), entry]);
    }
    return [...byCategory];
  }, [catalog, query]);
  const first = groups[0]?.[1][0];

  return (
    <aside className="palette" aria-label="Steps you can add">
      {connecting && (
        <p className="palette-connecting" role="status">
          Choose the step that {connecting} leads to.{" "}
          <button type="button" className="button quiet small" onClick={onCancel}>
            Cancel
          </button>
        </p>
      )}
      <input
        ref={searchRef}
        type="search"
        className="palette-search"
        placeholder="Search steps (N)"
        aria-label="Search steps"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && first) {
            e.preventDefault();
            onPick(first.type);
            setQuery("");
          } else if (e.key === "Escape") {
            setQuery("");
            onCancel();
            e.currentTarget.blur();
          }
        }}
      />
      <div className="palette-groups">
        {groups.length === 0 && <p className="muted">No step matches “{query}”.</p>}
        {groups.map(([category, entries]) => (
          <section key={category}>
            <h2>{CATEGORY_NAMES[category] ?? category}</h2>
            <ul>
              {entries.map((entry) => (
                <li key={entry.type}>
                  <button
                    type="button"
                    className={`palette-item category-${entry.category}`}
                    draggable
                    title={entry.description}
                    data-type={entry.type}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(DRAG_TYPE, entry.type);
                      e.dataTransfer.effectAllowed = "copy";
                    }}
                    onClick={() => onPick(entry.type)}
                  >
                    <span className="palette-label">{entry.label}</span>
                    <span className="palette-description">{entry.description}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </aside>
  );
}

export const Palette = memo(PaletteView);
