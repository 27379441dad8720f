//! The runtime: applies events to contacts' runs, keeps contact and run state (Redis, or the
//! embedded store), fires timers, enforces WhatsApp policies and dispatches the outbox.
//!
//! [`engine`] is the pure part (an event and a state in, a new state and effects out);
//! [`store`] commits state and effects atomically; [`worker`] orders events per contact,
//! fires timers and drains the outbox through a [`channel::Channel`]; [`calls`] makes the
//! HTTP and AI calls runs wait for, outside the partitions, and brings their answers back
//! as events. `docs/runtime.md`
//! explains the execution model and its guarantees.

pub mod calls;
pub mod channel;
pub mod clock;
pub mod counters;
pub mod delivery;
pub mod engine;
pub mod flows;
pub mod http;
pub mod notice;
pub mod policy;
pub mod scope;
pub mod ssrf;
pub mod state;
pub mod store;
pub mod worker;

pub use counters::{CountKey, Counter};
pub use engine::{Engine, EngineConfig, OPERATOR_NODE, OPERATOR_RUN, Transition};
pub use flows::FlowRegistry;
pub use scope::ScopedId;
pub use state::{ContactState, Event, EventKind, TimerRef};
pub use worker::{Runtime, RuntimeConfig};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("the lease on partition {0} was lost to another worker")]
    LeaseLost(u16),
    #[error("stored {what} cannot be read: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("the channel cannot send right now: {reason}")]
    ChannelUnavailable {
        reason: String,
        /// How long the channel asked to be left alone, when it said.
        after: Option<std::time::Duration>,
    },
    #[error(
        "the Redis store was set up with {stored} partitions, and Spool is configured with {configured}: a contact's partition follows from the count, so it cannot change once chosen. Start with --partitions {stored} (or SPOOL_PARTITIONS={stored})"
    )]
    PartitionsChanged { stored: u16, configured: u16 },
    #[error("events out cannot be queued: {0}")]
    Observer(String),
    #[error("the message names no contact Spool can use: {0}")]
    Identity(#[from] spool_nodes::identity::IdentityError),
}
