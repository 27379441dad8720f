//! Broadcast campaigns: one published flow (its `broadcast` trigger) sent to an audience,
//! now or at a time, paced by WhatsApp's limits and checked per recipient.
//!
//! A campaign is a row (`campaigns`) that goes draft → scheduled → sending ⇄ paused →
//! completed, or cancelled at any point. When it starts sending, its audience is resolved
//! once into recipient rows (`campaign_recipients`), each due at its own time (the
//! campaign's, or that time in the recipient's zone, outside quiet hours, spread over days
//! when the messaging limit asks). The [`driver`] hands due recipients to the runtime as
//! `Broadcast` events, keyed by campaign, contact and attempt, so a recipient handed over
//! twice (a crash between the hand-over and its note) is started once; a lease makes one
//! server drive a campaign at a time. Consent and suppression are checked at the hand-over,
//! against the template's category now; the runtime's own gates, the number's throughput
//! and the pair rate apply to the sends as to any journey's. The [`observer`] follows each
//! recipient from the runtime's notices: sent (wamid), delivered, read, replied, failed —
//! a 131049 is tried again a day later (once), a paused template pauses the campaign.

pub mod driver;
pub mod observer;
pub mod preflight;
pub mod schedule;

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use spool_flows::NodeKind;
use spool_flows::config::TemplateCategory;
use spool_nodes::Contact;

use crate::db::campaign_recipient;
use crate::state::AppState;

pub const DRAFT: &str = "draft";
pub const SCHEDULED: &str = "scheduled";
pub const SENDING: &str = "sending";
pub const PAUSED: &str = "paused";
pub const COMPLETED: &str = "completed";
pub const CANCELLED: &str = "cancelled";

/// Recipient states, in the order a message goes through them.
pub const QUEUED: &str = "queued";
pub const SKIPPED: &str = "skipped";
pub const HANDED: &str = "handed";
/// The journey ran for the recipient and ended without sending a message.
pub const FINISHED: &str = "finished";
/// The journey gave WhatsApp a message for them; WhatsApp has not said it was sent yet.
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DELIVERED: &str = "delivered";
pub const READ: &str = "read";
pub const REPLIED: &str = "replied";
pub const FAILED: &str = "failed";

/// Hand-overs per recipient at most: the first, and one retry a day after a 131049.
pub const MAX_ATTEMPTS: i32 = 2;

/// How many recipients are in each state.
pub async fn counts(
    db: &impl ConnectionTrait,
    campaign: &str,
) -> Result<BTreeMap<String, u64>, DbErr> {
    use campaign_recipient::Column as R;
    let rows: Vec<(String, i64)> = campaign_recipient::Entity::find()
        .select_only()
        .column(R::State)
        .column_as(R::ContactId.count(), "n")
        .filter(R::CampaignId.eq(campaign))
        .group_by(R::State)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(state, n)| (state, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Whether the flow sends a Marketing template, by the templates' category now (Meta's
/// word when the catalog knows the template, else the flow's): its recipients then need
/// Marketing consent.
pub fn sends_marketing(state: &AppState, workspace: &str, flow_id: &str) -> bool {
    let scoped = spool_runtime::ScopedId::new(workspace, flow_id);
    let Some(flow) = state.published.registry().published(scoped.as_str()) else {
        return false;
    };
    // A contact of the workspace with no number of its own: its templates are those of the
    // workspace's default number.
    let someone = Contact::new(format!("{workspace}/campaign"), "");
    let catalog = state.templates.catalog();
    flow.flow().nodes.iter().any(|node| match &node.kind {
        NodeKind::SendTemplate(send) => {
            match spool_nodes::TemplateCatalog::template(catalog.as_ref(), &someone, &send.name) {
                Some(facts) if !facts.approved.is_empty() => facts
                    .approved
                    .iter()
                    .any(|t| t.category == Some(spool_nodes::TemplateCategory::Marketing)),
                _ => send.category == TemplateCategory::Marketing,
            }
        }
        _ => false,
    })
}
