//! Calls to other systems that runs wait for (`runtime_calls`): committed with the run's
//! state, made outside the partition by the call executor, and deleted in the same
//! transaction that appends their answer to the log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RuntimeCalls {
    Table,
    /// The call's position, in commit order.
    Id,
    PartitionId,
    /// The pending call as JSON (its key, contact, run, wait token and request).
    Body,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuntimeCalls::Table)
                    .col(
                        ColumnDef::new(RuntimeCalls::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeCalls::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeCalls::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("runtime_calls_partition")
                    .table(RuntimeCalls::Table)
                    .col(RuntimeCalls::PartitionId)
                    .col(RuntimeCalls::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RuntimeCalls::Table).to_owned())
            .await
    }
}
