//! WhatsApp, glued to the server: the Cloud API webhook in ([`webhook`]), the sender that
//! drains the outbox out through each workspace's numbers ([`sender`]) within WhatsApp's
//! sending limits ([`rate`]).

pub mod rate;
pub mod sender;
pub mod webhook;
