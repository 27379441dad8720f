// A small card under each step with its counts ("120 reached · 38 timed out"), drawn in React
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

const MAX_SCALE = 2;
const COMPACT_BELOW = 0.45;

function FunnelCardsView({ funnel, chosen, onChoose }: Props) {
  // The lookup is one Map changed in place: the nodes array changes when a step is
  // measured or moved, which is when positions here must be read again.
  useStore((s) => s.nodes);
  const lookup = useStore((s) => s.nodeLookup);
  const zoom = useStore((s) => s.transform[2]);
  // Readable when zoomed out, up to a point: past it the cards would cover each other, so
  // they shrink with the canvas and say only the numbers (the words stay in their names).
  const scale = Math.min(MAX_SCALE, Math.max(1, 1 / zoom));
  const compact = zoom < COMPACT_BELOW;
  return (
    <ViewportPortal>
      {funnel.nodes.map((counts) => {
        const node = lookup.get(counts.node_id);
        // Steps nobody reached have no card: the "0" on the way in says it, and the table.
        if (!node || counts.entered === 0) return null;
        const { x, y } = node.internals.positionAbsolute;
        const height = node.measured.height ?? 80;
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
              // Just under the node's bottom-left corner: the problem badges sit on top.
              transform: `translate(${x}px, ${y + height + 4}px) scale(${scale})`,
              transformOrigin: "0 0",
            }}
            onClick={() => onChoose(counts.node_id)}
            aria-label={`${counts.node_id}: ${words}`}
            title={words}
            aria-pressed={chosen === counts.node_id}
            data-funnel-card={counts.node_id}
          >
            {lost > 0 && <span aria-hidden="true">▼ </span>}
            {compact ? compactWords(outcome.reached, lost, outcome.isEnd) : words}
          </button>
        );
      })}
    </ViewportPortal>
  );
}

/** "12", "12 · 5 lost", "12 ended": the card when the canvas is zoomed far out. */
function compactWords(reached: number, lost: number, isEnd: boolean): string {
  if (isEnd) return `${reached} ended`;
  return lost > 0 ? `${reached} · ${lost} lost` : String(reached);
}

export const FunnelCards = memo(FunnelCardsView);
