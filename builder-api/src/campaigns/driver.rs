//! Driving campaigns: every tick, each server takes the lease of the campaigns that are due
//! and free (a lease lapses if its server stops renewing it), resolves a starting campaign's
//! audience into recipients, hands due recipients to the runtime, and completes a campaign
//! with nobody left to send to. One server drives a campaign at a time; a campaign whose
//! server died is taken over once its lease lapses, and goes on where it was: recipients
//! already handed over are not started again (their events' keys say so).

use std::time::Duration;

use actix_web::web;
use futures::{StreamExt, TryStreamExt, stream};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use spool_nodes::{Millis, SECOND};
use spool_runtime::{Event, EventKind};
use tokio::sync::watch;
use tracing::{info, warn};

use super::schedule::{Timing, zone};
use super::{COMPLETED, FINISHED, HANDED, QUEUED, SCHEDULED, SENDING, SKIPPED, sends_marketing};
use crate::consent::suppression;
use crate::db::{campaign, campaign_recipient, contact_directory};
use crate::directory::Audience;
use crate::state::AppState;

/// How often a server looks for work.
const TICK: Duration = Duration::from_millis(250);
/// How long a lease lasts unless renewed (renewed every tick while driving).
const LEASE: Millis = 15 * SECOND;
/// Recipients handed over but not yet sent at most, per campaign: the runtime and the
/// number's throughput pace the sends; this keeps the outbox (and memory) from growing
/// with the audience.
const IN_FLIGHT: u64 = 2_000;
/// Recipients handed over per tick at most.
const PER_TICK: u64 = 1_000;
/// Handed over, and no run started for this long: the journey did not start for them
/// (they are in it already and it does not let them in again, say).
const NOT_STARTED_AFTER: Millis = 5 * 60 * SECOND;
/// Rows written at once.
const CHUNK: usize = 500;

/// Drives campaigns until `stopped`.
pub async fn run(state: web::Data<AppState>, mut stopped: watch::Receiver<bool>) {
    let owner = format!("server-{}", uuid::Uuid::new_v4().simple());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        if let Err(err) = drive(&state, &owner).await {
            warn!(error = %err, "campaigns could not be driven this time");
        }
    }
}

async fn drive(state: &AppState, owner: &str) -> Result<(), DriveError> {
    let now = state.now();
    use campaign::Column as C;
    let due = campaign::Entity::find()
        .filter(
            Condition::any().add(C::State.eq(SENDING)).add(
                Condition::all().add(C::State.eq(SCHEDULED)).add(
                    Condition::any()
                        .add(C::SendAt.is_null())
                        .add(C::SendAt.lte(now)),
                ),
            ),
        )
        .filter(
            Condition::any()
                .add(C::LeaseUntil.is_null())
                .add(C::LeaseUntil.lt(now))
                .add(C::LeaseOwner.eq(owner)),
        )
        .all(&state.db)
        .await?;
    for row in due {
        if !lease(state, &row, owner, now).await? {
            continue;
        }
        if row.state == SCHEDULED {
            start_sending(state, &row, now).await?;
        }
        hand_over_due(state, &row, now).await?;
        complete_if_done(state, &row, now).await?;
    }
    Ok(())
}

/// Takes or renews the lease: only if it is free, lapsed or ours (whoever writes first).
async fn lease(
    state: &AppState,
    row: &campaign::Model,
    owner: &str,
    now: Millis,
) -> Result<bool, DbErr> {
    use campaign::Column as C;
    let taken = campaign::Entity::update_many()
        .col_expr(C::LeaseOwner, Expr::value(owner))
        .col_expr(C::LeaseUntil, Expr::value(now + LEASE))
        .filter(C::Id.eq(row.id.as_str()))
        .filter(C::State.is_in([SCHEDULED, SENDING]))
        .filter(
            Condition::any()
                .add(C::LeaseUntil.is_null())
                .add(C::LeaseUntil.lt(now))
                .add(C::LeaseOwner.eq(owner)),
        )
        .exec(&state.db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// The campaign's audience now: each contact's runtime id, number and zone.
pub async fn audience_of(
    state: &AppState,
    row: &campaign::Model,
    now: Millis,
) -> Result<Vec<(String, String, Option<String>)>, DbErr> {
    use contact_directory::Column as D;
    let mut query = contact_directory::Entity::find()
        .select_only()
        .column(D::ContactId)
        .column(D::Phone)
        .column(D::Timezone);
    if let Some(phones) = row.phones.as_deref() {
        let phones: Vec<String> = serde_json::from_str(phones).unwrap_or_default();
        query = query
            .filter(D::WorkspaceId.eq(row.workspace_id.as_str()))
            .filter(D::Phone.is_in(phones));
    } else {
        let audience: Audience = row
            .audience
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default();
        query = query.filter(audience.filter(&row.workspace_id, now));
    }
    query
        .filter(D::Phone.ne(""))
        .order_by_asc(D::ContactId)
        .into_tuple()
        .all(&state.db)
        .await
}

/// Resolves the audience into recipients, each due at its own time, and starts sending.
async fn start_sending(state: &AppState, row: &campaign::Model, now: Millis) -> Result<(), DbErr> {
    let timing = Timing {
        send_at: row.send_at,
        local_time: row.local_time,
        timezone: zone(&row.timezone).unwrap_or(chrono_tz::UTC),
        quiet: row
            .quiet_start
            .zip(row.quiet_end)
            .map(|(start, end)| (start.unsigned_abs(), end.unsigned_abs())),
    };
    let people = audience_of(state, row, now).await?;
    let split = super::preflight::daily_shares(state, row, &people, now).await?;
    let total = people.len();
    let rows: Vec<campaign_recipient::ActiveModel> = people
        .into_iter()
        .enumerate()
        .map(|(index, (contact_id, phone, timezone))| {
            let their_zone = timezone.as_deref().and_then(zone);
            let due = timing.due_at(their_zone, now) + split.delay(index);
            campaign_recipient::ActiveModel {
                campaign_id: Set(row.id.clone()),
                contact_id: Set(contact_id),
                workspace_id: Set(row.workspace_id.clone()),
                phone: Set(phone),
                state: Set(QUEUED.to_owned()),
                reason: Set(None),
                due_at: Set(due),
                attempts: Set(0),
                run_id: Set(None),
                wamid: Set(None),
                updated_at: Set(now),
            }
        })
        .collect();
    // A server that died half-way through this left some rows: they are kept as they are.
    for chunk in rows.chunks(CHUNK) {
        campaign_recipient::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    campaign_recipient::Column::CampaignId,
                    campaign_recipient::Column::ContactId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(&state.db)
            .await?;
    }
    use campaign::Column as C;
    campaign::Entity::update_many()
        .col_expr(C::State, Expr::value(SENDING))
        .col_expr(C::StartedAt, Expr::value(now))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .filter(C::Id.eq(row.id.as_str()))
        .filter(C::State.eq(SCHEDULED))
        .exec(&state.db)
        .await?;
    info!(campaign = %row.id, recipients = total, "campaign sending");
    Ok(())
}

fn skip(reason: &str, now: Millis) -> Vec<(campaign_recipient::Column, Expr)> {
    use campaign_recipient::Column as R;
    vec![
        (R::State, Expr::value(SKIPPED)),
        (R::Reason, Expr::value(reason)),
        (R::UpdatedAt, Expr::value(now)),
    ]
}

/// Hands the recipients that are due to the runtime, checked for suppression and consent.
async fn hand_over_due(
    state: &AppState,
    row: &campaign::Model,
    now: Millis,
) -> Result<(), DriveError> {
    use campaign_recipient::Column as R;
    // Still sending? (A pause or cancel since this tick began stops the hand-over here.)
    let current = campaign::Entity::find_by_id(row.id.clone())
        .one(&state.db)
        .await?;
    if current.is_none_or(|current| current.state != SENDING) {
        return Ok(());
    }
    let in_flight = campaign_recipient::Entity::find()
        .filter(R::CampaignId.eq(row.id.as_str()))
        .filter(R::State.eq(HANDED))
        .count(&state.db)
        .await?;
    // About the number's throughput per tick (a quarter more, so the sender never waits
    // for the driver): the outbox then holds a few ticks' worth, whatever the audience.
    let per_second = match state.channels.default_for(&row.workspace_id).await {
        Ok(Some(channel)) => u64::from(channel.throughput_per_second.max(1)),
        _ => PER_TICK,
    };
    let per_tick = (per_second * 5 * TICK.as_millis() as u64 / 4_000).max(1);
    let room = IN_FLIGHT
        .saturating_sub(in_flight)
        .min(per_tick)
        .min(PER_TICK);
    if room == 0 {
        return Ok(());
    }
    let due = campaign_recipient::Entity::find()
        .filter(R::CampaignId.eq(row.id.as_str()))
        .filter(R::State.eq(QUEUED))
        .filter(R::DueAt.lte(now))
        .order_by_asc(R::DueAt)
        .order_by_asc(R::ContactId)
        .limit(room)
        .all(&state.db)
        .await?;
    if due.is_empty() {
        return Ok(());
    }
    let key = suppression::key(&state.db, &row.workspace_id).await?;
    let hashes: Vec<String> = due
        .iter()
        .map(|recipient| suppression::phone_hash(&key, &recipient.phone))
        .collect();
    let suppressed = suppression::which(&state.db, &row.workspace_id, &hashes).await?;
    // Consent is read now, against the templates' category now.
    let marketing = sends_marketing(state, &row.workspace_id, &row.flow_id);
    let consented: std::collections::HashSet<String> = if marketing {
        contact_directory::Entity::find()
            .select_only()
            .column(contact_directory::Column::ContactId)
            .filter(
                contact_directory::Column::ContactId
                    .is_in(due.iter().map(|recipient| recipient.contact_id.clone())),
            )
            .filter(contact_directory::Column::MarketingOptInAt.is_not_null())
            .into_tuple::<String>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect()
    } else {
        Default::default()
    };
    let mut go = Vec::new();
    for (recipient, hash) in due.into_iter().zip(hashes) {
        let reason = if suppressed.contains(&hash) {
            Some("suppressed")
        } else if marketing && !consented.contains(&recipient.contact_id) {
            Some("no_opt_in")
        } else {
            None
        };
        match reason {
            Some(reason) => {
                let mut update = campaign_recipient::Entity::update_many();
                for (column, value) in skip(reason, now) {
                    update = update.col_expr(column, value);
                }
                update
                    .filter(R::CampaignId.eq(row.id.as_str()))
                    .filter(R::ContactId.eq(recipient.contact_id.as_str()))
                    .filter(R::State.eq(QUEUED))
                    .exec(&state.db)
                    .await?;
            }
            None => go.push(recipient),
        }
    }
    stream::iter(go)
        .map(|recipient| hand_over(state, row, recipient, now))
        .buffer_unordered(64)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// One recipient to the runtime: a `Broadcast` keyed by campaign, contact and attempt, so
/// that handing it over again (after a crash before its note was written) starts nothing.
async fn hand_over(
    state: &AppState,
    row: &campaign::Model,
    recipient: campaign_recipient::Model,
    now: Millis,
) -> Result<(), DriveError> {
    use campaign_recipient::Column as R;
    let attempt = recipient.attempts + 1;
    let event = Event::new(
        recipient.contact_id.clone(),
        recipient.phone.clone(),
        now,
        EventKind::Broadcast {
            flow_id: spool_runtime::ScopedId::new(&row.workspace_id, &row.flow_id).into(),
            campaign: Some(row.id.clone()),
        },
    )
    .with_dedupe_key(format!(
        "campaign:{}:{}:{attempt}",
        row.id, recipient.contact_id
    ));
    state.runtime.accept(event).await?;
    // Only from `queued`: the runtime may have told of the run already.
    campaign_recipient::Entity::update_many()
        .col_expr(R::State, Expr::value(HANDED))
        .col_expr(R::Attempts, Expr::value(attempt))
        .col_expr(R::UpdatedAt, Expr::value(now))
        .filter(R::CampaignId.eq(row.id.as_str()))
        .filter(R::ContactId.eq(recipient.contact_id.as_str()))
        .filter(R::State.eq(QUEUED))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Completes a campaign nobody is left in: none queued, none handed over and waiting.
async fn complete_if_done(
    state: &AppState,
    row: &campaign::Model,
    now: Millis,
) -> Result<(), DbErr> {
    use campaign_recipient::Column as R;
    // Handed over long ago with no run: the journey did not start for them.
    campaign_recipient::Entity::update_many()
        .col_expr(R::State, Expr::value(FINISHED))
        .col_expr(R::Reason, Expr::value("not_started"))
        .col_expr(R::UpdatedAt, Expr::value(now))
        .filter(R::CampaignId.eq(row.id.as_str()))
        .filter(R::State.eq(HANDED))
        .filter(R::RunId.is_null())
        .filter(R::UpdatedAt.lt(now - NOT_STARTED_AFTER))
        .exec(&state.db)
        .await?;
    let waiting = campaign_recipient::Entity::find()
        .filter(R::CampaignId.eq(row.id.as_str()))
        .filter(R::State.is_in([QUEUED, HANDED]))
        .count(&state.db)
        .await?;
    if waiting > 0 {
        return Ok(());
    }
    use campaign::Column as C;
    campaign::Entity::update_many()
        .col_expr(C::State, Expr::value(COMPLETED))
        .col_expr(C::FinishedAt, Expr::value(now))
        .col_expr(C::UpdatedAt, Expr::value(now))
        .col_expr(C::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(C::LeaseUntil, Expr::value(Option::<i64>::None))
        .filter(C::Id.eq(row.id.as_str()))
        .filter(C::State.eq(SENDING))
        .exec(&state.db)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Runtime(#[from] spool_runtime::Error),
}
