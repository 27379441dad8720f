//! Broadcast campaigns and their recipients.
//!
//! A campaign sends one published flow (started by its `broadcast` trigger) to an audience,
//! now or at a time (optionally at that time in each recipient's own zone, outside quiet
//! hours). Its recipients are written when it starts sending, one row each, and each row
//! follows its person: queued (with when it is due), skipped (and why), handed to the
//! runtime, sent (wamid), delivered, read, replied, failed (code). A lease names the one
//! server that drives a campaign at a time.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    WorkspaceId,
    Name,
    FlowId,
    /// The segment it was made for, if any (its conditions are copied into `audience`
    /// when it starts sending).
    SegmentId,
    /// The conditions (JSON), or null with `phones`.
    Audience,
    /// A list of numbers (JSON), or null.
    Phones,
    /// `draft`, `scheduled`, `sending`, `paused`, `completed` or `cancelled`.
    State,
    /// When to send (ms); null: as soon as it is started.
    SendAt,
    /// Send at `send_at`'s time of day in each recipient's zone.
    LocalTime,
    /// The zone `send_at` is read in, and recipients without a zone of their own get.
    Timezone,
    /// Quiet hours in the recipient's zone, minutes from midnight (start and end).
    QuietStart,
    QuietEnd,
    /// Spread over days when the messaging limit would be passed, instead of refusing.
    SplitOverDays,
    /// Why it was paused (by whom, or WhatsApp's reason).
    PauseReason,
    LeaseOwner,
    LeaseUntil,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum CampaignRecipients {
    Table,
    CampaignId,
    ContactId,
    WorkspaceId,
    /// Digits of the number.
    Phone,
    /// `queued`, `skipped`, `handed`, `sent`, `delivered`, `read`, `replied` or `failed`.
    State,
    /// Why it was skipped or failed (`no_opt_in`, `suppressed`, WhatsApp's code…).
    Reason,
    /// When it is due (ms).
    DueAt,
    /// Hand-overs so far (a retry after 131049 is the second).
    Attempts,
    RunId,
    Wamid,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |column: Campaigns| ColumnDef::new(column).text().not_null().to_owned();
        let optional = |column: Campaigns| ColumnDef::new(column).text().null().to_owned();
        let millis = |column: Campaigns| ColumnDef::new(column).big_integer().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Campaigns::Table)
                    .col(text(Campaigns::Id).primary_key().to_owned())
                    .col(text(Campaigns::WorkspaceId))
                    .col(text(Campaigns::Name))
                    .col(text(Campaigns::FlowId))
                    .col(optional(Campaigns::SegmentId))
                    .col(optional(Campaigns::Audience))
                    .col(optional(Campaigns::Phones))
                    .col(text(Campaigns::State))
                    .col(millis(Campaigns::SendAt))
                    .col(ColumnDef::new(Campaigns::LocalTime).boolean().not_null())
                    .col(text(Campaigns::Timezone))
                    .col(ColumnDef::new(Campaigns::QuietStart).integer().null())
                    .col(ColumnDef::new(Campaigns::QuietEnd).integer().null())
                    .col(
                        ColumnDef::new(Campaigns::SplitOverDays)
                            .boolean()
                            .not_null(),
                    )
                    .col(optional(Campaigns::PauseReason))
                    .col(optional(Campaigns::LeaseOwner))
                    .col(millis(Campaigns::LeaseUntil))
                    .col(text(Campaigns::CreatedBy))
                    .col(
                        ColumnDef::new(Campaigns::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Campaigns::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(millis(Campaigns::StartedAt))
                    .col(millis(Campaigns::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaigns_by_state")
                    .table(Campaigns::Table)
                    .col(Campaigns::State)
                    .col(Campaigns::SendAt)
                    .to_owned(),
            )
            .await?;
        let text = |column: CampaignRecipients| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(CampaignRecipients::Table)
                    .col(text(CampaignRecipients::CampaignId))
                    .col(text(CampaignRecipients::ContactId))
                    .col(text(CampaignRecipients::WorkspaceId))
                    .col(text(CampaignRecipients::Phone))
                    .col(text(CampaignRecipients::State))
                    .col(ColumnDef::new(CampaignRecipients::Reason).text().null())
                    .col(
                        ColumnDef::new(CampaignRecipients::DueAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CampaignRecipients::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(CampaignRecipients::RunId).text().null())
                    .col(ColumnDef::new(CampaignRecipients::Wamid).text().null())
                    .col(
                        ColumnDef::new(CampaignRecipients::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CampaignRecipients::CampaignId)
                            .col(CampaignRecipients::ContactId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaign_recipients_due")
                    .table(CampaignRecipients::Table)
                    .col(CampaignRecipients::CampaignId)
                    .col(CampaignRecipients::State)
                    .col(CampaignRecipients::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("campaign_recipients_by_contact")
                    .table(CampaignRecipients::Table)
                    .col(CampaignRecipients::ContactId)
                    .col(CampaignRecipients::RunId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CampaignRecipients::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
