//! `GET/POST /webhooks/whatsapp/{channel}`: Meta's subscription handshake, and its webhook
//! batches, authenticated by `X-Hub-Signature-256` over the raw bytes with the channel's app
//! secret. Every message, status and preference of a batch goes into the contacts' event
//! logs (de-duplicated: by wamid for messages, by message and status for statuses) before
//! the 200, so a batch Meta sends again is applied once; template status, category and
//! quality changes update the kept templates (`crate::templates`). A body that can never be
//! processed is kept as a poison record and answered 200 (anything else only buys a week of
//! Meta's retries); a store that cannot take the batch answers 503, and Meta sends it again.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{ActiveModelTrait, Set};
use spool_nodes::Millis;
use spool_nodes::identity::{ContactIdentity, Phone};
use spool_runtime::delivery::{DeliveryError, DeliveryStatus, MessageRef, StatusReport};
use spool_runtime::state::{ConsentSource, ContactChange};
use spool_runtime::{Event, EventKind, ScopedId};
use spool_whatsapp::inbound::{
    Notification, PreferenceCategory, PreferenceValue, Status, StatusKind, UserPreference, parse,
};
use spool_whatsapp::signature::{HandshakeQuery, handshake, verify};
use tracing::{debug, info, warn};

use crate::channels::ChannelConfig;
use crate::db::webhook_poison;
use crate::error::{ApiError, Code};
use crate::state::AppState;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/webhooks/whatsapp/{channel}")
            .route(web::get().to(confirm_subscription))
            .route(web::post().to(receive)),
    );
}

async fn channel(state: &AppState, id: &str) -> Result<std::sync::Arc<ChannelConfig>, ApiError> {
    match state.channels.by_id(id).await {
        Ok(Some(channel)) => Ok(channel),
        Ok(None) => Err(ApiError::not_found(format!("no WhatsApp channel {id}"))),
        Err(err) => Err(ApiError::unavailable(
            Code::StoreUnavailable,
            err.to_string(),
        )),
    }
}

/// Meta's GET when the webhook URL is saved in the App Dashboard: the challenge, echoed, when
/// the verify token is the channel's.
async fn confirm_subscription(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<HandshakeQuery>,
) -> Result<HttpResponse, ApiError> {
    let channel = channel(&state, &path).await?;
    match handshake(&query, &channel.verify_token) {
        Ok(challenge) => {
            info!(channel = %channel.id, "Meta confirmed the webhook subscription");
            Ok(HttpResponse::Ok()
                .content_type("text/plain")
                .body(challenge))
        }
        Err(err) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            format!("the subscription is not confirmed: {err}"),
        )),
    }
}

async fn receive(
    state: web::Data<AppState>,
    path: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let channel = channel(&state, &path).await?;
    let signature = request
        .headers()
        .get("X-Hub-Signature-256")
        .and_then(|value| value.to_str().ok());
    if let Err(err) = verify(&channel.app_secret, &body, signature) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            Code::InvalidSignature,
            format!("X-Hub-Signature-256: {err}"),
        ));
    }
    let notifications = match parse(&body) {
        Ok(notifications) => notifications,
        Err(err) => {
            poison(
                &state,
                &channel,
                &err.to_string(),
                &String::from_utf8_lossy(&body),
            )
            .await?;
            return Ok(HttpResponse::Ok().finish());
        }
    };
    for notification in notifications {
        take(&state, &channel, notification).await?;
    }
    Ok(HttpResponse::Ok().finish())
}

/// Puts one notification where it belongs; only a store that cannot take it is an error.
async fn take(
    state: &AppState,
    channel: &ChannelConfig,
    notification: Notification,
) -> Result<(), ApiError> {
    match notification {
        Notification::Message {
            mut message,
            phone_number_id,
        } => {
            let receiving = receiving_number(state, channel, &phone_number_id).await;
            let channel = receiving.as_deref().unwrap_or(channel);
            message.channel = Some(channel.id.clone());
            match state
                .runtime
                .accept_inbound(&channel.workspace_id, message.clone())
                .await
            {
                Ok(_) => {}
                Err(spool_runtime::Error::Identity(err)) => {
                    let raw = serde_json::to_string(&message).unwrap_or_default();
                    poison(state, channel, &err.to_string(), &raw).await?;
                }
                Err(err) => return Err(err.into()),
            }
        }
        Notification::Status(status) => status_report(state, channel, status).await?,
        Notification::UserPreference(preference) => {
            marketing_preference(state, channel, preference).await?;
        }
        Notification::Unreadable { reason, raw } => {
            poison(state, channel, &reason, &raw.to_string()).await?;
        }
        Notification::Errors { errors, .. } => {
            for error in errors {
                warn!(channel = %channel.id, code = error.code, title = %error.title, message = %error.message, "Meta reports a problem with the number");
            }
        }
        Notification::TemplateStatus(change) => {
            if same_account(channel, &change.waba_id) {
                let channel = std::sync::Arc::new(channel.clone());
                state.templates.status_changed(channel, &change).await?;
            }
        }
        Notification::TemplateCategory(change) => {
            if same_account(channel, &change.waba_id) {
                let channel = std::sync::Arc::new(channel.clone());
                state.templates.category_changed(channel, &change).await?;
            }
        }
        Notification::TemplateQuality(change) => {
            if same_account(channel, &change.waba_id) {
                state.templates.quality_changed(channel, &change).await?;
            }
        }
        Notification::Other { .. } => {
            debug!(channel = %channel.id, "webhook notification Spool does not act on yet");
        }
    }
    Ok(())
}

/// The channel of the number that received a message. Meta sends every number of an app to
/// the app's one callback URL, so a message reaching one channel's URL may be for another
/// number of the same workspace and app (same app secret, which signed it): its replies
/// must go out from that number. `None`: the URL's own channel (also for a number Spool does
/// not know, said in the log).
async fn receiving_number(
    state: &AppState,
    channel: &ChannelConfig,
    phone_number_id: &str,
) -> Option<std::sync::Arc<ChannelConfig>> {
    if phone_number_id.is_empty() || phone_number_id == channel.phone_number_id {
        return None;
    }
    match state.channels.by_phone_number_id(phone_number_id).await {
        Ok(Some(other))
            if other.workspace_id == channel.workspace_id
                && other.app_secret == channel.app_secret =>
        {
            Some(other)
        }
        Ok(_) => {
            warn!(channel = %channel.id, %phone_number_id, "a message for a number no channel of this app has: answered from the channel whose URL it reached");
            None
        }
        Err(err) => {
            warn!(channel = %channel.id, %phone_number_id, %err, "cannot look up the receiving number");
            None
        }
    }
}

/// Whether a template notification is about the channel's own account: another account's
/// templates are not this channel's to change.
fn same_account(channel: &ChannelConfig, waba_id: &str) -> bool {
    let same = waba_id.is_empty() || waba_id == channel.waba_id;
    if !same {
        warn!(channel = %channel.id, waba_id, "template notification of another account: ignored");
    }
    same
}

/// A status goes to the run whose message it is about, named by the reference the sender
/// attached; statuses of messages sent outside Spool have none and are let go.
async fn status_report(
    state: &AppState,
    channel: &ChannelConfig,
    status: Status,
) -> Result<(), ApiError> {
    if let Some(event) = status_event(&channel.workspace_id, &status, state.now()) {
        state.runtime.accept(event).await?;
    }
    Ok(())
}

/// The runtime event for WhatsApp's word on a message of `workspace` (sent, delivered,
/// read, failed), or `None` for a message Spool did not send, one of another workspace, or a
/// status Spool does not know.
pub fn status_event(workspace: &str, status: &Status, now: Millis) -> Option<Event> {
    let Some(message) = status
        .biz_opaque_callback_data
        .as_deref()
        .and_then(MessageRef::from_callback_data)
    else {
        debug!(wamid = %status.wamid, "status of a message Spool did not send");
        return None;
    };
    let contact_id = message.contact_id()?.to_owned();
    // A reference naming another workspace's contact is not this channel's to report.
    if ScopedId::scope_of(&contact_id) != workspace {
        warn!(
            workspace,
            "status names a contact of another workspace: ignored"
        );
        return None;
    }
    let kind = match &status.status {
        StatusKind::HeldForQualityAssessment => DeliveryStatus::HeldForQualityAssessment,
        StatusKind::Sent => DeliveryStatus::Sent,
        StatusKind::Delivered => DeliveryStatus::Delivered,
        StatusKind::Read | StatusKind::Played => DeliveryStatus::Read,
        StatusKind::Failed => DeliveryStatus::Failed,
        StatusKind::Other(other) => {
            debug!(status = %other, "a status Spool does not know");
            return None;
        }
    };
    let error = status.errors.first().map(|error| DeliveryError {
        code: error.code.to_string(),
        message: error
            .details
            .clone()
            .filter(|details| !details.is_empty())
            .unwrap_or_else(|| error.title.clone()),
    });
    let report = StatusReport {
        message,
        status: kind,
        wamid: Some(status.wamid.clone()),
        error,
        pricing: status
            .pricing
            .as_ref()
            .and_then(|pricing| serde_json::to_value(pricing).ok()),
        timestamp: status.timestamp_ms,
    };
    let phone = status.recipient.wa_id.clone().unwrap_or_default();
    let dedupe_key = report.dedupe_key();
    let mut event = Event::new(contact_id, phone, now, EventKind::MessageStatus { report });
    event.dedupe_key = Some(dedupe_key);
    Some(event)
}

/// "Stop promotions" / "resume" in WhatsApp: the contact's Marketing consent follows.
async fn marketing_preference(
    state: &AppState,
    channel: &ChannelConfig,
    preference: UserPreference,
) -> Result<(), ApiError> {
    if preference.category != PreferenceCategory::Marketing {
        return Ok(());
    }
    let opt_in = match preference.value {
        PreferenceValue::Stop => false,
        PreferenceValue::Resume => true,
        PreferenceValue::Other(_) => return Ok(()),
    };
    let phone = preference
        .wa_id
        .as_deref()
        .and_then(|wa_id| Phone::parse(wa_id).ok());
    let Some(identity) = ContactIdentity::new(phone, preference.user_id.clone()) else {
        return Ok(());
    };
    let contact_id = state
        .store
        .resolve_contact(&channel.workspace_id, &identity)
        .await?;
    let change = ContactChange {
        marketing_opt_in: Some(opt_in),
        consent_source: Some(ConsentSource::named("user_preferences")),
        ..ContactChange::default()
    };
    let wa_id = identity
        .phone()
        .map(|phone| phone.digits().to_owned())
        .unwrap_or_default();
    let mut event = Event::new(
        contact_id,
        wa_id,
        state.now(),
        EventKind::UpdateContact { change },
    );
    event.dedupe_key = Some(format!(
        "preference:{}:{}:{}",
        identity.first_key(),
        preference.timestamp_ms,
        opt_in
    ));
    state.runtime.accept(event).await?;
    Ok(())
}

/// Keeps what cannot be processed, for a person to look at.
async fn poison(
    state: &AppState,
    channel: &ChannelConfig,
    reason: &str,
    body: &str,
) -> Result<(), ApiError> {
    warn!(channel = %channel.id, %reason, "webhook content kept as a poison record");
    webhook_poison::ActiveModel {
        channel_id: Set(channel.id.clone()),
        received_at: Set(state.now()),
        reason: Set(reason.to_owned()),
        body: Set(body.to_owned()),
        ..Default::default()
    }
    .insert(&state.db)
    .await
    .map_err(|err| ApiError::unavailable(Code::StoreUnavailable, err.to_string()))?;
    Ok(())
}
