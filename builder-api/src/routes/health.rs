//! `/healthz`: the process answers. `/readyz`: it can reach what it needs — the database
//! (flows, people) and the state store (the same database, or Redis).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ApiError;
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
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": database,
        "store": state.store_kind,
    })))
}
