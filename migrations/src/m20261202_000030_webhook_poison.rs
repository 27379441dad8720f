//! Bodies a WhatsApp webhook could never process (`webhook_poison`): signed by Meta, so
//! answered 200 (anything else only buys a week of Meta's retries), and kept here with the
//! reason so a person can look at them instead of losing them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookPoison {
    Table,
    Id,
    ChannelId,
    ReceivedAt,
    Reason,
    /// The body as received (lossy UTF-8 for a body that was not text).
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookPoison::Table)
                    .col(
                        ColumnDef::new(WebhookPoison::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WebhookPoison::ChannelId).text().not_null())
                    .col(
                        ColumnDef::new(WebhookPoison::ReceivedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(WebhookPoison::Reason).text().not_null())
                    .col(ColumnDef::new(WebhookPoison::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_poison_by_channel")
                    .table(WebhookPoison::Table)
                    .col(WebhookPoison::ChannelId)
                    .col(WebhookPoison::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookPoison::Table).to_owned())
            .await
    }
}
