//! The handoff queue: every time a journey hands a contact to a person (a `handoff` node, or
//! an AI agent's handoff leading to one), a ticket that operators see, claim and close.
//! Written from the runtime's `handoff.requested` and `handoff.closed` notices, so a ticket
//! exists exactly when the run waits for a person.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum HandoffTickets {
    Table,
    /// Derived from the notice's id: the same handoff always makes the same ticket.
    Id,
    WorkspaceId,
    /// The runtime's contact id (with its workspace).
    ContactId,
    /// Digits of the number; empty for a contact known only by its BSUID.
    Phone,
    /// The contact's name as the handoff was raised, if known.
    ContactName,
    RunId,
    FlowId,
    Version,
    NodeId,
    Team,
    /// The node's note, filled in with what the journey knew.
    Note,
    /// `open` or `closed`.
    Status,
    /// The user working it (their email), if any.
    Assignee,
    AssignedAt,
    RaisedAt,
    /// When the run stops waiting and leaves through `timeout`, if it does.
    WaitsUntil,
    /// When the contact last wrote, as the handoff was raised (the 24-hour window).
    LastInboundAt,
    ClosedAt,
    /// Who closed it (a user's email), or `journey` when the run left by itself.
    ClosedBy,
    /// `resolved`, or what the journey did (`left`: timed out, cancelled, erased).
    Outcome,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let text = |column| ColumnDef::new(column).text().not_null().to_owned();
        let optional_text = |column| ColumnDef::new(column).text().null().to_owned();
        let optional_time = |column| ColumnDef::new(column).big_integer().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(HandoffTickets::Table)
                    .col(text(HandoffTickets::Id).primary_key())
                    .col(text(HandoffTickets::WorkspaceId))
                    .col(text(HandoffTickets::ContactId))
                    .col(text(HandoffTickets::Phone))
                    .col(optional_text(HandoffTickets::ContactName))
                    .col(text(HandoffTickets::RunId))
                    .col(text(HandoffTickets::FlowId))
                    .col(text(HandoffTickets::Version))
                    .col(text(HandoffTickets::NodeId))
                    .col(text(HandoffTickets::Team))
                    .col(optional_text(HandoffTickets::Note))
                    .col(text(HandoffTickets::Status))
                    .col(optional_text(HandoffTickets::Assignee))
                    .col(optional_time(HandoffTickets::AssignedAt))
                    .col(
                        ColumnDef::new(HandoffTickets::RaisedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .col(optional_time(HandoffTickets::WaitsUntil))
                    .col(optional_time(HandoffTickets::LastInboundAt))
                    .col(optional_time(HandoffTickets::ClosedAt))
                    .col(optional_text(HandoffTickets::ClosedBy))
                    .col(optional_text(HandoffTickets::Outcome))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("handoff_tickets_queue")
                    .table(HandoffTickets::Table)
                    .col(HandoffTickets::WorkspaceId)
                    .col(HandoffTickets::Status)
                    .col(HandoffTickets::RaisedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("handoff_tickets_by_run")
                    .table(HandoffTickets::Table)
                    .col(HandoffTickets::RunId)
                    .col(HandoffTickets::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(HandoffTickets::Table).to_owned())
            .await
    }
}
