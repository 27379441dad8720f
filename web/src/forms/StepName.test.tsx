// Naming a step in its settings: renamed on Enter or on leaving the field, the reason shown
// when the name cannot be used, Escape putting the old name back.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { StepName } from "./StepName";
import { testRoot } from "./testRoot";

const view = testRoot();

function render(onRename: (name: string) => string | undefined) {
  view.render(<StepName id="send_text_2" onRename={onRename} />);
  return view.container.querySelector("input") as HTMLInputElement;
}

function type(input: HTMLInputElement, value: string) {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const press = (input: HTMLInputElement, name: string) =>
  act(() => input.dispatchEvent(new KeyboardEvent("keydown", { key: name, bubbles: true })));

describe("naming a step", () => {
  it("renames on Enter and on leaving the field, not while typing", () => {
    const names: string[] = [];
    const input = render((name) => void names.push(name));
    expect(input.value).toBe("send_text_2");
    type(input, "ask_support");
    expect(names).toEqual([]);
    press(input, "Enter");
    expect(names).toEqual(["ask_support"]);
    act(() => input.dispatchEvent(new FocusEvent("focusout", { bubbles: true })));
    expect(names).toEqual(["ask_support", "ask_support"]);
  });

  it("says why a name is refused, and Escape puts the old one back", () => {
    const input = render(() => "Another step is already called end.");
    type(input, "end");
    press(input, "Enter");
    expect(view.container.textContent).toContain(
      "Not renamed: Another step is already called end.",
    );
    expect(input.getAttribute("aria-invalid")).toBe("true");
    press(input, "Escape");
    expect(input.value).toBe("send_text_2");
    expect(view.container.textContent).not.toContain("Not renamed");
  });

  it("leaves an unchanged name alone", () => {
    const names: string[] = [];
    const input = render((name) => void names.push(name));
    press(input, "Enter");
    expect(names).toEqual([]);
  });

  it("keeps the focus in the field of the renamed step after Enter", () => {
    // As on the flow page: the settings are drawn anew (a new key) for the renamed step.
    const show = (id: string) =>
      view.render(<StepName key={id} id={id} onRename={(name) => void show(name)} />);
    show("send_text_2");
    const input = view.container.querySelector("input") as HTMLInputElement;
    type(input, "ask_support");
    press(input, "Enter");
    const renamed = view.container.querySelector("input") as HTMLInputElement;
    expect(renamed).not.toBe(input);
    expect(renamed.value).toBe("ask_support");
    expect(document.activeElement).toBe(renamed);
  });
});
