// The template picker with the workspace's approved templates (the API stubbed): a chosen
// template's body values and its buttons' parameters can be filled in.

import { act } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import { PropertiesPanel } from "./PropertiesPanel";
import type { JsonSchema } from "./schema";
import { testRoot } from "./testRoot";

vi.mock("../api/client", () => ({
  api: {
    GET: () =>
      Promise.resolve({
        data: {
          syncs: [],
          templates: [
            {
              name: "cart_reminder",
              language: "en",
              category: "MARKETING",
              status: "APPROVED",
              waba_id: "1",
              channels: ["main"],
              components: [
                { type: "BODY", text: "Hi {{1}}, your cart of {{2}} is waiting." },
                {
                  type: "BUTTONS",
                  buttons: [{ type: "URL", text: "Checkout", url: "https://shop.example/{{1}}" }],
                },
              ],
              parameters: [
                { component: "body", count: 2, names: [] },
                { component: "button", index: 0, count: 1, names: [] },
              ],
              updated_at: "2026-12-01T00:00:00Z",
            },
          ],
        },
        response: new Response(),
      }),
  },
  ok: async (call: Promise<{ data: unknown }>) => (await call).data,
}));

const sendTemplate: JsonSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    language: { type: "string" },
    category: { type: "string", enum: ["marketing", "utility"] },
    body: { type: "array", items: { type: "string", "x-widget": "template" } },
    buttons: {
      type: "array",
      items: {
        oneOf: [
          {
            type: "object",
            properties: {
              type: { type: "string", const: "quick_reply" },
              payload: { type: "string" },
            },
            required: ["type", "payload"],
          },
          {
            type: "object",
            properties: { type: { type: "string", const: "url" }, text: { type: "string" } },
            required: ["type", "text"],
          },
        ],
      },
    },
  },
  required: ["name", "language", "category"],
};

const view = testRoot();
const field = (path: string) => view.field(path);

describe("the template picker", () => {
  it("offers the chosen template's body values and its buttons' parameters", async () => {
    const config = {
      name: "cart_reminder",
      language: "en",
      category: "marketing",
      body: ["{{ contact.name }}", ""],
      buttons: [{ type: "url", text: "{{ payload.cart.id }}" }],
    };
    const changes: Record<string, unknown>[] = [];
    await view.settle(
      <QueryClientProvider client={new QueryClient()}>
        <PropertiesPanel
          node={{ id: "cart_reminder", type: "send_template", config }}
          nodeType={{
            type: "send_template",
            label: "Send template",
            description: "Sends an approved template.",
            config_schema: sendTemplate,
          }}
          scope={[]}
          diagnostics={[]}
          workspace="default"
          onChange={(next) => changes.push(next)}
        />
      </QueryClientProvider>,
    );
    expect(field("config.body[1]")).not.toBeNull();
    expect((field("config.name") as HTMLSelectElement).value).toBe("cart_reminder|en");
    expect((field("config.buttons[0]") as HTMLSelectElement).value).toBe("url");
    expect((field("config.buttons[0].text") as HTMLInputElement).value).toBe(
      "{{ payload.cart.id }}",
    );
    expect(view.container.textContent).toContain("+ Add button parameter");
    act(() =>
      view.container
        .querySelector<HTMLButtonElement>('[data-field="config.buttons"] > button')
        ?.click(),
    );
    expect(changes.at(-1)?.buttons).toEqual([
      { type: "url", text: "{{ payload.cart.id }}" },
      { type: "quick_reply", payload: "" },
    ]);
  });
});
