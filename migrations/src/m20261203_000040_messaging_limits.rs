//! A number's messaging limit (unique people reached outside their 24-hour window per rolling
//! 24 h): who was counted when (`whatsapp_reach`), and the business-initiated messages
//! waiting for the window to free a place (`whatsapp_send_queue`), kept so that the count
//! and the queue survive a restart and can be shown.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WhatsappReach {
    Table,
    ChannelId,
    /// The phone number or BSUID written to.
    Recipient,
    /// When the person was last counted (ms): counted again once 24 h have passed.
    CountedAt,
}

#[derive(DeriveIden)]
enum WhatsappSendQueue {
    Table,
    /// Queue order: oldest first.
    Id,
    ChannelId,
    /// The outbound message's idempotency key.
    MessageKey,
    ContactId,
    QueuedAt,
    /// When the sender last asked for it: an entry no one asks for any more (its contact
    /// was erased) is dropped rather than holding the queue.
    TriedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WhatsappReach::Table)
                    .col(ColumnDef::new(WhatsappReach::ChannelId).text().not_null())
                    .col(ColumnDef::new(WhatsappReach::Recipient).text().not_null())
                    .col(
                        ColumnDef::new(WhatsappReach::CountedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(WhatsappReach::ChannelId)
                            .col(WhatsappReach::Recipient),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("whatsapp_reach_by_time")
                    .table(WhatsappReach::Table)
                    .col(WhatsappReach::ChannelId)
                    .col(WhatsappReach::CountedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WhatsappSendQueue::Table)
                    .col(
                        ColumnDef::new(WhatsappSendQueue::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WhatsappSendQueue::ChannelId)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappSendQueue::MessageKey)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(WhatsappSendQueue::ContactId)
                            .text()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappSendQueue::QueuedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(WhatsappSendQueue::TriedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("whatsapp_send_queue_by_channel")
                    .table(WhatsappSendQueue::Table)
                    .col(WhatsappSendQueue::ChannelId)
                    .col(WhatsappSendQueue::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappSendQueue::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WhatsappReach::Table).to_owned())
            .await
    }
}
