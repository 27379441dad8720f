//! Every API error is JSON `{"error": {"code", "message", "details"}}` with the right status.
//! `code` is one of [`Code`], a closed list the editor can switch on; a 5xx logs its cause
//! chain and never sends it to the client.

use std::error::Error as StdError;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Declares [`Code`] once: each variant with its wire name for `as_str` (a test checks that
/// serde and the OpenAPI document write the same names).
macro_rules! codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $text:literal,)+) => {
        /// What went wrong, stable for clients to key on (`error.code`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Code {
            /// Every code the API answers, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)+
                }
            }
        }
    };
}

codes! {
    /// A request actix could not read (a header, a query, a path parameter), or any other
    /// client error without a more precise code.
    BadRequest = "bad_request",
    /// Neither a valid session cookie nor an API key.
    Unauthenticated = "unauthenticated",
    /// The caller's role is not enough for this.
    Forbidden = "forbidden",
    /// Nothing there, or nothing the caller may see.
    NotFound = "not_found",
    /// The path exists, not with this method (the `Allow` header lists the methods it has).
    MethodNotAllowed = "method_not_allowed",
    /// The body is larger than the server accepts.
    PayloadTooLarge = "payload_too_large",
    /// The body is not JSON (`Content-Type: application/json`).
    UnsupportedMediaType = "unsupported_media_type",
    /// A failure of the server's own; its cause is in the server's log.
    Internal = "internal",
    /// The body is JSON of the wrong shape (an unknown, missing or mistyped field).
    InvalidBody = "invalid_body",
    /// The body is not well-formed JSON.
    MalformedJson = "malformed_json",
    /// The database cannot be reached or refused the work; try again shortly.
    DatabaseUnavailable = "database_unavailable",
    /// The state store (Redis or the embedded one) cannot be reached; try again shortly.
    StoreUnavailable = "store_unavailable",
    /// Passwords could not be hashed or checked.
    HashingFailed = "hashing_failed",
    /// The server is wired wrongly (a missing application state).
    Misconfigured = "misconfigured",
    /// A flow could not be written as a file.
    ExportFailed = "export_failed",
    /// A published version no longer compiles.
    VersionUnreadable = "version_unreadable",
    /// A session cookie was used for a change without its `X-CSRF-Token`.
    CsrfTokenMissing = "csrf_token_missing",
    /// The API key is unknown or revoked.
    InvalidApiKey = "invalid_api_key",
    /// The email and password do not match an account.
    InvalidCredentials = "invalid_credentials",
    /// A new password is too short.
    WeakPassword = "weak_password",
    /// A workspace id is not 2 to 40 lowercase letters, digits and `-`.
    InvalidWorkspaceId = "invalid_workspace_id",
    /// The workspace id is taken.
    WorkspaceExists = "workspace_exists",
    /// Not an email address.
    InvalidEmail = "invalid_email",
    /// The person is a member of the workspace already.
    MemberExists = "member_exists",
    /// A workspace keeps at least one admin.
    LastAdmin = "last_admin",
    /// An API key needs a name.
    NameRequired = "name_required",
    /// A secret's name or value is not acceptable.
    InvalidSecret = "invalid_secret",
    /// The AI model's endpoint, default model or key secret name is not acceptable.
    InvalidAiModel = "invalid_ai_model",
    /// A flow with this id exists already.
    FlowExists = "flow_exists",
    /// A flow id is not 1 to 64 letters, digits, `-` or `_`.
    InvalidFlowId = "invalid_flow_id",
    /// The document's id is not the flow's in the path.
    FlowIdMismatch = "flow_id_mismatch",
    /// A flow document is not a JSON object.
    NotAFlow = "not_a_flow",
    /// A version's note is longer than a note should be.
    NoteTooLong = "note_too_long",
    /// The flow has errors (`details.diagnostics` lists them).
    FlowInvalid = "flow_invalid",
    /// A save needs `If-Match`.
    IfMatchRequired = "if_match_required",
    /// `If-Match` is not a revision in quotes.
    InvalidIfMatch = "invalid_if_match",
    /// The flow was saved by someone else since the revision sent.
    RevisionConflict = "revision_conflict",
    /// A webhook hook already used by another live flow of the workspace.
    HookTaken = "hook_taken",
    /// The flow is not published.
    NotPublished = "not_published",
    /// A simulation's `source` is not `draft`, `published` or `{"version": n}`.
    InvalidSource = "invalid_source",
    /// A simulation's `start_at` is not an RFC 3339 time.
    InvalidStartAt = "invalid_start_at",
    /// A fast-forward is not exactly one of `by` and `next_timer`, or too long.
    InvalidFastForward = "invalid_fast_forward",
    /// A duration like `1h 30m` could not be read.
    InvalidDuration = "invalid_duration",
    /// A simulated contact's details are not acceptable.
    InvalidContact = "invalid_contact",
    /// A simulated message is not acceptable.
    InvalidMessage = "invalid_message",
    /// A choice that the question did not offer (`details.offered` lists those it did).
    UnknownChoice = "unknown_choice",
    /// A simulation's `start` names no step of the flow, or a trigger.
    UnknownStep = "unknown_step",
    /// A simulation's stub answer names a step that calls nothing, or does not fit it.
    InvalidStub = "invalid_stub",
    /// No timer is pending.
    NoTimerPending = "no_timer_pending",
    /// No run is in a handoff.
    NoHandoff = "no_handoff",
    /// A contact's number is not E.164.
    InvalidPhone = "invalid_phone",
    /// A contact's name is empty or too long.
    InvalidName = "invalid_name",
    /// A tag is empty, too long, or both added and removed.
    InvalidTag = "invalid_tag",
    /// A property name is empty or too long.
    InvalidProperty = "invalid_property",
    /// A contact's locale is not a language code such as `pt_BR` or `en`.
    InvalidLocale = "invalid_locale",
    /// A consent's basis or text is too long, or given without a change of consent.
    InvalidConsent = "invalid_consent",
    /// An audience's condition cannot be used (`details.condition` says which).
    InvalidAudience = "invalid_audience",
    /// A list's cursor was not given by this list, in this order.
    InvalidCursor = "invalid_cursor",
    /// The number is on the suppression list: it was erased, or objected to being contacted.
    Suppressed = "suppressed",
    /// A contact file cannot be read, or its column choices need fixing.
    InvalidImport = "invalid_import",
    /// The import was started already.
    ImportStarted = "import_started",
    /// A campaign's flow, audience or timing cannot be used.
    InvalidCampaign = "invalid_campaign",
    /// The campaign is not in a state this can be done in (`details.state`).
    CampaignState = "campaign_state",
    /// The campaign would pass the number's messaging limit (`details.preflight`).
    OverMessagingLimit = "over_messaging_limit",
    /// Another one of its kind has this name.
    NameTaken = "name_taken",
    /// A change that changes nothing.
    EmptyChange = "empty_change",
    /// The run has ended already.
    RunEnded = "run_ended",
    /// More than 24 hours since the contact last wrote: only a template may be sent.
    WindowClosed = "window_closed",
    /// A Marketing message to a contact who has not opted in.
    NoOptIn = "no_opt_in",
    /// The template is not APPROVED for the contact's WhatsApp number in that language.
    TemplateNotApproved = "template_not_approved",
    /// A handoff given to someone who does not work the workspace's inbox, or to no team.
    InvalidAssignee = "invalid_assignee",
    /// Someone else is working on this handoff (`details.by` says who).
    TicketClaimed = "ticket_claimed",
    /// The handoff is closed already.
    TicketClosed = "ticket_closed",
    /// The query string cannot be read, or names a parameter twice.
    InvalidQuery = "invalid_query",
    /// A query parameter this route does not take.
    UnknownParameter = "unknown_parameter",
    /// `version` is not a version number.
    InvalidVersion = "invalid_version",
    /// `from` is not an RFC 3339 time.
    InvalidFrom = "invalid_from",
    /// `to` is not an RFC 3339 time.
    InvalidTo = "invalid_to",
    /// `from` is not before `to`.
    InvalidRange = "invalid_range",
    /// The range is longer than counts are kept.
    RangeTooLong = "range_too_long",
    /// No published flow has a webhook trigger with this hook.
    UnknownHook = "unknown_hook",
    /// The hook's flow is published, not yet loaded by this process; try again shortly.
    HookNotCompiled = "hook_not_compiled",
    /// The hook index and the published flow disagree.
    HookMisrouted = "hook_misrouted",
    /// The webhook's body does not name its contact.
    ContactMissing = "contact_missing",
    /// `Idempotency-Key` is not acceptable.
    InvalidIdempotencyKey = "invalid_idempotency_key",
    /// The webhook's signature is missing or wrong.
    InvalidSignature = "invalid_signature",
    /// The webhook's signing secret is not set in the workspace.
    WebhookSecretMissing = "webhook_secret_missing",
    /// The webhook's signing secret cannot be used.
    SecretUnusable = "secret_unusable",
    /// A channel's field is not acceptable (`details.fields` says what is wrong with each).
    InvalidChannel = "invalid_channel",
    /// Another channel has this phone number id: a number belongs to one channel.
    PhoneNumberTaken = "phone_number_taken",
    /// The server has no `SPOOL_SECRET_KEY`, which channels need to keep their secrets.
    SecretKeyMissing = "secret_key_missing",
    /// A channel's stored secrets do not decrypt with the server's key (the key changed).
    ChannelUnreadable = "channel_unreadable",
    /// The URL reaches a private, loopback or link-local address, and the workspace does not
    /// allow private targets (its network settings).
    PrivateTarget = "private_target",
    /// An event subscription's URL, event types or description is not acceptable.
    InvalidSubscription = "invalid_subscription",
    /// Only a failed delivery can be queued again.
    DeliveryNotFailed = "delivery_not_failed",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

type Cause = Box<dyn StdError + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    pub details: Value,
    /// Why a 5xx happened: logged, never sent.
    #[source]
    cause: Option<Cause>,
}

/// What a 5xx tells the client: that it is ours, and whether trying again may help.
const UNAVAILABLE: &str = "The server cannot do this right now; try again shortly.";
const INTERNAL: &str = "The server failed to do this; the cause is in its log.";

impl ApiError {
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            cause: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, Code::NotFound, what)
    }

    /// A failure of ours that may pass (a service down, a lock held): 503, cause logged.
    pub fn unavailable(code: Code, cause: impl Into<Cause>) -> Self {
        Self::failed(StatusCode::SERVICE_UNAVAILABLE, code, UNAVAILABLE, cause)
    }

    /// A failure of ours that will not pass by trying again: 500, cause logged.
    pub fn internal(code: Code, cause: impl Into<Cause>) -> Self {
        Self::failed(StatusCode::INTERNAL_SERVER_ERROR, code, INTERNAL, cause)
    }

    fn failed(status: StatusCode, code: Code, message: &str, cause: impl Into<Cause>) -> Self {
        let mut error = Self::new(status, code, message);
        error.cause = Some(cause.into());
        error
    }

    /// The cause and its sources, outermost first, as one line for the log.
    fn cause_chain(&self) -> Option<String> {
        let cause = self.cause.as_deref()?;
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(inner) = source {
            chain.push_str(": ");
            chain.push_str(&inner.to_string());
            source = inner.source();
        }
        Some(chain)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    /// Every database failure is reported as the database being unavailable: a lost
    /// connection, a lock held too long, or a race a retry resolves.
    fn from(err: sea_orm::DbErr) -> Self {
        Self::unavailable(Code::DatabaseUnavailable, err)
    }
}

impl From<spool_runtime::Error> for ApiError {
    /// 503 when the store cannot be reached (trying again may work), 500 when it answered
    /// with something wrong (a corrupt record, a misconfiguration).
    fn from(err: spool_runtime::Error) -> Self {
        if store_unreachable(&err) {
            Self::unavailable(Code::StoreUnavailable, err)
        } else {
            Self::internal(Code::Internal, err)
        }
    }
}

fn store_unreachable(err: &spool_runtime::Error) -> bool {
    use spool_runtime::Error;
    match err {
        Error::Redis(err) => {
            err.is_io_error()
                || err.is_connection_refusal()
                || err.is_connection_dropped()
                || err.is_timeout()
                || err.is_cluster_error()
                || matches!(
                    err.kind(),
                    redis::ErrorKind::Server(
                        redis::ServerErrorKind::BusyLoading | redis::ServerErrorKind::TryAgain
                    )
                )
        }
        Error::Database(_)
        | Error::LeaseLost(_)
        | Error::ChannelUnavailable { .. }
        | Error::Observer(_) => true,
        Error::Corrupt { .. } | Error::PartitionsChanged { .. } | Error::Identity(_) => false,
    }
}

/// The body of every error response, as the OpenAPI document describes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: Code,
    /// For people: what went wrong and what to do about it.
    pub message: String,
    /// For programs: the facts behind the message (the diagnostics, the current revision…).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    #[schema(value_type = Option<Object>)]
    pub details: Value,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            match self.cause_chain() {
                Some(cause) => tracing::error!(
                    status = self.status.as_u16(),
                    code = %self.code,
                    %cause,
                    "request failed"
                ),
                None => tracing::error!(
                    status = self.status.as_u16(),
                    code = %self.code,
                    message = %self.message,
                    "request failed"
                ),
            }
        }
        HttpResponse::build(self.status).json(ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_written_as_its_wire_name_and_read_back() {
        for code in Code::ALL {
            let written = serde_json::to_value(code).expect("serializes");
            assert_eq!(written, Value::String(code.as_str().to_owned()));
            let read: Code = serde_json::from_value(written).expect("reads back");
            assert_eq!(read, *code);
        }
    }

    #[test]
    fn a_server_error_body_carries_no_cause() {
        let err = ApiError::from(sea_orm::DbErr::Custom(
            "password=hunter2 at 10.0.0.7".into(),
        ));
        let response = err.error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = actix_web::body::to_bytes(response.into_body());
        let body = futures::executor::block_on(body).expect("a body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("database_unavailable"), "{text}");
        assert!(
            !text.contains("hunter2") && !text.contains("10.0.0.7"),
            "{text}"
        );
    }
}
