import { describe, expect, it } from "vitest";
import { emptyOf, labelOf, shapeOf, shownPaths } from "./schema";
import { httpRequest, mixed, sendButtons } from "./fixtures";

const field = (root: typeof sendButtons, name: string) => root.properties![name]!;

const kindOf = (root: typeof mixed, name: string) => shapeOf(field(root, name), root);

describe("a node type's schema read as a form", () => {
  it("gives each part of send_buttons its widget", () => {
    const kind = (name: string) => shapeOf(field(sendButtons, name), sendButtons).kind;
    expect(kind("text")).toBe("template");
    expect(kind("header")).toBe("optional");
    expect(kind("buttons")).toBe("list");
    expect(kind("variable")).toBe("optional");
    expect(kind("timeout")).toBe("duration");
    const header = shapeOf(field(sendButtons, "header"), sendButtons);
    expect(header.kind === "optional" && shapeOf(header.inner, sendButtons).kind).toBe("template");
    // The limit written beside the reference stays with the field.
    expect(shapeOf(field(sendButtons, "text"), sendButtons).schema.maxLength).toBe(1024);
  });

  it("reads enums, tagged variants, fixed-or-computed inputs, maps and numbers", () => {
    expect(kindOf(httpRequest, "method")).toMatchObject({
      kind: "choice",
      options: [
        { value: "GET", label: "GET" },
        { value: "POST" },
        { value: "PUT" },
        { value: "PATCH" },
        { value: "DELETE" },
      ],
    });
    expect(kindOf(httpRequest, "headers").kind).toBe("map");
    expect(kindOf(httpRequest, "retries")).toMatchObject({ kind: "number", integer: true });
    const match = kindOf(mixed, "match");
    expect(match.kind).toBe("variant");
    expect(match.kind === "variant" && match.variants.map((v) => v.option.value)).toEqual([
      "any",
      "keyword",
    ]);
    expect(kindOf(mixed, "value").kind).toBe("input");
    expect(kindOf(mixed, "category")).toMatchObject({
      kind: "choice",
      options: [
        { value: "marketing", label: "Marketing", description: "Promotions." },
        { value: "utility" },
      ],
    });
    expect(kindOf(mixed, "preview_url").kind).toBe("boolean");
  });

  it("labels fields in words", () => {
    expect(labelOf("preview_url")).toBe("Preview URL");
    expect(labelOf("case_sensitive")).toBe("Case sensitive");
  });

  it("starts new items with their required fields and defaults", () => {
    const button = sendButtons.properties!.buttons!.items!;
    expect(emptyOf(button, sendButtons)).toEqual({ id: "", title: "" });
    expect(emptyOf(field(sendButtons, "timeout"), sendButtons)).toBe("1d");
    expect(emptyOf(field(mixed, "match"), mixed)).toEqual({ type: "any" });
  });

  it("knows the paths the form shows, as diagnostics name them", () => {
    const config = { text: "Hi", buttons: [{ id: "yes", title: "Yes" }], timeout: "1d" };
    const paths = shownPaths(sendButtons, config, sendButtons, "config");
    expect(paths).toContain("config.buttons[0].title");
    expect(paths).toContain("config.header");
    expect(paths).not.toContain("config.buttons[1]");
    const http = shownPaths(httpRequest, { headers: { Accept: "json" } }, httpRequest, "config");
    expect(http).toContain("config.headers.Accept");
  });
});
