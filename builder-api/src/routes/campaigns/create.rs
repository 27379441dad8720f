//! Making a campaign: a draft for a published flow with a broadcast trigger, an audience
//! (a segment, conditions or numbers) and its timing, each checked with a clear error.

use actix_web::{HttpResponse, web};
use sea_orm::{ActiveModelTrait, Set};
use serde::Deserialize;
use spool_flows::NodeKind;
use utoipa::ToSchema;

use super::bad;
use super::view::{CampaignView, QuietHours, minutes, view};
use crate::auth::{Caller, Role};
use crate::campaigns::{self, schedule::zone};
use crate::db::campaign;
use crate::directory::Audience;
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::parse_rfc3339;

/// A campaign to make (a draft until started).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    /// A published flow whose trigger is `broadcast`.
    pub flow_id: String,
    /// Who: a segment, or conditions, or numbers (one of them).
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    /// When (RFC 3339); as soon as it is started when absent.
    #[serde(default)]
    pub send_at: Option<String>,
    /// Send at `send_at`'s time of day in each recipient's own zone.
    #[serde(default)]
    pub local_time: bool,
    /// The zone `send_at` is read in for local time, and of recipients without one (IANA,
    /// `UTC` when absent).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Quiet hours in the recipient's zone, e.g. `"21:00"` to `"08:00"`.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Over the number's messaging limit: spread over days (true) or refuse (false).
    #[serde(default)]
    pub split_over_days: bool,
}

/// Makes a campaign (a draft: nothing is sent until it is started).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns", tag = "campaigns", operation_id = "create_campaign",
    params(("workspace" = String, Path)),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 400), (status = 403))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let new = parse_json::<NewCampaign>(&body)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            Code::InvalidName,
            "A campaign's name is 1 to 100 characters.",
        ));
    }
    let scoped = spool_runtime::ScopedId::new(&caller.workspace, &new.flow_id);
    let flow = state
        .published
        .registry()
        .published(scoped.as_str())
        .ok_or_else(|| {
            bad(
                Code::NotPublished,
                format!("Flow {:?} is not published: publish it first.", new.flow_id),
            )
        })?;
    if !flow
        .flow()
        .nodes
        .iter()
        .any(|node| matches!(node.kind, NodeKind::Broadcast(_)))
    {
        return Err(bad(
            Code::InvalidCampaign,
            format!(
                "Flow {:?} has no broadcast trigger: a campaign starts a flow at its broadcast step.",
                new.flow_id
            ),
        ));
    }
    let given = [
        new.segment_id.is_some(),
        new.audience.is_some(),
        new.phones.is_some(),
    ];
    if given.iter().filter(|given| **given).count() != 1 {
        return Err(bad(
            Code::InvalidCampaign,
            "Say who it is for with exactly one of `segment_id`, `audience` and `phones`.",
        ));
    }
    let audience = match (&new.segment_id, new.audience) {
        (Some(segment), _) => {
            let row = crate::routes::segments::found(&state, &caller.workspace, segment).await?;
            Some(crate::routes::segments::audience_of(&row))
        }
        (None, Some(audience)) => {
            audience.check().map_err(|invalid| {
                bad(
                    Code::InvalidAudience,
                    format!("The audience cannot be used: {invalid}."),
                )
            })?;
            Some(audience)
        }
        (None, None) => None,
    };
    let phones = match new.phones {
        Some(phones) => {
            let mut digits = Vec::with_capacity(phones.len());
            for raw in &phones {
                digits.push(
                    crate::routes::contacts::phone_in_body(raw)?
                        .digits()
                        .to_owned(),
                );
            }
            Some(digits)
        }
        None => None,
    };
    let send_at = match new.send_at.as_deref() {
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| {
            bad(
                Code::InvalidCampaign,
                format!("`send_at` is an RFC 3339 time; {text:?} is not."),
            )
        })?),
        None => None,
    };
    let timezone = new.timezone.unwrap_or_else(|| "UTC".into());
    if zone(&timezone).is_none() {
        return Err(bad(
            Code::InvalidCampaign,
            format!("`timezone` is an IANA zone such as Europe/Lisbon; {timezone:?} is not."),
        ));
    }
    let quiet =
        match &new.quiet_hours {
            Some(hours) => Some(minutes(&hours.start).zip(minutes(&hours.end)).ok_or_else(
                || {
                    bad(
                        Code::InvalidCampaign,
                        "Quiet hours are written `21:00` to `08:00`.",
                    )
                },
            )?),
            None => None,
        };
    let now = state.now();
    let row = campaign::ActiveModel {
        id: Set(format!("cmp_{}", uuid::Uuid::now_v7().simple())),
        workspace_id: Set(caller.workspace.clone()),
        name: Set(name),
        flow_id: Set(new.flow_id),
        segment_id: Set(new.segment_id),
        audience: Set(audience.map(|a| serde_json::to_string(&a).unwrap_or_default())),
        phones: Set(phones.map(|p| serde_json::to_string(&p).unwrap_or_default())),
        state: Set(campaigns::DRAFT.into()),
        send_at: Set(send_at),
        local_time: Set(new.local_time),
        timezone: Set(timezone),
        quiet_start: Set(quiet.map(|(start, _)| start)),
        quiet_end: Set(quiet.map(|(_, end)| end)),
        split_over_days: Set(new.split_over_days),
        pause_reason: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        created_by: Set(caller.actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Created().json(view(&state, row).await?))
}
