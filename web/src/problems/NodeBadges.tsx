// A badge on each node with problems ("2 errors", "1 warning"), drawn over the canvas in
// React Flow's viewport so it follows pan and zoom. It reads node positions from the React
// Flow store, so it works over any canvas without the node component knowing of it.

import { memo } from "react";
import { useStore, ViewportPortal } from "@xyflow/react";
import type { Badge } from "./marks";

interface Props {
  badges: ReadonlyMap<string, Badge>;
  onSelect: (nodeId: string) => void;
}

function words(badge: Badge): string {
  const parts = [];
  if (badge.errors) parts.push(`${badge.errors} ${badge.errors === 1 ? "error" : "errors"}`);
  if (badge.warnings)
    parts.push(`${badge.warnings} ${badge.warnings === 1 ? "warning" : "warnings"}`);
  return parts.join(", ");
}

function NodeBadgesView({ badges, onSelect }: Props) {
  const lookup = useStore((s) => s.nodeLookup);
  // Readable however far out the canvas is zoomed: never smaller than at 100%.
  const scale = useStore((s) => Math.max(1, 1 / s.transform[2]));
  return (
    <ViewportPortal>
      {[...badges].map(([id, badge]) => {
        const node = lookup.get(id);
        if (!node) return null;
        const { x, y } = node.internals.positionAbsolute;
        const width = node.measured.width ?? 200;
        return (
          <button
            key={id}
            type="button"
            className={`node-badge ${badge.errors ? "badge-error" : "badge-warning"}`}
            style={{
              // Its bottom-left corner just inside the node's top-right corner.
              transform: `translate(${x + width - 24}px, ${y + 6}px) scale(${scale}) translateY(-100%)`,
              transformOrigin: "0 0",
            }}
            onClick={() => onSelect(id)}
            aria-label={`${id}: ${words(badge)}`}
            data-node-badge={id}
          >
            <span aria-hidden="true">{badge.errors ? "✖" : "▲"}</span> {words(badge)}
          </button>
        );
      })}
    </ViewportPortal>
  );
}

export const NodeBadges = memo(NodeBadgesView);
