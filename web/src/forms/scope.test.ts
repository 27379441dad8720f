import { describe, expect, it } from "vitest";
import { scopeOf } from "./scope";

describe("the names a step may read", () => {
  it("are the contact, the variables set upstream, the message and the payload", () => {
    const document = {
      nodes: [
        { id: "start", type: "inbound_message", config: {} },
        { id: "ask", type: "wait_for_reply", config: { variable: "email" } },
        { id: "lookup", type: "http_request", config: { save: { plan: "response.body.plan" } } },
        { id: "reply", type: "send_text", config: { text: "" } },
        {
          id: "later",
          type: "set",
          config: { assignments: [{ variable: "late", value: { value: 1 } }] },
        },
        {
          id: "profile",
          type: "update_contact",
          config: { properties: { city: { value: "Lisbon" } } },
        },
      ],
      edges: [
        { from: "start", port: "next", to: "ask" },
        { from: "ask", port: "reply", to: "lookup" },
        { from: "lookup", port: "next", to: "reply" },
        { from: "reply", port: "next", to: "later" },
      ],
    };
    const paths = scopeOf(document, "reply").map((e) => e.path);
    expect(paths).toContain("contact.name");
    expect(paths).toContain("contact.properties.city");
    expect(paths).toContain("vars.email");
    expect(paths).toContain("vars.plan");
    expect(paths).not.toContain("vars.late");
    expect(paths).toContain("msg.text");
    expect(paths).toContain("payload");
  });
});
