//! The consent ledger and the suppression list.
//!
//! `consent_events` is append-only: one row per opt-in or opt-out of a contact, per category,
//! with where it came from, who made it, the basis stated and the text shown, so that
//! consent can be shown to have been given. The runtime's gates read the latest state (kept
//! in the contact's state in the store); the ledger is its history. Erasing a contact
//! deletes its rows.
//!
//! `suppressions` outlives erasure: a keyed hash (HMAC-SHA256 with the workspace's key in
//! `suppression_keys`) of a number or BSUID that must never be imported again or sent a
//! broadcast, with why and since when. It holds no number.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConsentEvents {
    Table,
    Id,
    /// The runtime notice it was written from: a notice applied twice is kept once.
    NoticeId,
    WorkspaceId,
    ContactId,
    /// Digits of the number at the time.
    Phone,
    /// `marketing` or `utility`.
    Category,
    OptedIn,
    /// `keyword`, `flow`, `api`, `operator`, `import`, `user_preferences`, `131050`…
    Source,
    Actor,
    Basis,
    Text,
    At,
}

#[derive(DeriveIden)]
enum Suppressions {
    Table,
    WorkspaceId,
    /// Hex HMAC-SHA256 of `phone:<digits>` or `bsuid:<id>` under the workspace's key.
    Key,
    /// `erased` or `objected`.
    Reason,
    At,
}

#[derive(DeriveIden)]
enum SuppressionKeys {
    Table,
    WorkspaceId,
    /// 32 random bytes, hex.
    Secret,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn optional(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsentEvents::Table)
                    .col(
                        ColumnDef::new(ConsentEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(ConsentEvents::NoticeId).unique_key().to_owned())
                    .col(text(ConsentEvents::WorkspaceId))
                    .col(text(ConsentEvents::ContactId))
                    .col(text(ConsentEvents::Phone))
                    .col(text(ConsentEvents::Category))
                    .col(ColumnDef::new(ConsentEvents::OptedIn).boolean().not_null())
                    .col(text(ConsentEvents::Source))
                    .col(optional(ConsentEvents::Actor))
                    .col(optional(ConsentEvents::Basis))
                    .col(optional(ConsentEvents::Text))
                    .col(ColumnDef::new(ConsentEvents::At).big_integer().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("consent_events_by_contact")
                    .table(ConsentEvents::Table)
                    .col(ConsentEvents::ContactId)
                    .col(ConsentEvents::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Suppressions::Table)
                    .col(text(Suppressions::WorkspaceId))
                    .col(text(Suppressions::Key))
                    .col(text(Suppressions::Reason))
                    .col(ColumnDef::new(Suppressions::At).big_integer().not_null())
                    .primary_key(
                        Index::create()
                            .col(Suppressions::WorkspaceId)
                            .col(Suppressions::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SuppressionKeys::Table)
                    .col(text(SuppressionKeys::WorkspaceId).primary_key().to_owned())
                    .col(text(SuppressionKeys::Secret))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SuppressionKeys::Table.into_iden(),
            Suppressions::Table.into_iden(),
            ConsentEvents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
