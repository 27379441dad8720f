//! `GET /api/v1/node-types`: every node type with its label, category, ports and the JSON
//! Schema of its config — what the editor's palette and property forms are built from.

use actix_web::HttpResponse;

/// Every node type: label, category, ports, and the JSON Schema of its config.
#[utoipa::path(
    get, path = "/api/v1/node-types", tag = "catalog",
    responses((status = 200, description = "The palette", body = Vec<Object>))
)]
pub async fn list() -> HttpResponse {
    HttpResponse::Ok().json(spool_flows::catalog::catalog())
}
