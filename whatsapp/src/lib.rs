//! WhatsApp's Cloud API as pure Rust: what Spool must know to receive and send on WhatsApp,
//! and nothing of Spool's stores, runtime or database (the API crate glues it in).
//!
//! - [`signature`]: the `X-Hub-Signature-256` check over a webhook's raw bytes, and the GET
//!   subscription handshake.
//! - [`inbound`]: a webhook body read into [`Notification`]s: every message, status, opt-out
//!   and template change of a batch; one malformed item never loses the others.
//! - [`outbound`]: the exact JSON body of a send for each [`spool_nodes::OutboundBody`], and
//!   [`limits`]: what in a rendered message WhatsApp would refuse, said before sending.
//! - [`errors`]: Meta's error answers sorted into what the caller does next (retry, give up,
//!   wait a day, pause the channel), each with a sentence a person understands.
//! - [`client`]: the HTTP calls (send, phone number, subscriptions, templates, a health check).
//!
//! Everything here follows `shared/whatsapp-cloud-api.md` and the newer `operate.md`.

pub mod client;
pub mod errors;
pub mod inbound;
pub mod limits;
pub mod outbound;
pub mod signature;
pub mod templates;

pub use client::{
    ApiConfig, ChannelAuth, CheckReport, CloudApi, DEFAULT_API_VERSION, DEFAULT_BASE_URL,
    PhoneNumber, Sent, SubscribedApp,
};
pub use errors::SendFailure;
pub use inbound::{
    MetaError, Notification, ParseError, PreferenceCategory, PreferenceValue, Pricing, Status,
    StatusKind, TemplateCategoryChange, TemplateQuality, TemplateStatus, UserPreference, parse,
};
pub use outbound::{Recipient, SendRequest};
pub use signature::{HandshakeError, HandshakeQuery, SignatureError, handshake, sign, verify};
pub use templates::{Template, TemplateParameters};
