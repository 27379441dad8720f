//! One delivery per event per subscription: the runtime tells of a batch's runs and
//! messages before it commits the batch, so a batch applied again tells them again, with
//! the same event ids; this index lets the second telling add nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventDeliveries {
    Table,
    SubscriptionId,
    EventId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("event_deliveries_once")
                    .table(EventDeliveries::Table)
                    .col(EventDeliveries::SubscriptionId)
                    .col(EventDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("event_deliveries_once")
                    .table(EventDeliveries::Table)
                    .to_owned(),
            )
            .await
    }
}
