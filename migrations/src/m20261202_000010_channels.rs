//! Each workspace's WhatsApp channels (`whatsapp_channels`): a Cloud API phone number with its
//! credentials and limits. The access token, app secret and verify token are stored sealed
//! (`v1:…`, encrypted with the server's key), never in clear. A phone number belongs to one
//! channel in the whole database, and a workspace has at most one default channel.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WhatsappChannels {
    Table,
    /// `ch_` and 16 hex digits; part of the public webhook URL `/webhooks/whatsapp/{id}`.
    Id,
    WorkspaceId,
    DisplayName,
    /// Meta's id of the business phone number (not the number itself).
    PhoneNumberId,
    /// The WhatsApp Business Account the number belongs to.
    WabaId,
    /// Sealed.
    AccessToken,
    /// Sealed; signs Meta's webhook POSTs.
    AppSecret,
    /// Sealed; answers Meta's webhook verification handshake.
    VerifyToken,
    /// The Graph API version requests go to, e.g. `v25.0`.
    ApiVersion,
    /// Messages per second Meta accepts from this number.
    ThroughputPerSecond,
    /// Unique contacts a business-initiated send may reach in a rolling 24 h.
    MessagingLimit,
    /// Marketing templates go through `/marketing_messages` rather than `/messages`.
    MarketingMessagesApi,
    IsDefault,
    /// Why sending is paused (Meta rejected the token); null while it sends.
    PausedReason,
    /// Meta's quality rating of the number (GREEN, YELLOW, RED), when known.
    QualityRating,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappChannels as C;
        let text = |column: C| ColumnDef::new(column).text().not_null().to_owned();
        let millis = |column: C| ColumnDef::new(column).big_integer().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(C::Table)
                    .col(text(C::Id).primary_key())
                    .col(text(C::WorkspaceId))
                    .col(text(C::DisplayName))
                    .col(text(C::PhoneNumberId))
                    .col(text(C::WabaId))
                    .col(text(C::AccessToken))
                    .col(text(C::AppSecret))
                    .col(text(C::VerifyToken))
                    .col(text(C::ApiVersion))
                    .col(ColumnDef::new(C::ThroughputPerSecond).integer().not_null())
                    .col(ColumnDef::new(C::MessagingLimit).big_integer().not_null())
                    .col(
                        ColumnDef::new(C::MarketingMessagesApi)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(ColumnDef::new(C::IsDefault).boolean().not_null())
                    .col(ColumnDef::new(C::PausedReason).text().null())
                    .col(ColumnDef::new(C::QualityRating).text().null())
                    .col(millis(C::CreatedAt))
                    .col(text(C::CreatedBy))
                    .col(millis(C::UpdatedAt))
                    .col(text(C::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        // One number, one channel: inbound messages and statuses are routed by it.
        manager
            .create_index(
                Index::create()
                    .name("whatsapp_channels_phone_number")
                    .table(C::Table)
                    .col(C::PhoneNumberId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("whatsapp_channels_workspace")
                    .table(C::Table)
                    .col(C::WorkspaceId)
                    .to_owned(),
            )
            .await?;
        // At most one default per workspace, held by the database rather than by care.
        manager
            .create_index(
                Index::create()
                    .name("whatsapp_channels_one_default")
                    .table(C::Table)
                    .col(C::WorkspaceId)
                    .unique()
                    .and_where(Expr::col(C::IsDefault).eq(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappChannels::Table).to_owned())
            .await
    }
}
