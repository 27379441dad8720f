// For the forms' tests in happy-dom: a fresh element to render into for each test, unmounted
// after it, and the form's inputs found by their diagnostic path.

import { act, type ReactNode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach } from "vitest";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export function testRoot() {
  let container: HTMLDivElement;
  let root: Root;
  beforeEach(() => {
    container = document.createElement("div");
    document.body.append(container);
    root = createRoot(container);
  });
  afterEach(() => {
    act(() => root.unmount());
    container.remove();
  });
  return {
    get container() {
      return container;
    },
    render(ui: ReactNode) {
      act(() => root.render(ui));
    },
    /** Renders and lets what the render started (a query answered at once) settle. */
    async settle(ui: ReactNode) {
      await act(async () => root.render(ui));
      await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    },
    field(path: string) {
      return container.querySelector<HTMLElement>(`[data-field="${path}"]`);
    },
  };
}
