//! Events out: a workspace subscribes URLs to what happens in it (runs, handoffs, messages,
//! consent), and Spool POSTs each event to them, signed with the subscription's secret
//! (`X-Spool-Signature`, the scheme of Spool's own inbound hooks), from a durable queue, with
//! retries for at least a day. docs/webhooks.md ("Events out") is the receiver's side.
//!
//! [`Notifier::emit`] queues an event for every subscription that wants it (one row each in
//! `event_deliveries`, which is also the delivery log); [`Deliveries`] is the task that sends
//! them. [`RuntimeEvents`] turns the runtime's notices (runs, handoffs, messages, consent)
//! into events, before the runtime commits what they tell of. Events are not ordered: a
//! retried one arrives after later ones.

mod delivery;
mod event;
mod notifier;
mod observer;
mod schedule;
mod secret;

pub use delivery::Deliveries;
pub use event::{EventType, body, signature};
pub use notifier::{DELIVERED, FAILED, Notifier, PENDING, wants};
pub use observer::{RuntimeEvents, event_id};
pub use schedule::Schedule;
pub use secret::{StartError, check_at_start, seal as seal_secret};
