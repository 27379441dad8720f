// The palette: every node type from the catalog, grouped by category and searchable (the
// best match on top). Drag a type onto the canvas, or pick it with the keyboard (Enter) to
// add it at the centre of the view, or (after a wire was dropped on empty canvas) where the
// wire ended, already joined. The arrow keys move from the search through the steps. It
// folds away into a narrow rail when the canvas needs the room.

import { memo, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import "./palette.css";
import type { CatalogEntry } from "./graph";

export const DRAG_TYPE = "application/x-spool-node-type";

const CATEGORY_NAMES: Record<string, string> = {
  trigger: "Start the journey",
  messaging: "Send and ask",
  logic: "Decide and wait",
  contact: "Contact",
  integration: "Other systems",
};

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** How well an entry matches: its name first, then its type, then its description; 0 = not. */
function score(entry: CatalogEntry, query: string): number {
  const q = query.trim().toLowerCase();
  if (q === "") return 1;
  const label = entry.label.toLowerCase();
  if (label.startsWith(q)) return 5;
  if (words(entry.label).some((word) => word.startsWith(q))) return 4;
  if (words(entry.type).some((word) => word.startsWith(q))) return 3;
  // Inside a word only for a longer search ("hook" finds Webhook; "end" is not in "Send").
  if (q.length >= 4 && (label.includes(q) || entry.type.includes(q))) return 3;
  const description = entry.description.toLowerCase();
  if (q.includes(" ") ? description.includes(q) : words(description).some((w) => w.startsWith(q)))
    return 2;
  return 0;
}

/**
 * The entries matching `query`, by category: the best match first within its category, and
 * the category holding it first, so what was searched for is at the top of the list.
 */
export function search(
  catalog: readonly CatalogEntry[],
  query: string,
): [category: string, entries: CatalogEntry[]][] {
  const found = catalog
    .map((entry) => ({ entry, score: score(entry, query) }))
    .filter((match) => match.score > 0)
    .toSorted((a, b) => b.score - a.score);
  const byCategory = new Map<string, CatalogEntry[]>();
  for (const { entry } of found) {
    byCategory.set(entry.category, [...(byCategory.get(entry.category) ?? []), entry]);
  }
  return [...byCategory];
}

interface PaletteProps {
  catalog: readonly CatalogEntry[];
  /** Set when a dropped wire waits for its new step: says what the new step will follow. */
  connecting: string | null;
  searchRef: RefObject<HTMLInputElement | null>;
  onPick(type: string): void;
  onCancel(): void;
  onHide(): void;
}

/** Moves the focus to the step `by` places from the one focused (from the search: the first). */
function moveFocus(list: HTMLElement | null, by: 1 | -1, searchBox: HTMLInputElement | null) {
  const items = [...(list?.querySelectorAll<HTMLButtonElement>(".palette-item") ?? [])];
  const at = items.indexOf(document.activeElement as HTMLButtonElement);
  const next = at + by;
  if (next < 0) searchBox?.focus();
  else items[Math.min(next, items.length - 1)]?.focus();
}

function PaletteView({ catalog, connecting, searchRef, onPick, onCancel, onHide }: PaletteProps) {
  const [query, setQuery] = useState("");
  const list = useRef<HTMLDivElement>(null);
  const onListKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      moveFocus(list.current, e.key === "ArrowDown" ? 1 : -1, searchRef.current);
    } else if (e.key === "Escape") {
      searchRef.current?.focus();
    }
  };
  const groups = useMemo(() => search(catalog, query), [catalog, query]);
  // Enter takes the best match, wherever its group is.
  const first = useMemo(
    () =>
      catalog.reduce<CatalogEntry | undefined>(
        (best, entry) => (score(entry, query) > (best ? score(best, query) : 0) ? entry : best),
        undefined,
      ),
    [catalog, query],
  );

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
      <div className="palette-head">
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
            } else if (e.key === "ArrowDown") {
              e.preventDefault();
              moveFocus(list.current, 1, searchRef.current);
            } else if (e.key === "Escape") {
              setQuery("");
              onCancel();
              e.currentTarget.blur();
            }
          }}
        />
        <button
          type="button"
          className="button quiet small palette-hide"
          aria-label="Hide the steps list"
          title="Hide the steps list (N shows it)"
          onClick={onHide}
        >
          «
        </button>
      </div>
      <div className="palette-groups" ref={list} onKeyDown={onListKey}>
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

/** The palette folded away: a rail with one button that unfolds it. */
export function PaletteRail({ onShow }: { onShow(): void }) {
  return (
    <aside className="palette-rail" aria-label="Steps you can add">
      <button
        type="button"
        className="button quiet small"
        aria-label="Show the steps list"
        title="Show the steps list (N)"
        onClick={onShow}
      >
        <span aria-hidden="true">»</span>
        <span className="palette-rail-label">Steps</span>
      </button>
    </aside>
  );
}
