import { describe, expect, it } from "vitest";
import { routeOf } from "./router";

describe("routeOf", () => {
  it("opens the flow list at the root", () => {
    expect(routeOf("/")).toEqual({ screen: "flows" });
    expect(routeOf("/flows")).toEqual({ screen: "flows" });
  });
  it("opens a flow by id", () => {
    expect(routeOf("/flows/abandoned-cart")).toEqual({ screen: "flow", id: "abandoned-cart" });
  });
  it("knows a path it has no screen for", () => {
    expect(routeOf("/nope/x")).toEqual({ screen: "missing" });
    expect(routeOf("/flows/a b")).toEqual({ screen: "missing" });
  });
});
