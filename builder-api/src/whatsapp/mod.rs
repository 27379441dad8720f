//! WhatsApp, glued to the server: the Cloud API webhook in ([`webhook`]), the sender that
//! drains the outbox out through each workspace's numbers ([`sender`]) within WhatsApp's
//! sending limits (the pair rate, [`rate`]; each number's throughput, [`throughput`]; its
//! messaging limit and queue, [`reach`]).

pub mod rate;
pub mod reach;
pub mod sender;
pub mod throughput;
pub mod webhook;
