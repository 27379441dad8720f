//! The contact directory: a searchable copy of each contact's profile (the runtime's state in
//! the store stays the source of truth), its tags and properties one per row so that
//! audiences can filter on them in SQL on every database, and the steps of journeys each
//! contact reached. Written from the runtime's `contact.changed` notices in the same batch
//! as the change, before the batch is committed.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContactDirectory {
    Table,
    /// The runtime's contact id (with its workspace).
    ContactId,
    WorkspaceId,
    /// Digits of the number; empty for a contact known only by its BSUID.
    Phone,
    Bsuid,
    Name,
    /// The name in lower case, `''` without one: for sorting and searching.
    NameKey,
    /// When Marketing consent was given (ms); null without consent.
    MarketingOptInAt,
    /// When the contact last wrote (ms); 0 if never, so it sorts and pages simply.
    LastInboundAt,
    Timezone,
    Locale,
    /// The business number (channel) the contact last wrote to.
    Channel,
    /// The ad (`source_id`) of the contact's first and latest Click-to-WhatsApp tap.
    FirstAd,
    LastAd,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContactTags {
    Table,
    ContactId,
    WorkspaceId,
    Tag,
}

#[derive(DeriveIden)]
enum ContactProperties {
    Table,
    ContactId,
    WorkspaceId,
    Name,
    /// The value as JSON.
    Value,
    /// The value as text, in lower case (a string's own text, a number's digits), for
    /// equality and "contains".
    TextValue,
    /// The value as a number, when it is one (or a string that reads as one).
    NumberValue,
}

#[derive(DeriveIden)]
enum ContactReached {
    Table,
    ContactId,
    WorkspaceId,
    FlowId,
    NodeId,
    /// When the contact first entered the step (ms).
    FirstAt,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn optional(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().null().to_owned()
}

fn millis(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ContactDirectory::Table)
                    .col(text(ContactDirectory::ContactId).primary_key().to_owned())
                    .col(text(ContactDirectory::WorkspaceId))
                    .col(text(ContactDirectory::Phone))
                    .col(optional(ContactDirectory::Bsuid))
                    .col(optional(ContactDirectory::Name))
                    .col(text(ContactDirectory::NameKey))
                    .col(
                        ColumnDef::new(ContactDirectory::MarketingOptInAt)
                            .big_integer()
                            .null(),
                    )
                    .col(millis(ContactDirectory::LastInboundAt))
                    .col(optional(ContactDirectory::Timezone))
                    .col(optional(ContactDirectory::Locale))
                    .col(optional(ContactDirectory::Channel))
                    .col(optional(ContactDirectory::FirstAd))
                    .col(optional(ContactDirectory::LastAd))
                    .col(millis(ContactDirectory::CreatedAt))
                    .col(millis(ContactDirectory::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "contact_directory_by_last_inbound",
                ContactDirectory::LastInboundAt,
            ),
            ("contact_directory_by_name", ContactDirectory::NameKey),
            ("contact_directory_by_phone", ContactDirectory::Phone),
            ("contact_directory_by_created", ContactDirectory::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ContactDirectory::Table)
                        .col(ContactDirectory::WorkspaceId)
                        .col(column)
                        .col(ContactDirectory::ContactId)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ContactTags::Table)
                    .col(text(ContactTags::ContactId))
                    .col(text(ContactTags::WorkspaceId))
                    .col(text(ContactTags::Tag))
                    .primary_key(
                        Index::create()
                            .col(ContactTags::ContactId)
                            .col(ContactTags::Tag),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_tags_by_tag")
                    .table(ContactTags::Table)
                    .col(ContactTags::WorkspaceId)
                    .col(ContactTags::Tag)
                    .col(ContactTags::ContactId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactProperties::Table)
                    .col(text(ContactProperties::ContactId))
                    .col(text(ContactProperties::WorkspaceId))
                    .col(text(ContactProperties::Name))
                    .col(text(ContactProperties::Value))
                    .col(text(ContactProperties::TextValue))
                    .col(
                        ColumnDef::new(ContactProperties::NumberValue)
                            .double()
                            .null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(ContactProperties::ContactId)
                            .col(ContactProperties::Name),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_properties_by_value")
                    .table(ContactProperties::Table)
                    .col(ContactProperties::WorkspaceId)
                    .col(ContactProperties::Name)
                    .col(ContactProperties::TextValue)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ContactReached::Table)
                    .col(text(ContactReached::ContactId))
                    .col(text(ContactReached::WorkspaceId))
                    .col(text(ContactReached::FlowId))
                    .col(text(ContactReached::NodeId))
                    .col(millis(ContactReached::FirstAt))
                    .primary_key(
                        Index::create()
                            .col(ContactReached::ContactId)
                            .col(ContactReached::FlowId)
                            .col(ContactReached::NodeId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("contact_reached_by_step")
                    .table(ContactReached::Table)
                    .col(ContactReached::WorkspaceId)
                    .col(ContactReached::FlowId)
                    .col(ContactReached::NodeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ContactReached::Table.into_iden(),
            ContactProperties::Table.into_iden(),
            ContactTags::Table.into_iden(),
            ContactDirectory::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
