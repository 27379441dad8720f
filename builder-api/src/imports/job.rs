//! Running an import in the background: rows handed to the runtime a chunk at a time,
//! progress and counts written after each chunk, the file dropped at the end. A server
//! that stops mid-import resumes it when it starts again (rows already handed over are
//! recognised by their event keys and not applied twice).

use actix_web::web;
use futures::{StreamExt, TryStreamExt, stream};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use spool_contact_lists::{Consent, ListContact, Sniffed};
use spool_nodes::identity::{ContactIdentity, Phone};
use spool_runtime::state::{ConsentSource, ContactChange};
use spool_runtime::{Event, EventKind};
use tracing::{error, info};

use super::{ImportError, ImportReport, Plan, check, next_chunk};
use crate::consent::suppression;
use crate::db::contact_import::{self, Column, Entity};
use crate::state::AppState;

/// Rows handed to the runtime at once.
const IN_FLIGHT: usize = 64;
/// An import whose progress has not moved for this long is taken to be orphaned (its
/// server stopped) and is resumed by the next server to start.
const ORPHANED_AFTER_MS: i64 = 30_000;

pub const IMPORTING: &str = "importing";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// Starts importing `import` (already marked `importing` with its plan) in the background.
pub fn start(state: web::Data<AppState>, import: String) {
    tokio::spawn(async move {
        if let Err(err) = run(&state, &import).await {
            error!(import = %import, error = %err, "the import failed");
            let failed = Entity::update_many()
                .col_expr(Column::State, Expr::value(FAILED))
                .col_expr(Column::Error, Expr::value(err.to_string()))
                .col_expr(Column::UpdatedAt, Expr::value(state.now()))
                .filter(Column::Id.eq(import.as_str()))
                .exec(&state.db)
                .await;
            if let Err(err) = failed {
                error!(import = %import, error = %err, "the import's failure could not be kept");
            }
        }
    });
}

/// Resumes imports whose server stopped before they finished.
pub async fn resume_unfinished(state: web::Data<AppState>) -> Result<(), sea_orm::DbErr> {
    let now = state.now();
    let orphaned = Entity::find()
        .filter(Column::State.eq(IMPORTING))
        .filter(Column::UpdatedAt.lt(now - ORPHANED_AFTER_MS))
        .all(&state.db)
        .await?;
    for import in orphaned {
        // Claimed by whoever moves its time first: two servers starting together resume
        // it once.
        let claimed = Entity::update_many()
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(import.id.as_str()))
            .filter(Column::UpdatedAt.eq(import.updated_at))
            .exec(&state.db)
            .await?;
        if claimed.rows_affected == 1 {
            info!(import = %import.id, from = import.processed, "resuming an import");
            start(state.clone(), import.id);
        }
    }
    Ok(())
}

fn change_of(contact: &ListContact, plan: &Plan, actor: &str) -> ContactChange {
    let marketing_opt_in = match contact.marketing {
        Consent::Given => Some(true),
        Consent::Refused => Some(false),
        Consent::NotStated => None,
    };
    let basis = plan
        .consent_basis
        .as_ref()
        .map(|basis| match &contact.consent_at {
            Some(at) => format!("{basis} (consent given {at}, as the file says)"),
            None => basis.clone(),
        });
    ContactChange {
        name: contact.name.clone(),
        marketing_opt_in,
        add_tags: contact.tags.clone(),
        remove_tags: Vec::new(),
        properties: contact.properties.clone(),
        timezone: contact.timezone.clone(),
        locale: contact.locale.clone(),
        consent_source: marketing_opt_in.map(|_| ConsentSource {
            source: "import".into(),
            actor: Some(actor.to_owned()),
            basis,
            text: None,
        }),
    }
}

async fn run(state: &AppState, id: &str) -> Result<(), ImportError> {
    let Some(import) = Entity::find_by_id(id.to_owned()).one(&state.db).await? else {
        return Ok(());
    };
    let sniffed: Sniffed = serde_json::from_str(&import.sniffed)
        .map_err(|err| sea_orm::DbErr::Custom(format!("import {id}: {err}")))?;
    let plan: Plan = serde_json::from_str(import.plan.as_deref().unwrap_or("{}"))
        .map_err(|err| sea_orm::DbErr::Custom(format!("import {id}: {err}")))?;
    let mut report: ImportReport = import
        .report
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    let workspace = import.workspace_id.clone();
    let key = suppression::key(&state.db, &workspace).await?;
    let mapping = plan.mapping(&sniffed);
    let mut rows = spool_contact_lists::read(import.file.as_slice(), &sniffed, &mapping)?;
    // Rows counted before a restart are skipped (their events were handed over).
    let done = u64::try_from(import.processed).unwrap_or(0);
    let mut skipped = ImportReport::default();
    while skipped.rows < done {
        let chunk = next_chunk(&mut rows, &mut skipped);
        if chunk.is_empty() {
            break;
        }
        skipped.rows += chunk.len() as u64;
    }
    loop {
        let chunk = next_chunk(&mut rows, &mut report);
        if chunk.is_empty() {
            break;
        }
        let checked = check(&state.db, &workspace, &key, chunk).await?;
        report.count_accepted(&checked);
        let now = state.now();
        stream::iter(checked.into_iter().filter(|checked| !checked.suppressed))
            .map(|checked| {
                hand_over(
                    state,
                    &workspace,
                    id,
                    &import.created_by,
                    &plan,
                    checked.contact,
                    now,
                )
            })
            .buffer_unordered(IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
        progress(state, id, &report, IMPORTING).await?;
    }
    rows.finish()?;
    progress(state, id, &report, DONE).await?;
    info!(import = %id, accepted = report.accepted, rejected = report.rejected, "import done");
    Ok(())
}

/// One row's contact to the runtime, as a change keyed by the import and the row's line.
async fn hand_over(
    state: &AppState,
    workspace: &str,
    import: &str,
    actor: &str,
    plan: &Plan,
    contact: ListContact,
    now: i64,
) -> Result<(), ImportError> {
    let Ok(phone) = Phone::parse(&contact.phone) else {
        return Ok(());
    };
    let id = state
        .store
        .resolve_contact(workspace, &ContactIdentity::from(phone))
        .await?;
    let change = change_of(&contact, plan, actor);
    let event = Event::new(
        id,
        contact.phone.clone(),
        now,
        EventKind::UpdateContact { change },
    )
    .with_dedupe_key(format!("import:{import}:{}", contact.line));
    state.runtime.accept(event).await?;
    Ok(())
}

async fn progress(
    state: &AppState,
    id: &str,
    report: &ImportReport,
    status: &str,
) -> Result<(), sea_orm::DbErr> {
    let mut row = contact_import::ActiveModel {
        id: Set(id.to_owned()),
        state: Set(status.to_owned()),
        processed: Set(i64::try_from(report.rows).unwrap_or(i64::MAX)),
        report: Set(serde_json::to_string(report).ok()),
        updated_at: Set(state.now()),
        ..Default::default()
    };
    if status == DONE {
        // The file held people's numbers: once imported, only the counts stay.
        row.file = Set(Vec::new());
    }
    row.update(&state.db).await.map(|_| ())
}
