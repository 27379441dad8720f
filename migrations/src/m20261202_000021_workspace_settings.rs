//! A workspace's settings that are not a resource of their own (`workspace_settings`, one row
//! per workspace, absent until one is changed): for now, whether its `http_request` nodes
//! and event subscriptions may reach private, loopback and link-local addresses.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkspaceSettings {
    Table,
    WorkspaceId,
    AllowPrivateTargets,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkspaceSettings::Table)
                    .col(
                        ColumnDef::new(WorkspaceSettings::WorkspaceId)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(WorkspaceSettings::AllowPrivateTargets)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(WorkspaceSettings::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WorkspaceSettings::Table).to_owned())
            .await
    }
}
