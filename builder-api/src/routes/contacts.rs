//! Contacts and their runs: read a contact (profile, tags, properties, consent, the service
//! window, its runs), change it, read and cancel a run, and erase a contact with everything
//! kept about it (GDPR erasure).
//!
//! A contact is addressed by its WhatsApp number in E.164, with or without the `+` (`%2B`
//! in a URL). Inside the runtime it is `<workspace>/wa:<wa_id>`, WhatsApp's id being the
//! number without `+`, as inbound messages, webhooks and the simulator all name it — or, for
//! a contact first met by its BSUID, the id it got then, which the store's alias index finds
//! from the number. Changes
//! go through the runtime's log, like any other event of the contact, so they are applied in
//! order with its messages and timers: they are answered 202 once durable. Erasure is synchronous: once it
//! answers, nothing about the contact is left in the store (docs/runtime.md, Erasure).

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use spool_nodes::identity::{ContactIdentity, Phone};
use spool_nodes::{DAY, Millis, Run, RunStatus, WaitKind};
use spool_runtime::ScopedId;
use spool_runtime::state::{ContactChange, ContactState};
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use crate::audit;
use crate::auth::{Caller, Role, sha256_hex};
use crate::db::flow_version;
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::rfc3339;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/contacts/{phone}", web::get().to(read))
        .route("/contacts/{phone}", web::patch().to(update))
        .route("/contacts/{phone}", web::delete().to(erase))
        .route("/contacts/{phone}/runs/{run}", web::get().to(read_run))
        .route(
            "/contacts/{phone}/runs/{run}/cancel",
            web::post().to(cancel_run),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(read, update, erase, read_run, cancel_run),
    components(schemas(
        ContactView,
        Window,
        RunView,
        WaitView,
        RunDetail,
        HistoryEntry,
        ContactPatch,
        Accepted
    ))
)]
pub struct Api;

/// What Spool knows about a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    /// E.164, with `+`.
    pub phone: String,
    /// WhatsApp's id for the contact: the number without `+`.
    pub wa_id: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// IANA time zone, when known.
    pub timezone: Option<String>,
    /// Whether Marketing templates may be sent (consent on record).
    pub marketing_opt_in: bool,
    pub marketing_opt_in_at: Option<String>,
    /// When the contact last wrote.
    pub last_inbound_at: Option<String>,
    /// The 24-hour service window: free-form messages only while it is open.
    pub window: Window,
    /// Runs in progress, oldest first.
    pub runs: Vec<RunView>,
    /// The most recent finished runs (a few are kept).
    pub finished_runs: Vec<RunView>,
    /// Journeys that start when the current conversation ends (re-entry `queue`).
    pub queued: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Window {
    pub open: bool,
    /// When it closes (or closed), 24 hours after the contact's last message.
    pub closes_at: Option<String>,
}

/// One run: where it is and what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    pub flow_id: String,
    /// The published version the run is on (the latest one with this content, when a
    /// rollback published the same content again); absent if that version is gone.
    pub version: Option<i32>,
    /// The version's content hash.
    pub version_hash: String,
    /// `running`, `waiting_reply`, `waiting_timer`, `handoff`, `done`, `failed`, `cancelled`.
    #[schema(value_type = String)]
    pub status: RunStatus,
    pub active: bool,
    /// The node the run is at (or ended at).
    pub node_id: String,
    /// That node's type, when the version is loaded.
    pub node_type: Option<String>,
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// What the run waits for, while it waits.
    pub waiting: Option<WaitView>,
    /// Steps taken since it started.
    pub steps: u32,
    pub started_at: String,
    pub updated_at: String,
    /// Why it failed or was cancelled.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitView {
    /// `reply`, `timer`, `handoff` or `call` (an HTTP request or an AI model is answering).
    #[schema(value_type = String)]
    pub kind: WaitKind,
    /// When the wait times out (or the delay ends), if it does.
    pub deadline: Option<String>,
    /// Answers that were not valid so far (`wait_for_reply`).
    pub attempts: u8,
}

/// A run with the data it carries and its course.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: RunView,
    /// The latest message the run received, as expressions see it (`msg`).
    #[schema(value_type = Object)]
    pub msg: Value,
    /// The webhook body that started it (`payload`).
    #[schema(value_type = Object)]
    pub payload: Value,
    /// The run's course as its state records it: when it started, where it rests or
    /// ended. The steps in between are counted (`steps`), not listed: a list per run
    /// would not fit the memory a waiting contact may take (docs/runtime.md).
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    /// `started`, `running`, `waiting_reply`, `waiting_timer`, `calling`, `handoff`, `done`, `failed`,
    /// `cancelled`.
    pub what: String,
    pub node_id: Option<String>,
    /// Until when it waits, or why it ended.
    pub detail: Option<String>,
}

/// A change to a contact; a contact Spool has not met yet is created.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// Tags to add; each one added starts journeys with a `tag_added` event trigger.
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    /// Properties to set (others are kept).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// Records (true) or withdraws (false) consent to Marketing templates.
    #[serde(default)]
    pub marketing_opt_in: Option<bool>,
}

/// Taken: applied in order with the contact's other events, moments later.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub accepted: bool,
    /// Where to read the result.
    pub location: String,
}

#[derive(Debug, Deserialize)]
pub struct ContactPath {
    pub workspace: String,
    pub phone: String,
}

#[derive(Debug, Deserialize)]
pub struct RunPath {
    pub workspace: String,
    pub phone: String,
    pub run: String,
}

/// WhatsApp's id for a number given in a path: E.164 with or without `+` (`%2B` stays
/// encoded in actix's paths), read like every number Spool takes, and written as its digits
/// alone: a URL names one contact one way, so `0049…` or `+49-151…` are refused here.
pub fn phone_in_path(raw: &str) -> Result<Phone, ApiError> {
    let digits = raw
        .strip_prefix('+')
        .or_else(|| raw.strip_prefix("%2B"))
        .or_else(|| raw.strip_prefix("%2b"))
        .unwrap_or(raw);
    match Phone::parse(digits) {
        Ok(phone) if phone.digits() == digits => Ok(phone),
        parsed => {
            let reason = parsed.err().map_or_else(
                || "it is not written as digits alone".to_owned(),
                |reason| reason.to_string(),
            );
            let mut error = ApiError::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidPhone,
                format!(
                    "A contact is addressed by its WhatsApp number in E.164: 8 to 15 digits, \
                     optionally after a `+` (written %2B in a URL), e.g. \
                     /contacts/%2B4915112345678; this one is not: {reason}."
                ),
            );
            error.details = json!({ "phone": raw });
            Err(error)
        }
    }
}

/// The runtime's id for a number in this workspace: its own, or the one of the contact (met
/// first by BSUID) the alias index links it to. Reads, never links.
async fn contact_id(state: &AppState, caller: &Caller, phone: &Phone) -> Result<String, ApiError> {
    state
        .store
        .find_contact(&caller.workspace, &ContactIdentity::from(phone.clone()))
        .await
        .map_err(ApiError::from)
}

/// How the audit log names a contact: a pseudonym (the start of a SHA-256 of the workspace
/// and number), so that the log keeps no number, even after the contact is erased. Someone
/// who knows the number can still find its entries.
pub fn audit_name(caller: &Caller, wa_id: &str) -> String {
    let digest = sha256_hex(&format!("{}/{wa_id}", caller.workspace));
    format!("contact:{}", &digest[..16])
}

fn unknown_contact() -> ApiError {
    ApiError::not_found("Spool knows no contact with this number in this workspace.")
}

/// The contact's runtime id and state, if Spool knows it.
async fn find(
    state: &AppState,
    caller: &Caller,
    phone: &Phone,
) -> Result<Option<(String, ContactState)>, ApiError> {
    let id = contact_id(state, caller, phone).await?;
    let found = state.store.contact(&id).await?;
    Ok(found.map(|found| (id, found)))
}

/// Version numbers by content hash, for the runs' versions (the latest number per hash).
async fn version_numbers(
    state: &AppState,
    caller: &Caller,
    runs: &[Run],
) -> Result<HashMap<String, i32>, ApiError> {
    let mut hashes: Vec<String> = runs.iter().map(|run| run.version.clone()).collect();
    hashes.sort();
    hashes.dedup();
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let versions = flow_version::Entity::find()
        .filter(flow_version::Column::WorkspaceId.eq(&caller.workspace))
        .filter(flow_version::Column::Hash.is_in(hashes))
        .all(&state.db)
        .await?;
    let mut numbers: HashMap<String, i32> = HashMap::new();
    for version in versions {
        let number = numbers.entry(version.hash).or_insert(version.version);
        *number = (*number).max(version.version);
    }
    Ok(numbers)
}

/// A flow id as the workspace knows it (the runtime's has the workspace in front).
fn unscoped(flow_id: &str) -> String {
    ScopedId::local_of(flow_id).to_owned()
}

fn millis_to_text(at: Option<Millis>) -> Option<String> {
    at.map(rfc3339)
}

fn run_view(state: &AppState, run: &Run, numbers: &HashMap<String, i32>) -> RunView {
    let node_type = state
        .published
        .registry()
        .version(&run.version)
        .and_then(|flow| {
            flow.node_index(&run.cursor)
                .map(|ix| flow.node(ix).kind.node_type().name().to_owned())
        });
    RunView {
        id: run.id.clone(),
        flow_id: unscoped(&run.flow_id),
        version: numbers.get(&run.version).copied(),
        version_hash: run.version.clone(),
        status: run.status,
        active: run.status.is_active(),
        node_id: run.cursor.clone(),
        node_type,
        vars: run.vars.clone(),
        waiting: run
            .wait
            .as_ref()
            .filter(|_| run.status.is_active())
            .map(|wait| WaitView {
                kind: wait.kind,
                deadline: millis_to_text(wait.deadline),
                attempts: wait.attempts,
            }),
        steps: run.steps,
        started_at: rfc3339(run.started_at),
        updated_at: rfc3339(run.updated_at),
        reason: run.reason.clone(),
    }
}

fn status_name(status: RunStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn history(run: &Run) -> Vec<HistoryEntry> {
    let mut entries = vec![HistoryEntry {
        at: rfc3339(run.started_at),
        what: "started".into(),
        node_id: None,
        detail: None,
    }];
    let detail = if run.status.is_active() {
        run.wait
            .as_ref()
            .and_then(|wait| wait.deadline)
            .map(|deadline| format!("until {}", rfc3339(deadline)))
    } else {
        run.reason.clone()
    };
    entries.push(HistoryEntry {
        at: rfc3339(run.updated_at),
        what: status_name(run.status),
        node_id: Some(run.cursor.clone()),
        detail,
    });
    entries
}

fn contact_view(
    state: &AppState,
    found: &ContactState,
    wa_id: &str,
    numbers: &HashMap<String, i32>,
) -> ContactView {
    let contact = &found.contact;
    let now = state.now();
    let (runs, finished): (Vec<&Run>, Vec<&Run>) =
        found.runs.iter().partition(|run| run.status.is_active());
    ContactView {
        phone: format!("+{wa_id}"),
        wa_id: wa_id.to_owned(),
        name: contact.name.clone(),
        tags: contact.tags.iter().cloned().collect(),
        properties: contact.properties.clone(),
        timezone: contact.timezone.clone(),
        marketing_opt_in: contact.opted_in(),
        marketing_opt_in_at: millis_to_text(contact.marketing_opt_in_at),
        last_inbound_at: millis_to_text(contact.last_inbound_at),
        window: Window {
            open: contact.window_open(now),
            closes_at: millis_to_text(contact.last_inbound_at.map(|at| at + DAY)),
        },
        runs: runs
            .into_iter()
            .map(|run| run_view(state, run, numbers))
            .collect(),
        finished_runs: finished
            .into_iter()
            .rev()
            .map(|run| run_view(state, run, numbers))
            .collect(),
        queued: found
            .queued
            .iter()
            .map(|queued| unscoped(&queued.flow_id))
            .collect(),
    }
}

/// Reads a contact: profile, tags, properties, consent, the service window and its runs.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}", tag = "contacts",
    params(("workspace" = String, Path),
           ("phone" = String, Path, description = "E.164, with or without `+` (%2B)")),
    responses(
        (status = 200, body = ContactView),
        (status = 400, description = "Not a phone number"),
        (status = 404, description = "No such contact in this workspace")
    )
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
) -> Result<HttpResponse, ApiError> {
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    let (_, found) = find(&state, &caller, &phone)
        .await?
        .ok_or_else(unknown_contact)?;
    let numbers = version_numbers(&state, &caller, &found.runs).await?;
    Ok(HttpResponse::Ok().json(contact_view(&state, &found, &wa_id, &numbers)))
}

fn invalid(code: Code, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Checks a change and turns it into the runtime's.
fn change_of(patch: ContactPatch) -> Result<ContactChange, ApiError> {
    if let Some(name) = &patch.name
        && (name.trim().is_empty() || name.chars().count() > 200)
    {
        return Err(invalid(
            Code::InvalidName,
            "`name` is 1 to 200 characters, not only spaces.".into(),
        ));
    }
    for tag in patch.add_tags.iter().chain(&patch.remove_tags) {
        if tag.trim().is_empty() || tag.chars().count() > 64 {
            return Err(invalid(
                Code::InvalidTag,
                format!("A tag is 1 to 64 characters, not only spaces; {tag:?} is not."),
            ));
        }
    }
    if let Some(tag) = patch
        .add_tags
        .iter()
        .find(|tag| patch.remove_tags.contains(tag))
    {
        return Err(invalid(
            Code::InvalidTag,
            format!("Tag {tag:?} is both added and removed."),
        ));
    }
    if let Some(key) = patch
        .properties
        .keys()
        .find(|key| key.trim().is_empty() || key.chars().count() > 64)
    {
        return Err(invalid(
            Code::InvalidProperty,
            format!("A property name is 1 to 64 characters; {key:?} is not."),
        ));
    }
    let change = ContactChange {
        name: patch.name,
        marketing_opt_in: patch.marketing_opt_in,
        add_tags: patch.add_tags,
        remove_tags: patch.remove_tags,
        properties: patch.properties,
        timezone: None,
    };
    if change == ContactChange::default() {
        return Err(invalid(
            Code::EmptyChange,
            "Nothing to change: send `name`, `add_tags`, `remove_tags`, `properties` or \
             `marketing_opt_in`."
                .into(),
        ));
    }
    Ok(change)
}

/// Changes a contact (creating it when Spool has not met it): name, tags, properties,
/// Marketing consent. Applied in order with the contact's other events; tags added and
/// consent given start the journeys listening for them.
#[utoipa::path(
    patch, path = "/api/v1/workspaces/{workspace}/contacts/{phone}", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path)),
    request_body = ContactPatch,
    responses(
        (status = 202, body = Accepted),
        (status = 400, description = "Not a phone number, or a bad change"),
        (status = 403, description = "Needs the editor role")
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    let change = change_of(parse_json::<ContactPatch>(&body)?)?;
    let event = Event::new(
        contact_id(&state, &caller, &phone).await?,
        wa_id.clone(),
        state.now(),
        EventKind::UpdateContact { change },
    );
    state.runtime.accept(event).await?;
    let location = format!(
        "/api/v1/workspaces/{}/contacts/%2B{wa_id}",
        caller.workspace
    );
    Ok(HttpResponse::Accepted().json(Accepted {
        accepted: true,
        location,
    }))
}

async fn find_run(
    state: &AppState,
    caller: &Caller,
    path: &RunPath,
) -> Result<(String, String, ContactState, usize), ApiError> {
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    let (contact_id, found) = find(state, caller, &phone)
        .await?
        .ok_or_else(unknown_contact)?;
    let index = found
        .runs
        .iter()
        .position(|run| run.id == path.run)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "This contact has no run {} (finished runs are kept only a while).",
                path.run
            ))
        })?;
    Ok((wa_id, contact_id, found, index))
}

/// Reads one of a contact's runs: its state, what it carries and its course.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path), ("run" = String, Path)),
    responses((status = 200, body = RunDetail), (status = 404))
)]
pub async fn read_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<RunPath>,
) -> Result<HttpResponse, ApiError> {
    let (_, _, found, index) = find_run(&state, &caller, &path).await?;
    let run = &found.runs[index];
    let numbers = version_numbers(&state, &caller, std::slice::from_ref(run)).await?;
    Ok(HttpResponse::Ok().json(RunDetail {
        run: run_view(&state, run, &numbers),
        msg: run.msg.clone(),
        payload: run.payload.clone(),
        history: history(run),
    }))
}

/// Cancels a run in progress, with its timers. Applied in order with the contact's other
/// events, moments later (the run then reads `cancelled`).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}/cancel", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path), ("run" = String, Path)),
    responses(
        (status = 202, body = Accepted),
        (status = 403, description = "Needs the editor role"),
        (status = 404),
        (status = 409, description = "The run has ended already")
    )
)]
pub async fn cancel_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<RunPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let (wa_id, contact_id, found, index) = find_run(&state, &caller, &path).await?;
    let run = &found.runs[index];
    if !run.status.is_active() {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            Code::RunEnded,
            format!(
                "Run {} has ended already ({}).",
                run.id,
                status_name(run.status)
            ),
        );
        error.details = json!({ "status": run.status });
        return Err(error);
    }
    let now = state.now();
    let event = Event::new(
        contact_id,
        wa_id.clone(),
        now,
        EventKind::CancelRun {
            run_id: run.id.clone(),
        },
    );
    state.runtime.accept(event).await?;
    audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        "run.cancelled",
        &format!("{}/run:{}", audit_name(&caller, &wa_id), run.id),
        json!({ "flow_id": unscoped(&run.flow_id) }),
        now,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        accepted: true,
        location: format!(
            "/api/v1/workspaces/{}/contacts/%2B{wa_id}/runs/{}",
            caller.workspace, run.id
        ),
    }))
}

/// Erases a contact and everything kept about it (GDPR erasure): profile, consent, runs,
/// timers, events not applied yet, messages not sent yet. Once answered, none of it is
/// left; a message the person sends later starts a new contact. The audit log records the
/// erasure under a pseudonym, never the number.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/contacts/{phone}", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path)),
    responses(
        (status = 204, description = "Erased"),
        (status = 400, description = "Not a phone number"),
        (status = 403, description = "Needs the admin role"),
        (status = 404, description = "Nothing was kept about this number")
    )
)]
pub async fn erase(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    let gone = state
        .store
        .erase(&contact_id(&state, &caller, &phone).await?)
        .await?;
    if !gone.found() {
        return Err(unknown_contact());
    }
    let erased = BTreeMap::from([
        ("state", usize::from(gone.state)),
        ("timers", gone.timers),
        ("events", gone.events),
        ("outbox", gone.outbox),
    ]);
    audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        "contact.erased",
        &audit_name(&caller, &wa_id),
        json!(erased),
        state.now(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
