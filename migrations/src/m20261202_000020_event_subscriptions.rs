//! Events out: a workspace's subscriptions (`event_subscriptions`: a URL, the key its events
//! are signed with, the event types it wants) and `event_deliveries`, which is both the
//! durable queue of events to deliver and their delivery log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventSubscriptions {
    Table,
    Id,
    WorkspaceId,
    Url,
    /// The HMAC-SHA256 key events are signed with.
    Secret,
    /// The event types wanted, a JSON array of names; empty for all.
    EventTypes,
    Description,
    Active,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventDeliveries {
    Table,
    /// A UUID v7: ordered as created.
    Id,
    SubscriptionId,
    WorkspaceId,
    /// The event's id (UUID v7), the same on every attempt: receivers de-duplicate on it.
    EventId,
    EventType,
    /// The exact JSON bytes sent and signed.
    Body,
    Attempts,
    /// When the next attempt is due; while an attempt is being made, the end of its lease.
    NextAttemptAt,
    /// `pending`, `delivered` or `failed`.
    State,
    /// The token of the process making an attempt, so only it records the outcome.
    ClaimedBy,
    LastStatus,
    LastError,
    CreatedAt,
    /// When it was queued, or re-queued by hand: retries stop a day after this.
    QueuedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventSubscriptions::Table)
                    .col(
                        ColumnDef::new(EventSubscriptions::Id)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::WorkspaceId)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventSubscriptions::Url).text().not_null())
                    .col(ColumnDef::new(EventSubscriptions::Secret).text().not_null())
                    .col(
                        ColumnDef::new(EventSubscriptions::EventTypes)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::Description)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::Active)
                            .boolean()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::CreatedBy)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventSubscriptions::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_subscriptions_workspace")
                    .table(EventSubscriptions::Table)
                    .col(EventSubscriptions::WorkspaceId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventDeliveries::Table)
                    .col(
                        ColumnDef::new(EventDeliveries::Id)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(EventDeliveries::SubscriptionId)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeliveries::WorkspaceId)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventDeliveries::EventId).text().not_null())
                    .col(ColumnDef::new(EventDeliveries::EventType).text().not_null())
                    .col(ColumnDef::new(EventDeliveries::Body).text().not_null())
                    .col(
                        ColumnDef::new(EventDeliveries::Attempts)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeliveries::NextAttemptAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(EventDeliveries::State).text().not_null())
                    .col(ColumnDef::new(EventDeliveries::ClaimedBy).text().null())
                    .col(ColumnDef::new(EventDeliveries::LastStatus).integer().null())
                    .col(ColumnDef::new(EventDeliveries::LastError).text().null())
                    .col(
                        ColumnDef::new(EventDeliveries::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeliveries::QueuedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(EventDeliveries::DeliveredAt)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        // What the delivery task asks: the pending deliveries that are due.
        manager
            .create_index(
                Index::create()
                    .name("event_deliveries_due")
                    .table(EventDeliveries::Table)
                    .col(EventDeliveries::State)
                    .col(EventDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // What the delivery log asks: a subscription's deliveries, newest first.
        manager
            .create_index(
                Index::create()
                    .name("event_deliveries_subscription")
                    .table(EventDeliveries::Table)
                    .col(EventDeliveries::SubscriptionId)
                    .col(EventDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EventDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventSubscriptions::Table).to_owned())
            .await
    }
}
