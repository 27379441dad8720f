// The funnel's counts on the edges the canvas draws as "24-hour window closed" edges
// (problems/WindowEdge.tsx). Those draw the overlay's width but not its label yet, so on a
// journey started by a webhook — every edge up to the contact's first reply — no way out
// would show its number. Until WindowEdge draws an edge's `label`, the funnel writes it
// here, just above the edge's middle (where the window's clock sits).

import { memo } from "react";
import {
  getBezierPath,
  Position,
  useStore,
  ViewportPortal,
  type InternalNode,
} from "@xyflow/react";
import { portKey, type CanvasOverlay } from "../canvas/overlay";

function handlePoint(
  node: InternalNode | undefined,
  kind: "source" | "target",
  id: string | null | undefined,
): { x: number; y: number } | undefined {
  const handles = node?.internals.handleBounds?.[kind] ?? [];
  const handle =
    (id ? handles.find((h) => h.id === id) : undefined) ?? (id ? undefined : handles[0]);
  if (!node || !handle) return undefined;
  const { x, y } = node.internals.positionAbsolute;
  return {
    x: x + handle.x + (kind === "source" ? handle.width : 0),
    y: y + handle.y + handle.height / 2,
  };
}

function WindowEdgeCountsView({ overlay }: { overlay: CanvasOverlay }) {
  const edges = useStore((s) => s.edges);
  // The lookup is one Map changed in place: the nodes array changes when a step is
  // measured or moved, which is when positions here must be read again.
  useStore((s) => s.nodes);
  const lookup = useStore((s) => s.nodeLookup);
  const scale = useStore((s) => Math.max(1, 1 / s.transform[2]));
  return (
    <ViewportPortal>
      {edges
        .filter((edge) => edge.type === "window")
        .map((edge) => {
          const mark = overlay.edges.get(portKey(edge.source, edge.sourceHandle ?? ""));
          const from = handlePoint(lookup.get(edge.source), "source", edge.sourceHandle);
          const to = handlePoint(lookup.get(edge.target), "target", edge.targetHandle);
          if (!mark?.label || !from || !to) return null;
          const [, labelX, labelY] = getBezierPath({
            sourceX: from.x,
            sourceY: from.y,
            sourcePosition: Position.Right,
            targetX: to.x,
            targetY: to.y,
            targetPosition: Position.Left,
          });
          return (
            <span
              key={edge.id}
              className="funnel-edge-count"
              data-funnel-edge={`${edge.source}.${edge.sourceHandle ?? ""}`}
              style={{
                transform: `translate(${labelX}px, ${labelY - 16}px) scale(${scale}) translate(-50%, -100%)`,
                transformOrigin: "0 0",
              }}
            >
              {mark.label}
            </span>
          );
        })}
    </ViewportPortal>
  );
}

export const WindowEdgeCounts = memo(WindowEdgeCountsView);
