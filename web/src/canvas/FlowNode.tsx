// One node on the canvas: its type, its id, a line saying what it does, and one labelled
// output handle per port. Memoized: React Flow re-renders only the nodes that changed.

import { memo } from "react";
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import type { Port } from "./graph";

export interface FlowNodeData extends Record<string, unknown> {
  typeLabel: string;
  category: string;
  summary: string;
  ports: Port[];
}

export type FlowNodeType = Node<FlowNodeData, "flow">;

const ROLE_HINT: Record<Port["role"], string> = {
  main: "",
  optional: "optional",
  error: "on error",
  timeout: "on timeout",
};

/** Height the node will have, for the layout (kept in step with canvas.css). */
export function nodeHeight(ports: number, summary: boolean): number {
  return 52 + (summary ? 24 : 0) + ports * 26 + 8;
}

function FlowNodeView({ id, data, selected }: NodeProps<FlowNodeType>) {
  return (
    <div className={`flow-node category-${data.category}${selected ? " selected" : ""}`}>
      <Handle type="target" position={Position.Left} className="in-handle" />
      <div className="flow-node-head">
        <span className="flow-node-type">{data.typeLabel}</span>
        <span className="flow-node-id">{id}</span>
      </div>
      {data.summary && <p className="flow-node-summary">{data.summary}</p>}
      {data.ports.length > 0 && (
        <ul className="flow-node-ports" aria-label="Ways out">
          {data.ports.map((port) => (
            <li key={port.name} className={`port port-${port.role}`}>
              <span className="port-label">{port.label}</span>
              <Handle
                type="source"
                id={port.name}
                position={Position.Right}
                className="out-handle"
                aria-label={`${port.label} (${ROLE_HINT[port.role] || "way out"})`}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export const FlowNode = memo(FlowNodeView);
