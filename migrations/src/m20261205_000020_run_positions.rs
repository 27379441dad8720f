//! Who waits where: one row per run at rest at a step (waiting for a reply, a timer, a
//! person or a call), written from the runtime's `run.waiting` notices and removed when the
//! run ends, so the editor can list the contacts waiting at a step of a flow.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RunPositions {
    Table,
    /// The runtime's contact id (with its workspace).
    ContactId,
    RunId,
    WorkspaceId,
    /// Digits of the number; empty for a contact known only by its BSUID.
    Phone,
    FlowId,
    /// The content hash of the version the run is on.
    Version,
    NodeId,
    /// `waiting_reply`, `waiting_timer`, `handoff` or `calling`.
    Status,
    /// Since when it waits there (ms).
    Since,
    /// When the wait times out, if it does (ms).
    Until,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |column| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(RunPositions::Table)
                    .col(text(RunPositions::ContactId))
                    .col(text(RunPositions::RunId))
                    .col(text(RunPositions::WorkspaceId))
                    .col(text(RunPositions::Phone))
                    .col(text(RunPositions::FlowId))
                    .col(text(RunPositions::Version))
                    .col(text(RunPositions::NodeId))
                    .col(text(RunPositions::Status))
                    .col(ColumnDef::new(RunPositions::Since).big_integer().not_null())
                    .col(ColumnDef::new(RunPositions::Until).big_integer().null())
                    .primary_key(
                        Index::create()
                            .col(RunPositions::ContactId)
                            .col(RunPositions::RunId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("run_positions_by_step")
                    .table(RunPositions::Table)
                    .col(RunPositions::WorkspaceId)
                    .col(RunPositions::FlowId)
                    .col(RunPositions::NodeId)
                    .col(RunPositions::Since)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RunPositions::Table).to_owned())
            .await
    }
}
