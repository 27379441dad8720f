//! What changed in what is published, in order, so a process keeping its published flows in
//! step with the database reads only what changed since it last looked instead of every
//! version ever published.
//!
//! `publication_changes` gets one row per publish, rollback, unpublish or deletion of a live
//! flow, numbered by `publication_counter`'s single row, which each of those transactions
//! increments: the row lock it takes makes numbers follow commit order, so a reader that has
//! seen change `n` has seen every change before it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row (`id` 1): the number of the last change.
#[derive(DeriveIden)]
enum PublicationCounter {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum PublicationChanges {
    Table,
    /// From `publication_counter`; increasing in commit order.
    Seq,
    WorkspaceId,
    FlowId,
    /// The version new runs start on from now, or null when the flow no longer starts runs.
    Version,
    /// Milliseconds since the epoch.
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PublicationCounter::Table)
                    .col(
                        ColumnDef::new(PublicationCounter::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PublicationCounter::Seq)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO publication_counter (id, seq) VALUES (1, 0)")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PublicationChanges::Table)
                    .col(
                        ColumnDef::new(PublicationChanges::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(PublicationChanges::WorkspaceId)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(PublicationChanges::FlowId).text().not_null())
                    .col(ColumnDef::new(PublicationChanges::Version).integer())
                    .col(
                        ColumnDef::new(PublicationChanges::ChangedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PublicationChanges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PublicationCounter::Table).to_owned())
            .await
    }
}
