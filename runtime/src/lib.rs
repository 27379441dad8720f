//! The runtime: applies events to runs, keeps contact and run state (Redis, or the embedded
//! store), fires timers, enforces WhatsApp policies and dispatches the outbox.
//!
//! This crate is empty until the runtime lands; today Spool validates and compiles flows
//! (`spool-flows`) but does not run them.
