//! The contact alias index: which contact an identifier (a phone number, a WhatsApp BSUID)
//! belongs to, for contacts first met by one identifier and later by both.
//!
//! `runtime_contact_aliases` maps a scoped identifier key (`<workspace>/wa:<wa_id or
//! BSUID>`) to the contact id chosen when the contact was first seen. A number that names
//! the contact its own key gives needs no row, so contacts met by number keep working
//! without one. Indexed by contact id too: erasing a contact removes its aliases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RuntimeContactAliases {
    Table,
    Alias,
    ContactId,
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
                    .table(RuntimeContactAliases::Table)
                    .col(
                        ColumnDef::new(RuntimeContactAliases::Alias)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(RuntimeContactAliases::ContactId)
                            .text()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("runtime_contact_aliases_by_contact")
                    .table(RuntimeContactAliases::Table)
                    .col(RuntimeContactAliases::ContactId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RuntimeContactAliases::Table).to_owned())
            .await
    }
}
