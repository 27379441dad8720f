// A ticket's messages as the operator reads them: the contact's on the left, the business's
// on the right with the step that sent it and what became of it, templates in their own
// words, and buttons and list rows readable but not tappable.

import { describe, expect, it } from "vitest";
import type { components } from "../api/schema";
import { testRoot } from "../forms/testRoot";
import { MessageBubble } from "./MessageBubble";
import type { MessageView } from "./types";

type TemplateInfo = components["schemas"]["TemplateInfo"];

const root = testRoot();

function out(message: Record<string, unknown>, extra: Partial<MessageView> = {}): MessageView {
  return {
    key: "k",
    direction: "out",
    from: "journey",
    run_id: "r1",
    node_id: "ask_budget",
    text: "",
    message,
    status: "delivered",
    window_closed: false,
    at: "2026-12-01T10:42:00Z",
    ...extra,
  };
}

function inbound(message: Record<string, unknown>, text = ""): MessageView {
  return {
    key: "i",
    direction: "in",
    from: "contact",
    text,
    message,
    status: "received",
    window_closed: false,
    at: "2026-12-01T10:43:00Z",
  };
}

function render(message: MessageView, templates?: TemplateInfo[]) {
  root.render(
    <ol>
      <MessageBubble message={message} me="me@shop.test" templates={templates} />
    </ol>,
  );
  return root.container.querySelector("li") as HTMLElement;
}

const ORDER_UPDATE = {
  name: "order_update",
  language: "en",
  category: "UTILITY",
  status: "APPROVED",
  components: [
    { type: "BODY", text: "Your order {{1}} is on its way." },
    { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Talk to a person" }] },
  ],
} as unknown as TemplateInfo;

describe("a message from the contact", () => {
  it("sits on the left with its words and time, and no status", () => {
    const row = render(inbound({ type: "text", body: "Where is my order?" }));
    expect(row.className).toContain("msg-in");
    expect(row.textContent).toContain("Where is my order?");
    expect(row.querySelector(".msg-time")?.textContent).toMatch(/\d/);
    expect(row.querySelector(".msg-meta")).toBeNull();
  });

  it("says which button the contact tapped", () => {
    const row = render(inbound({ type: "button_reply", id: "yes", title: "Yes, please" }));
    expect(row.textContent).toContain("Tapped a button");
    expect(row.textContent).toContain("↩ Yes, please");
  });

  it("shows a kind it does not draw in the server's words", () => {
    const row = render(
      inbound({ type: "reaction", message_id: "wamid.1", emoji: "👍" }, "Reacted 👍"),
    );
    expect(row.textContent).toContain("Reacted 👍");
  });
});

describe("a message from the journey", () => {
  it("sits on the right, naming its step and its status in words", () => {
    const row = render(out({ type: "text", text: "What is your budget?" }));
    expect(row.className).toContain("msg-out");
    expect(row.textContent).toContain("What is your budget?");
    const meta = row.querySelector(".msg-meta")?.textContent;
    expect(meta).toContain("Journey · step ask_budget");
    expect(meta).toContain("Delivered");
    expect(row.querySelector(".msg-ticks")?.textContent).toContain("✓✓");
  });

  it("a template in its own words with its values, marked as sent with the window closed", () => {
    const row = render(
      out(
        {
          type: "template",
          name: "order_update",
          language: "en",
          category: "utility",
          body: ["A-17"],
          buttons: [{ index: 0, sub_type: "quick_reply", parameter: "person" }],
        },
        { window_closed: true, status: "read" },
      ),
      [ORDER_UPDATE],
    );
    expect(row.textContent).toContain("Template order_update · Utility · en");
    expect(row.querySelector(".msg-text")?.textContent).toBe("Your order A-17 is on its way.");
    expect(row.querySelector(".filled")?.textContent).toBe("A-17");
    expect(row.querySelector('[aria-label="Template buttons"]')?.textContent).toBe(
      "Talk to a person",
    );
    expect(row.querySelector(".msg-window")?.textContent).toBe("Window closed: sent as a template");
    expect(row.querySelector(".msg-meta")?.textContent).toContain("Read");
  });

  it("a template whose words are not known: its values in order", () => {
    const row = render(
      out({ type: "template", name: "x", language: "en", category: "utility", body: ["A-17"] }),
    );
    expect(row.querySelector('[aria-label="Values filled in"]')?.textContent).toBe("{{1}}A-17");
  });

  it("a file sent by its link: its kind, its caption, and its name opening the link", () => {
    const row = render(
      out({
        type: "media",
        kind: "image",
        url: "https://shop.example/receipts/r-17.png",
        caption: "Your receipt",
      }),
    );
    expect(row.querySelector('[aria-label="Photo file"]')?.textContent).toBe("Photor-17.png ↗");
    expect(row.querySelector(".msg-text")?.textContent).toBe("Your receipt");
    const link = row.querySelector("a");
    expect(link?.getAttribute("href")).toBe("https://shop.example/receipts/r-17.png");
    expect(link?.getAttribute("target")).toBe("_blank");
  });

  it("reply buttons and list rows are readable, and none can be pressed", () => {
    let row = render(
      out({
        type: "buttons",
        text: "When would you like to start?",
        buttons: [
          { id: "now", title: "This month" },
          { id: "later", title: "Just looking" },
        ],
      }),
    );
    expect(row.querySelector('[aria-label="Reply buttons"]')?.textContent).toBe(
      "This monthJust looking",
    );
    expect(row.querySelectorAll("button")).toHaveLength(0);

    row = render(
      out({
        type: "list",
        text: "Pick a size",
        button: "Sizes",
        sections: [{ title: "Shoes", rows: [{ id: "s40", title: "40", description: "EU" }] }],
      }),
    );
    expect(row.textContent).toContain("☰ Sizes");
    const rows = row.querySelector(".msg-rows");
    expect(rows?.getAttribute("aria-label")).toBe("The list behind “Sizes”");
    expect(rows?.textContent).toBe("Shoes40EU");
    expect(row.querySelectorAll("button")).toHaveLength(0);
  });

  it("a failed message says so in red, with WhatsApp's reason", () => {
    const row = render(
      out(
        { type: "text", text: "Still there?" },
        { status: "failed", error: "Re-engagement message: more than 24 hours have passed" },
      ),
    );
    expect(row.querySelector(".msg-status.failed")?.textContent).toBe("Failed");
    expect(row.querySelector(".msg-error")?.textContent).toBe(
      "Not delivered. WhatsApp says: Re-engagement message: more than 24 hours have passed",
    );
  });

  it("a reply Spool refused to send is red, says why, and never reads as sent", () => {
    const row = render(
      out(
        { type: "text", text: "Still there?" },
        {
          from: "operator",
          author: "me@shop.test",
          status: "refused",
          error: "The contact's 24-hour window closed before it went.",
        },
      ),
    );
    expect(row.querySelector(".msg-failed")).not.toBeNull();
    expect(row.querySelector(".msg-status.failed")?.textContent).toBe("Not sent");
    expect(row.querySelector(".msg-error")?.textContent).toBe(
      "Not sent: The contact's 24-hour window closed before it went.",
    );
    expect(row.textContent).not.toMatch(/Sent|Delivered/);
  });

  it("a reply from the inbox names who wrote it", () => {
    const row = render(
      out({ type: "text", text: "On it" }, { from: "operator", author: "me@shop.test" }),
    );
    expect(row.querySelector(".msg-meta")?.textContent).toContain("You");
    const colleague = render(
      out({ type: "text", text: "On it" }, { from: "operator", author: "rita@shop.test" }),
    );
    expect(colleague.querySelector(".msg-meta")?.textContent).toContain("rita@shop.test");
  });
});

function note(author: string): MessageView {
  return {
    key: "n",
    direction: "note",
    from: "operator",
    author,
    text: "Called her: she is away until Monday.",
    message: { type: "note", text: "Called her: she is away until Monday." },
    status: "note",
    window_closed: false,
    at: "2026-12-01T10:44:00Z",
  };
}

describe("a private note of the team", () => {
  it("says who wrote it and that only the team sees it, never as a message in or out", () => {
    const row = render(note("rita@shop.test"));
    expect(row.textContent).toContain("Note · rita@shop.test · only your team sees this");
    expect(row.textContent).toContain("Called her: she is away until Monday.");
    expect(row.className).not.toMatch(/msg-in|msg-out/);
    expect(row.querySelector(".msg, .msg-ticks, .msg-status, .msg-meta")).toBeNull();
    expect(render(note("me@shop.test")).getAttribute("aria-label")).toBe(
      "Note · You · only your team sees this",
    );
  });
});
