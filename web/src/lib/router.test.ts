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
  it("opens a contact by number, and one of its runs", () => {
    expect(routeOf("/contacts/4915112345678")).toEqual({
      screen: "contact",
      phone: "4915112345678",
    });
    expect(routeOf("/contacts/%2B4915112345678")).toEqual({
      screen: "contact",
      phone: "+4915112345678",
    });
    expect(routeOf("/contacts/4915112345678/runs/r1")).toEqual({
      screen: "run",
      phone: "4915112345678",
      run: "r1",
    });
    expect(routeOf("/contacts/%E0%A4%A/runs/r1")).toEqual({ screen: "missing" });
  });
  it("opens the inbox, with one ticket when the address names it", () => {
    expect(routeOf("/inbox")).toEqual({ screen: "inbox" });
    expect(routeOf("/inbox/")).toEqual({ screen: "inbox" });
    expect(routeOf("/inbox/t-42")).toEqual({ screen: "inbox", ticket: "t-42" });
    expect(routeOf("/inbox/%E0%A4%A")).toEqual({ screen: "missing" });
    expect(routeOf("/inbox/a/b")).toEqual({ screen: "missing" });
  });
  it("knows a path it has no screen for", () => {
    expect(routeOf("/nope/x")).toEqual({ screen: "missing" });
    expect(routeOf("/flows/a b")).toEqual({ screen: "missing" });
  });
});
