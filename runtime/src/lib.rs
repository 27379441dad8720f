//! The runtime: applies events to contacts' runs, keeps contact and run state (Redis, or the
//! embedded store), fires timers, enforces WhatsApp policies and dispatches the outbox.
//!
//! [`engine`] is the pure part (an event and a state in, a new state and effects out);
//! [`store`] commits state and effects atomically; [`worker`] orders events per contact,
//! fires timers and drains the outbox through a [`channel::Channel`].

pub mod engine;
pub mod flows;
pub mod state;

pub use engine::{Engine, EngineConfig, Transition};
pub use flows::FlowRegistry;
pub use state::{ContactState, Event, EventKind, TimerRef};
