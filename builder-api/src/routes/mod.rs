//! The route table: one file per resource.

use actix_web::web;

use crate::error::ApiError;

pub mod health;
pub mod node_types;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .service(web::scope("/api/v1").route("/node-types", web::get().to(node_types::list)))
        .default_service(web::to(not_found));
}

async fn not_found(request: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(format!(
        "There is nothing at {} {}.",
        request.method(),
        request.path()
    )))
}
