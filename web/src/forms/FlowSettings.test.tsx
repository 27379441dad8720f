// The journey's settings form, from the flow format's own schema: re-entry as a choice,
// quiet hours added with their default time zone, the server's words on their field.

import { act } from "react";
import { describe, expect, it } from "vitest";
import { FlowSettings } from "./FlowSettings";
import { testRoot } from "./testRoot";

const view = testRoot();

const field = (path: string) => view.field(path);

describe("the journey's settings", () => {
  it("offers re-entry and quiet hours, which start with their default time zone", () => {
    const changes: Record<string, unknown>[] = [];
    view.render(
      <FlowSettings
        settings={{ reentry: "restart" }}
        diagnostics={[]}
        onChange={(next) => changes.push(next)}
      />,
    );
    expect((field("settings.reentry") as HTMLSelectElement).value).toBe("restart");
    expect(view.container.textContent).toContain("End the current run and start again");
    act(() => field("settings.quiet_hours")?.click());
    expect(changes.at(-1)).toEqual({
      reentry: "restart",
      quiet_hours: { start: "", end: "", timezone: "UTC" },
    });
  });

  it("marks the server's words on the setting they are about", () => {
    view.render(
      <FlowSettings
        settings={{ quiet_hours: { start: "9pm", end: "08:00" } }}
        diagnostics={[
          {
            severity: "error",
            code: "invalid_settings",
            message: "`9pm` is not a time: write it HH:MM.",
            field: "settings.quiet_hours.start",
          },
        ]}
        onChange={() => {}}
      />,
    );
    const start = field("settings.quiet_hours.start") as HTMLInputElement;
    expect(start.value).toBe("9pm");
    expect(start.closest(".form-row")?.textContent).toContain("is not a time");
  });
});
