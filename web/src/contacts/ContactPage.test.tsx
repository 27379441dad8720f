// The contact page from a fixture (the API stubbed): what a marketer reads about a contact,
// and what each role may do with it.

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { testRoot } from "../forms/testRoot";
import { ContactPage, ContactView } from "./ContactPage";
import type { PendingChange } from "./pending";
import type { Contact } from "./types";
import { phoneDigits, waitWords } from "./words";

const { contactAnswer, json } = vi.hoisted(() => ({
  contactAnswer: { status: 200 },
  json: (status: number, data: unknown) =>
    Promise.resolve({
      data: status < 400 ? data : undefined,
      error: status < 400 ? undefined : data,
      response: new Response(null, { status }),
    }),
}));

vi.mock("../api/client", () => ({
  api: {
    GET: (path: string) => {
      if (path === "/api/v1/node-types") {
        return json(200, [{ type: "wait_for_reply", label: "Wait for reply", ports: [] }]);
      }
      if (path.endsWith("/flows"))
        return json(200, [{ id: "abandoned-cart", name: "Abandoned cart" }]);
      if (contactAnswer.status === 404) {
        return json(404, { error: { code: "not_found", message: "Spool knows no contact." } });
      }
      return json(200, ana);
    },
  },
  ok: async (call: Promise<{ data?: unknown; error?: unknown; response: Response }>) => {
    const { data, error, response } = await call;
    const { failureOf } = await import("../api/errors");
    if (!response.ok) throw failureOf(response.status, error);
    return data;
  },
}));

const ana: Contact = {
  phone: "+4915112345678",
  wa_id: "4915112345678",
  name: "Ana Souza",
  tags: ["vip", "cart-open"],
  properties: { city: "Lisbon", orders: 3 },
  timezone: "Europe/Lisbon",
  locale: "pt_BR",
  marketing_opt_in: true,
  marketing_opt_in_at: "2026-11-20T10:00:00Z",
  last_inbound_at: "2026-12-01T09:00:00Z",
  window: { open: true, closes_at: "2026-12-02T09:00:00Z" },
  first_touch: { headline: "Spring sale", source_type: "ad", source_id: "120210", at: 1764000000 },
  last_touch: null,
  free_entry_until: null,
  runs: [
    {
      id: "r7",
      flow_id: "abandoned-cart",
      version: 2,
      version_hash: "h",
      status: "waiting_reply",
      active: true,
      node_id: "wait_answer",
      node_type: "wait_for_reply",
      vars: {},
      waiting: { kind: "reply", deadline: "2026-12-02T09:00:00Z", attempts: 0 },
      steps: 4,
      started_at: "2026-12-01T08:00:00Z",
      updated_at: "2026-12-01T09:00:00Z",
    },
  ],
  finished_runs: [],
  queued: [],
};

const idle: PendingChange<Contact> = {
  waiting: false,
  message: null,
  start: () => {},
  current: null,
  finish: () => {},
};

function withQueries(ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return <QueryClientProvider client={client}>{ui}</QueryClientProvider>;
}

describe("the contact page", () => {
  const root = testRoot();
  const text = () => root.container.textContent ?? "";
  const buttons = () =>
    [...root.container.querySelectorAll("button")].map((b) => ({
      name: b.textContent,
      disabled: b.disabled,
    }));

  it("shows who the contact is, their consent, their window, the ad and their journeys", async () => {
    await root.settle(
      withQueries(
        <ContactView
          workspace="default"
          contact={ana}
          role="editor"
          pending={idle}
          onErased={() => {}}
        />,
      ),
    );
    expect(root.container.querySelector("h1")?.textContent).toBe("Ana Souza");
    expect(text()).toContain("pt_BR");
    expect(text()).toContain("Europe/Lisbon");
    expect([...root.container.querySelectorAll(".tag span")].map((t) => t.textContent)).toEqual([
      "vip",
      "cart-open",
    ]);
    expect(text()).toContain("city");
    expect(text()).toContain("Lisbon");
    expect(text()).toContain("✓ Agreed to Marketing messages");
    expect(text()).toMatch(/Open until .*any message may be sent/);
    expect(text()).toContain("“Spring sale” (ad 120210)");
    const row = root.container.querySelector(".runs-table tbody tr")?.textContent ?? "";
    expect(row).toContain("Abandoned cart");
    expect(row).toContain("Waiting for a reply");
    expect(row).toContain("At wait_answer (Wait for reply)");
    expect(row).toContain("Waits for a reply from the contact until");
    expect(text()).toContain("No finished journey kept.");
  });

  it("lets an editor change the profile but not erase it, and says why", async () => {
    await root.settle(
      withQueries(
        <ContactView
          workspace="default"
          contact={ana}
          role="editor"
          pending={idle}
          onErased={() => {}}
        />,
      ),
    );
    expect(buttons()).toContainEqual({ name: "Add tag", disabled: true });
    expect(buttons()).toContainEqual({ name: "Withdraw consent", disabled: false });
    expect(buttons()).toContainEqual({ name: "Erase contact…", disabled: true });
    expect(text()).toContain("Only an admin of this workspace can erase a contact.");
  });

  it("shows a viewer the same facts with no way to change them", async () => {
    await root.settle(
      withQueries(
        <ContactView
          workspace="default"
          contact={ana}
          role="viewer"
          pending={idle}
          onErased={() => {}}
        />,
      ),
    );
    expect(text()).toContain(
      "Your role in this workspace (viewer) lets you see contacts, not change them.",
    );
    const names = buttons().map((b) => b.name);
    expect(names).not.toContain("Add tag");
    expect(names).not.toContain("Change name");
    expect(root.container.querySelector('[aria-label="Remove tag vip"]')).toBeNull();
    expect(text()).toContain("vip");
  });

  it("says so in words when the number is not a contact", async () => {
    contactAnswer.status = 404;
    await root.settle(withQueries(<ContactPage workspace="default" phone="4915199999999" />));
    await root.settle(withQueries(<ContactPage workspace="default" phone="4915199999999" />));
    expect(text()).toContain("No contact with this number.");
    expect(text()).toContain("+4915199999999");
    contactAnswer.status = 200;
  });
});

describe("numbers and waits in words", () => {
  it("reads a number as people type it, and refuses one without its country code", () => {
    expect(phoneDigits("+49 151 1234-5678")).toEqual({ digits: "4915112345678" });
    expect(phoneDigits("0049 (151) 12345678")).toEqual({ digits: "4915112345678" });
    expect(phoneDigits("015112345678")).toEqual({
      problem: "Write the number with its country code, e.g. +49 151 1234 5678 (not 0151…).",
    });
    expect(phoneDigits("+49 abc")).toHaveProperty("problem");
    expect(phoneDigits("+4912")).toHaveProperty("problem");
  });

  it("says what a run waits for and how often the answer was not valid", () => {
    expect(waitWords({ kind: "timer", deadline: null, attempts: 0 })).toBe(
      "Waits for a delay to end, with no time limit.",
    );
    expect(waitWords({ kind: "reply", deadline: null, attempts: 2 })).toBe(
      "Waits for a reply from the contact, with no time limit (2 answers not valid so far).",
    );
  });
});
