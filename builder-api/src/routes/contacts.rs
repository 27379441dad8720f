//! (being built)

use actix_web::web;

pub fn configure(_config: &mut web::ServiceConfig) {}

#[derive(Debug, utoipa::OpenApi)]
#[openapi()]
pub struct Api;
