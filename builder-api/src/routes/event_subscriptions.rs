//! Event subscriptions: URLs a workspace's events are POSTed to, signed with a secret Spool
//! generates and shows once, when the subscription is created. Read by editors, changed by
//! admins, audited. A URL that reaches a private address is refused unless the workspace
//! allows private targets (`settings/network`). The delivery log is in `event_deliveries`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spool_runtime::ssrf::{self, Refused};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{self, Caller, Role};
use crate::db::{event_delivery, event_subscription};
use crate::error::{ApiError, Code};
use crate::events_out::{EventType, seal_secret};
use crate::routes::change::Change;
use crate::routes::event_deliveries::{DeliveryView, delivery_view};
use crate::state::AppState;
use crate::time::rfc3339;

/// What a subscription's secret starts with, so it is recognisable where it is pasted.
const SECRET_PREFIX: &str = "whsec_";

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/event-subscriptions")
                .route(web::get().to(list_subscriptions))
                .route(web::post().to(create_subscription)),
        )
        .service(
            web::resource("/event-subscriptions/{subscription}")
                .route(web::get().to(read_subscription))
                .route(web::patch().to(update_subscription))
                .route(web::delete().to(delete_subscription)),
        )
        .service(
            web::resource("/event-subscriptions/{subscription}/test")
                .route(web::post().to(test_subscription)),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        list_subscriptions,
        create_subscription,
        read_subscription,
        update_subscription,
        delete_subscription,
        test_subscription
    ),
    components(schemas(
        EventType,
        NewSubscription,
        SubscriptionPatch,
        Subscription,
        CreatedSubscription
    ))
)]
pub struct Api;

/// A subscription to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Where events are POSTed: an http(s) URL.
    pub url: String,
    /// The event types wanted; empty or absent for all of them.
    #[serde(default)]
    pub event_types: Vec<EventType>,
    /// A note for people (up to 200 characters).
    #[serde(default)]
    pub description: String,
    /// Whether events are queued and delivered (default true). An inactive subscription is
    /// not sent new events; those already queued wait, for up to a day.
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

/// A change to a subscription; absent fields are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub event_types: Option<Vec<EventType>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// A subscription, as read (its secret is never shown again after its creation).
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    pub id: String,
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub description: String,
    pub active: bool,
    pub created_at: String,
    /// Who created it, as the audit log names them.
    pub created_by: String,
    pub updated_at: String,
}

/// A subscription just created, with its secret: the only time Spool shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSubscription {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The key of the HMAC-SHA256 in `X-Spool-Signature`. Keep it now: it is not shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize)]
pub struct SubscriptionPath {
    pub workspace: String,
    pub subscription: String,
}

pub(crate) fn view(found: event_subscription::Model) -> Subscription {
    Subscription {
        event_types: serde_json::from_str(&found.event_types).unwrap_or_default(),
        id: found.id,
        url: found.url,
        description: found.description,
        active: found.active,
        created_at: rfc3339(found.created_at),
        created_by: found.created_by,
        updated_at: rfc3339(found.updated_at),
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidSubscription,
        message,
    )
}

/// The subscription `id` of the caller's workspace, or 404.
pub(crate) async fn find<C: sea_orm::ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: &str,
) -> Result<event_subscription::Model, ApiError> {
    event_subscription::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?
        .filter(|found| found.workspace_id == caller.workspace)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "The workspace {} has no event subscription {id}.",
                caller.workspace
            ))
        })
}

/// Checks `url`: an http(s) URL that, unless the workspace allows private targets, reaches
/// public addresses only. Returns it trimmed.
async fn checked_url(state: &AppState, caller: &Caller, url: &str) -> Result<String, ApiError> {
    let url = url.trim();
    let parsed = reqwest::Url::parse(url).ok().filter(|parsed| {
        matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some()
    });
    if parsed.is_none() || url.len() > 2048 {
        return Err(invalid(format!(
            "`url` is an http(s) URL of up to 2048 characters, such as https://shop.example/spool-events; {url:?} is not."
        )));
    }
    if state.network.allows_private_in(&caller.workspace).await? {
        return Ok(url.to_owned());
    }
    match ssrf::check_url(url).await {
        Ok(()) => Ok(url.to_owned()),
        Err(refused @ Refused::Private { .. }) => {
            let mut error = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::PrivateTarget,
                format!(
                    "Events cannot be sent to {url}: {refused} (PUT /api/v1/workspaces/{}/settings/network).",
                    caller.workspace
                ),
            );
            if let Refused::Private { address, kind, .. } = refused {
                error.details = json!({ "address": address.to_string(), "kind": kind.as_str() });
            }
            Err(error)
        }
        Err(refused) => Err(invalid(format!(
            "Events cannot be sent to {url}: {refused}."
        ))),
    }
}

fn checked_description(description: &str) -> Result<(), ApiError> {
    if description.chars().count() > 200 {
        return Err(invalid(
            "`description` is at most 200 characters.".to_owned(),
        ));
    }
    Ok(())
}

fn types_text(types: &[EventType]) -> String {
    serde_json::to_string(types).unwrap_or_else(|_| "[]".to_owned())
}

/// The workspace's event subscriptions, oldest first (without their secrets).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/event-subscriptions", tag = "events",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<Subscription>))
)]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let found = event_subscription::Entity::find()
        .filter(event_subscription::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_asc(event_subscription::Column::CreatedAt)
        .order_by_asc(event_subscription::Column::Id)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(found.into_iter().map(view).collect::<Vec<_>>()))
}

/// Subscribes a URL to the workspace's events. The answer holds the signing secret, shown
/// this once (Spool keeps it encrypted with SPOOL_SECRET_KEY). Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/event-subscriptions", tag = "events",
    params(("workspace" = String, Path)),
    request_body = NewSubscription,
    responses(
        (status = 201, body = CreatedSubscription),
        (status = 409, description = "The server has no SPOOL_SECRET_KEY to keep the secret encrypted with (`secret_key_missing`)"),
        (status = 422, description = "A URL that is not http(s), or reaches a private address (`private_target`)")
    )
)]
pub async fn create_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewSubscription>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let Some(key) = state.notifier.key() else {
        return Err(crate::routes::channels::key_missing());
    };
    let body = body.into_inner();
    checked_description(&body.description)?;
    let url = checked_url(&state, &caller, &body.url).await?;
    let secret = format!("{SECRET_PREFIX}{}", auth::random_token());
    let id = Uuid::now_v7().to_string();
    let change = Change::begin(&state, &caller).await?;
    let saved = event_subscription::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace.clone()),
        url: Set(url.clone()),
        secret: Set(seal_secret(key, &id, &secret)),
        event_types: Set(types_text(&body.event_types)),
        description: Set(body.description.clone()),
        active: Set(body.active),
        created_at: Set(change.now),
        created_by: Set(caller.actor.label()),
        updated_at: Set(change.now),
    }
    .insert(&change.txn)
    .await?;
    change
        .audit(
            "event_subscription.created",
            &format!("event_subscription:{id}"),
            json!({ "url": url, "event_types": body.event_types, "active": body.active }),
        )
        .await?;
    change.commit().await?;
    state.notifier.forget(&caller.workspace);
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!(
                "/api/v1/workspaces/{}/event-subscriptions/{id}",
                caller.workspace
            ),
        ))
        .json(CreatedSubscription {
            subscription: view(saved),
            secret,
        }))
}

/// One event subscription (without its secret).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path)),
    responses((status = 200, body = Subscription))
)]
pub async fn read_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let found = find(&state.db, &caller, &path.subscription).await?;
    Ok(HttpResponse::Ok().json(view(found)))
}

/// Changes a subscription's URL, event types, description or whether it is active. Admins
/// only.
#[utoipa::path(
    patch, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path)),
    request_body = SubscriptionPatch,
    responses(
        (status = 200, body = Subscription),
        (status = 422, description = "A URL that is not http(s), or reaches a private address (`private_target`)")
    )
)]
pub async fn update_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SubscriptionPath>,
    body: web::Json<SubscriptionPatch>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let patch = body.into_inner();
    if let Some(description) = &patch.description {
        checked_description(description)?;
    }
    let url = match &patch.url {
        Some(url) => Some(checked_url(&state, &caller, url).await?),
        None => None,
    };
    let change = Change::begin(&state, &caller).await?;
    let found = find(&change.txn, &caller, &path.subscription).await?;
    let mut active = found.into_active_model();
    if let Some(url) = &url {
        active.url = Set(url.clone());
    }
    if let Some(types) = &patch.event_types {
        active.event_types = Set(types_text(types));
    }
    if let Some(description) = &patch.description {
        active.description = Set(description.clone());
    }
    if let Some(is_active) = patch.active {
        active.active = Set(is_active);
    }
    active.updated_at = Set(change.now);
    let saved = active.update(&change.txn).await?;
    change
        .audit(
            "event_subscription.changed",
            &format!("event_subscription:{}", saved.id),
            json!({
                "url": url,
                "event_types": patch.event_types,
                "description": patch.description,
                "active": patch.active,
            }),
        )
        .await?;
    change.commit().await?;
    state.notifier.forget(&caller.workspace);
    if patch.active == Some(true) {
        state.notifier.wake();
    }
    Ok(HttpResponse::Ok().json(view(saved)))
}

/// Removes a subscription, with its queued deliveries and its delivery log. Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path)),
    responses((status = 204))
)]
pub async fn delete_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let found = find(&change.txn, &caller, &path.subscription).await?;
    event_delivery::Entity::delete_many()
        .filter(event_delivery::Column::SubscriptionId.eq(&found.id))
        .exec(&change.txn)
        .await?;
    event_subscription::Entity::delete_by_id(found.id.clone())
        .exec(&change.txn)
        .await?;
    change
        .audit(
            "event_subscription.deleted",
            &format!("event_subscription:{}", found.id),
            json!({ "url": found.url }),
        )
        .await?;
    change.commit().await?;
    state.notifier.forget(&caller.workspace);
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a `ping` event to this subscription alone, through the queue like any event; the
/// answer is its delivery, to follow in the log. Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}/test", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path)),
    responses((status = 202, body = DeliveryView))
)]
pub async fn test_subscription(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SubscriptionPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let found = find(&state.db, &caller, &path.subscription).await?;
    let delivery = state
        .notifier
        .emit_to(
            &found,
            EventType::Ping,
            json!({ "subscription": found.id, "message": "A test event from Spool." }),
        )
        .await?;
    Ok(HttpResponse::Accepted().json(delivery_view(delivery)))
}
