//! The handoff queue: a ticket for every time a journey hands a contact to a person, kept
//! in the database from the runtime's notices (`handoff.requested` opens one,
//! `handoff.closed` closes it when the run left by itself), and worked by operators through
//! the API: claim (one owner at a time), release, close as resolved (the run goes on through
//! the node's `resolved` port).

mod observer;

pub use observer::Tickets;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::handoff_ticket::{self, Column, Entity};

pub const OPEN: &str = "open";
pub const CLOSED: &str = "closed";
/// `closed_by` of a ticket whose run left the handoff by itself (timed out, cancelled).
pub const BY_THE_JOURNEY: &str = "journey";

/// Which tickets a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Open, no one working them.
    Unassigned,
    /// Open, claimed by the caller.
    Mine,
    /// Every open ticket.
    Open,
    /// Closed ones, the latest first.
    Closed,
}

/// Tickets by view, for the queue's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub open: u64,
    pub unassigned: u64,
    pub mine: u64,
    pub closed: u64,
}

/// The tickets of `workspace` in `view`: open ones longest waiting first, closed ones
/// latest first; at most `limit`.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace: &str,
    view: View,
    me: &str,
    team: Option<&str>,
    limit: u64,
) -> Result<Vec<handoff_ticket::Model>, DbErr> {
    let mut query = Entity::find().filter(Column::WorkspaceId.eq(workspace));
    query = match view {
        View::Unassigned => query
            .filter(Column::Status.eq(OPEN))
            .filter(Column::Assignee.is_null()),
        View::Mine => query
            .filter(Column::Status.eq(OPEN))
            .filter(Column::Assignee.eq(me)),
        View::Open => query.filter(Column::Status.eq(OPEN)),
        View::Closed => query.filter(Column::Status.eq(CLOSED)),
    };
    if let Some(team) = team {
        query = query.filter(Column::Team.eq(team));
    }
    query = if view == View::Closed {
        query.order_by_desc(Column::ClosedAt)
    } else {
        query.order_by_asc(Column::RaisedAt)
    };
    query.limit(limit).all(db).await
}

pub async fn counts(db: &impl ConnectionTrait, workspace: &str, me: &str) -> Result<Counts, DbErr> {
    let with = |status: &'static str| {
        Entity::find()
            .filter(Column::WorkspaceId.eq(workspace))
            .filter(Column::Status.eq(status))
    };
    Ok(Counts {
        open: with(OPEN).count(db).await?,
        unassigned: with(OPEN)
            .filter(Column::Assignee.is_null())
            .count(db)
            .await?,
        mine: with(OPEN).filter(Column::Assignee.eq(me)).count(db).await?,
        closed: with(CLOSED).count(db).await?,
    })
}

/// The teams open tickets wait for, by name (the queue's team filter).
pub async fn teams(db: &impl ConnectionTrait, workspace: &str) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Team)
        .distinct()
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::Status.eq(OPEN))
        .order_by_asc(Column::Team)
        .into_tuple::<String>()
        .all(db)
        .await
}

pub async fn find(
    db: &impl ConnectionTrait,
    workspace: &str,
    id: &str,
) -> Result<Option<handoff_ticket::Model>, DbErr> {
    Entity::find_by_id(id.to_owned())
        .filter(Column::WorkspaceId.eq(workspace))
        .one(db)
        .await
}

/// What a claim came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The caller owns it now (or already did).
    Claimed(Box<handoff_ticket::Model>),
    /// Someone else does.
    Taken {
        by: String,
    },
    Closed,
    Unknown,
}

/// Makes `me` the ticket's one owner, if no one else is: of two operators claiming at once,
/// one wins (the update only matches a ticket without an owner) and the other is told who.
pub async fn claim(
    db: &impl ConnectionTrait,
    workspace: &str,
    id: &str,
    me: &str,
    now: i64,
) -> Result<Claim, DbErr> {
    let updated = Entity::update_many()
        .col_expr(Column::Assignee, Expr::value(me))
        .col_expr(Column::AssignedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::Status.eq(OPEN))
        .filter(Column::Assignee.is_null())
        .exec(db)
        .await?;
    let Some(ticket) = find(db, workspace, id).await? else {
        return Ok(Claim::Unknown);
    };
    Ok(match (&ticket.assignee, ticket.status.as_str()) {
        (_, CLOSED) if updated.rows_affected == 0 => Claim::Closed,
        (Some(owner), _) if owner == me => Claim::Claimed(Box::new(ticket)),
        (Some(owner), _) => Claim::Taken { by: owner.clone() },
        (None, _) => Claim::Closed,
    })
}

/// Lets go of a ticket: only its owner may (or, with `any`, an admin for anyone).
pub async fn release(
    db: &impl ConnectionTrait,
    workspace: &str,
    id: &str,
    me: &str,
    any: bool,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::Assignee, Expr::value(Option::<String>::None))
        .col_expr(Column::AssignedAt, Expr::value(Option::<i64>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::Status.eq(OPEN));
    if !any {
        update = update.filter(Column::Assignee.eq(me));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Who has a ticket next: `person` (`None`: no one, the queue) and, when given, `team`.
#[derive(Clone, Copy, Debug)]
pub struct Handover<'a> {
    pub person: Option<&'a str>,
    pub team: Option<&'a str>,
}

/// Gives an open ticket to `person` (or back to the queue with `None`) and, when given, to
/// `team`; only while `me` owns it or no one does, unless `any` (an admin). Answered as a
/// claim: `Taken` names whoever got it first.
pub async fn assign(
    db: &impl ConnectionTrait,
    workspace: &str,
    id: &str,
    (me, any): (&str, bool),
    Handover { person, team }: Handover<'_>,
    now: i64,
) -> Result<Claim, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::Assignee, Expr::value(person.map(str::to_owned)))
        .col_expr(Column::AssignedAt, Expr::value(person.map(|_| now)))
        .filter(Column::Id.eq(id))
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::Status.eq(OPEN));
    if let Some(team) = team {
        update = update.col_expr(Column::Team, Expr::value(team));
    }
    if !any {
        update = update.filter(
            sea_orm::Condition::any()
                .add(Column::Assignee.is_null())
                .add(Column::Assignee.eq(me)),
        );
    }
    let updated = update.exec(db).await?;
    let Some(ticket) = find(db, workspace, id).await? else {
        return Ok(Claim::Unknown);
    };
    Ok(match (updated.rows_affected, &ticket.assignee) {
        (1, _) => Claim::Claimed(Box::new(ticket)),
        (_, _) if ticket.status == CLOSED => Claim::Closed,
        (_, Some(owner)) => Claim::Taken { by: owner.clone() },
        (_, None) => Claim::Closed,
    })
}

/// Closes an open ticket as `outcome` by `by`; false when it was closed already.
pub async fn close(
    db: &impl ConnectionTrait,
    workspace: &str,
    id: &str,
    by: &str,
    outcome: &str,
    now: i64,
) -> Result<bool, DbErr> {
    let updated = Entity::update_many()
        .col_expr(Column::Status, Expr::value(CLOSED))
        .col_expr(Column::ClosedAt, Expr::value(now))
        .col_expr(Column::ClosedBy, Expr::value(by))
        .col_expr(Column::Outcome, Expr::value(outcome))
        .filter(Column::Id.eq(id))
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::Status.eq(OPEN))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Opens a closed ticket again (the close could not reach the run).
pub async fn reopen(db: &impl ConnectionTrait, workspace: &str, id: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(OPEN))
        .col_expr(Column::ClosedAt, Expr::value(Option::<i64>::None))
        .col_expr(Column::ClosedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::Outcome, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::WorkspaceId.eq(workspace))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes an erased contact's tickets (they hold the number, the name and the journey's
/// note about them).
pub async fn forget_contact(db: &impl ConnectionTrait, contact_id: &str) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}
