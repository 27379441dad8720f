//! The simulator: one flow, one fake contact, and a clock that moves only when told to.
//!
//! A [`Simulation`] runs the real engine (the same node behaviours, policies and re-entry
//! rules as production) on a contact state kept in memory. Nothing is stored and nothing is
//! sent: the messages the flow would send are shown in a transcript, next to the contact's own
//! messages and a step-by-step trace (node, port taken, variables changed). Timers fire only
//! when the simulation is fast-forwarded, at their due time on the virtual clock, so quiet
//! hours, the 24-hour window and timeouts behave as they would for a real contact. HTTP and
//! AI steps call the real service unless the builder wrote a stub answer for them, and a
//! simulation may start at any step, with variables, instead of at a trigger.
//!
//! Used by the HTTP API (`routes/simulator.rs`) and by `spool simulate` in a terminal.

mod driver;
mod input;
mod stubs;
mod text;
mod transcript;
mod view;

use serde_json::Value;

pub use driver::Simulation;
pub use input::{
    ContactOptions, ContactUpdate, FastForward, LocationInput, MediaInput, Say, parse_duration,
    parse_phone,
};
pub use stubs::{Stub, Stubs};
pub use text::{describe_inbound, describe_outbound};
pub use view::{
    ContactView, Direction, Entry, FlowInfo, Outcome, RunView, State, TimerView, TraceEntry,
    Update, rfc3339,
};

/// The fake contact's number when none is given (a fictional US number).
pub const DEFAULT_PHONE: &str = "+15550100001";
/// Transcript entries and trace steps a simulation keeps (older ones are dropped).
const TRANSCRIPT_KEPT: usize = 2_000;
const TRACE_KEPT: usize = 10_000;
/// A fast-forward stops after this many timers, so a flow that loops on a delay cannot keep
/// a request busy for ever.
pub const TIMERS_PER_FAST_FORWARD: usize = 1_000;
/// Buttons, quick replies and list rows remembered for the contact to tap.
const CHOICES_KEPT: usize = 64;
/// Live updates buffered per subscriber before a slow one misses some.
const UPDATES_BUFFERED: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidContact(String),
    #[error("{0}")]
    InvalidMessage(String),
    #[error("{message}")]
    UnknownChoice {
        message: String,
        /// What the contact can tap now: `id` and `title` of each choice.
        offered: Vec<Value>,
    },
    #[error("{0}")]
    InvalidDuration(String),
    #[error("{0}")]
    UnknownStep(String),
    #[error("{0}")]
    InvalidStub(String),
    #[error("No timer is pending: nothing would happen by waiting.")]
    NoTimer,
    #[error("The contact is not with an operator: no run is in a handoff.")]
    NoHandoff,
}
