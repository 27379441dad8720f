//! Each workspace's AI model endpoint (`ai_models`): an OpenAI-compatible base URL, the model
//! asked when an agent names none, and the name of the workspace secret holding the API key
//! (the key itself stays in `secrets`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AiModels {
    Table,
    WorkspaceId,
    BaseUrl,
    DefaultModel,
    /// The name of the secret holding the API key; null for an endpoint without a key.
    ApiKeySecret,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AiModels::Table)
                    .col(
                        ColumnDef::new(AiModels::WorkspaceId)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AiModels::BaseUrl).text().not_null())
                    .col(ColumnDef::new(AiModels::DefaultModel).text().not_null())
                    .col(ColumnDef::new(AiModels::ApiKeySecret).text().null())
                    .col(ColumnDef::new(AiModels::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AiModels::Table).to_owned())
            .await
    }
}
