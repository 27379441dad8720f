//! Contact imports: a CSV file uploaded once, then checked (a dry run) and imported with a
//! column mapping, in the background, with its progress and report kept here. The file is
//! dropped once imported: only the counts and the first rejections stay.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContactImports {
    Table,
    Id,
    WorkspaceId,
    FileName,
    /// The file as uploaded; emptied once imported.
    File,
    /// The file's columns and delimiter, and the suggested mapping (JSON).
    Sniffed,
    /// What the import was started with: the mapping, the default country, the basis of
    /// consent (JSON); null until started.
    Plan,
    /// `uploaded`, `importing`, `done` or `failed`.
    State,
    /// Rows read so far (the import goes on from here after a restart).
    Processed,
    /// The counts and first rejections (JSON).
    Report,
    Error,
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
                    .table(ContactImports::Table)
                    .col(
                        ColumnDef::new(ContactImports::Id)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ContactImports::WorkspaceId)
                            .text()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContactImports::FileName).text().not_null())
                    .col(ColumnDef::new(ContactImports::File).binary().not_null())
                    .col(ColumnDef::new(ContactImports::Sniffed).text().not_null())
                    .col(ColumnDef::new(ContactImports::Plan).text().null())
                    .col(ColumnDef::new(ContactImports::State).text().not_null())
                    .col(
                        ColumnDef::new(ContactImports::Processed)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(ContactImports::Report).text().null())
                    .col(ColumnDef::new(ContactImports::Error).text().null())
                    .col(ColumnDef::new(ContactImports::CreatedBy).text().not_null())
                    .col(
                        ColumnDef::new(ContactImports::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(ContactImports::UpdatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_imports_by_workspace")
                    .table(ContactImports::Table)
                    .col(ContactImports::WorkspaceId)
                    .col(ContactImports::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ContactImports::Table).to_owned())
            .await
    }
}
