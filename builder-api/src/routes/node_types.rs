//! `GET /api/v1/node-types`: every node type with its label, category, ports and the JSON
//! Schema of its config — what the editor's palette and property forms are built from.

use actix_web::HttpResponse;

pub async fn list() -> HttpResponse {
    HttpResponse::Ok().json(spool_flows::catalog::catalog())
}
