// The conversation on a ticket with the API stubbed: the thread oldest first under its day
// line, earlier messages loaded on demand above the ones on screen, and what the operator
// reads when there are none or they cannot be read.

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { testRoot } from "../forms/testRoot";
import { Conversation } from "./Conversation";
import type { ConversationPage, MessageView } from "./types";

const { answer, json } = vi.hoisted(() => ({
  answer: { status: 200, pages: new Map<number | undefined, unknown>() },
  json: (status: number, data: unknown) =>
    Promise.resolve({
      data: status < 400 ? data : undefined,
      error: status < 400 ? undefined : data,
      response: new Response(null, { status }),
    }),
}));

vi.mock("../api/client", () => ({
  api: {
    GET: (path: string, init: { params: { query?: { before?: number } } }) => {
      if (path.endsWith("/templates")) return json(200, { templates: [], syncs: [] });
      if (answer.status !== 200) {
        return json(answer.status, { error: { code: "internal", message: "Spool failed." } });
      }
      return json(200, answer.pages.get(init.params.query?.before));
    },
  },
  ok: async (call: Promise<{ data?: unknown; error?: unknown; response: Response }>) => {
    const { data, error, response } = await call;
    const { failureOf } = await import("../api/errors");
    if (!response.ok) throw failureOf(response.status, error);
    return data;
  },
}));

const now = new Date("2026-12-01T17:00:00");

function text(key: string, at: string, words: string, direction: "in" | "out"): MessageView {
  return {
    key,
    direction,
    from: direction === "in" ? "contact" : "journey",
    node_id: direction === "out" ? "ask_budget" : null,
    text: words,
    message: direction === "in" ? { type: "text", body: words } : { type: "text", text: words },
    status: direction === "in" ? "received" : "read",
    window_closed: false,
    at: new Date(at).toISOString(),
  };
}

function pages(latest: ConversationPage, ...earlier: [number, ConversationPage][]) {
  answer.status = 200;
  answer.pages = new Map<number | undefined, unknown>([[undefined, latest], ...earlier]);
}

describe("the conversation on a ticket", () => {
  const root = testRoot();
  const render = () =>
    root.settle(
      <QueryClientProvider client={new QueryClient()}>
        <Conversation workspace="default" ticketId="t1" who="Ana" me="me@shop.test" now={now} />
      </QueryClientProvider>,
    );
  const lines = () =>
    [...root.container.querySelectorAll(".thread-day, .msg-text")].map((el) => el.textContent);
  const earlierButton = () =>
    [...root.container.querySelectorAll("button")].find((b) =>
      b.textContent?.includes("earlier messages"),
    );

  it("reads oldest first, and loads the messages before on demand, above the others", async () => {
    pages(
      {
        messages: [
          text("b", "2026-12-01T09:00:00", "What is your budget?", "out"),
          text("c", "2026-12-01T09:01:00", "About 200", "in"),
        ],
        earlier: 1000,
      },
      [1000, { messages: [text("a", "2026-11-30T18:00:00", "Hello", "in")], earlier: null }],
    );
    await render();
    expect(lines()).toEqual(["Today", "What is your budget?", "About 200"]);
    expect(root.container.querySelector('[role="log"]')?.getAttribute("aria-label")).toBe(
      "Messages",
    );

    await act(async () => earlierButton()?.click());
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(lines()).toEqual(["Yesterday", "Hello", "Today", "What is your budget?", "About 200"]);
    // The start of the conversation: nothing more to load.
    expect(earlierButton()).toBeUndefined();
  });

  it("offers no earlier messages when the first page is the whole conversation", async () => {
    pages({ messages: [text("a", "2026-12-01T09:00:00", "Hi", "in")], earlier: null });
    await render();
    expect(lines()).toEqual(["Today", "Hi"]);
    expect(earlierButton()).toBeUndefined();
  });

  it("says so when the contact and the business have not written yet", async () => {
    pages({ messages: [], earlier: null });
    await render();
    expect(root.container.textContent).toContain("No messages yet with this contact.");
  });

  it("says the messages could not be read, in the server's words", async () => {
    answer.status = 500;
    await render();
    expect(root.container.textContent).toContain("The messages could not be read. Spool failed.");
  });
});
