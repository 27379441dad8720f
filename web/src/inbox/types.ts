// The handoff queue's shapes, straight from the generated API types.

import type { components } from "../api/schema";

export type Ticket = components["schemas"]["Ticket"];
export type TicketCounts = components["schemas"]["TicketCounts"];
export type TicketList = components["schemas"]["TicketList"];
