//! The Chatwoot adapter: a workspace's link to a Chatwoot "API inbox" (its secrets sealed),
//! which Chatwoot conversation mirrors which handoff ticket (and which Chatwoot contact is
//! which Spool contact), and the calls to Chatwoot waiting to be made, in order, with their
//! retries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatwootLinks {
    Table,
    WorkspaceId,
    /// e.g. `https://chatwoot.example.com`.
    BaseUrl,
    AccountId,
    InboxId,
    /// The API access token of a Chatwoot agent or bot, sealed.
    ApiToken,
    /// The inbox webhook's signing secret, sealed.
    WebhookSecret,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatwootConversations {
    Table,
    TicketId,
    WorkspaceId,
    /// The runtime's contact id.
    ContactId,
    /// Chatwoot's ids, once the conversation is made there.
    ChatwootContactId,
    SourceId,
    ConversationId,
}

#[derive(DeriveIden)]
enum ChatwootOutbox {
    Table,
    Id,
    WorkspaceId,
    ContactId,
    /// `open`, `incoming`, `note` or `close`.
    Kind,
    /// The ticket (`open`, `close`), or nothing: the contact's open mirrored ticket.
    TicketId,
    /// JSON: what to post.
    Payload,
    Attempts,
    /// When to try (ms).
    NextAt,
    LastError,
}

fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

fn big(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatwootLinks::Table)
                    .col(text(ChatwootLinks::WorkspaceId).primary_key().to_owned())
                    .col(text(ChatwootLinks::BaseUrl))
                    .col(big(ChatwootLinks::AccountId))
                    .col(big(ChatwootLinks::InboxId))
                    .col(text(ChatwootLinks::ApiToken))
                    .col(text(ChatwootLinks::WebhookSecret))
                    .col(big(ChatwootLinks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatwootConversations::Table)
                    .col(
                        text(ChatwootConversations::TicketId)
                            .primary_key()
                            .to_owned(),
                    )
                    .col(text(ChatwootConversations::WorkspaceId))
                    .col(text(ChatwootConversations::ContactId))
                    .col(
                        ColumnDef::new(ChatwootConversations::ChatwootContactId)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChatwootConversations::SourceId)
                            .text()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(ChatwootConversations::ConversationId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chatwoot_conversations_by_conversation")
                    .table(ChatwootConversations::Table)
                    .col(ChatwootConversations::WorkspaceId)
                    .col(ChatwootConversations::ConversationId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chatwoot_conversations_by_contact")
                    .table(ChatwootConversations::Table)
                    .col(ChatwootConversations::ContactId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatwootOutbox::Table)
                    .col(
                        ColumnDef::new(ChatwootOutbox::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(ChatwootOutbox::WorkspaceId))
                    .col(text(ChatwootOutbox::ContactId))
                    .col(text(ChatwootOutbox::Kind))
                    .col(ColumnDef::new(ChatwootOutbox::TicketId).text().null())
                    .col(text(ChatwootOutbox::Payload))
                    .col(
                        ColumnDef::new(ChatwootOutbox::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(big(ChatwootOutbox::NextAt))
                    .col(ColumnDef::new(ChatwootOutbox::LastError).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("chatwoot_outbox_due")
                    .table(ChatwootOutbox::Table)
                    .col(ChatwootOutbox::NextAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChatwootOutbox::Table.into_iden(),
            ChatwootConversations::Table.into_iden(),
            ChatwootLinks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
