//! The builder's tables: workspaces and the people and machines that act in them, flows
//! (drafts) and their immutable published versions, workspace secrets, and the audit log.
//! Times are milliseconds since the epoch, as everywhere else in Spool.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A workspace; `id` is its slug (letters, digits, `-`), part of every URL and of the
/// runtime's contact and flow ids, so it never changes.
#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    /// Lowercased.
    Email,
    Name,
    /// argon2id, in the PHC string format.
    PasswordHash,
    CreatedAt,
}

/// Who may act in which workspace, and as what (`admin`, `editor`, `viewer`).
#[derive(DeriveIden)]
enum Memberships {
    Table,
    WorkspaceId,
    UserId,
    Role,
}

/// Signed-in browsers. The cookie holds a random token; only its SHA-256 is kept.
#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    UserId,
    /// Sent back in `X-CSRF-Token` on every change made with the cookie.
    CsrfToken,
    CreatedAt,
    ExpiresAt,
}

/// Machine credentials, one workspace each. Only the SHA-256 of the key is kept.
#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    WorkspaceId,
    Name,
    /// The first characters of the key, to recognise it in a list.
    Prefix,
    KeyHash,
    Role,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

/// A flow's draft: saved freely, even invalid; `revision` grows with every save.
#[derive(DeriveIden)]
enum Flows {
    Table,
    WorkspaceId,
    /// The document's `id`: unique in its workspace.
    Id,
    Name,
    Document,
    Revision,
    /// The version new runs start on; none when never published or unpublished.
    PublishedVersion,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

/// Published versions, never changed once written (runs stay on the version they began).
#[derive(DeriveIden)]
enum FlowVersions {
    Table,
    WorkspaceId,
    FlowId,
    Version,
    /// The compiled flow's content hash: how runs name their version.
    Hash,
    Document,
    PublishedAt,
    PublishedBy,
}

/// Named values flows refer to (webhook signing secrets), per workspace.
#[derive(DeriveIden)]
enum Secrets {
    Table,
    WorkspaceId,
    Name,
    Value,
    UpdatedAt,
}

/// Who did what to what, and when.
#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    WorkspaceId,
    /// `user:<email>` or `api_key:<id>`, or `spool` for the server itself.
    Actor,
    /// `flow.created`, `flow.published`, `contact.erased`…
    Action,
    Target,
    /// JSON.
    Details,
    At,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn millis(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
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
                    .table(Workspaces::Table)
                    .col(text(Workspaces::Id).primary_key())
                    .col(text(Workspaces::Name))
                    .col(millis(Workspaces::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(text(Users::Id).primary_key())
                    .col(text(Users::Email).unique_key())
                    .col(text(Users::Name))
                    .col(text(Users::PasswordHash))
                    .col(millis(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(text(Memberships::WorkspaceId))
                    .col(text(Memberships::UserId))
                    .col(text(Memberships::Role))
                    .primary_key(
                        Index::create()
                            .col(Memberships::WorkspaceId)
                            .col(Memberships::UserId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(text(Sessions::TokenHash).primary_key())
                    .col(text(Sessions::UserId))
                    .col(text(Sessions::CsrfToken))
                    .col(millis(Sessions::CreatedAt))
                    .col(millis(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(text(ApiKeys::Id).primary_key())
                    .col(text(ApiKeys::WorkspaceId))
                    .col(text(ApiKeys::Name))
                    .col(text(ApiKeys::Prefix))
                    .col(text(ApiKeys::KeyHash).unique_key())
                    .col(text(ApiKeys::Role))
                    .col(text(ApiKeys::CreatedBy))
                    .col(millis(ApiKeys::CreatedAt))
                    .col(ColumnDef::new(ApiKeys::LastUsedAt).big_integer())
                    .col(ColumnDef::new(ApiKeys::RevokedAt).big_integer())
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Flows::Table)
                    .col(text(Flows::WorkspaceId))
                    .col(text(Flows::Id))
                    .col(text(Flows::Name))
                    .col(text(Flows::Document))
                    .col(millis(Flows::Revision))
                    .col(ColumnDef::new(Flows::PublishedVersion).integer())
                    .col(millis(Flows::CreatedAt))
                    .col(millis(Flows::UpdatedAt))
                    .col(text(Flows::UpdatedBy))
                    .primary_key(Index::create().col(Flows::WorkspaceId).col(Flows::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FlowVersions::Table)
                    .col(text(FlowVersions::WorkspaceId))
                    .col(text(FlowVersions::FlowId))
                    .col(ColumnDef::new(FlowVersions::Version).integer().not_null())
                    .col(text(FlowVersions::Hash))
                    .col(text(FlowVersions::Document))
                    .col(millis(FlowVersions::PublishedAt))
                    .col(text(FlowVersions::PublishedBy))
                    .primary_key(
                        Index::create()
                            .col(FlowVersions::WorkspaceId)
                            .col(FlowVersions::FlowId)
                            .col(FlowVersions::Version),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Secrets::Table)
                    .col(text(Secrets::WorkspaceId))
                    .col(text(Secrets::Name))
                    .col(text(Secrets::Value))
                    .col(millis(Secrets::UpdatedAt))
                    .primary_key(Index::create().col(Secrets::WorkspaceId).col(Secrets::Name))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(AuditLog::WorkspaceId))
                    .col(text(AuditLog::Actor))
                    .col(text(AuditLog::Action))
                    .col(text(AuditLog::Target))
                    .col(text(AuditLog::Details))
                    .col(millis(AuditLog::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_log_workspace")
                    .table(AuditLog::Table)
                    .col(AuditLog::WorkspaceId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            Secrets::Table.into_iden(),
            FlowVersions::Table.into_iden(),
            Flows::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Sessions::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Workspaces::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
