import { beforeEach, describe, expect, it, vi } from "vitest";
import { updateNodeConfig, updateSettings } from "./api";
import { commit, getDocument, loadDocument, redo, undo, useDocumentStore } from "./store";
import type { FlowDoc } from "./types";

function flow(): FlowDoc {
  return {
    schema: 1,
    id: "f",
    name: "F",
    nodes: [
      { id: "start", type: "inbound_message", position: { x: 0, y: 0 } },
      { id: "hello", type: "send_text", position: { x: 250, y: 0 }, config: { text: "Hi" } },
    ],
    edges: [{ from: "start", port: "next", to: "hello" }],
  };
}

beforeEach(() => {
  vi.useRealTimers();
  loadDocument("f", flow());
});

describe("the command stack", () => {
  it("undoes and redoes a deletion of a node with its edges as one step", () => {
    const hello = getDocument()!.nodes[1]!;
    commit("Delete hello", [
      { kind: "edge", before: { from: "start", port: "next", to: "hello" }, after: null },
      { kind: "node", id: "hello", before: hello, after: null },
    ]);
    expect(getDocument()!.nodes.map((n) => n.id)).toEqual(["start"]);
    expect(getDocument()!.edges).toEqual([]);
    undo();
    expect(getDocument()).toEqual(flow());
    redo();
    expect(getDocument()!.nodes.map((n) => n.id)).toEqual(["start"]);
    expect(getDocument()!.edges).toEqual([]);
  });

  it("makes a drag of several nodes one step", () => {
    const [start, hello] = getDocument()!.nodes;
    commit("Move 2 steps", [
      {
        kind: "node",
        id: "start",
        before: start!,
        after: { ...start!, position: { x: 10, y: 10 } },
      },
      {
        kind: "node",
        id: "hello",
        before: hello!,
        after: { ...hello!, position: { x: 300, y: 40 } },
      },
    ]);
    expect(useDocumentStore.getState().past).toHaveLength(1);
    undo();
    expect(getDocument()).toEqual(flow());
  });

  it("merges typing in one field within a second, and not across fields or pauses", () => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
    updateNodeConfig("hello", { text: "Hi t" });
    vi.setSystemTime(400);
    updateNodeConfig("hello", { text: "Hi th" });
    vi.setSystemTime(800);
    updateNodeConfig("hello", { text: "Hi there" });
    expect(useDocumentStore.getState().past).toHaveLength(1);
    vi.setSystemTime(3000);
    updateNodeConfig("hello", { text: "Hi there!" });
    vi.setSystemTime(3100);
    updateNodeConfig("hello", { text: "Hi there!", preview_url: true });
    expect(useDocumentStore.getState().past).toHaveLength(3);
    undo();
    undo();
    expect(getDocument()!.nodes[1]!.config).toEqual({ text: "Hi there" });
    undo();
    expect(getDocument()!.nodes[1]!.config).toEqual({ text: "Hi" });
  });

  it("ignores a config that changes nothing", () => {
    updateNodeConfig("hello", { text: "Hi" });
    expect(useDocumentStore.getState().past).toHaveLength(0);
  });

  it("drops the redo steps when a new change is made", () => {
    updateNodeConfig("hello", { text: "One" });
    undo();
    expect(useDocumentStore.getState().future).toHaveLength(1);
    updateNodeConfig("hello", { text: "Two" });
    expect(useDocumentStore.getState().future).toHaveLength(0);
    expect(redo()).toBeUndefined();
  });

  it("keeps unchanged nodes the same objects, so only changed nodes redraw", () => {
    const before = getDocument()!;
    updateNodeConfig("hello", { text: "Hey" });
    expect(getDocument()!.nodes[0]).toBe(before.nodes[0]);
    expect(getDocument()!.nodes[1]).not.toBe(before.nodes[1]);
  });
});

describe("the journey's settings", () => {
  it("change as one undo step, typing in one setting merged, and nothing else touched", () => {
    updateSettings({ reentry: "restart" });
    updateSettings({ reentry: "restart", quiet_hours: { start: "2", end: "" } });
    updateSettings({ reentry: "restart", quiet_hours: { start: "21:00", end: "" } });
    expect(getDocument()?.settings).toEqual({
      reentry: "restart",
      quiet_hours: { start: "21:00", end: "" },
    });
    expect(getDocument()?.nodes).toEqual(flow().nodes);
    expect(useDocumentStore.getState().past).toHaveLength(2);
    undo();
    expect(getDocument()?.settings).toEqual({ reentry: "restart" });
    undo();
    expect(getDocument()).toEqual(flow());
    updateSettings({});
    expect(useDocumentStore.getState().past).toHaveLength(0);
  });
});
