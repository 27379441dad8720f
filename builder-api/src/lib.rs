//! The builder API: `spool serve` wires the store, the runtime workers and the HTTP API
//! (health, the node catalog; flows, the simulator and webhooks are being added) into one
//! process. Depends on every other crate; nothing depends on it.

pub mod config;
pub mod error;
pub mod routes;
pub mod server;

pub use config::Config;
pub use server::{Running, start};
