//! Webhooks in: another system (a shop, a CRM, an order service) POSTs JSON to
//! `/hooks/{workspace}/{hook}` and the published flow whose `webhook` trigger listens on that
//! hook starts for the contact the trigger's `contact` expression picks out of the body.
//!
//! The answer is 2xx only once the event is durably in its contact's log (`Runtime::accept`),
//! so a caller that got a 2xx may forget the event, and a caller that got anything else may
//! send it again (with the same `Idempotency-Key`, it is taken at most once). The journey's
//! steps run after the answer, in order with the contact's other events.
//!
//! Every refusal is precise and starts nothing: an unknown hook (404), a body too large (413),
//! a missing or wrong signature (401), a body that is not JSON (400), a body without a usable
//! phone number (422).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt as _;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use spool_flows::NodeKind;
use spool_nodes::identity::{ContactIdentity, Phone};
use spool_nodes::{Contact, Inputs};
use spool_runtime::ScopedId;
use spool_runtime::store::Appended;
use spool_runtime::{Event, EventKind};
use tracing::{debug, warn};
use utoipa::ToSchema;

use crate::db::secret;
use crate::error::{ApiError, Code};
use crate::state::AppState;

/// The header carrying `sha256=<hex of HMAC-SHA256(secret, raw body)>`.
pub const SIGNATURE_HEADER: &str = "X-Spool-Signature";
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Longest `Idempotency-Key` accepted (a UUID is 36 characters).
pub const MAX_IDEMPOTENCY_KEY: usize = 255;
/// How long a secret read from the database is used before it is read again. A rotated secret
/// is picked up at once anyway: a signature that does not match the cached secret is checked
/// again against the database's.
const SECRET_TTL: Duration = Duration::from_secs(5);

type HmacSha256 = Hmac<Sha256>;

pub fn configure(config: &mut web::ServiceConfig) {
    // One cache per HTTP worker thread: no lock is shared between threads.
    config
        .app_data(web::Data::new(Signers::default()))
        .route("/{workspace}/{hook}", web::post().to(receive));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(receive), components(schemas(HookAccepted)))]
pub struct Api;

#[derive(Debug, Deserialize)]
pub struct HookPath {
    pub workspace: String,
    pub hook: String,
}

/// What a webhook call became.
#[derive(Debug, Serialize, ToSchema)]
pub struct HookAccepted {
    /// `accepted`: the event is durable and the journey will run; `duplicate`: an event with
    /// this `Idempotency-Key` was already taken, this one is ignored.
    pub status: &'static str,
    /// The flow the hook belongs to.
    pub flow_id: String,
    /// The contact the journey runs for: `wa:` and the phone number's digits (or the BSUID
    /// of a contact first met by BSUID that this number was linked to).
    pub contact_id: String,
}

/// Starts (or, per the flow's re-entry setting, restarts or queues) the journey listening on
/// this hook, for the contact whose phone number the trigger's `contact` expression picks out
/// of the body.
///
/// The raw body must be JSON; it becomes `payload` in the journey's expressions. When the
/// trigger names a secret, the body must be signed: `X-Spool-Signature: sha256=<hex>` where
/// `<hex>` is the lowercase hex HMAC-SHA256 of the exact body bytes, keyed with the secret's
/// value. An `Idempotency-Key` makes retries safe: a key already taken for this hook and
/// contact in the last 24 hours is answered 200 `duplicate` and ignored.
///
/// A 2xx means the event is durably accepted; the journey's steps run right after, in order
/// with the contact's other events. Nothing else starts anything.
#[utoipa::path(
    post, path = "/hooks/{workspace}/{hook}", tag = "webhooks",
    params(
        ("workspace" = String, Path, description = "The workspace's id"),
        ("hook" = String, Path, description = "The hook name of a published flow's webhook trigger"),
        ("X-Spool-Signature" = Option<String>, Header,
            description = "`sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the trigger's secret; required when the trigger names one"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Up to 255 visible ASCII characters; the same key for the same hook and contact is taken once in 24 hours"),
    ),
    request_body(content = Object, description = "Any JSON; it becomes `payload` in the journey", content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted: durable, the journey will run", body = HookAccepted),
        (status = 200, description = "A duplicate of an event already taken (same Idempotency-Key)", body = HookAccepted),
        (status = 400, description = "`malformed_json` (the body is not JSON) or `invalid_idempotency_key`"),
        (status = 401, description = "`invalid_signature`: missing, malformed or not matching"),
        (status = 404, description = "`unknown_hook`: no published flow of this workspace listens on this hook"),
        (status = 413, description = "`payload_too_large`"),
        (status = 422, description = "`contact_missing` or `invalid_contact`: no usable phone number in the body"),
        (status = 503, description = "`webhook_secret_missing` (the trigger's secret is not set) or the store cannot take the event now; try again"),
    )
)]
pub async fn receive(
    state: web::Data<AppState>,
    signers: web::Data<Signers>,
    request: HttpRequest,
    path: web::Path<HookPath>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let HookPath { workspace, hook } = path.into_inner();
    // An unknown workspace answers like an unknown hook: nothing to learn from probing.
    let Some((flow, trigger)) = state.published.registry().by_hook(&workspace, &hook) else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            Code::UnknownHook,
            format!(
                "No published flow of workspace `{workspace}` listens on the hook `{hook}`. Publish a flow whose webhook trigger has this hook name."
            ),
        ));
    };
    let NodeKind::Webhook(config) = &flow.node(trigger).kind else {
        return Err(ApiError::internal(
            Code::HookMisrouted,
            "the registry returned a trigger that is not a webhook",
        ));
    };
    let idempotency_key = idempotency_key(&request)?;
    let body = read_body(&request, payload, state.config.body_limit).await?;

    if let Some(secret_name) = &config.secret {
        signers
            .verify(&state, &workspace, secret_name, &request, &body)
            .await?;
    }

    let payload: Value = serde_json::from_slice(&body).map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::MalformedJson,
            format!("The body is not JSON: {err}."),
        )
    })?;

    let picked = match flow.expression(trigger, &spool_flows::fields::CONTACT) {
        Some(ast) => Inputs::new(
            &Contact::default(),
            &serde_json::Map::new(),
            &Value::Null,
            &payload,
            state.now(),
        )
        .eval_json(ast)
        .map_err(|err| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::ContactMissing,
                format!(
                    "The contact's phone number could not be read from the body with `{}`: {err}.",
                    config.contact.as_str()
                ),
            )
        })?,
        None => {
            return Err(ApiError::unavailable(
                Code::HookNotCompiled,
                "the webhook trigger's contact expression is not compiled",
            ));
        }
    };
    let phone = phone_from(&picked, config.contact.as_str())?;
    // The number may belong to a contact first met by its BSUID: the alias index knows.
    let contact = ScopedId::parse(
        state
            .runtime
            .store()
            .resolve_contact(&workspace, &ContactIdentity::from(phone.clone()))
            .await?,
    );
    let contact_id = contact.local().to_owned();
    let flow_id = flow.flow().id.clone();
    let mut event = Event::new(
        contact.as_str(),
        phone.digits(),
        state.now(),
        EventKind::Webhook {
            flow_id: flow_id.clone(),
            trigger: Some(flow.node(trigger).id.clone()),
            payload,
        },
    );
    if let Some(key) = idempotency_key {
        // Per hook and number: the same key is then recognised whichever store (and
        // partition) keeps it, and whichever contact the number is linked to.
        let number = spool_runtime::state::contact_id_for(phone.digits());
        event = event.with_dedupe_key(format!("hook:{workspace}:{hook}:{number}:{key}"));
    }
    let appended = state.runtime.accept(event).await?;
    let unscoped_flow = ScopedId::local_of(&flow_id).to_owned();
    debug!(%workspace, %hook, %contact_id, ?appended, "webhook taken");
    let (status, word) = match appended {
        Appended::Accepted => (StatusCode::ACCEPTED, "accepted"),
        Appended::Duplicate => (StatusCode::OK, "duplicate"),
    };
    Ok(HttpResponse::build(status).json(HookAccepted {
        status: word,
        flow_id: unscoped_flow,
        contact_id,
    }))
}

fn idempotency_key(request: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let visible = bytes.iter().all(|byte| (0x21..=0x7e).contains(byte));
    if bytes.is_empty() || bytes.len() > MAX_IDEMPOTENCY_KEY || !visible {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidIdempotencyKey,
            format!(
                "An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters (no spaces), e.g. a UUID."
            ),
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        Code::PayloadTooLarge,
        format!("The body is larger than the {limit} bytes accepted."),
    )
}

/// The raw body, refused as soon as it is known to exceed `limit`.
async fn read_body(
    request: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let announced = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if let Some(length) = announced
        && length > limit
    {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::PayloadTooLarge,
            format!("The body is {length} bytes; at most {limit} are accepted."),
        ));
    }
    let mut body = BytesMut::with_capacity(announced.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                Code::BadRequest,
                format!("The body could not be read: {err}."),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The phone number an expression picked, read like every number Spool takes, so the contact
/// a webhook names is the one who writes on WhatsApp.
fn phone_from(picked: &Value, expression: &str) -> Result<Phone, ApiError> {
    let text = match picked {
        Value::Null => "",
        Value::String(text) => text.trim(),
        Value::Number(number) => {
            return Err(invalid_contact(
                &number.to_string(),
                "it is a number; send the phone number as a string",
            ));
        }
        other => return Err(invalid_contact(&other.to_string(), "it is not text")),
    };
    if text.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::ContactMissing,
            format!(
                "The body gives no phone number: `{expression}` is empty. Send the contact's number in E.164 form, e.g. \"+4915112345678\"."
            ),
        ));
    }
    Phone::parse(text).map_err(|reason| invalid_contact(text, &reason.to_string()))
}

fn invalid_contact(given: &str, reason: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidContact,
        format!(
            "`{given}` is not a phone number Spool can use: {reason}. Send it in E.164 form: `+`, the country code and the number, e.g. \"+4915112345678\"."
        ),
    )
}

/// The keyed HMACs of the workspace secrets hooks are signed with, read from the database at
/// most every [`SECRET_TTL`] (a webhook should not cost a database query).
#[derive(Debug, Default)]
pub struct Signers {
    keyed: Mutex<HashMap<SecretKey, (Arc<HmacSha256>, Instant)>>,
}

/// (workspace, secret name).
type SecretKey = (String, String);

impl Signers {
    async fn verify(
        &self,
        state: &AppState,
        workspace: &str,
        secret_name: &str,
        request: &HttpRequest,
        body: &[u8],
    ) -> Result<(), ApiError> {
        let signature = signature(request)?;
        let cached = self.cached(workspace, secret_name);
        if let Some(mac) = &cached
            && matches(mac, body, &signature)
        {
            return Ok(());
        }
        // Not cached, stale, or not matching: the database has the last word (a secret may
        // have just been rotated).
        let mac = self.load(state, workspace, secret_name).await?;
        if matches(&mac, body, &signature) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                Code::InvalidSignature,
                format!(
                    "The {SIGNATURE_HEADER} header does not match the body: sign the exact bytes sent with HMAC-SHA256 keyed with the secret `{secret_name}`."
                ),
            ))
        }
    }

    fn cached(&self, workspace: &str, name: &str) -> Option<Arc<HmacSha256>> {
        let keyed = self.keyed.lock().unwrap_or_else(PoisonError::into_inner);
        keyed
            .get(&(workspace.to_owned(), name.to_owned()))
            .filter(|(_, read_at)| read_at.elapsed() < SECRET_TTL)
            .map(|(mac, _)| mac.clone())
    }

    async fn load(
        &self,
        state: &AppState,
        workspace: &str,
        name: &str,
    ) -> Result<Arc<HmacSha256>, ApiError> {
        let found = secret::Entity::find_by_id((workspace.to_owned(), name.to_owned()))
            .one(&state.db)
            .await?;
        let key = (workspace.to_owned(), name.to_owned());
        let Some(found) = found else {
            self.keyed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&key);
            warn!(%workspace, secret = %name, "a webhook names a secret that is not set");
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Code::WebhookSecretMissing,
                format!(
                    "This hook checks signatures with the workspace secret `{name}`, which is not set. An administrator sets it with PUT /api/v1/workspaces/{workspace}/secrets/{name}."
                ),
            ));
        };
        let mac = HmacSha256::new_from_slice(found.value.as_bytes())
            .map_err(|err| ApiError::internal(Code::SecretUnusable, err))?;
        let mac = Arc::new(mac);
        self.keyed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, (mac.clone(), Instant::now()));
        Ok(mac)
    }
}

/// The signature's bytes from `X-Spool-Signature: sha256=<hex>`.
fn signature(request: &HttpRequest) -> Result<Vec<u8>, ApiError> {
    let refuse =
        |message: String| ApiError::new(StatusCode::UNAUTHORIZED, Code::InvalidSignature, message);
    let Some(header) = request.headers().get(SIGNATURE_HEADER) else {
        return Err(refuse(format!(
            "This hook only takes signed bodies and the {SIGNATURE_HEADER} header is missing: send `{SIGNATURE_HEADER}: sha256=<hex of HMAC-SHA256(secret, body)>`."
        )));
    };
    header
        .to_str()
        .ok()
        .and_then(|value| value.trim().strip_prefix("sha256="))
        .and_then(|hex_digest| hex::decode(hex_digest).ok())
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| {
            refuse(format!(
                "The {SIGNATURE_HEADER} header is malformed: it must be `sha256=` followed by 64 hexadecimal digits."
            ))
        })
}

/// Constant-time comparison of the body's HMAC with the one sent.
fn matches(mac: &HmacSha256, body: &[u8], signature: &[u8]) -> bool {
    let mut mac = mac.clone();
    mac.update(body);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webhook_names_its_contact_by_a_number_with_its_country_code() {
        let read = |text: &str| phone_from(&Value::String(text.into()), "payload.phone");
        for (given, digits) in [
            ("+49 151 1234-5678", "4915112345678"),
            ("0049 (151) 12345678", "4915112345678"),
            ("+55.11.98765.4321", "5511987654321"),
        ] {
            assert_eq!(
                read(given).map(|p| p.digits().to_owned()).ok(),
                Some(digits.into())
            );
        }
        for refused in [
            "015112345678",
            "+49 151 CALL ME",
            "+1234567",
            "+1234567890123456",
            "+0151234567",
            "+49+151234567",
        ] {
            let err = read(refused).expect_err(refused);
            assert_eq!(err.code, Code::InvalidContact, "{refused}");
        }
        let empty = read("").expect_err("empty");
        assert_eq!(empty.code, Code::ContactMissing);
        let number = phone_from(&serde_json::json!(4915112345678u64), "payload.phone");
        assert_eq!(number.expect_err("a number").code, Code::InvalidContact);
    }

    #[test]
    fn signatures_are_checked_over_the_exact_bytes() {
        let mac = HmacSha256::new_from_slice(b"s3cret").expect("any key length");
        let body = br#"{"n":1}"#;
        let mut signing = mac.clone();
        signing.update(body);
        let good = signing.finalize().into_bytes().to_vec();
        assert!(matches(&mac, body, &good));
        assert!(!matches(&mac, br#"{"n": 1}"#, &good));
        assert!(!matches(&mac, body, &good[..31]));
    }
}
