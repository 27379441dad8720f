// The example journeys, bundled from the repository's flows/examples at build time (the
// same files `spool validate` and the tests check), to start a flow from.

import abandonedCart from "../../../flows/examples/abandoned-cart.json";
import leadQualification from "../../../flows/examples/ctwa-lead-qualification.json";
import orderStatus from "../../../flows/examples/order-status.json";
import type { FlowDocument } from "./documents";

export interface Example {
  document: FlowDocument;
  name: string;
  description: string;
}

function example(document: unknown): Example {
  const flow = document as FlowDocument;
  return { document: flow, name: flow.name ?? "Example", description: flow.description ?? "" };
}

export const examples: readonly Example[] = [
  example(abandonedCart),
  example(orderStatus),
  example(leadQualification),
];
