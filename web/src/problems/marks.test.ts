import { describe, expect, it } from "vitest";
import { ancestorsOf, badgesOf, placeMarks, sorted, type Diagnostic } from "./marks";
import { fieldInWords } from "./ProblemsPanel";

const error = (node_id: string | undefined, field?: string): Diagnostic => ({
  severity: "error",
  code: "x",
  message: `${node_id}:${field}`,
  node_id,
  field,
});
const warning = (node_id: string): Diagnostic => ({
  severity: "warning",
  code: "w",
  message: "w",
  node_id,
});

describe("diagnostics as marks", () => {
  it("count errors and warnings per node for its badge", () => {
    const badges = badgesOf([
      error("ask", "config.text"),
      error("ask"),
      warning("ask"),
      warning("send"),
      error(undefined),
    ]);
    expect(badges.get("ask")).toEqual({ errors: 2, warnings: 1 });
    expect(badges.get("send")).toEqual({ errors: 0, warnings: 1 });
    expect(badges.size).toBe(2);
  });

  it("mark the field a diagnostic names, else the nearest shown field, else the node", () => {
    const shown = new Set([
      "config",
      "config.buttons",
      "config.buttons[0]",
      "config.buttons[0].title",
      "config.text",
    ]);
    const placed = placeMarks(
      [
        error("ask", "config.buttons[0].title"),
        error("ask", "config.buttons[3].title"),
        error("ask", "edges[2].to"),
        error("ask"),
        error("other", "config.text"),
      ],
      "ask",
      shown,
    );
    expect(placed.get("config.buttons[0].title")?.map((d) => d.message)).toEqual([
      "ask:config.buttons[0].title",
    ]);
    expect(placed.get("config.buttons")?.map((d) => d.message)).toEqual([
      "ask:config.buttons[3].title",
    ]);
    expect(placed.get("")?.map((d) => d.message)).toEqual(["ask:edges[2].to", "ask:undefined"]);
    expect(placed.has("config.text")).toBe(false);
  });

  it("walk up a field path", () => {
    expect(ancestorsOf("config.sections[1].rows[0].title")).toEqual([
      "config.sections[1].rows[0]",
      "config.sections[1].rows",
      "config.sections[1]",
      "config.sections",
      "config",
    ]);
  });

  it("list errors before warnings and name fields in words", () => {
    expect(
      sorted([warning("a"), error("b"), warning("c"), error("d")]).map((d) => d.node_id),
    ).toEqual(["b", "d", "a", "c"]);
    expect(fieldInWords("config.buttons[1].title")).toBe("buttons 2 › title");
  });
});
