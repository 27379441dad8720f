import { describe, expect, it } from "vitest";
import { componentsOf, previewOf } from "./TemplatePicker";

describe("a template's live preview", () => {
  it("fills numbered placeholders with the values given and keeps the rest visible", () => {
    expect(previewOf("Hi {{1}}, your cart of {{2}} waits.", ["{{ contact.name }}", ""])).toEqual([
      { text: "Hi ", filled: false },
      { text: "{{ contact.name }}", filled: true },
      { text: ", your cart of ", filled: false },
      { text: "{{2}}", filled: true },
      { text: " waits.", filled: false },
    ]);
  });

  it("fills named placeholders in order", () => {
    expect(
      previewOf("Hello {{first_name}}!", ["Ana"])
        .map((p) => p.text)
        .join(""),
    ).toBe("Hello Ana!");
  });

  it("reads Meta's components whether listed or keyed", () => {
    const listed = { components: [{ type: "BODY", text: "Hi" }] };
    const keyed = { components: { body: { type: "BODY", text: "Hi" } } };
    expect(componentsOf(listed as never)).toEqual([{ type: "BODY", text: "Hi" }]);
    expect(componentsOf(keyed as never)).toEqual([{ type: "BODY", text: "Hi" }]);
  });
});
