import { describe, expect, it } from "vitest";
import { freeSpot, type Footprint } from "./placement";
import type { DocNode } from "./types";

const footprint: Footprint = { width: 200, heightOf: () => 100 };
const at = (id: string, x: number, y: number): DocNode => ({
  id,
  type: "send_text",
  position: { x, y },
});

describe("where a new step lands", () => {
  it("lands where it was dropped when nothing is there", () => {
    expect(freeSpot({ x: 10.4, y: 20.6 }, 100, [at("a", 400, 0)], footprint)).toEqual({
      x: 10,
      y: 21,
    });
  });

  it("moves clear of a step on the same spot instead of hiding behind it", () => {
    // A step is wider than tall: just below it is the nearer free spot.
    expect(freeSpot({ x: 0, y: 0 }, 100, [at("a", 0, 0)], footprint)).toEqual({ x: 0, y: 124 });
  });

  it("takes the shorter way out of a step it half covers", () => {
    // Dropped low on the step: moving down is shorter than moving right…
    expect(freeSpot({ x: 0, y: 80 }, 100, [at("a", 0, 0)], footprint)).toEqual({ x: 0, y: 124 });
    // …dropped on its right edge, moving right is.
    expect(freeSpot({ x: 150, y: 0 }, 100, [at("a", 0, 0)], footprint)).toEqual({ x: 224, y: 0 });
  });

  it("keeps moving past a stack of steps until the spot is free", () => {
    const stack = [at("a", 0, 0), at("b", 0, 124), at("c", 0, 248)];
    expect(freeSpot({ x: 0, y: 0 }, 100, stack, footprint)).toEqual({ x: 0, y: 372 });
  });

  it("ignores steps that were never placed", () => {
    const unplaced: DocNode = { id: "u", type: "end" };
    expect(freeSpot({ x: 0, y: 0 }, 100, [unplaced], footprint)).toEqual({ x: 0, y: 0 });
  });

  it("uses each step's own height", () => {
    const tall: Footprint = { width: 200, heightOf: (n) => (n.id === "tall" ? 300 : 100) };
    // Below the tall step's top but above its bottom: still covered.
    expect(freeSpot({ x: 0, y: 250 }, 100, [at("tall", 0, 0)], tall)).toEqual({ x: 0, y: 324 });
  });
});
