//! Segments: saved audiences (conditions on the contact directory) with a name. Their
//! members are whoever matches when asked, never a stored list.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Segments {
    Table,
    Id,
    WorkspaceId,
    Name,
    Description,
    /// The conditions (JSON, `{"all": [...]}`).
    Audience,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Segments::Table)
                    .col(ColumnDef::new(Segments::Id).text().not_null().primary_key())
                    .col(ColumnDef::new(Segments::WorkspaceId).text().not_null())
                    .col(ColumnDef::new(Segments::Name).text().not_null())
                    .col(ColumnDef::new(Segments::Description).text().null())
                    .col(ColumnDef::new(Segments::Audience).text().not_null())
                    .col(ColumnDef::new(Segments::CreatedBy).text().not_null())
                    .col(ColumnDef::new(Segments::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Segments::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("segments_by_name")
                    .table(Segments::Table)
                    .col(Segments::WorkspaceId)
                    .col(Segments::Name)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Segments::Table).to_owned())
            .await
    }
}
