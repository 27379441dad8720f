import { describe, expect, it } from "vitest";
import {
  blankFlow,
  duplicateOf,
  fromExample,
  NotAFlowFile,
  readFlowFile,
  renamed,
  slugify,
  uniqueId,
  uniqueName,
  type FlowDocument,
} from "./documents";

const none = { ids: new Set<string>(), names: new Set<string>() };
const cart: FlowDocument = {
  schema: 1,
  id: "abandoned-cart",
  name: "Abandoned cart recovery",
  nodes: [{ id: "a", type: "end", config: {} }],
  edges: [],
};

describe("ids and names", () => {
  it("makes a valid flow id from any name", () => {
    expect(slugify("Black Friday!")).toBe("black-friday");
    expect(slugify("Crème brûlée")).toBe("creme-brulee");
    expect(slugify("   ")).toBe("flow");
    expect(slugify("x".repeat(200)).length).toBeLessThanOrEqual(60);
    expect(slugify("a".repeat(59) + " b")).toMatch(/^[a-z0-9_-]+$/);
  });

  it("never reuses a taken id or name", () => {
    expect(uniqueId("cart", new Set(["cart", "cart-2"]))).toBe("cart-3");
    expect(uniqueName("Welcome", new Set(["Welcome"]))).toBe("Welcome (2)");
    expect(uniqueName("  ", new Set())).toBe("Untitled flow");
  });
});

describe("new flows", () => {
  it("starts a blank flow with no nodes", () => {
    expect(blankFlow("Welcome series", none)).toEqual({
      schema: 1,
      id: "welcome-series",
      name: "Welcome series",
      nodes: [],
      edges: [],
    });
  });

  it("copies an example without touching the original", () => {
    const taken = { ids: new Set(["abandoned-cart"]), names: new Set(["Abandoned cart recovery"]) };
    const copy = fromExample(cart, taken);
    expect(copy.id).toBe("abandoned-cart-2");
    expect(copy.name).toBe("Abandoned cart recovery (2)");
    expect(copy.nodes).toEqual(cart.nodes);
    expect(copy.nodes).not.toBe(cart.nodes);
    expect(cart.id).toBe("abandoned-cart");
  });

  it("names a duplicate as a copy", () => {
    const copy = duplicateOf(cart, { ids: new Set(["abandoned-cart"]), names: new Set() });
    expect(copy.name).toBe("Copy of Abandoned cart recovery");
    expect(copy.id).toBe("copy-of-abandoned-cart-recovery");
  });

  it("renames without a stray space", () => {
    expect(renamed(cart, "  Cart nudge ").name).toBe("Cart nudge");
  });
});

describe("readFlowFile", () => {
  it("imports a file as it is when its id is free", () => {
    const { document, renamedFrom } = readFlowFile(JSON.stringify(cart), none);
    expect(document).toEqual(cart);
    expect(renamedFrom).toBeUndefined();
  });

  it("imports a flow that exists already as a new one", () => {
    const taken = { ids: new Set(["abandoned-cart"]), names: new Set(["Abandoned cart recovery"]) };
    const { document, renamedFrom } = readFlowFile(JSON.stringify(cart), taken);
    expect(renamedFrom).toBe("abandoned-cart");
    expect(document.id).toBe("abandoned-cart-recovery-2");
    expect(document.name).toBe("Abandoned cart recovery (2)");
  });

  it("says in words why a file is not a flow", () => {
    expect(() => readFlowFile("{nope", none)).toThrow(NotAFlowFile);
    expect(() => readFlowFile("{nope", none)).toThrow(/not valid JSON/);
    expect(() => readFlowFile('{"name":"x"}', none)).toThrow(/list of nodes/);
    expect(() => readFlowFile("[1]", none)).toThrow(/list of nodes/);
  });
});
