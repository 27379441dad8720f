// A small card over each step with its counts ("120 reached · 38 timed out"), drawn in React
// Flow's viewport so it follows pan and zoom, as the problem badges are. Clicking one shows
// that step's numbers in the funnel panel.

import { memo } from "react";
import { useStore, ViewportPortal } from "@xyflow/react";
import { cardWords, outcomeOf, type Funnel } from "./funnel";

interface Props {
  funnel: Funnel;
  chosen: string | null;
  onChoose: (nodeId: string) => void;
}

function FunnelCardsView({ funnel, chosen, onChoose }: Props) {
  const lookup = useStore((s) => s.nodeLookup);
  // Readable however far out the canvas is zoomed: never smaller than at 100%.
  const scale = useStore((s) => Math.max(1, 1 / s.transform[2]));
  return (
    <ViewportPortal>
      {funnel.nodes.map((counts) => {
        const node = lookup.get(counts.node_id);
        if (!node) return null;
        const { x, y } = node.internals.positionAbsolute;
        const outcome = outcomeOf(counts);
        const lost = outcome.timedOut + outcome.failed + outcome.stayed;
        const words = cardWords(counts);
        return (
          <button
            key={counts.node_id}
            type="button"
            className={[
              "funnel-card",
              lost > 0 ? "funnel-card-lost" : "",
              chosen === counts.node_id ? "funnel-card-chosen" : "",
            ].join(" ")}
            style={{
              // Its bottom-left corner just above the node's top-left corner.
              transform: `translate(${x}px, ${y - 4}px) scale(${scale}) translateY(-100%)`,
              transformOrigin: "0 0",
            }}
            onClick={() => onChoose(counts.node_id)}
            aria-label={`${counts.node_id}: ${words}`}
            aria-pressed={chosen === counts.node_id}
            data-funnel-card={counts.node_id}
          >
            {lost > 0 && <span aria-hidden="true">▼ </span>}
            {words}
          </button>
        );
      })}
    </ViewportPortal>
  );
}

export const FunnelCards = memo(FunnelCardsView);
