//! `/healthz`: the process answers. `/readyz`: it can reach what it needs — the database
//! (flows, people) and the state store (the same database, or Redis).
//!
//! `/readyz` also lists the WhatsApp channels whose sending is paused (Meta rejected their
//! token), as `degraded`, without failing: readiness decides whether this process gets
//! traffic, and taking it out would stop every other channel and workspace, and the
//! inbound webhooks that must still be accepted, for one channel's credentials. The list
//! (present only when not empty) names channel ids and reasons only (the endpoint is unauthenticated): the channel API
//! says the rest.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::{ApiError, Code};
use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state.db.ping().await?;
    // One round trip to the store: a read of a contact that does not exist.
    state.store.contact("readyz:probe").await?;
    let database = match state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        sea_orm::DbBackend::Sqlite => "sqlite",
        _ => "other",
    };
    let paused = match state.channels.paused().await {
        Ok(paused) => paused,
        Err(crate::channels::Error::Database(err)) => return Err(err.into()),
        Err(err) => return Err(crate::error::ApiError::internal(Code::Internal, err)),
    };
    let degraded: Vec<_> = paused
        .into_iter()
        .map(|(channel, reason)| json!({ "channel": channel, "paused_reason": reason }))
        .collect();
    let mut body = json!({
        "status": "ready",
        "database": database,
        "store": state.store_kind,
    });
    // Present only when something is degraded, so a healthy answer stays as it always was.
    if !degraded.is_empty() {
        body["degraded"] = degraded.into();
    }
    Ok(HttpResponse::Ok().json(body))
}
