//! A subscription's delivery log: every event queued for it, newest first, with its attempts
//! and what the receiver last answered; and re-queueing one that was given up.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::event_delivery;
use crate::error::{ApiError, Code};
use crate::events_out::{FAILED, PENDING};
use crate::routes::change::Change;
use crate::routes::event_subscriptions::find;
use crate::state::AppState;
use crate::time::rfc3339;

/// The most deliveries one page holds.
const MAX_LIMIT: u16 = 500;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/event-subscriptions/{subscription}/deliveries")
                .route(web::get().to(list_deliveries)),
        )
        .service(
            web::resource("/event-subscriptions/{subscription}/deliveries/{delivery}/retry")
                .route(web::post().to(retry_delivery)),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_deliveries, retry_delivery),
    components(schemas(DeliveryView))
)]
pub struct Api;

/// One event queued for a subscription, and what came of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    /// The event's id (`X-Spool-Event-Id`), the same on every attempt.
    pub event_id: String,
    pub event_type: String,
    /// `pending` (queued or to be tried again), `delivered` or `failed` (given up).
    pub state: String,
    pub attempts: i32,
    /// The HTTP status of the last answer, if there was one.
    pub last_status: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: String,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    /// The body sent, exactly as signed.
    #[schema(value_type = Object)]
    pub body: Value,
}

pub fn delivery_view(found: event_delivery::Model) -> DeliveryView {
    DeliveryView {
        body: serde_json::from_str(&found.body).unwrap_or(Value::String(found.body)),
        next_attempt_at: (found.state == PENDING).then(|| rfc3339(found.next_attempt_at)),
        id: found.id,
        event_id: found.event_id,
        event_type: found.event_type,
        state: found.state,
        attempts: found.attempts,
        last_status: found.last_status,
        last_error: found.last_error,
        created_at: rfc3339(found.created_at),
        delivered_at: found.delivered_at.map(rfc3339),
    }
}

#[derive(Debug, Deserialize)]
pub struct DeliveryPath {
    pub workspace: String,
    pub subscription: String,
    pub delivery: String,
}

#[derive(Debug, Deserialize)]
pub struct DeliveriesPath {
    pub workspace: String,
    pub subscription: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    /// Deliveries older than this one (its id, for the next page).
    #[serde(default)]
    pub before: Option<String>,
    /// At most this many (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u16>,
}

/// The subscription's deliveries, newest first.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}/deliveries", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path), DeliveriesQuery),
    responses((status = 200, body = Vec<DeliveryView>))
)]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<DeliveriesPath>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidQuery,
            format!("`limit` is 1 to {MAX_LIMIT}; {limit} is not."),
        ));
    }
    let subscription = find(&state.db, &caller, &path.subscription).await?;
    let mut select = event_delivery::Entity::find()
        .filter(event_delivery::Column::SubscriptionId.eq(&subscription.id))
        .order_by_desc(event_delivery::Column::Id)
        .limit(u64::from(limit));
    if let Some(before) = &query.before {
        // Ids are UUID v7 in text: their order is the order they were created in.
        if uuid::Uuid::parse_str(before).is_err() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidQuery,
                format!("`before` is the id of a delivery; {before:?} is not."),
            ));
        }
        select = select.filter(event_delivery::Column::Id.lt(before.to_lowercase()));
    }
    let found = select.all(&state.db).await?;
    Ok(HttpResponse::Ok().json(found.into_iter().map(delivery_view).collect::<Vec<_>>()))
}

/// Queues a failed delivery again: it is attempted at once, then retried for another day.
/// Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/event-subscriptions/{subscription}/deliveries/{delivery}/retry", tag = "events",
    params(("workspace" = String, Path), ("subscription" = String, Path), ("delivery" = String, Path)),
    responses(
        (status = 202, body = DeliveryView),
        (status = 409, description = "The delivery has not failed (`delivery_not_failed`)")
    )
)]
pub async fn retry_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<DeliveryPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let subscription = find(&change.txn, &caller, &path.subscription).await?;
    let not_found = || {
        ApiError::not_found(format!(
            "The event subscription {} has no delivery {}.",
            subscription.id, path.delivery
        ))
    };
    let found = event_delivery::Entity::find_by_id(path.delivery.clone())
        .one(&change.txn)
        .await?
        .filter(|found| found.subscription_id == subscription.id)
        .ok_or_else(not_found)?;
    if found.state != FAILED {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            Code::DeliveryNotFailed,
            format!(
                "Delivery {} is {}: only a failed delivery is queued again.",
                found.id, found.state
            ),
        );
        error.details = json!({ "state": found.state });
        return Err(error);
    }
    use event_delivery::Column;
    event_delivery::Entity::update_many()
        .col_expr(Column::State, Expr::value(PENDING))
        .col_expr(Column::NextAttemptAt, Expr::value(change.now))
        .col_expr(Column::QueuedAt, Expr::value(change.now))
        .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(found.id.clone()))
        .filter(Column::State.eq(FAILED))
        .exec(&change.txn)
        .await?;
    change
        .audit(
            "event_delivery.retried",
            &format!(
                "event_subscription:{}/delivery:{}",
                subscription.id, found.id
            ),
            json!({ "event_id": found.event_id, "event_type": found.event_type }),
        )
        .await?;
    let requeued = event_delivery::Entity::find_by_id(found.id.clone())
        .one(&change.txn)
        .await?
        .ok_or_else(not_found)?;
    change.commit().await?;
    state.notifier.wake();
    Ok(HttpResponse::Accepted().json(delivery_view(requeued)))
}
