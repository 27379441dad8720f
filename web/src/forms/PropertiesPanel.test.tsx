// The form generated from a schema, rendered in happy-dom: each widget, the marks of the
// server's diagnostics on their fields, limits flagged as typed, and edits going out whole.

import { act } from "react";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../problems/marks";
import { httpRequest, mixed, sendButtons } from "./fixtures";
import { PropertiesPanel, type PanelNodeType } from "./PropertiesPanel";
import type { JsonSchema } from "./schema";
import { testRoot } from "./testRoot";

const view = testRoot();

function typeOf(schema: JsonSchema): PanelNodeType {
  return { type: "t", label: "Buttons", description: "Sends buttons", config_schema: schema };
}

function render(
  schema: JsonSchema,
  config: Record<string, unknown>,
  diagnostics: Diagnostic[] = [],
) {
  const changes: Record<string, unknown>[] = [];
  view.render(
    <PropertiesPanel
      node={{ id: "ask", type: "send_buttons", config }}
      nodeType={typeOf(schema)}
      scope={[{ path: "contact.name", hint: "the contact's name" }]}
      diagnostics={diagnostics}
      onChange={(next) => changes.push(next)}
    />,
  );
  return changes;
}

const field = (path: string) => view.field(path);

function type(element: HTMLElement | null, value: string) {
  const input = element as HTMLInputElement;
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), "value")!.set!;
  act(() => {
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const buttons = {
  text: "Want 10% off?",
  buttons: [{ id: "yes", title: "Yes please" }],
  timeout: "1d",
};

describe("the properties form", () => {
  it("says a step without settings has none, instead of a JSON box", () => {
    render({ type: "object", additionalProperties: false } as JsonSchema, {});
    expect(view.container.textContent).toContain("This step has no settings.");
    expect(view.container.querySelector("textarea")).toBeNull();
  });

  it("draws each widget of send_buttons", () => {
    render(sendButtons, buttons);
    expect(field("config.text")?.tagName).toBe("TEXTAREA");
    expect(view.container.textContent).toContain("{x} Insert a value");
    expect(field("config.header")?.textContent).toBe("+ Header");
    expect(field("config.buttons")?.tagName).toBe("FIELDSET");
    expect(field("config.buttons")?.textContent).toContain("1 / 3");
    expect(
      field("config.buttons[0].title")?.getAttribute("value") ??
        (field("config.buttons[0].title") as HTMLInputElement).value,
    ).toBe("Yes please");
    expect(view.container.textContent).toContain("10 / 20");
    const timeout = field("config.timeout") as HTMLInputElement;
    expect([timeout.type, timeout.value]).toEqual(["number", "1"]);
    expect(view.container.textContent).toContain("1 day");
  });

  it("draws choices, variants, fixed-or-computed inputs, key-value maps and checkboxes", () => {
    render(mixed, {
      match: { type: "keyword", keywords: ["hi"] },
      value: { expr: "vars.n + 1" },
      category: "utility",
    });
    expect((field("config.match") as HTMLSelectElement).value).toBe("keyword");
    expect(field("config.match.keywords[0]")).not.toBeNull();
    expect(view.container.querySelector('[aria-pressed="true"]')?.textContent).toBe("Computed");
    expect((field("config.category") as HTMLSelectElement).value).toBe("utility");
    expect((field("config.preview_url") as HTMLInputElement).type).toBe("checkbox");
    view.render(null);
    render(httpRequest, {
      method: "POST",
      url: "https://shop.example/api",
      headers: { Accept: "application/json" },
    });
    expect((field("config.method") as HTMLSelectElement).value).toBe("POST");
    expect(field("config.headers")?.textContent).toContain("+ Add");
    expect(field("config.headers.Accept")).not.toBeNull();
  });

  it("marks the server's diagnostics on their fields, and the rest on the step", () => {
    render(sendButtons, buttons, [
      {
        severity: "error",
        code: "empty_field",
        message: "The button title is empty.",
        node_id: "ask",
        field: "config.buttons[0].title",
      },
      { severity: "warning", code: "unreachable", message: "Nothing leads here.", node_id: "ask" },
      {
        severity: "error",
        code: "x",
        message: "Another step's problem.",
        node_id: "other",
        field: "config.text",
      },
    ]);
    const title = field("config.buttons[0].title")!;
    const marks = view.container.querySelector(`#${CSS.escape(title.id)}-marks`);
    expect(marks?.textContent).toContain("The button title is empty.");
    expect(view.container.querySelector(".node-marks")?.textContent).toContain(
      "Nothing leads here.",
    );
    expect(view.container.textContent).not.toContain("Another step's problem.");
  });

  it("lets the server's word on a field replace the limit flagged as typed", () => {
    const long = { ...buttons, buttons: [{ id: "yes", title: "Yes please, tell me more" }] };
    render(sendButtons, long);
    expect(view.container.textContent).toContain("Too long:");
    render(sendButtons, long, [
      {
        severity: "error",
        code: "button_title_too_long",
        message: "The button title is 24 characters long.",
        node_id: "ask",
        field: "config.buttons[0].title",
      },
    ]);
    expect(view.container.textContent).toContain("The button title is 24 characters long.");
    expect(view.container.textContent).not.toContain("Too long:");
  });

  it("flags a title over WhatsApp's 20 characters as it is typed, and sends the whole config", () => {
    const changes = render(sendButtons, buttons);
    type(field("config.buttons[0].title"), "Yes please, tell me more");
    expect(changes.at(-1)).toEqual({
      ...buttons,
      buttons: [{ id: "yes", title: "Yes please, tell me more" }],
    });
    render(sendButtons, changes.at(-1)!);
    expect(view.container.textContent).toContain("24 / 20");
    expect(view.container.textContent).toContain("24 characters; WhatsApp shows at most 20 here.");
  });

  it("writes durations as the flow format does", () => {
    const changes = render(sendButtons, buttons);
    type(field("config.timeout"), "3");
    expect(changes.at(-1)?.timeout).toBe("3d");
  });

  it("draws a list of single values one input a row, and adds to a verb-named list plainly", () => {
    const tag: JsonSchema = {
      type: "object",
      properties: {
        add: { type: "array", items: { type: "string" } },
        remove: { type: "array", items: { type: "string" } },
      },
    };
    const changes = render(tag, { add: ["vip", "cart-open"] });
    const add = field("config.add") as HTMLElement;
    expect(add.querySelector(".form-item-head")).toBeNull();
    expect(add.querySelectorAll(".form-item-compact")).toHaveLength(2);
    expect((field("config.add[1]") as HTMLInputElement).value).toBe("cart-open");
    expect(add.querySelector("label")?.textContent).toBe("Add 1");
    expect(add.lastElementChild?.textContent).toBe("+ Add");
    act(() => (add.querySelector('[aria-label="Move add 2 up"]') as HTMLButtonElement).click());
    expect(changes.at(-1)).toEqual({ add: ["cart-open", "vip"] });
    // A list of records keeps a header per item, and its add button names the item.
    render(sendButtons, buttons);
    expect(field("config.buttons")?.querySelector(".form-item-head")?.textContent).toContain(
      "Button 1",
    );
    expect(field("config.buttons")?.lastElementChild?.textContent).toBe("+ Add button");
  });
});
