//! Node behaviours: what each node type does when a run reaches it.
//!
//! Each behaviour will read the run's state and return an outcome plus effects as data
//! (messages to send, timers to set), never touching Redis or the network itself. This
//! crate is empty until the runtime lands; the node types, their configs and their ports
//! are defined in `spool-flows`.
