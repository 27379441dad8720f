//! The runtime's embedded store: what the Redis store keeps under each partition's hash tag,
//! as tables keyed by partition.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row per partition: the log position applied so far, the lease and its fencing counter.
#[derive(DeriveIden)]
enum RuntimePartitions {
    Table,
    PartitionId,
    /// The position of the last event applied (0: none yet).
    Applied,
    /// The last fencing token handed out; only ever grows.
    Fence,
    /// The token of the current lease, if any.
    LeaseToken,
    /// When the current lease runs out (ms since the epoch).
    LeaseUntil,
}

/// Each partition's event log; `id` is the position (never reused, also in SQLite).
#[derive(DeriveIden)]
enum RuntimeEvents {
    Table,
    Id,
    PartitionId,
    /// The event as JSON.
    Body,
}

/// Inbound de-duplication keys, until they expire.
#[derive(DeriveIden)]
enum RuntimeSeen {
    Table,
    PartitionId,
    DedupeKey,
    ExpiresAt,
}

/// Each contact's state (contact, runs) as JSON.
#[derive(DeriveIden)]
enum RuntimeContacts {
    Table,
    ContactId,
    PartitionId,
    State,
}

/// Scheduled timers; `member` is the encoded timer reference.
#[derive(DeriveIden)]
enum RuntimeTimers {
    Table,
    Member,
    PartitionId,
    ContactId,
    Due,
}

/// Messages committed but not yet sent, in order.
#[derive(DeriveIden)]
enum RuntimeOutbox {
    Table,
    Id,
    PartitionId,
    /// The outbound message as JSON.
    Body,
}

/// Funnel counts per flow version, one row per partition so that partitions never contend.
#[derive(DeriveIden)]
enum RuntimeStats {
    Table,
    Version,
    /// `node|key`.
    Name,
    PartitionId,
    Count,
}

fn index(name: &str, table: impl IntoIden, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(Alias::new(*column));
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All tables or none, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RuntimePartitions::Table)
                    .col(
                        ColumnDef::new(RuntimePartitions::PartitionId)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimePartitions::Applied)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(
                        ColumnDef::new(RuntimePartitions::Fence)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(ColumnDef::new(RuntimePartitions::LeaseToken).big_integer())
                    .col(
                        ColumnDef::new(RuntimePartitions::LeaseUntil)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuntimeEvents::Table)
                    .col(
                        ColumnDef::new(RuntimeEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeEvents::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeEvents::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "runtime_events_partition",
                RuntimeEvents::Table,
                &["partition_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuntimeSeen::Table)
                    .col(
                        ColumnDef::new(RuntimeSeen::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeSeen::DedupeKey).text().not_null())
                    .col(
                        ColumnDef::new(RuntimeSeen::ExpiresAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(RuntimeSeen::PartitionId)
                            .col(RuntimeSeen::DedupeKey),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "runtime_seen_expiry",
                RuntimeSeen::Table,
                &["expires_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuntimeContacts::Table)
                    .col(
                        ColumnDef::new(RuntimeContacts::ContactId)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeContacts::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeContacts::State).text().not_null())
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuntimeTimers::Table)
                    .col(
                        ColumnDef::new(RuntimeTimers::Member)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeTimers::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeTimers::ContactId).text().not_null())
                    .col(ColumnDef::new(RuntimeTimers::Due).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "runtime_timers_due",
                RuntimeTimers::Table,
                &["partition_id", "due"],
            ))
            .await?;
        manager
            .create_index(index(
                "runtime_timers_contact",
                RuntimeTimers::Table,
                &["contact_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RuntimeOutbox::Table)
                    .col(
                        ColumnDef::new(RuntimeOutbox::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeOutbox::PartitionId)
                            .integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RuntimeOutbox::Body).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "runtime_outbox_partition",
                RuntimeOutbox::Table,
                &["partition_id", "id"],
            ))
            .await?;

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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RuntimeStats::Table.into_iden(),
            RuntimeOutbox::Table.into_iden(),
            RuntimeTimers::Table.into_iden(),
            RuntimeContacts::Table.into_iden(),
            RuntimeSeen::Table.into_iden(),
            RuntimeEvents::Table.into_iden(),
            RuntimePartitions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
