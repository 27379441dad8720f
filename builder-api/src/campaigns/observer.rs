//! Follows each campaign recipient from the runtime's notices, in the batch that raised
//! them: the run the broadcast started, its message sent (with the wamid), delivered, read,
//! a reply, a failure (a 131049 tried again a day later, once; a paused or disabled
//! template pausing the campaign), or the journey ending without a message. States only
//! move forward, so a notice told twice (a batch applied again) changes nothing.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde_json::Value;
use spool_nodes::DAY;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use super::{
    DELIVERED, FAILED, FINISHED, HANDED, MAX_ATTEMPTS, PAUSED, PENDING, QUEUED, READ, REPLIED,
    SENDING, SENT,
};
use crate::db::{campaign, campaign_recipient};

/// WhatsApp's per-person limit on Marketing messages: try again no sooner than a day later.
const PER_USER_LIMIT: &str = "131049";
/// The template was paused (132015) or disabled (132016) for its quality.
const TEMPLATE_PAUSED: [&str; 2] = ["132015", "132016"];

#[derive(Debug)]
pub struct Campaigns {
    db: DatabaseConnection,
}

impl Campaigns {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// The states a recipient may be in before reaching `state`.
fn before(state: &str) -> &'static [&'static str] {
    match state {
        PENDING => &[QUEUED, HANDED, FINISHED],
        SENT => &[QUEUED, HANDED, PENDING, FINISHED],
        DELIVERED => &[QUEUED, HANDED, PENDING, FINISHED, SENT],
        READ => &[QUEUED, HANDED, PENDING, FINISHED, SENT, DELIVERED],
        REPLIED => &[PENDING, SENT, DELIVERED, READ],
        _ => &[QUEUED, HANDED],
    }
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

impl Campaigns {
    async fn take(&self, notice: &Notice) -> Result<(), DbErr> {
        use campaign_recipient::Column as R;
        let run = notice.data.get("run").unwrap_or(&Value::Null);
        let message = notice.data.get("message").unwrap_or(&Value::Null);
        let contact = notice.contact_id.as_str();
        let update = || {
            campaign_recipient::Entity::update_many().col_expr(R::UpdatedAt, Expr::value(notice.at))
        };
        match notice.kind {
            NoticeKind::RunStarted => {
                let (Some(campaign), Some(run_id)) = (text(run, "campaign_id"), text(run, "id"))
                else {
                    return Ok(());
                };
                update()
                    .col_expr(R::RunId, Expr::value(run_id))
                    .col_expr(R::State, Expr::value(HANDED))
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::State.is_in([QUEUED, HANDED]))
                    .exec(&self.db)
                    .await?;
            }
            NoticeKind::RunFinished | NoticeKind::RunFailed => {
                let (Some(campaign), Some(run_id)) = (text(run, "campaign_id"), text(run, "id"))
                else {
                    return Ok(());
                };
                let (state, reason) = if notice.kind == NoticeKind::RunFailed {
                    (FAILED, text(run, "reason").unwrap_or("the journey failed"))
                } else {
                    (FINISHED, "no_message")
                };
                update()
                    .col_expr(R::State, Expr::value(state))
                    .col_expr(R::Reason, Expr::value(reason))
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::RunId.eq(run_id))
                    .filter(R::State.eq(HANDED))
                    .exec(&self.db)
                    .await?;
            }
            NoticeKind::MessageQueued => {
                let Some(campaign) = text(message, "campaign_id") else {
                    return Ok(());
                };
                update()
                    .col_expr(R::State, Expr::value(PENDING))
                    .col_expr(R::Reason, Expr::value(Option::<String>::None))
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::State.is_in(before(PENDING).iter().copied()))
                    .exec(&self.db)
                    .await?;
            }
            NoticeKind::MessageSent | NoticeKind::MessageDelivered | NoticeKind::MessageRead => {
                let Some(campaign) = text(message, "campaign_id") else {
                    return Ok(());
                };
                let state = notice.kind.as_str().trim_start_matches("message.");
                let state = match state {
                    "sent" => SENT,
                    "delivered" => DELIVERED,
                    _ => READ,
                };
                let mut change = update().col_expr(R::State, Expr::value(state));
                if let Some(wamid) = text(message, "wamid") {
                    change = change.col_expr(R::Wamid, Expr::value(wamid));
                }
                change
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::State.is_in(before(state).iter().copied()))
                    .exec(&self.db)
                    .await?;
            }
            NoticeKind::MessageFailed => {
                let Some(campaign) = text(message, "campaign_id") else {
                    return Ok(());
                };
                let code = message
                    .get("error")
                    .and_then(|error| text(error, "code"))
                    .unwrap_or("failed");
                let recipient = campaign_recipient::Entity::find()
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .one(&self.db)
                    .await?;
                let Some(recipient) = recipient else {
                    return Ok(());
                };
                let retry = code == PER_USER_LIMIT && recipient.attempts < MAX_ATTEMPTS;
                let mut change = update().col_expr(R::Reason, Expr::value(code));
                change = if retry {
                    change
                        .col_expr(R::State, Expr::value(QUEUED))
                        .col_expr(R::DueAt, Expr::value(notice.at + DAY))
                        .col_expr(R::RunId, Expr::value(Option::<String>::None))
                } else {
                    change.col_expr(R::State, Expr::value(FAILED))
                };
                change
                    .filter(R::CampaignId.eq(campaign))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::State.is_in([QUEUED, HANDED, PENDING, SENT]))
                    .exec(&self.db)
                    .await?;
                if TEMPLATE_PAUSED.contains(&code) {
                    pause(
                        &self.db,
                        campaign,
                        "WhatsApp paused the campaign's template for its quality (error "
                            .to_owned()
                            + code
                            + ")",
                        notice.at,
                    )
                    .await?;
                }
            }
            NoticeKind::MessageReceived => {
                update()
                    .col_expr(R::State, Expr::value(REPLIED))
                    .filter(R::ContactId.eq(contact))
                    .filter(R::RunId.is_not_null())
                    .filter(R::State.is_in(before(REPLIED).iter().copied()))
                    .exec(&self.db)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Pauses a sending campaign, saying why.
pub async fn pause(
    db: &DatabaseConnection,
    campaign: &str,
    reason: impl Into<String>,
    at: i64,
) -> Result<u64, DbErr> {
    use campaign::Column as C;
    Ok(campaign::Entity::update_many()
        .col_expr(C::State, Expr::value(PAUSED))
        .col_expr(C::PauseReason, Expr::value(reason.into()))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .filter(C::Id.eq(campaign))
        .filter(Condition::any().add(C::State.eq(SENDING)))
        .exec(db)
        .await?
        .rows_affected)
}

#[async_trait]
impl Observer for Campaigns {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        for notice in notices {
            self.take(notice)
                .await
                .map_err(|err| spool_runtime::Error::Observer(err.to_string()))?;
        }
        Ok(())
    }
}
