//! What publishing the draft would change: the nodes it adds, removes and changes against
//! the live version, and how many contacts wait in the nodes it removes or changes.
//!
//! A run stays on the version it started on, so those contacts go on with the live version's
//! node as it is; the editor says so before publishing, so nobody expects a fixed typo to
//! reach people already waiting past it. The count comes from the live version's funnel
//! counters (entered, minus left by a port, minus failed and not taken on by `error`), over
//! the 400 days the counters are kept: runs cancelled while waiting (by an operator, an
//! opt-out, a restart) are not subtracted, so it is an upper bound.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use sea_orm::EntityTrait;
use serde::Serialize;
use serde_json::Value;
use spool_flows::diff::{Changes, changes};
use spool_nodes::DAY;
use spool_runtime::CountKey;
use utoipa::ToSchema;

use super::{FlowPath, find_flow};
use crate::auth::Caller;
use crate::db::flow_version;
use crate::error::ApiError;
use crate::state::AppState;

/// How far back the counters reach: what the stores keep.
const COUNTED_DAYS: i64 = 400;

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishImpact {
    /// The live version the draft is compared with; absent when the flow is not live.
    pub live_version: Option<i32>,
    /// What the draft changes against the live version (absent when not live):
    /// `{added, removed, changed}` node ids, `edges_added`, `edges_removed`,
    /// `settings_changed`.
    #[schema(value_type = Option<Object>)]
    pub changes: Option<Changes>,
    /// Nodes the draft removes or changes where contacts of the live version wait now.
    pub waiting: Vec<WaitingAt>,
    /// All of them: at most this many contacts finish on the live version's nodes as they are.
    pub contacts_waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingAt {
    pub node_id: String,
    /// `removed` or `changed`.
    pub change: String,
    /// Contacts in the node now (an upper bound: see the module docs).
    pub contacts: i64,
}

/// What publishing the draft would change, and the contacts waiting where it changes.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/publish/impact", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = PublishImpact), (status = 404))
)]
pub async fn impact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    let live = match model.published_version {
        Some(number) => {
            flow_version::Entity::find_by_id((caller.workspace.clone(), model.id.clone(), number))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let Some(live) = live else {
        return Ok(HttpResponse::Ok().json(PublishImpact {
            live_version: None,
            changes: None,
            waiting: Vec::new(),
            contacts_waiting: 0,
        }));
    };
    let draft: Value = serde_json::from_str(&model.document).unwrap_or(Value::Null);
    let live_document: Value = serde_json::from_str(&live.document).unwrap_or(Value::Null);
    let changes = changes(&live_document, &draft);
    let now = state.now();
    let counts = state
        .store
        .counters(&live.hash, now - COUNTED_DAYS * DAY, now + 1)
        .await?;
    let affected = changes
        .removed
        .iter()
        .map(|id| (id, "removed"))
        .chain(changes.changed.iter().map(|id| (id, "changed")));
    let waiting: Vec<WaitingAt> = affected
        .filter_map(|(node_id, change)| {
            let contacts = in_node(&counts, node_id);
            (contacts > 0).then(|| WaitingAt {
                node_id: node_id.clone(),
                change: change.to_owned(),
                contacts,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(PublishImpact {
        live_version: Some(live.version),
        contacts_waiting: waiting.iter().map(|at| at.contacts).sum(),
        changes: Some(changes),
        waiting,
    }))
}

/// Runs in a node now, by its counters: entered, less those that left by any port, less
/// those that failed without being taken on by `error` (which counts as leaving by a port).
fn in_node(counts: &HashMap<CountKey, i64>, node_id: &str) -> i64 {
    let mut entered = 0;
    let mut left = 0;
    let mut failed = 0;
    let mut rescued = 0;
    for (key, value) in counts.iter().filter(|(key, _)| key.node_id == node_id) {
        match (key.key.as_str(), key.left_by()) {
            ("entered", _) => entered += value,
            ("failed", _) => failed += value,
            (_, Some(port)) => {
                left += value;
                if port == "error" {
                    rescued += value;
                }
            }
            _ => {}
        }
    }
    (entered - left - (failed - rescued).max(0)).max(0)
}
