// The chat's bubbles, one per kind of message the flow sends, as the builder sees them:
// what is written, the buttons under a message and what tapping one sends.

import { act } from "react";
import { describe, expect, it, vi } from "vitest";
import { testRoot } from "../forms/testRoot";
import { ChatBubble, type ChatActions } from "./Bubbles";
import { chatItemOf, type Entry } from "./model";

const root = testRoot();

function flowEntry(message: Record<string, unknown>, text = ""): Entry {
  return { seq: 1, at: "2026-03-02T11:00:00Z", direction: "flow", text, message };
}

function render(entry: Entry, extra: Partial<Parameters<typeof ChatBubble>[0]> = {}) {
  const actions: ChatActions = { busy: false, tap: vi.fn(), pick: vi.fn() };
  root.render(<ChatBubble item={chatItemOf(entry)} actions={actions} {...extra} />);
  return actions;
}

function contact(message: Record<string, unknown>): Entry {
  return { seq: 2, at: "2026-03-02T11:00:00Z", direction: "contact", text: "", message };
}

function note(text: string): Entry {
  return { seq: 3, at: "2026-03-02T11:00:00Z", direction: "system", text };
}

const buttons = () => [...root.container.querySelectorAll("button")];

describe("what the flow sends", () => {
  it("a text, with its link", () => {
    render(flowEntry({ type: "text", text: "Your cart: https://shop.example/c" }));
    expect(root.container.textContent).toContain("Your cart: https://shop.example/c");
    expect(root.container.querySelector(".bubble-link")?.textContent).toBe(
      "https://shop.example/c",
    );
    expect(root.container.textContent).toContain("11:00");
  });

  it("a media file with its caption", () => {
    render(
      flowEntry({ type: "media", kind: "image", url: "https://cdn/x/shoes.png", caption: "New!" }),
    );
    expect(root.container.textContent).toContain("Image");
    expect(root.container.textContent).toContain("shoes.png");
    expect(root.container.textContent).toContain("New!");
  });

  it("reply buttons under the message; a tap sends the button's id", () => {
    const actions = render(
      flowEntry({
        type: "buttons",
        header: "Step 2",
        text: "When would you like to start?",
        footer: "Tap one",
        buttons: [
          { id: "this_month", title: "This month" },
          { id: "just_looking", title: "Just looking" },
        ],
      }),
    );
    expect(root.container.textContent).toContain("Step 2");
    expect(root.container.textContent).toContain("Tap one");
    expect(buttons().map((b) => b.textContent)).toEqual(["This month", "Just looking"]);
    act(() => buttons()[1]!.click());
    expect(actions.tap).toHaveBeenCalledWith("just_looking");
  });

  it("a list opened by its button; a row picked sends its id", () => {
    const actions = render(
      flowEntry({
        type: "list",
        text: "Pick a store",
        button: "See stores",
        sections: [
          {
            title: "Lisbon",
            rows: [
              { id: "chiado", title: "Chiado", description: "Open until 22:00" },
              { id: "belem", title: "Belém" },
            ],
          },
        ],
      }),
    );
    expect(root.container.textContent).not.toContain("Chiado");
    act(() => buttons()[0]!.click());
    expect(root.container.querySelector('[role="dialog"]')?.textContent).toContain(
      "Open until 22:00",
    );
    const chiado = buttons().find((b) => b.textContent?.startsWith("Chiado"));
    act(() => chiado!.click());
    expect(actions.pick).toHaveBeenCalledWith("chiado");
    expect(root.container.querySelector('[role="dialog"]')).toBeNull();
  });

  const reminder = flowEntry({
    type: "template",
    name: "cart_reminder",
    language: "en",
    category: "marketing",
    header: ["Your cart"],
    body: ["Ana", "EUR 42.5"],
    buttons: [
      { index: 0, sub_type: "url", parameter: "c1" },
      { index: 1, sub_type: "quick_reply", parameter: "cart_discount" },
    ],
  });

  it("a template with its values, when the template itself is not known here", () => {
    const actions = render(reminder);
    const text = root.container.textContent ?? "";
    expect(text).toContain("Template cart_reminder · Marketing · en");
    expect(text).toContain("Your cart");
    expect(text).toContain("Ana");
    expect(text).toContain("EUR 42.5");
    expect(text).toContain("Link …/c1");
    // Only the quick reply is a button the contact can tap; it answers with its payload.
    expect(buttons().map((b) => b.textContent)).toEqual(["cart_discount"]);
    act(() => buttons()[0]!.click());
    expect(actions.tap).toHaveBeenCalledWith("cart_discount");
  });

  it("a template in its own words, the values filled in, when its text is known", () => {
    const actions = render(reminder, {
      templates: [
        {
          name: "cart_reminder",
          language: "en",
          category: "MARKETING",
          status: "APPROVED",
          waba_id: "1",
          channels: [],
          parameters: [],
          updated_at: "2026-03-01T00:00:00Z",
          // Meta lists them as an array; the API types them loosely.
          components: [
            { type: "HEADER", format: "TEXT", text: "{{1}}" },
            { type: "BODY", text: "Hi {{1}}, your cart of {{2}} is waiting." },
            { type: "FOOTER", text: "Reply STOP to opt out" },
            {
              type: "BUTTONS",
              buttons: [
                { type: "URL", text: "Check out", url: "https://shop.example/{{1}}" },
                { type: "QUICK_REPLY", text: "Get a discount" },
              ],
            },
          ] as unknown as Record<string, unknown>,
        },
      ],
    });
    const text = root.container.textContent ?? "";
    expect(text).toContain("Hi Ana, your cart of EUR 42.5 is waiting.");
    expect(text).toContain("Reply STOP to opt out");
    expect(text).toContain("Check out");
    expect([...root.container.querySelectorAll(".filled")].map((e) => e.textContent)).toEqual([
      "Your cart",
      "Ana",
      "EUR 42.5",
    ]);
    act(() => buttons()[0]!.click());
    expect(actions.tap).toHaveBeenCalledWith("cart_discount");
  });

  it("nothing can be tapped while an action is on its way", () => {
    root.render(
      <ChatBubble
        item={chatItemOf(
          flowEntry({ type: "buttons", text: "?", buttons: [{ id: "a", title: "A" }] }),
        )}
        actions={{ busy: true, tap: vi.fn(), pick: vi.fn() }}
      />,
    );
    expect(buttons()[0]!.disabled).toBe(true);
  });
});

describe("what the contact sends and what happens around it", () => {
  it("a tap, a location and an image on the contact's side", () => {
    render(contact({ type: "button_reply", id: "a", title: "This month" }));
    expect(root.container.querySelector(".contact-bubble")?.textContent).toContain("This month");
    render(contact({ type: "location", latitude: 38.7223, longitude: -9.1393, name: "Home" }));
    expect(root.container.textContent).toContain("Location: Home");
    expect(root.container.textContent).toContain("38.7223, -9.1393");
    render(contact({ type: "media", kind: "image", caption: "my receipt" }));
    expect(root.container.textContent).toContain("Image");
    expect(root.container.textContent).toContain("my receipt");
  });

  it("a refused send says why, in words, and names the step", () => {
    render(
      {
        seq: 3,
        at: "2026-03-03T12:00:00Z",
        direction: "system",
        node_id: "send_offer",
        text: "send_offer failed (window_closed): more than 24 hours since the contact last wrote: only templates can be sent.",
      },
      { label: () => "Send offer" },
    );
    const notice = root.container.querySelector('[role="status"]');
    expect(notice?.textContent).toContain("WhatsApp would refuse this");
    expect(notice?.textContent).toContain("step Send offer");
    expect(notice?.textContent).toContain("only lets you send an approved template");
  });

  it("other events as quiet notes, with times people read", () => {
    render({
      seq: 4,
      at: "2026-03-02T11:00:00Z",
      direction: "system",
      text: "wait_answer waits for the contact's reply until 2026-03-03T11:00:00Z (1d from now).",
    });
    expect(root.container.querySelector(".chat-note")?.textContent).toBe(
      "11:00 wait_answer waits for the contact's reply until 3 Mar, 11:00 (1d from now).",
    );
  });

  it("a call a test answer stood in for says what answered, and that nothing was called", () => {
    render(note("POST https://crm.example.com/api/leads: stub answer, answers 201."));
    expect(root.container.querySelector(".chat-stub")?.textContent).toBe(
      "11:00 Test answer POST https://crm.example.com/api/leads answers 201 (no real call).",
    );
    render(note("the AI model gpt-4o: stub answer, the AI answers “Tomorrow.”."));
    expect(root.container.textContent).toContain(
      "the AI model gpt-4o answers “Tomorrow.” (no real call).",
    );
    render(note("POST https://crm.example.com/api/leads: stub answer, fails: the API is down."));
    expect(root.container.textContent).toContain("leads fails: the API is down (no real call).");
  });
});
