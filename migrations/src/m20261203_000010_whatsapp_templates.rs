//! The message templates of each WhatsApp Business Account (`whatsapp_templates`), as Meta
//! listed them at the last sync and as its webhooks changed them since, and when each
//! account was last synced (`whatsapp_template_syncs`). Sends, the publish check and the
//! template API read these rather than Meta, whose template listing is limited to 200 calls
//! an hour per account.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WhatsappTemplates {
    Table,
    /// The WhatsApp Business Account the template belongs to: channels sharing it share
    /// its templates.
    WabaId,
    Name,
    /// As sends spell it: `en_US`, `pt_BR`, `en`.
    Language,
    /// Meta's id of this translation.
    TemplateId,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, …
    Status,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`, as Meta files it now.
    Category,
    /// `POSITIONAL` or `NAMED`, when Meta says.
    ParameterFormat,
    /// Meta's components, as JSON text.
    Components,
    /// What each part takes (count, format, names), as JSON text.
    Parameters,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`, once Meta rated it.
    Quality,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WhatsappTemplateSyncs {
    Table,
    WabaId,
    /// When a sync last succeeded; null until one does.
    SyncedAt,
    /// When a sync was last tried, successful or not: on-demand syncs are spaced by it.
    AttemptedAt,
    /// Why the last sync failed; null when it succeeded.
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use WhatsappTemplates as T;
        let text = |column: T| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(T::Table)
                    .col(text(T::WabaId))
                    .col(text(T::Name))
                    .col(text(T::Language))
                    .col(text(T::TemplateId))
                    .col(text(T::Status))
                    .col(text(T::Category))
                    .col(ColumnDef::new(T::ParameterFormat).text().null())
                    .col(text(T::Components))
                    .col(text(T::Parameters))
                    .col(ColumnDef::new(T::Quality).text().null())
                    .col(ColumnDef::new(T::UpdatedAt).big_integer().not_null())
                    .primary_key(Index::create().col(T::WabaId).col(T::Name).col(T::Language))
                    .to_owned(),
            )
            .await?;
        use WhatsappTemplateSyncs as S;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(ColumnDef::new(S::WabaId).text().not_null().primary_key())
                    .col(ColumnDef::new(S::SyncedAt).big_integer().null())
                    .col(ColumnDef::new(S::AttemptedAt).big_integer().null())
                    .col(ColumnDef::new(S::LastError).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WhatsappTemplateSyncs::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WhatsappTemplates::Table).to_owned())
            .await
    }
}
