//! Before a campaign sends: how many people it reaches, how many are skipped (suppressed,
//! no Marketing consent), how many are outside their 24-hour window (each of those counts
//! against the number's messaging limit: unique people reached with templates in a rolling
//! day), against what is left of that limit after the people already reached and the other
//! campaigns' queued recipients. A campaign over the limit is refused with the numbers, or
//! spread over as many days as it needs — never cut short in silence.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use spool_nodes::{DAY, Millis};
use utoipa::ToSchema;

use super::{QUEUED, SCHEDULED, SENDING, sends_marketing};
use crate::consent::suppression;
use crate::db::{campaign, campaign_recipient, contact_directory};
use crate::state::AppState;

/// What sending a campaign now would mean.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preflight {
    /// Contacts the audience holds now.
    pub audience: u64,
    /// On the suppression list (erased, or objected): never sent to.
    pub suppressed: u64,
    /// Without Marketing consent, when the flow sends a Marketing template.
    pub no_opt_in: u64,
    /// Who would be sent to.
    pub recipients: u64,
    /// Of those, outside their 24-hour window: each takes a place in the messaging limit.
    pub outside_window: u64,
    /// Whether the flow sends a Marketing template (by the template's category now).
    pub marketing: bool,
    /// The number's messaging limit, when the workspace has a number.
    pub limit: Option<LimitUse>,
    /// Days the campaign needs within the limit (1 when it fits).
    pub days_needed: u64,
    /// Whether it fits in what is left of the limit today.
    pub fits: bool,
}

/// The messaging limit and what uses it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitUse {
    /// Unique people the number may reach outside their window per rolling 24 h.
    pub limit: u64,
    /// Reached in the last 24 h.
    pub reached: u64,
    /// Messages waiting for a place, and recipients of other campaigns not yet sent.
    pub waiting: u64,
    /// Left now.
    pub remaining: u64,
}

/// How recipients are spread over days: the first `today` now, then `per_day` a day.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shares {
    today: Option<u64>,
    per_day: u64,
}

impl Shares {
    /// The delay of the `index`-th recipient outside its window.
    pub fn delay(&self, index: usize) -> Millis {
        let Some(today) = self.today else {
            return 0;
        };
        let index = index as u64;
        if index < today || self.per_day == 0 {
            return 0;
        }
        let day = 1 + (index - today) / self.per_day;
        i64::try_from(day).unwrap_or(i64::MAX / DAY) * DAY
    }
}

async fn limit_use(
    state: &AppState,
    workspace: &str,
    campaign_id: &str,
    now: Millis,
) -> Result<Option<LimitUse>, DbErr> {
    let Ok(Some(channel)) = state.channels.default_for(workspace).await else {
        return Ok(None);
    };
    let status = crate::whatsapp::reach::status(&state.db, &channel.id, now).await?;
    let others: Vec<String> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(campaign::Column::WorkspaceId.eq(workspace))
        .filter(campaign::Column::State.is_in([SENDING, SCHEDULED]))
        .filter(campaign::Column::Id.ne(campaign_id))
        .into_tuple()
        .all(&state.db)
        .await?;
    let queued_elsewhere = campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::CampaignId.is_in(others))
        .filter(campaign_recipient::Column::State.eq(QUEUED))
        .filter(campaign_recipient::Column::DueAt.lt(now + DAY))
        .count(&state.db)
        .await?;
    let waiting = status.queued + queued_elsewhere;
    Ok(Some(LimitUse {
        limit: channel.messaging_limit,
        reached: status.reached,
        waiting,
        remaining: channel
            .messaging_limit
            .saturating_sub(status.reached)
            .saturating_sub(waiting),
    }))
}

/// The pre-flight of a campaign for these people (runtime id, number, zone).
pub async fn check(
    state: &AppState,
    row: &campaign::Model,
    people: &[(String, String, Option<String>)],
    now: Millis,
) -> Result<Preflight, DbErr> {
    let key = suppression::key(&state.db, &row.workspace_id).await?;
    let hashes: Vec<String> = people
        .iter()
        .map(|(_, phone, _)| suppression::phone_hash(&key, phone))
        .collect();
    let suppressed_hashes = suppression::which(&state.db, &row.workspace_id, &hashes).await?;
    let marketing = sends_marketing(state, &row.workspace_id, &row.flow_id);
    let mut consented = HashSet::new();
    let mut open = HashSet::new();
    for chunk in people.chunks(500) {
        let rows: Vec<(String, Option<i64>, i64)> = contact_directory::Entity::find()
            .select_only()
            .column(contact_directory::Column::ContactId)
            .column(contact_directory::Column::MarketingOptInAt)
            .column(contact_directory::Column::LastInboundAt)
            .filter(
                contact_directory::Column::ContactId
                    .is_in(chunk.iter().map(|(id, _, _)| id.clone())),
            )
            .into_tuple()
            .all(&state.db)
            .await?;
        for (id, opted_in, last_inbound) in rows {
            if opted_in.is_some() {
                consented.insert(id.clone());
            }
            if last_inbound > now - DAY {
                open.insert(id);
            }
        }
    }
    let mut preflight = Preflight {
        audience: people.len() as u64,
        suppressed: 0,
        no_opt_in: 0,
        recipients: 0,
        outside_window: 0,
        marketing,
        limit: limit_use(state, &row.workspace_id, &row.id, now).await?,
        days_needed: 1,
        fits: true,
    };
    for ((id, _, _), hash) in people.iter().zip(&hashes) {
        if suppressed_hashes.contains(hash) {
            preflight.suppressed += 1;
        } else if marketing && !consented.contains(id) {
            preflight.no_opt_in += 1;
        } else {
            preflight.recipients += 1;
            if !open.contains(id) {
                preflight.outside_window += 1;
            }
        }
    }
    if let Some(limit) = &preflight.limit {
        preflight.fits = preflight.outside_window <= limit.remaining;
        if !preflight.fits && limit.limit > 0 {
            let beyond = preflight.outside_window - limit.remaining;
            preflight.days_needed = 1 + beyond.div_ceil(limit.limit);
        }
    }
    Ok(preflight)
}

/// How a campaign's recipients are spread over days: not at all when it fits or was not
/// asked to be split (a campaign over the limit is refused before it starts).
pub async fn daily_shares(
    state: &AppState,
    row: &campaign::Model,
    people: &[(String, String, Option<String>)],
    now: Millis,
) -> Result<Shares, DbErr> {
    if !row.split_over_days {
        return Ok(Shares::default());
    }
    let preflight = check(state, row, people, now).await?;
    Ok(match preflight.limit {
        Some(limit) if !preflight.fits => Shares {
            today: Some(limit.remaining),
            per_day: limit.limit,
        },
        _ => Shares::default(),
    })
}
