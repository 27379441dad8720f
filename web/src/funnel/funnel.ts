// What the funnel's numbers mean, as data the canvas, the cards, the table and the CSV share:
// the ways out drawn wider the more contacts took them, each step's counts in words, and the
// biggest drop-offs as sentences a marketer reads ("38 % of contacts who reached … never
// answered"). Pure functions of the analytics answer, so they are tested without a canvas.

import type { components } from "../api/schema";
import { portKey, type CanvasOverlay, type EdgeMark } from "../canvas/overlay";

export type Funnel = components["schemas"]["Funnel"];
export type NodeCounts = components["schemas"]["NodeCounts"];

/** How a step is named in sentences: its type's label and its name ("Wait for reply (wait_answer)"). */
export type StepNamer = (nodeId: string, type: string) => string;

/** The analytics as an overlay: every way out labelled with its count, widened by its share. */
export function overlayOf(funnel: Funnel): CanvasOverlay {
  const busiest = Math.max(0, ...funnel.nodes.flatMap((node) => Object.values(node.left)));
  const edges = new Map<string, EdgeMark>();
  for (const node of funnel.nodes) {
    for (const [port, count] of Object.entries(node.left)) {
      edges.set(portKey(node.node_id, port), {
        weight: busiest > 0 ? count / busiest : 0,
        label: String(count),
      });
    }
  }
  return { nodes: new Map(), edges };
}

/** A step's fate in numbers: how many reached it and what became of them. */
export interface StepOutcome {
  reached: number;
  /** Left by any way out (the timeout and error ways included). */
  left: number;
  timedOut: number;
  failed: number;
  /** Reached it and have not gone on: still waiting there, or stopped there. */
  stayed: number;
  /** An end step: reaching it is finishing the journey. */
  isEnd: boolean;
}

export function outcomeOf(node: NodeCounts): StepOutcome {
  const ports = Object.keys(node.left);
  const left = Object.values(node.left).reduce((sum, n) => sum + n, 0);
  // A failure the `error` way took on is counted as leaving by it; the others stop there.
  const unhandledFailures = Math.max(0, node.failed - (node.left.error ?? 0));
  const isEnd = ports.length === 0;
  return {
    reached: node.entered,
    left,
    timedOut: node.timed_out,
    failed: node.failed,
    stayed: isEnd ? 0 : Math.max(0, node.entered - left - unhandledFailures),
    isEnd,
  };
}

/** "38 %", "less than 1 %": a share for people. */
export function percent(part: number, whole: number): string {
  if (whole <= 0) return "0 %";
  const share = (part / whole) * 100;
  if (share > 0 && share < 1) return "less than 1 %";
  return `${Math.round(share)} %`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The counts on a step's card: short, in words, never colour alone. */
export function cardWords(node: NodeCounts): string {
  const outcome = outcomeOf(node);
  if (outcome.isEnd) return `${outcome.reached} finished here`;
  const parts = [`${outcome.reached} reached`];
  if (outcome.timedOut) parts.push(`${outcome.timedOut} timed out`);
  if (outcome.failed) parts.push(`${outcome.failed} failed`);
  if (outcome.stayed) parts.push(`${outcome.stayed} not gone on`);
  return parts.join(" · ");
}

const ANSWERING = new Set(["wait_for_reply", "send_buttons", "send_list"]);

function timeoutWords(node: NodeCounts): string {
  if (ANSWERING.has(node.type) || "reply" in node.left) return "never answered";
  if (node.type === "handoff") return "were still waiting for the team when the time ran out";
  return "waited until the time ran out";
}

export type DropOffKind = "timed_out" | "failed" | "stayed";

export interface DropOff {
  nodeId: string;
  kind: DropOffKind;
  count: number;
  reached: number;
  sentence: string;
}

/** Every way contacts were lost, biggest first (by how many), at most `limit`. */
export function dropOffs(funnel: Funnel, name: StepNamer, limit = 3): DropOff[] {
  const found: DropOff[] = [];
  for (const node of funnel.nodes) {
    const outcome = outcomeOf(node);
    if (outcome.reached === 0) continue;
    const step = name(node.node_id, node.type);
    const share = (count: number) => percent(count, outcome.reached);
    const of = (count: number) => `(${count} of ${outcome.reached})`;
    const add = (kind: DropOffKind, count: number, sentence: string) => {
      if (count > 0) {
        found.push({ nodeId: node.node_id, kind, count, reached: outcome.reached, sentence });
      }
    };
    add(
      "timed_out",
      outcome.timedOut,
      `${share(outcome.timedOut)} of contacts who reached ${step} ${timeoutWords(node)} ${of(outcome.timedOut)}.`,
    );
    add(
      "failed",
      outcome.failed,
      `${share(outcome.failed)} of contacts who reached ${step} failed there ${of(outcome.failed)}.`,
    );
    add(
      "stayed",
      outcome.stayed,
      `${share(outcome.stayed)} of contacts who reached ${step} have not gone on ${of(outcome.stayed)}: they are still waiting there, or their journey stopped there.`,
    );
  }
  return found
    .toSorted((a, b) => b.count - a.count || b.count / b.reached - a.count / a.reached)
    .slice(0, limit);
}

/** The version's totals in one sentence. */
export function totalsWords(funnel: Funnel): string {
  const { started, failed, timed_out } = funnel.totals;
  return [
    `${plural(started, "journey", "journeys")} started`,
    plural(failed, "failure", "failures"),
    `${plural(timed_out, "wait", "waits")} timed out`,
  ].join(" · ");
}

/** Every port any step has, in first-seen order: the table's and the CSV's columns. */
export function portColumns(funnel: Funnel): string[] {
  const seen: string[] = [];
  for (const node of funnel.nodes) {
    for (const port of Object.keys(node.left)) if (!seen.includes(port)) seen.push(port);
  }
  return seen;
}
