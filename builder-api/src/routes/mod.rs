//! The route table: one file per resource. Everything a workspace owns lives under
//! `/api/v1/workspaces/{workspace}`; each resource module registers its routes relative to
//! that scope (webhooks, which machines outside call, live under `/hooks`).

use actix_web::dev::ServiceResponse;
use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, ResponseError, web};

use crate::error::{ApiError, Code};
use crate::routes::contract::PathMethods;

pub mod ai_model;
pub mod analytics;
pub mod api_keys;
pub mod audit_log;
pub mod campaigns;
pub mod change;
pub mod channels;
pub mod chatwoot;
pub mod contacts;
pub mod contract;
pub mod conversation;
pub mod editor;
pub mod event_deliveries;
pub mod event_subscriptions;
pub mod expressions;
pub mod flows;
pub mod handoff_assign;
pub mod handoffs;
pub mod health;
pub mod imports;
pub mod inbox_events;
pub mod members;
pub mod network;
pub mod node_types;
pub mod openapi;
pub mod reply;
pub mod secrets;
pub mod segments;
pub mod session;
pub mod simulator;
pub mod templates;
pub mod waiting;
pub mod webhooks;
pub mod workspaces;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/").route(web::get().to(editor::index)))
        .service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::scope("/hooks").configure(webhooks::configure))
        .configure(crate::whatsapp::webhook::configure)
        .configure(chatwoot::configure_webhook)
        .configure(openapi::configure)
        .service(
            web::scope("/api/v1")
                .service(web::resource("/node-types").route(web::get().to(node_types::list)))
                .service(
                    web::resource("/expressions/check").route(web::post().to(expressions::check)),
                )
                .configure(session::configure)
                .configure(workspaces::configure)
                .service(
                    web::scope("/workspaces/{workspace}")
                        .configure(flows::configure)
                        .configure(analytics::configure)
                        .configure(simulator::configure)
                        // Before contacts: `/contacts/imports` is not a number.
                        .configure(imports::configure)
                        .configure(contacts::configure)
                        .configure(segments::configure)
                        .configure(campaigns::configure)
                        .configure(handoffs::configure)
                        .configure(conversation::configure)
                        .configure(reply::configure)
                        .configure(chatwoot::configure)
                        .configure(handoff_assign::configure)
                        .configure(inbox_events::configure)
                        .configure(waiting::configure)
                        .configure(members::configure)
                        .configure(api_keys::configure)
                        .configure(secrets::configure)
                        .configure(ai_model::configure)
                        .configure(channels::configure)
                        .configure(templates::configure)
                        .configure(network::configure)
                        .configure(event_subscriptions::configure)
                        .configure(event_deliveries::configure)
                        .configure(audit_log::configure),
                ),
        )
        .default_service(web::to(nothing_here));
}

/// Turns every error response that is not already JSON (actix's own: a bad path parameter,
/// a method not allowed, a body too large) into the API's JSON error.
pub fn json_errors<B>() -> ErrorHandlers<B>
where
    B: 'static,
{
    ErrorHandlers::new()
        .default_handler_client(as_json_error)
        .default_handler_server(as_json_error)
}

fn as_json_error<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let status = response.status();
    let message = response
        .response()
        .error()
        .map(ToString::to_string)
        .filter(|message| !message.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned());
    let allow = response.headers().get(ALLOW).cloned();
    let (request, _) = response.into_parts();
    let mut body = ApiError::new(status, code_for(status), message).error_response();
    if let Some(allow) = allow {
        body.headers_mut().insert(ALLOW, allow);
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, body).map_into_right_body::<B>(),
    ))
}

fn code_for(status: StatusCode) -> Code {
    match status {
        StatusCode::BAD_REQUEST => Code::BadRequest,
        StatusCode::UNAUTHORIZED => Code::Unauthenticated,
        StatusCode::FORBIDDEN => Code::Forbidden,
        StatusCode::NOT_FOUND => Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        status if status.is_server_error() => Code::Internal,
        _ => Code::BadRequest,
    }
}

/// JSON bodies: at most `limit` bytes, and a precise message when they are not what the
/// route takes (the line and column of malformed JSON, the unknown or missing field).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { length, limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
            format!("The body is {length} bytes; at most {limit} are accepted."),
        ),
        JsonPayloadError::Overflow { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
            format!("The body is larger than the {limit} bytes accepted."),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "Send the body as JSON, with `Content-Type: application/json`.",
        ),
        JsonPayloadError::Deserialize(err) => ApiError::new(
            StatusCode::BAD_REQUEST,
            if err.is_data() {
                Code::InvalidBody
            } else {
                Code::MalformedJson
            },
            format!("The body cannot be read: {err}."),
        ),
        other => ApiError::new(StatusCode::BAD_REQUEST, Code::BadRequest, other.to_string()),
    }
}

/// A request body as JSON of type `T`, with the same precise errors as [`json_config`]; for
/// routes that take the raw bytes (any content type, or to keep them).
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| json_error(JsonPayloadError::Deserialize(err)))
}

/// What no route answered: the editor's files and pages; else 405 with `Allow` when the
/// path has other methods, else 404.
async fn nothing_here(
    request: HttpRequest,
    paths: web::Data<PathMethods>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let allowed = paths.allowed(request.path());
    if allowed.is_empty() {
        if let Some(page) = editor::answer(&request) {
            return Ok(page);
        }
        return Err(ApiError::not_found(format!(
            "There is nothing at {} {}.",
            request.method(),
            request.path()
        )));
    }
    let allow = allowed.into_iter().collect::<Vec<_>>().join(", ");
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::MethodNotAllowed,
        format!(
            "{} has no {}; it answers {allow}.",
            request.path(),
            request.method()
        ),
    );
    let mut response = error.error_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    Ok(response)
}
