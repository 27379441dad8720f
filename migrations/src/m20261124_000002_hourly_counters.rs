//! Funnel counts by the hour, so the editor can show a funnel over any time range:
//! `runtime_stats` (one total per version, node and partition) becomes `runtime_counters`
//! (one count per version, hour, node and partition).
//!
//! Counts kept before this had no time; they are moved into the hour the migration runs in,
//! so they stay in every range that includes it. Rolling back sums the hours again.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The totals this migration replaces, as `m20261123_000001_runtime_store` created them.
#[derive(DeriveIden)]
enum RuntimeStats {
    Table,
    Version,
    Name,
    PartitionId,
    Count,
}

/// Funnel counts per flow version and hour, one row per partition so that partitions never
/// contend.
#[derive(DeriveIden)]
enum RuntimeCounters {
    Table,
    Version,
    /// The start of the hour, in ms since the epoch.
    Hour,
    /// `node|key`.
    Name,
    PartitionId,
    Count,
}

const HOUR_MS: i64 = 3_600_000;

/// The hour the migration runs in. A migration has no runtime clock to ask; the machine's is
/// what "when these counts were moved" means.
#[allow(clippy::disallowed_methods)]
fn this_hour() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| <i64 as TryFrom<u128>>::try_from(since.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default();
    now - now.rem_euclid(HOUR_MS)
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
                    .table(RuntimeCounters::Table)
                    .col(ColumnDef::new(RuntimeCounters::Version).text().not_null())
                    .col(
                        ColumnDef::new(RuntimeCounters::Hour)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeCounters::Name).text().not_null())
                    .col(
                        ColumnDef::new(RuntimeCounters::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RuntimeCounters::Count)
                            .big_integer()
                            .not_null(),
                    )
                    // Version first, then hour: a range of one version's hours is one scan.
                    .primary_key(
                        Index::create()
                            .col(RuntimeCounters::Version)
                            .col(RuntimeCounters::Hour)
                            .col(RuntimeCounters::Name)
                            .col(RuntimeCounters::PartitionId),
                    )
                    .to_owned(),
            )
            .await?;
        let copy = Query::insert()
            .into_table(RuntimeCounters::Table)
            .columns([
                RuntimeCounters::Version,
                RuntimeCounters::Hour,
                RuntimeCounters::Name,
                RuntimeCounters::PartitionId,
                RuntimeCounters::Count,
            ])
            .select_from(
                Query::select()
                    .column(RuntimeStats::Version)
                    .expr(Expr::val(this_hour()))
                    .column(RuntimeStats::Name)
                    .column(RuntimeStats::PartitionId)
                    .column(RuntimeStats::Count)
                    .from(RuntimeStats::Table)
                    .to_owned(),
            )
            .map_err(|err| DbErr::Migration(err.to_string()))?
            .to_owned();
        manager.exec_stmt(copy).await?;
        manager
            .drop_table(Table::drop().table(RuntimeStats::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuntimeStats::Table)
                    .col(ColumnDef::new(RuntimeStats::Version).text().not_null())
                    .col(ColumnDef::new(RuntimeStats::Name).text().not_null())
                    .col(
                        ColumnDef::new(RuntimeStats::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeStats::Count).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(RuntimeStats::Version)
                            .col(RuntimeStats::Name)
                            .col(RuntimeStats::PartitionId),
                    )
                    .to_owned(),
            )
            .await?;
        let sum = Query::insert()
            .into_table(RuntimeStats::Table)
            .columns([
                RuntimeStats::Version,
                RuntimeStats::Name,
                RuntimeStats::PartitionId,
                RuntimeStats::Count,
            ])
            .select_from(
                Query::select()
                    .column(RuntimeCounters::Version)
                    .column(RuntimeCounters::Name)
                    .column(RuntimeCounters::PartitionId)
                    .expr(Expr::col(RuntimeCounters::Count).sum())
                    .from(RuntimeCounters::Table)
                    .group_by_columns([
                        RuntimeCounters::Version,
                        RuntimeCounters::Name,
                        RuntimeCounters::PartitionId,
                    ])
                    .to_owned(),
            )
            .map_err(|err| DbErr::Migration(err.to_string()))?
            .to_owned();
        manager.exec_stmt(sum).await?;
        manager
            .drop_table(Table::drop().table(RuntimeCounters::Table).to_owned())
            .await
    }
}
