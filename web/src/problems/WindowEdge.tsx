// An edge along which the 24-hour window may be closed: dashed (not only coloured), with a
// small clock that shows the reason at the foot of the canvas (readable at any zoom). Free-form messages sent along it may not be delivered; templates are.

import { memo } from "react";
import {
  BaseEdge,
  EdgeLabelRenderer,
  getBezierPath,
  Panel,
  type Edge,
  type EdgeProps,
} from "@xyflow/react";
import { explain, useClosedWindow } from "./window";
import "./problems.css";

export type WindowEdgeType = Edge<{ reason: string }, "window">;

function WindowEdgeView({
  id,
  source,
  sourceHandleId,
  sourceX,
  sourceY,
  targetX,
  targetY,
  sourcePosition,
  targetPosition,
  markerEnd,
  style,
  data,
  label,
  labelStyle,
  labelShowBg,
  labelBgStyle,
  labelBgPadding,
  labelBgBorderRadius,
}: EdgeProps<WindowEdgeType>) {
  const [path, labelX, labelY] = getBezierPath({
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
  });
  return (
    <>
      {/* A label (the funnel's count) sits just above the clock, not under it. */}
      <BaseEdge
        id={id}
        path={path}
        markerEnd={markerEnd}
        style={style}
        className="window-closed"
        label={label}
        labelX={labelX}
        labelY={labelY - 18}
        labelStyle={labelStyle}
        labelShowBg={labelShowBg}
        labelBgStyle={labelBgStyle}
        labelBgPadding={labelBgPadding}
        labelBgBorderRadius={labelBgBorderRadius}
      />
      <EdgeLabelRenderer>
        <div
          className="window-tag nodrag nopan"
          data-from={source}
          data-port={sourceHandleId ?? undefined}
          style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
        >
          <button
            type="button"
            aria-label="Templates only here: why?"
            title="Templates only here (click for why)"
            onClick={(event) => {
              event.stopPropagation();
              explain(data?.reason ?? null);
            }}
          >
            <ClockIcon />
          </button>
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

export const WindowEdge = memo(WindowEdgeView);

/** A clock: time has run out on the window. */
function ClockIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
      <path d="M8 4.2V8l2.6 1.6" fill="none" stroke="currentColor" strokeWidth="1.6" />
    </svg>
  );
}

/** The reason of the tag clicked, at the foot of the canvas (inside `<ReactFlow>`). */
export function WindowReason() {
  const explained = useClosedWindow((s) => s.explained);
  if (explained === null) return null;
  return (
    <Panel position="bottom-center" className="window-reason" role="status">
      <strong>Templates only here.</strong> {explained}{" "}
      <button type="button" className="button quiet small" onClick={() => explain(null)}>
        OK
      </button>
    </Panel>
  );
}
