//! The Chatwoot adapter: a workspace may mirror its handed-over conversations into a
//! Chatwoot "API inbox", for teams who answer customers there. Spool keeps the WhatsApp
//! number, the runtime and its rules; Chatwoot is a place to read and answer.
//!
//! - When a journey hands a contact to a person, a Chatwoot conversation is opened for the
//!   ticket (the contact found or made there), with the journey's note and the recent
//!   messages as private notes; what the contact writes next is posted as incoming messages;
//!   what Spool sends meanwhile (an inbox reply) as private notes; the conversation is
//!   resolved there when the ticket closes here.
//! - An agent's reply in Chatwoot comes back through its signed webhook and goes through the
//!   same gates as an inbox reply (the 24-hour window, the channel's limits, statuses): a
//!   reply WhatsApp's rules refuse is not sent, and a private note in Chatwoot says why.
//!   Resolving the conversation there resolves the ticket (the journey goes on through
//!   `resolved`).
//!
//! Calls to Chatwoot never happen in the runtime's loop: notices become rows of
//! `chatwoot_outbox` (see [`queue`]), and a background task makes the calls in order, per
//! contact, with retries ([`deliver`]).

pub mod deliver;
pub mod link;
pub mod queue;

pub use deliver::ChatwootDeliveries;
pub use link::{Link, Linked};
pub use queue::ChatwootQueue;

/// Author of a message an agent wrote in Chatwoot (`chatwoot:<their email or name>`).
pub const AUTHOR_PREFIX: &str = "chatwoot:";
