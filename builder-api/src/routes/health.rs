//! `/healthz`: the process answers. `/readyz`: it can reach what it needs (the store).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::ApiError;
use crate::server::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // One round trip to the store: a read of a contact that does not exist.
    state
        .store
        .contact("readyz:probe")
        .await
        .map_err(|err| ApiError::internal("store_unavailable", &err))?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready", "store": state.store_kind })))
}
