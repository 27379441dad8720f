// The funnel as a CSV file a spreadsheet opens: one row per step, in the version's order,
// with what became of the contacts who reached it and one column per way out.

import { outcomeOf, portColumns, type Funnel } from "./funnel";

/** One cell, quoted when it must be (RFC 4180), and never read as a formula by a spreadsheet. */
export function cell(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function funnelCsv(funnel: Funnel, typeLabel: (type: string) => string): string {
  const ports = portColumns(funnel);
  const header = [
    "Step",
    "Step type",
    "Reached",
    "Timed out",
    "Failed",
    "Not gone on",
    ...ports.map((port) => `Left by ${port}`),
  ];
  const rows = funnel.nodes.map((node) => {
    const outcome = outcomeOf(node);
    return [
      node.node_id,
      typeLabel(node.type),
      outcome.reached,
      outcome.timedOut,
      outcome.failed,
      outcome.stayed,
      // Empty where the step has no such way out; 0 where it has one nobody took.
      ...ports.map((port) => node.left[port] ?? ""),
    ];
  });
  return [header, ...rows].map((row) => row.map(cell).join(",")).join("\r\n") + "\r\n";
}

const day = (at: string) => at.slice(0, 10);

/** `order-status-v1-2026-11-24-to-2026-12-01.csv` */
export function csvName(funnel: Funnel): string {
  return `${funnel.flow_id}-v${funnel.version}-${day(funnel.counted.from)}-to-${day(funnel.counted.to)}.csv`;
}

/** Hands the file to the browser as a download. */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // After the click has been handled: revoking at once can cancel the download.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
