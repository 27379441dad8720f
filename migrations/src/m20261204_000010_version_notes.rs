//! A published version's note: what its author said it changes ("Shorter welcome, asks for
//! the email earlier"), shown in the version history. Versions published before have none.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FlowVersions {
    Table,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FlowVersions::Table)
                    .add_column(ColumnDef::new(FlowVersions::Note).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(FlowVersions::Table)
                    .drop_column(FlowVersions::Note)
                    .to_owned(),
            )
            .await
    }
}
