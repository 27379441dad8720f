import { beforeEach, describe, expect, it } from "vitest";
import { copyText, pasteOps } from "./clipboard";
import { paste, move, remove, renameNode } from "./edits";
import { checkConnection } from "./rules";
import { getDocument, loadDocument, undo, useDocumentStore } from "./store";
import type { FlowDoc } from "./types";

const WAITS = new Set(["wait_for_reply", "delay"]);
const factsOf = (type: string) => ({ waits: WAITS.has(type) });

function flow(): FlowDoc {
  return {
    schema: 1,
    id: "f",
    name: "F",
    nodes: [
      { id: "start", type: "inbound_message", position: { x: 0, y: 0 } },
      { id: "ask", type: "send_text", position: { x: 250, y: 0 }, config: { text: "Size?" } },
      { id: "wait", type: "wait_for_reply", position: { x: 500, y: 0 } },
      { id: "check", type: "condition", position: { x: 750, y: 0 } },
    ],
    edges: [
      { from: "start", port: "next", to: "ask" },
      { from: "ask", port: "next", to: "wait" },
      { from: "wait", port: "reply", to: "check" },
    ],
  };
}

beforeEach(() => loadDocument("f", flow()));

describe("connection rules", () => {
  it("allows joining a free port to another step", () => {
    expect(checkConnection(flow(), factsOf, "check", "true", "ask")).toEqual({ ok: true });
  });

  it("refuses a second way out of one port, naming where it leads", () => {
    const verdict = checkConnection(flow(), factsOf, "start", "next", "wait");
    expect(verdict).toMatchObject({ ok: false });
    expect(!verdict.ok && verdict.reason).toContain("already leads to ask");
  });

  it("refuses a loop with nothing that waits, and a step leading to itself", () => {
    const doc = flow();
    doc.edges.push({ from: "check", port: "true", to: "ask" });
    // ask → wait waits, so check → ask is fine; ask → start → ask is not.
    expect(checkConnection(doc, factsOf, "ask", "error", "start").ok).toBe(false);
    expect(checkConnection(doc, factsOf, "check", "false", "check").ok).toBe(false);
    expect(checkConnection(doc, factsOf, "wait", "timeout", "wait").ok).toBe(true);
  });
});

describe("copy and paste", () => {
  it("renames pasted steps whose ids are taken, and their edges follow", () => {
    const text = copyText(flow(), ["ask", "wait"], []) as string;
    const pasted = pasteOps(flow(), text, { x: 1000, y: 300 });
    expect(pasted?.nodes).toEqual(["ask_2", "wait_2"]);
    expect(pasted?.ops).toContainEqual({
      kind: "edge",
      before: null,
      after: { from: "ask_2", port: "next", to: "wait_2" },
    });
    const moved = pasted?.ops.flatMap((op) =>
      op.kind === "node" && op.after ? [op.after.position] : [],
    );
    expect(moved).toEqual([
      { x: 1000, y: 300 },
      { x: 1250, y: 300 },
    ]);
  });

  it("keeps ids that are free in another flow, and leaves edges to steps not copied", () => {
    const text = copyText(flow(), ["ask", "wait"], []) as string;
    const other: FlowDoc = { schema: 1, id: "g", name: "G", nodes: [], edges: [] };
    const pasted = pasteOps(other, text, { x: 0, y: 0 });
    expect(pasted?.nodes).toEqual(["ask", "wait"]);
    expect(pasted?.ops.filter((op) => op.kind === "edge")).toHaveLength(1);
  });

  it("pastes as one undo step and ignores text that is not steps", () => {
    const text = copyText(getDocument() as FlowDoc, ["ask", "wait"], []) as string;
    expect(paste(text, { x: 0, y: 400 })).toBe(true);
    expect(getDocument()?.nodes).toHaveLength(6);
    expect(useDocumentStore.getState().selection.nodes).toEqual(["ask_2", "wait_2"]);
    undo();
    expect(getDocument()).toEqual(flow());
    expect(paste("hello", { x: 0, y: 0 })).toBe(false);
  });
});

describe("canvas edits", () => {
  it("makes one drag of several steps one undo step", () => {
    move(
      new Map([
        ["ask", { x: 260.4, y: 10 }],
        ["wait", { x: 510, y: 10 }],
      ]),
    );
    expect(useDocumentStore.getState().past).toHaveLength(1);
    expect(getDocument()?.nodes[1]?.position).toEqual({ x: 260, y: 10 });
    undo();
    expect(getDocument()).toEqual(flow());
  });

  it("deletes a step with every edge touching it, undone at once", () => {
    remove({ nodes: ["wait"] });
    expect(getDocument()?.edges).toEqual([{ from: "start", port: "next", to: "ask" }]);
    undo();
    expect(getDocument()?.edges).toHaveLength(3);
    expect(getDocument()?.nodes.map((n) => n.id)).toEqual(["start", "ask", "check", "wait"]);
  });
});

describe("naming a step", () => {
  it("renames a step and its wires in one undo step, keeping it selected", () => {
    expect(renameNode("wait", "wait_answer")).toBeUndefined();
    const doc = getDocument() as FlowDoc;
    expect(doc.nodes.map((n) => n.id).toSorted()).toEqual(["ask", "check", "start", "wait_answer"]);
    expect(doc.nodes.find((n) => n.id === "wait_answer")?.position).toEqual({ x: 500, y: 0 });
    expect(doc.edges).toContainEqual({ from: "ask", port: "next", to: "wait_answer" });
    expect(doc.edges).toContainEqual({ from: "wait_answer", port: "reply", to: "check" });
    expect(useDocumentStore.getState().selection.nodes).toEqual(["wait_answer"]);
    expect(useDocumentStore.getState().past).toHaveLength(1);
    undo();
    expect(getDocument()?.edges.toSorted((a, b) => a.from.localeCompare(b.from))).toEqual(
      flow().edges.toSorted((a, b) => a.from.localeCompare(b.from)),
    );
    expect(getDocument()?.nodes.some((n) => n.id === "wait")).toBe(true);
  });

  it("refuses a name that is taken, empty or not a name, and changes nothing", () => {
    expect(renameNode("wait", "ask")).toBe("Another step is already called ask.");
    expect(renameNode("wait", "  ")).toBe("Give the step a name.");
    expect(renameNode("wait", "wait for it")).toMatch(/no spaces/);
    expect(renameNode("wait", " wait ")).toBeUndefined();
    expect(getDocument()).toEqual(flow());
    expect(useDocumentStore.getState().past).toHaveLength(0);
  });
});
