//! The funnel of a flow version, node by node, over a time range: how many runs entered each
//! node, left it by each port, failed in it, or timed out waiting in it. What the editor
//! paints on the canvas.
//!
//! Counts are committed with the runs' state (they never disagree with what happened) and
//! kept by the hour, so a range is widened to the whole hours it touches; `counted` in the
//! answer says which. Versions with the same content (a rollback publishes an old version
//! again) share their counts.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use serde_json::json;
use spool_flows::{Category, CompiledFlow};
use spool_nodes::{DAY, HOUR, Millis};
use spool_runtime::CountKey;
use spool_runtime::store::hour_of;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::flow_version;
use crate::error::{ApiError, Code};
use crate::published::compile_in;
use crate::routes::flows::{FlowPath, find_flow, rfc3339};
use crate::state::AppState;

/// The range when none is given.
const DEFAULT_RANGE: Millis = 7 * DAY;
/// The longest range: what the stores keep (Redis keeps an hour's counts 400 days).
const LONGEST_RANGE: Millis = 400 * DAY;

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/flows/{flow}/analytics", web::get().to(funnel));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(funnel), components(schemas(Funnel, NodeCounts, Totals, Range)))]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct Funnel {
    pub flow_id: String,
    pub version: i32,
    /// The version's content hash.
    pub hash: String,
    /// The range asked for (or the default: the last 7 days).
    pub range: Range,
    /// The whole hours counted: the range widened to hour boundaries.
    pub counted: Range,
    /// Every node of the version, in document order.
    pub nodes: Vec<NodeCounts>,
    pub totals: Totals,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Range {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeCounts {
    pub node_id: String,
    #[serde(rename = "type")]
    pub node_type: String,
    /// Runs that entered the node.
    pub entered: i64,
    /// Runs that left it, by port (every port of the node, 0 when unused).
    pub left: BTreeMap<String, i64>,
    /// Runs that failed in it (whether or not `error` took them on).
    pub failed: i64,
    /// Runs whose wait in it timed out (the `timeout` port).
    pub timed_out: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// Runs started: entries into trigger nodes.
    pub started: i64,
    /// Entries into any node.
    pub entered: i64,
    pub failed: i64,
    pub timed_out: i64,
}

fn bad(code: Code, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// `?version=N&from=RFC3339&to=RFC3339`, every part optional.
#[derive(Debug, Default)]
struct Query {
    version: Option<i32>,
    from: Option<Millis>,
    to: Option<Millis>,
}

fn parse_time(name: &'static str, code: Code, text: &str) -> Result<Millis, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.timestamp_millis())
        .map_err(|err| {
            bad(
                code,
                format!(
                    "`{name}` must be an RFC 3339 time like 2026-11-24T09:00:00Z; {text:?} is not ({err})."
                ),
            )
        })
}

fn parse_query(request: &HttpRequest) -> Result<Query, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .map_err(|err| {
            bad(
                Code::InvalidQuery,
                format!("The query cannot be read: {err}."),
            )
        })?
        .into_inner();
    let mut query = Query::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        if seen.contains(&name.as_str()) {
            return Err(bad(
                Code::InvalidQuery,
                format!("`{name}` is given more than once."),
            ));
        }
        seen.push(name);
        match name.as_str() {
            "version" => {
                let version = value
                    .parse::<i32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| {
                        bad(
                            Code::InvalidVersion,
                            format!("`version` is a version number (1, 2, …); {value:?} is not."),
                        )
                    })?;
                query.version = Some(version);
            }
            "from" => query.from = Some(parse_time("from", Code::InvalidFrom, value)?),
            "to" => query.to = Some(parse_time("to", Code::InvalidTo, value)?),
            other => {
                return Err(bad(
                    Code::UnknownParameter,
                    format!("Unknown parameter `{other}`: this takes `version`, `from` and `to`."),
                ));
            }
        }
    }
    Ok(query)
}

/// The range asked for, with the defaults: up to now, 7 days long.
fn range_of(query: &Query, now: Millis) -> Result<(Millis, Millis), ApiError> {
    let (from, to) = match (query.from, query.to) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, now),
        (None, Some(to)) => (to - DEFAULT_RANGE, to),
        (None, None) => (now - DEFAULT_RANGE, now),
    };
    if from >= to {
        let mut error = bad(Code::InvalidRange, "`from` must be before `to`.".into());
        error.details = json!({ "from": rfc3339(from), "to": rfc3339(to) });
        return Err(error);
    }
    if to - from > LONGEST_RANGE {
        return Err(bad(
            Code::RangeTooLong,
            format!(
                "A range is at most {} days (counts are kept that long).",
                LONGEST_RANGE / DAY
            ),
        ));
    }
    Ok((from, to))
}

fn flow_of(
    state: &AppState,
    caller: &Caller,
    version: &flow_version::Model,
) -> Result<std::sync::Arc<CompiledFlow>, ApiError> {
    if let Some(flow) = state.published.registry().version(&version.hash) {
        return Ok(flow);
    }
    compile_in(&caller.workspace, &version.document)
        .map(std::sync::Arc::new)
        .map_err(|_| {
            ApiError::internal(
                Code::VersionUnreadable,
                format!(
                    "version {} of {} no longer compiles",
                    version.version, version.flow_id
                ),
            )
        })
}

/// The funnel of a flow version over a time range: per node, runs that entered, left by
/// each port, failed, timed out.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/analytics", tag = "analytics",
    params(
        ("workspace" = String, Path), ("flow" = String, Path),
        ("version" = Option<i32>, Query, description = "A version number; the live version (else the latest) when absent"),
        ("from" = Option<String>, Query, description = "RFC 3339; 7 days before `to` when absent"),
        ("to" = Option<String>, Query, description = "RFC 3339; now when absent")
    ),
    responses(
        (status = 200, body = Funnel),
        (status = 400, description = "A bad parameter; `error.code` says which"),
        (status = 404, description = "No such flow or version, or never published")
    )
)]
pub async fn funnel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let flow_id = path.into_inner().flow;
    let query = parse_query(&request)?;
    let flow = find_flow(&state, &caller, &flow_id).await?;
    let (from, to) = range_of(&query, state.now())?;
    let number = match query.version.or(flow.published_version) {
        Some(number) => Some(number),
        None => flow_version::Entity::find()
            .filter(flow_version::Column::WorkspaceId.eq(&caller.workspace))
            .filter(flow_version::Column::FlowId.eq(&flow_id))
            .order_by_desc(flow_version::Column::Version)
            .one(&state.db)
            .await?
            .map(|latest| latest.version),
    };
    let Some(number) = number else {
        return Err(ApiError::not_found(format!(
            "Flow {flow_id} has never been published: it has no counts yet."
        )));
    };
    let version =
        flow_version::Entity::find_by_id((caller.workspace.clone(), flow_id.clone(), number))
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("Flow {flow_id} has no version {number}."))
            })?;
    let compiled = flow_of(&state, &caller, &version)?;
    let counts: HashMap<CountKey, i64> = state.store.counters(&version.hash, from, to).await?;
    let count = |node: &str, key: &str| counts.get(&CountKey::new(node, key)).copied().unwrap_or(0);

    let mut totals = Totals {
        started: 0,
        entered: 0,
        failed: 0,
        timed_out: 0,
    };
    let mut nodes = Vec::with_capacity(compiled.flow().nodes.len());
    for node in &compiled.flow().nodes {
        let node_type = node.kind.node_type();
        let mut left: BTreeMap<String, i64> = compiled
            .node_index(&node.id)
            .map(|ix| {
                compiled
                    .ports(ix)
                    .iter()
                    .map(|(port, _)| (port.name.clone(), 0))
                    .collect()
            })
            .unwrap_or_default();
        for (key, value) in counts.iter().filter(|(key, _)| key.node_id == node.id) {
            if let Some(port) = key.left_by() {
                *left.entry(port.to_owned()).or_insert(0) += value;
            }
        }
        let entered = count(&node.id, "entered");
        let failed = count(&node.id, "failed");
        let timed_out = left.get("timeout").copied().unwrap_or(0);
        if node_type.category() == Category::Trigger {
            totals.started += entered;
        }
        totals.entered += entered;
        totals.failed += failed;
        totals.timed_out += timed_out;
        nodes.push(NodeCounts {
            node_id: node.id.clone(),
            node_type: node_type.name().to_owned(),
            entered,
            left,
            failed,
            timed_out,
        });
    }
    let counted_to = hour_of(to - 1) + HOUR;
    Ok(HttpResponse::Ok().json(Funnel {
        flow_id,
        version: version.version,
        hash: version.hash,
        range: Range {
            from: rfc3339(from),
            to: rfc3339(to),
        },
        counted: Range {
            from: rfc3339(hour_of(from)),
            to: rfc3339(counted_to),
        },
        nodes,
        totals,
    }))
}
