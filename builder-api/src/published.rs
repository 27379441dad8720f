//! Published flow versions, from the database into the runtime's [`FlowRegistry`]: every
//! version (runs may still be on old ones) and, per flow, the one new runs start on.
//!
//! The registry lives in each process's memory; the database is the truth. Every transaction
//! that changes what is published records the change with [`record_change`], numbered in
//! commit order. [`Published::sync`] loads everything once, at start, then only the changes
//! numbered after the last it applied: one indexed read that finds nothing while nothing
//! changes, however many versions were ever published. It runs after every publish in this
//! process (which hands over the flow it compiled, see [`Published::compiled`]) and every few
//! seconds, so a version published through one process reaches the others sharing the
//! database.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use spool_flows::{CompiledFlow, Diagnostic, NodeKind};
use spool_runtime::FlowRegistry;
use spool_runtime::ScopedId;
use tokio::sync::Mutex;
use tracing::{info, warn};

use crate::db::{flow, flow_version, publication_change, publication_counter};
use crate::error::{ApiError, Code};

#[derive(Debug)]
pub struct Published {
    registry: Arc<FlowRegistry>,
    /// Held for a whole sync, so two syncs never apply changes out of order.
    known: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// The last change applied; none before the first sync.
    seen: Option<i64>,
}

/// Compiles a stored document for the runtime: its id becomes `<workspace>/<id>`, so flows
/// (and their hashes) of different workspaces never meet.
pub fn compile_in(workspace: &str, document: &str) -> Result<CompiledFlow, Vec<Diagnostic>> {
    let mut value: serde_json::Value = serde_json::from_str(document).map_err(|err| {
        vec![Diagnostic::error(
            spool_flows::Code::MalformedJson,
            format!("The document is not JSON: {err}"),
        )]
    })?;
    if let Some(id) = value.get("id").and_then(serde_json::Value::as_str) {
        let id = ScopedId::new(workspace, id).into();
        value["id"] = serde_json::Value::String(id);
    }
    let source = value.to_string();
    spool_flows::compile_source(&source)
        .map_err(|spool_flows::Error::Invalid(diagnostics)| diagnostics)
}

/// Records, in `txn`, that new runs of `workspace`'s `flow_id` now start on `version` (none:
/// they no longer start). The counter's row stays locked until `txn` ends, so changes are
/// numbered in the order they commit.
pub async fn record_change<C: ConnectionTrait>(
    txn: &C,
    workspace: &str,
    flow_id: &str,
    version: Option<i32>,
    now: i64,
) -> Result<(), DbErr> {
    publication_counter::Entity::update_many()
        .col_expr(
            publication_counter::Column::Seq,
            Expr::col(publication_counter::Column::Seq).add(1),
        )
        .filter(publication_counter::Column::Id.eq(publication_counter::ROW))
        .exec(txn)
        .await?;
    let seq = last_change(txn).await?;
    publication_change::ActiveModel {
        seq: Set(seq),
        workspace_id: Set(workspace.to_owned()),
        flow_id: Set(flow_id.to_owned()),
        version: Set(version),
        changed_at: Set(now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The number of the last change recorded (committed, unless read inside the transaction
/// recording it).
async fn last_change<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    publication_counter::Entity::find_by_id(publication_counter::ROW)
        .one(db)
        .await?
        .map(|counter| counter.seq)
        .ok_or_else(|| DbErr::RecordNotFound("the publication counter's row".into()))
}

impl Published {
    pub fn new(registry: Arc<FlowRegistry>) -> Self {
        Self {
            registry,
            known: Mutex::default(),
        }
    }

    pub fn registry(&self) -> &Arc<FlowRegistry> {
        &self.registry
    }

    /// Hands over a flow this process compiled to publish it, so the next sync finds its
    /// version by hash instead of compiling it again.
    pub fn compiled(&self, flow: CompiledFlow) {
        self.registry.add_version(flow);
    }

    /// Refuses to publish `flow` on a hook another live flow of its workspace listens on:
    /// a call to the hook would otherwise start whichever the registry found first. The
    /// registry is as fresh as the last [`Published::sync`], so sync before asking.
    pub fn check_hooks(&self, flow: &CompiledFlow) -> Result<(), ApiError> {
        let flow_id = flow.flow().id.as_str();
        let scope = ScopedId::scope_of(flow_id);
        for trigger in flow.triggers() {
            let NodeKind::Webhook(webhook) = &flow.node(*trigger).kind else {
                continue;
            };
            let holder = self
                .registry
                .all_published_in(scope)
                .into_iter()
                .filter(|other| other.flow().id != flow_id)
                .find(|other| {
                    other.triggers().iter().any(|ix| {
                        matches!(&other.node(*ix).kind, NodeKind::Webhook(theirs) if theirs.hook == webhook.hook)
                    })
                });
            if let Some(holder) = holder {
                let holder_id = ScopedId::local_of(&holder.flow().id);
                let mut error = ApiError::new(
                    StatusCode::CONFLICT,
                    Code::HookTaken,
                    format!(
                        "The hook `{}` already starts the live flow \"{}\" ({holder_id}). Give the trigger `{}` another hook, or unpublish \"{}\" first.",
                        webhook.hook,
                        holder.flow().name,
                        flow.node(*trigger).id,
                        holder.flow().name,
                    ),
                );
                error.details = json!({
                    "hook": webhook.hook,
                    "node_id": flow.node(*trigger).id,
                    "held_by": { "flow_id": holder_id, "name": holder.flow().name },
                });
                return Err(error);
            }
        }
        Ok(())
    }

    /// Brings the registry up to the database; returns how many versions it compiled.
    pub async fn sync(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let mut known = self.known.lock().await;
        let mut compiled = 0;
        let seen = match known.seen {
            None => self.load_everything(db, &mut compiled).await?,
            Some(seen) => self.apply_changes_after(db, seen, &mut compiled).await?,
        };
        known.seen = Some(seen);
        if compiled > 0 {
            info!(compiled, "published versions loaded");
        }
        Ok(compiled)
    }

    /// Every version and every flow's live one; returns the last change this includes. The
    /// counter is read first: a change committed while the rest is read is numbered after
    /// it, so it is applied again next time (applying a change twice changes nothing).
    async fn load_everything(
        &self,
        db: &DatabaseConnection,
        compiled: &mut usize,
    ) -> Result<i64, DbErr> {
        let seen = last_change(db).await?;
        let mut by_key: HashMap<(String, String, i32), Arc<CompiledFlow>> = HashMap::new();
        for version in flow_version::Entity::find().all(db).await? {
            if let Some(flow) = self.version_of(&version, compiled) {
                by_key.insert(
                    (version.workspace_id, version.flow_id, version.version),
                    flow,
                );
            }
        }
        for flow in flow::Entity::find().all(db).await? {
            let Some(number) = flow.published_version else {
                continue;
            };
            let key = (flow.workspace_id, flow.id, number);
            if let Some(live) = by_key.remove(&key) {
                self.registry.publish(live);
            }
        }
        Ok(seen)
    }

    /// The changes numbered after `seen`, in order (usually none); returns the last applied.
    async fn apply_changes_after(
        &self,
        db: &DatabaseConnection,
        seen: i64,
        compiled: &mut usize,
    ) -> Result<i64, DbErr> {
        let changes = publication_change::Entity::find()
            .filter(publication_change::Column::Seq.gt(seen))
            .order_by_asc(publication_change::Column::Seq)
            .all(db)
            .await?;
        let mut last = seen;
        for change in changes {
            let runtime_id: String = ScopedId::new(&change.workspace_id, &change.flow_id).into();
            match change.version {
                None => self.registry.unpublish(&runtime_id),
                Some(number) => {
                    let key = (change.workspace_id.clone(), change.flow_id.clone(), number);
                    let version = flow_version::Entity::find_by_id(key).one(db).await?;
                    // A version that no longer compiles (warned about) is not made live
                    // here; the one before it stays.
                    if let Some(live) =
                        version.and_then(|version| self.version_of(&version, compiled))
                    {
                        self.registry.publish(live);
                    }
                }
            }
            last = change.seq;
        }
        Ok(last)
    }

    /// A stored version, compiled: the one the registry holds under its hash (compiled by
    /// this process's publish, or an identical earlier version), else compiled now.
    fn version_of(
        &self,
        version: &flow_version::Model,
        compiled: &mut usize,
    ) -> Option<Arc<CompiledFlow>> {
        if let Some(compiled) = self.registry.version(&version.hash) {
            return Some(compiled);
        }
        match compile_in(&version.workspace_id, &version.document) {
            Ok(flow) => {
                *compiled += 1;
                Some(self.registry.add_version(flow))
            }
            Err(diagnostics) => {
                // Published versions compiled when published; a newer Spool may be stricter.
                // Runs on it fail visibly rather than the server not starting.
                warn!(
                    workspace = %version.workspace_id,
                    flow = %version.flow_id,
                    version = version.version,
                    problems = diagnostics.len(),
                    "a published version no longer compiles"
                );
                None
            }
        }
    }
}
