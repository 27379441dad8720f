//! The conversation history: every message a contact sent and every message given to the
//! outbox for them (by a journey or an operator), with what became of it (sent, delivered,
//! read, failed), written from the runtime's notices before the runtime commits, so an
//! operator reads the whole conversation of a handoff.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ConversationMessages {
    Table,
    /// The outbox key of a message out (it names the contact); `{contact}/in/{wamid}` for one
    /// in.
    Key,
    /// The runtime's contact id (with its workspace).
    ContactId,
    WorkspaceId,
    /// `in` (from the contact) or `out` (to them).
    Direction,
    /// The run and step that sent it, or that the message answered; null when none.
    RunId,
    NodeId,
    /// The person who wrote a message out from the inbox; null for a journey's.
    Author,
    /// The message as JSON: the inbound content, or the outbound body.
    Body,
    /// `received` for a message in; `queued`, `sent`, `delivered`, `read` or `failed` out.
    Status,
    /// Why it failed, in WhatsApp's words.
    Error,
    /// The 24-hour window was closed when it was queued (a business-initiated message).
    WindowClosed,
    /// When it was sent by the contact, or queued (ms).
    At,
}

#[derive(DeriveIden)]
enum HandoffTickets {
    Table,
    ContactId,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |column| ColumnDef::new(column).text().not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(ConversationMessages::Table)
                    .col(text(ConversationMessages::Key).primary_key().to_owned())
                    .col(text(ConversationMessages::ContactId))
                    .col(text(ConversationMessages::WorkspaceId))
                    .col(text(ConversationMessages::Direction))
                    .col(ColumnDef::new(ConversationMessages::RunId).text().null())
                    .col(ColumnDef::new(ConversationMessages::NodeId).text().null())
                    .col(ColumnDef::new(ConversationMessages::Author).text().null())
                    .col(text(ConversationMessages::Body))
                    .col(text(ConversationMessages::Status))
                    .col(ColumnDef::new(ConversationMessages::Error).text().null())
                    .col(
                        ColumnDef::new(ConversationMessages::WindowClosed)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(
                        ColumnDef::new(ConversationMessages::At)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("conversation_messages_by_contact")
                    .table(ConversationMessages::Table)
                    .col(ConversationMessages::ContactId)
                    .col(ConversationMessages::At)
                    .to_owned(),
            )
            .await?;
        // Each message in updates the open tickets of its contact (when they last wrote).
        manager
            .create_index(
                Index::create()
                    .name("handoff_tickets_by_contact")
                    .table(HandoffTickets::Table)
                    .col(HandoffTickets::ContactId)
                    .col(HandoffTickets::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("handoff_tickets_by_contact")
                    .table(HandoffTickets::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ConversationMessages::Table).to_owned())
            .await
    }
}
