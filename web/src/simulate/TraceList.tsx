// Every step the test took, newest last: the step, what happened there (entered, the way it
// left by, a wait) and the variables it changed. Choosing one shows that step on the canvas.
// A call answered by the builder's test answer instead of the service says so.

import { stepInWords, valueInWords, type TraceEntry } from "./model";
import { useStickToEnd } from "./stickToEnd";

interface Props {
  trace: readonly TraceEntry[];
  onSelect: (nodeId: string) => void;
  /** Steps whose calls get the builder's test answer. */
  stubbed?: ReadonlySet<string>;
}

export function TraceList({ trace, onSelect, stubbed }: Props) {
  const list = useStickToEnd<HTMLOListElement>(trace.length);
  return (
    <section className="sim-trace" aria-label="Steps taken">
      <h3>Steps taken</h3>
      {trace.length === 0 ? (
        <p className="muted">No step yet: the journey has not started.</p>
      ) : (
        <ol ref={list}>
          {trace.map((step) => {
            const vars = Object.entries(step.vars_changed ?? {});
            return (
              <li key={step.seq}>
                <button
                  type="button"
                  className={`trace-step ${step.what.startsWith("failed:") ? "failed" : ""}`}
                  onClick={() => onSelect(step.node_id)}
                  title="Show this step on the canvas"
                >
                  <span className="trace-time">{step.at.slice(11, 16)}</span>
                  <span className="trace-node">{step.node_id}</span>
                  <span className="trace-what">
                    {stepInWords(step)}
                    {step.what === "calling" && stubbed?.has(step.node_id) && (
                      <span className="stub-mark">Test answer</span>
                    )}
                  </span>
                  {vars.length > 0 && (
                    <span className="trace-vars">
                      {vars.map(([name, value]) => (
                        <code key={name}>
                          {name} = {valueInWords(value)}
                        </code>
                      ))}
                    </span>
                  )}
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
