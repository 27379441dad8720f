//! A campaign as the API shows it: its settings, its progress by recipient state with the
//! pace and the time left, and its recipients.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::campaigns;
use crate::db::campaign;
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::rfc3339;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct QuietHours {
    pub start: String,
    pub end: String,
}

/// Counts by recipient state, and the pace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// `queued`, `skipped`, `handed`, `sent`, `delivered`, `read`, `replied`, `finished`,
    /// `failed` → how many.
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
    /// Recipients sent to (or further) per minute since sending began.
    pub per_minute: f64,
    /// When the queued ones should be through at this pace (RFC 3339).
    pub eta: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub flow_id: String,
    pub segment_id: Option<String>,
    /// `draft`, `scheduled`, `sending`, `paused`, `completed` or `cancelled`.
    pub state: String,
    pub send_at: Option<String>,
    pub local_time: bool,
    pub timezone: String,
    pub quiet_hours: Option<QuietHours>,
    pub split_over_days: bool,
    pub pause_reason: Option<String>,
    pub progress: Progress,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    /// Newest first.
    pub campaigns: Vec<CampaignView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    pub phone: String,
    pub state: String,
    pub reason: Option<String>,
    pub due_at: String,
    pub attempts: i32,
    pub wamid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    pub recipients: Vec<RecipientView>,
}

pub(super) fn minutes(text: &str) -> Option<i32> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    ((0..24).contains(&hours) && (0..60).contains(&minutes)).then_some(hours * 60 + minutes)
}

fn clock(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

pub(super) async fn view(state: &AppState, row: campaign::Model) -> Result<CampaignView, ApiError> {
    let counts = campaigns::counts(&state.db, &row.id).await?;
    let total = counts.values().sum();
    let through: u64 = [
        campaigns::SENT,
        campaigns::DELIVERED,
        campaigns::READ,
        campaigns::REPLIED,
    ]
    .iter()
    .filter_map(|state| counts.get(*state))
    .sum();
    let now = state.now();
    let elapsed_minutes = row
        .started_at
        .map(|at| ((row.finished_at.unwrap_or(now) - at).max(1)) as f64 / 60_000.0);
    let per_minute = elapsed_minutes.map_or(0.0, |minutes| through as f64 / minutes);
    let queued = counts.get(campaigns::QUEUED).copied().unwrap_or(0);
    let eta = (per_minute > 0.0 && queued > 0)
        .then(|| rfc3339(now + (queued as f64 / per_minute * 60_000.0) as i64));
    Ok(CampaignView {
        id: row.id,
        name: row.name,
        flow_id: row.flow_id,
        segment_id: row.segment_id,
        state: row.state,
        send_at: row.send_at.map(rfc3339),
        local_time: row.local_time,
        timezone: row.timezone,
        quiet_hours: row
            .quiet_start
            .zip(row.quiet_end)
            .map(|(start, end)| QuietHours {
                start: clock(start),
                end: clock(end),
            }),
        split_over_days: row.split_over_days,
        pause_reason: row.pause_reason,
        progress: Progress {
            counts,
            total,
            per_minute,
            eta,
        },
        created_by: row.created_by,
        created_at: rfc3339(row.created_at),
        started_at: row.started_at.map(rfc3339),
        finished_at: row.finished_at.map(rfc3339),
    })
}
