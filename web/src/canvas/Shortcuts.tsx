// The keyboard shortcuts of the canvas, listed in a sheet (opened with "?" or the
// Shortcuts button). The list is the one place they are written down for people; the
// editor's key handler is checked against it by a unit test.

import { Dialog } from "../ui/Dialog";
import "./shortcuts.css";

export interface Shortcut {
  keys: string[];
  does: string;
  /** Only when the flow can be changed. */
  editing?: boolean;
}

const MOD = typeof navigator !== "undefined" && /Mac/.test(navigator.platform) ? "⌘" : "Ctrl";

export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: "Steps",
    items: [
      { keys: ["N"], does: "Find a step to add (the palette's search)", editing: true },
      { keys: ["Shift", "S"], does: "Add a sticky note", editing: true },
      { keys: ["Delete"], does: "Delete what is selected", editing: true },
      { keys: [MOD, "C"], does: "Copy the selected steps (paste them into any flow)" },
      { keys: [MOD, "X"], does: "Cut the selected steps", editing: true },
      { keys: [MOD, "V"], does: "Paste steps", editing: true },
    ],
  },
  {
    group: "Selecting",
    items: [
      { keys: [MOD, "A"], does: "Select every step" },
      { keys: ["Shift", "click"], does: "Add a step to the selection" },
      { keys: ["Shift", "drag"], does: "Select the steps inside a box" },
    ],
  },
  {
    group: "Undo",
    items: [
      { keys: [MOD, "Z"], does: "Undo", editing: true },
      { keys: ["Shift", MOD, "Z"], does: "Redo", editing: true },
      { keys: [MOD, "Y"], does: "Redo", editing: true },
    ],
  },
  {
    group: "Moving around",
    items: [
      { keys: ["F"], does: "Fit the whole flow on screen" },
      { keys: ["drag"], does: "Move the view (on empty canvas)" },
      { keys: ["wheel"], does: "Zoom in and out" },
      { keys: ["?"], does: "Show these shortcuts" },
    ],
  },
];

export function ShortcutSheet({ readOnly, onClose }: { readOnly: boolean; onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={onClose} wide>
      <div className="shortcut-groups">
        {SHORTCUTS.map(({ group, items }) => {
          const shown = items.filter((item) => !readOnly || !item.editing);
          if (shown.length === 0) return null;
          return (
            <section key={group}>
              <h3>{group}</h3>
              <dl className="shortcut-list">
                {shown.map((item) => (
                  <div key={item.keys.join("+") + item.does}>
                    <dt>
                      {item.keys.map((key, i) => (
                        <span key={key}>
                          {i > 0 && " + "}
                          <kbd>{key}</kbd>
                        </span>
                      ))}
                    </dt>
                    <dd>{item.does}</dd>
                  </div>
                ))}
              </dl>
            </section>
          );
        })}
      </div>
      <p className="muted">Shortcuts do nothing while you type in a field.</p>
      <div className="actions">
        <button type="button" className="button primary" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
