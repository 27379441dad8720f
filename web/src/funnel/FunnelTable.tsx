// The funnel's numbers as a table: the same rows and columns as the CSV file, for people who
// read numbers better in rows than on a canvas (and for screen readers).

import { outcomeOf, portColumns, type Funnel, type StepNamer } from "./funnel";

interface Props {
  funnel: Funnel;
  name: StepNamer;
}

export function FunnelTable({ funnel, name }: Props) {
  const ports = portColumns(funnel);
  return (
    <div className="funnel-table-wrap">
      <table className="funnel-table">
        <caption className="visually-hidden">
          Contacts at each step of version {funnel.version}
        </caption>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Reached</th>
            <th scope="col">Timed out</th>
            <th scope="col">Failed</th>
            <th scope="col">Not gone on</th>
            {ports.map((port) => (
              <th scope="col" key={port}>
                Left by “{port}”
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {funnel.nodes.map((node) => {
            const outcome = outcomeOf(node);
            return (
              <tr key={node.node_id} data-funnel-row={node.node_id}>
                <th scope="row">{name(node.node_id, node.type)}</th>
                <td>{outcome.reached}</td>
                <td>{outcome.timedOut}</td>
                <td>{outcome.failed}</td>
                <td>{outcome.isEnd ? "—" : outcome.stayed}</td>
                {ports.map((port) => (
                  <td key={port}>{node.left[port] ?? "—"}</td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted funnel-note">— : the step has no such way out (an end step has none).</p>
    </div>
  );
}
