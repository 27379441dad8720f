import { describe, expect, it } from "vitest";
import { initialConfig } from "./defaults";
import { httpRequest, mixed, sendButtons } from "./fixtures";
import type { JsonSchema } from "./schema";

describe("a new step's settings", () => {
  it("start with the schema's defaults and an empty value for each required field", () => {
    expect(initialConfig(sendButtons)).toEqual({ text: "", buttons: [], timeout: "1d" });
    expect(initialConfig(httpRequest)).toEqual({ method: "GET", url: "", retries: 0 });
  });

  it("leave out optional fields without a default", () => {
    expect(initialConfig(mixed)).toEqual({});
  });

  it("take a default from a referenced definition, and copy it", () => {
    const any = { type: "any" };
    const schema: JsonSchema = {
      type: "object",
      properties: { match: { $ref: "#/$defs/Match" } },
      $defs: { Match: { type: "object", default: any } },
    };
    const config = initialConfig(schema);
    expect(config).toEqual({ match: { type: "any" } });
    expect(config.match).not.toBe(any);
  });

  it("write nothing for a stated null default", () => {
    const schema: JsonSchema = {
      type: "object",
      properties: { team: { type: ["string", "null"], default: null } },
    };
    expect(initialConfig(schema)).toEqual({});
  });

  it("are empty for a type without settings", () => {
    expect(initialConfig({ type: "object", additionalProperties: false })).toEqual({});
    expect(initialConfig({})).toEqual({});
  });
});
