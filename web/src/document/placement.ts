// Where a new step lands: where it was dropped, unless a step already covers that spot; then
// it moves just clear of it (right or down, whichever is the shorter move), so a second step
// picked with Enter, or dropped where the first one is, never hides exactly behind it.

import type { DocNode, Point } from "./types";

/** Space left between a moved step and the one it moved away from. */
const GAP = 24;

export interface Footprint {
  width: number;
  /** The height of a step already on the canvas. */
  heightOf(node: DocNode): number;
}

/** `wanted`, or the nearest spot right of or below it where a step of `height` covers none. */
export function freeSpot(
  wanted: Point,
  height: number,
  nodes: readonly DocNode[],
  footprint: Footprint,
): Point {
  const placed = nodes.filter((n): n is DocNode & { position: Point } => Boolean(n.position));
  let spot = { x: Math.round(wanted.x), y: Math.round(wanted.y) };
  // Each move is right or down, past one step: it ends, and within as many moves as steps.
  for (let moves = 0; moves <= placed.length; moves++) {
    const under = placed.find((n) => overlaps(spot, height, n, footprint));
    if (!under) return spot;
    const right = under.position.x + footprint.width + GAP;
    const down = under.position.y + footprint.heightOf(under) + GAP;
    if (right - spot.x <= down - spot.y) spot = { x: right, y: spot.y };
    else spot = { x: spot.x, y: down };
  }
  return spot;
}

function overlaps(spot: Point, height: number, node: DocNode & { position: Point }, f: Footprint) {
  const { x, y } = node.position;
  return (
    spot.x < x + f.width &&
    x < spot.x + f.width &&
    spot.y < y + f.heightOf(node) &&
    y < spot.y + height
  );
}
