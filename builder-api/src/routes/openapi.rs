//! The API described as OpenAPI 3.1: `/api/v1/openapi.json`, browsable at `/api/v1/docs/`.
//! `docs/openapi.json` is the same document, checked in; a test fails when it is stale.

use actix_web::web;
use utoipa::OpenApi;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Spool API",
        description = "Flows, versions, the simulator, contacts and runs, analytics and webhooks of Spool. Everything a workspace owns is under /api/v1/workspaces/{workspace}. Authenticate with a session cookie (POST /api/v1/session; changes then need the X-CSRF-Token header) or an API key (Authorization: Bearer spool_…).",
    ),
    paths(super::node_types::list, super::expressions::check),
    components(schemas(
        super::expressions::CheckText,
        super::expressions::TextCheck,
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
        crate::error::Code
    )),
    tags(
        (name = "flows", description = "Drafts, validation, publishing, versions"),
        (name = "account", description = "Sign-in, workspaces, members, API keys, secrets, the AI model, network settings, the audit log"),
        (name = "simulator", description = "Talk to a flow as a fake contact"),
        (name = "contacts", description = "Contacts and their runs; the directory, consent, imports and exports; erasure"),
        (name = "segments", description = "Saved audiences: who a broadcast is for"),
        (name = "campaigns", description = "Broadcasts: a published flow sent to a segment, now or at a time, paced and checked"),
        (name = "handoffs", description = "The handoff queue: contacts a journey handed to a person"),
        (name = "analytics", description = "Funnel counts per version and node"),
        (name = "webhooks", description = "Journeys started by other systems"),
        (name = "events", description = "Events out: subscriptions of URLs to a workspace's events, and their delivery log"),
        (name = "catalog", description = "Node types"),
        (name = "channels", description = "WhatsApp numbers connected through Meta's Cloud API"),
    )
)]
struct ApiDoc;

/// The whole document: every resource module's paths merged.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::flows::Api::openapi());
    doc.merge(super::session::Api::openapi());
    doc.merge(super::workspaces::Api::openapi());
    doc.merge(super::members::Api::openapi());
    doc.merge(super::api_keys::Api::openapi());
    doc.merge(super::secrets::Api::openapi());
    doc.merge(super::ai_model::Api::openapi());
    doc.merge(super::channels::Api::openapi());
    doc.merge(super::channels::CheckApi::openapi());
    doc.merge(super::templates::Api::openapi());
    doc.merge(super::network::Api::openapi());
    doc.merge(super::event_subscriptions::Api::openapi());
    doc.merge(super::event_deliveries::Api::openapi());
    doc.merge(super::audit_log::Api::openapi());
    doc.merge(super::simulator::Api::openapi());
    doc.merge(super::contacts::Api::openapi());
    doc.merge(super::imports::Api::openapi());
    doc.merge(super::segments::Api::openapi());
    doc.merge(super::campaigns::Api::openapi());
    doc.merge(super::handoffs::Api::openapi());
    doc.merge(super::conversation::Api::openapi());
    doc.merge(super::reply::Api::openapi());
    doc.merge(super::chatwoot::Api::openapi());
    doc.merge(super::handoff_assign::Api::openapi());
    doc.merge(super::inbox_events::Api::openapi());
    doc.merge(super::waiting::Api::openapi());
    doc.merge(super::analytics::Api::openapi());
    doc.merge(super::webhooks::Api::openapi());
    super::contract::declare_errors(&mut doc);
    doc
}

/// Registered at the application's root, before the `/api/v1` scope (a scope that matches a
/// path's prefix answers for it).
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        utoipa_swagger_ui::SwaggerUi::new("/api/v1/docs/{_:.*}")
            .url("/api/v1/openapi.json", document()),
    );
}
