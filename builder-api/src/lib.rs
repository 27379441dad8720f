//! The builder API: `spool serve` wires the database (workspaces, people, flows and their
//! published versions, through sea-orm), the runtime's store and workers, and the HTTP API
//! (flows, the simulator, contacts and runs, analytics, webhooks, OpenAPI) and WhatsApp (its webhook in, the sender out) into one
//! process.
//! Depends on every other crate; nothing depends on it.

pub mod ai_models;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod campaigns;
pub mod channels;
pub mod chatwoot;
pub mod config;
pub mod consent;
pub mod conversation;
pub mod db;
pub mod directory;
pub mod error;
pub mod events_out;
pub mod handoffs;
pub mod imports;
pub mod inbox_updates;
pub mod network;
pub mod published;
pub mod routes;
pub mod sealed;
pub mod server;
pub mod simulations;
pub mod simulator;
pub mod state;
pub mod templates;
pub mod time;
pub mod waiting;
pub mod whatsapp;

pub use config::Config;
pub use server::{Running, start};
