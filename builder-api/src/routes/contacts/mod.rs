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

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use spool_nodes::identity::{ContactIdentity, Phone};
use spool_nodes::{DAY, Millis, Run};
use spool_runtime::ScopedId;
use spool_runtime::state::{ConsentSource, ContactChange, ContactState};
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use crate::auth::{Actor, Caller, Role, sha256_hex};
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::rfc3339;

mod access;
mod directory;
mod erase;
mod runs;

pub(crate) use directory::audience_of_query;
pub use runs::{HistoryEntry, RunDetail, RunView, WaitView};
use runs::{run_view, version_numbers};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/contacts", web::get().to(directory::list))
        .route("/contacts", web::post().to(directory::create))
        .route("/contacts/search", web::post().to(directory::search))
        .route("/contacts/bulk", web::post().to(directory::bulk))
        .route(
            "/contacts/{phone}/consent",
            web::get().to(directory::consent_ledger),
        )
        .route("/contacts/{phone}/export", web::get().to(access::export))
        .route("/contacts/{phone}", web::get().to(read))
        .route("/contacts/{phone}", web::patch().to(update))
        .route("/contacts/{phone}", web::delete().to(erase::erase))
        .route(
            "/contacts/{phone}/runs/{run}",
            web::get().to(runs::read_run),
        )
        .route(
            "/contacts/{phone}/runs/{run}/cancel",
            web::post().to(runs::cancel_run),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        read,
        update,
        erase::erase,
        runs::read_run,
        runs::cancel_run,
        directory::list,
        directory::search,
        directory::create,
        directory::bulk,
        directory::consent_ledger,
        access::export
    ),
    components(schemas(
        directory::Search,
        directory::NewContact,
        directory::BulkChange,
        directory::BulkDone,
        directory::ConsentLedger,
        crate::consent::ConsentEntry,
        crate::directory::Audience,
        crate::directory::Condition,
        crate::directory::PropertyTest,
        crate::directory::Page,
        crate::directory::DirectoryEntry,
        crate::directory::Sort,
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
    /// The language the contact reads (`pt_BR`, `en`), when known: templates go out in it
    /// when Meta approved that translation.
    pub locale: Option<String>,
    /// Whether Marketing templates may be sent (consent on record).
    pub marketing_opt_in: bool,
    pub marketing_opt_in_at: Option<String>,
    /// When the contact last wrote.
    pub last_inbound_at: Option<String>,
    /// The 24-hour service window: free-form messages only while it is open.
    pub window: Window,
    /// The Click-to-WhatsApp ad of the contact's first message after a tap (source_id,
    /// source_url, source_type, headline, body, ctwa_clid…, and `at` in seconds).
    #[schema(value_type = Option<Object>)]
    pub first_touch: Option<Value>,
    /// The latest such ad.
    #[schema(value_type = Option<Object>)]
    pub last_touch: Option<Value>,
    /// The latest end of the 72-hour free entry point window the latest ad opened.
    pub free_entry_until: Option<String>,
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
    /// Why consent may be relied on, kept in the consent ledger with the change (e.g.
    /// "ticked the WhatsApp box on the checkout page").
    #[serde(default)]
    pub consent_basis: Option<String>,
    /// The words the person was shown when they consented, kept in the ledger.
    #[serde(default)]
    pub consent_text: Option<String>,
    /// The language the contact reads, as WhatsApp spells locales: `pt_BR`, `en_US`, `es`
    /// (`pt-BR` is read as `pt_BR`).
    #[serde(default)]
    pub locale: Option<String>,
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

/// A number given in a body, written as people write them (`+351 912 345 678`,
/// `00351…`): it must carry its country code.
pub(crate) fn phone_in_body(raw: &str) -> Result<Phone, ApiError> {
    Phone::parse(raw).map_err(|reason| {
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidPhone,
            format!("{raw:?} is not a WhatsApp number with its country code: {reason}."),
        );
        error.details = json!({ "phone": raw });
        error
    })
}

/// The runtime's id for a number in this workspace: its own, or the one of the contact (met
/// first by BSUID) the alias index links it to. Reads, never links.
pub(crate) async fn contact_id(
    state: &AppState,
    caller: &Caller,
    phone: &Phone,
) -> Result<String, ApiError> {
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

/// The state of a contact that a database row names (a handoff ticket, a run's position).
/// Those rows are written by observers of the batch that made them, just before the batch
/// is committed in the store: for a moment the row can be read and the state not yet, so
/// this waits up to 2 s for a state for which `ready` holds. `None`: no such state came
/// (the contact was erased since, or the row was about another moment of it).
pub(crate) async fn committed(
    state: &AppState,
    contact_id: &str,
    ready: impl Fn(&ContactState) -> bool,
) -> Result<Option<ContactState>, ApiError> {
    let mut last = None;
    for _ in 0..40 {
        last = state.store.contact(contact_id).await?;
        if last.as_ref().is_some_and(&ready) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(last)
}

/// A flow id as the workspace knows it (the runtime's has the workspace in front).
fn unscoped(flow_id: &str) -> String {
    ScopedId::local_of(flow_id).to_owned()
}

fn millis_to_text(at: Option<Millis>) -> Option<String> {
    at.map(rfc3339)
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
        locale: contact.locale.clone(),
        marketing_opt_in: contact.opted_in(),
        marketing_opt_in_at: millis_to_text(contact.marketing_opt_in_at),
        last_inbound_at: millis_to_text(contact.last_inbound_at),
        window: Window {
            open: contact.window_open(now),
            closes_at: millis_to_text(contact.last_inbound_at.map(|at| at + DAY)),
        },
        first_touch: contact.attribution.as_ref().map(|a| a.first_touch.clone()),
        last_touch: contact.attribution.as_ref().map(|a| a.last_touch.clone()),
        free_entry_until: millis_to_text(
            contact
                .attribution
                .as_ref()
                .map(|attribution| attribution.free_entry_until()),
        ),
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
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}", tag = "contacts", operation_id = "read_contact",
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

/// A locale as WhatsApp spells it (`pt_BR`, `en`, `es_419`): two or three lowercase
/// letters, then optionally `_` and a region of two capitals or three digits.
fn locale_of(raw: &str) -> Option<String> {
    let locale = spool_nodes::templates::normalise_language(raw);
    let (language, region) = match locale.split_once('_') {
        Some((language, region)) => (language, Some(region)),
        None => (locale.as_str(), None),
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_lowercase());
    let region_ok = region.is_none_or(|region| {
        (region.len() == 2 && region.chars().all(|c| c.is_ascii_uppercase()))
            || (region.len() == 3 && region.chars().all(|c| c.is_ascii_digit()))
    });
    (language_ok && region_ok).then_some(locale)
}

/// Checks a change and turns it into the runtime's.
pub(super) fn change_of(patch: ContactPatch, caller: &Caller) -> Result<ContactChange, ApiError> {
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
    if patch.marketing_opt_in.is_none()
        && (patch.consent_basis.is_some() || patch.consent_text.is_some())
    {
        return Err(invalid(
            Code::InvalidConsent,
            "`consent_basis` and `consent_text` go with `marketing_opt_in`.".into(),
        ));
    }
    if patch
        .consent_basis
        .as_ref()
        .is_some_and(|basis| basis.chars().count() > 500)
        || patch
            .consent_text
            .as_ref()
            .is_some_and(|text| text.chars().count() > 2_000)
    {
        return Err(invalid(
            Code::InvalidConsent,
            "`consent_basis` is at most 500 characters and `consent_text` at most 2,000.".into(),
        ));
    }
    let locale = match patch.locale.as_deref() {
        None => None,
        Some(raw) => Some(locale_of(raw).ok_or_else(|| {
            invalid(
                Code::InvalidLocale,
                format!(
                    "`locale` is a language code such as `pt_BR`, `en_US` or `es`; {raw:?} is not."
                ),
            )
        })?),
    };
    let consent_source = patch.marketing_opt_in.map(|_| ConsentSource {
        source: match caller.actor {
            Actor::User { .. } => "operator".to_owned(),
            Actor::ApiKey { .. } => "api".to_owned(),
        },
        actor: Some(caller.actor.label()),
        basis: patch.consent_basis.clone(),
        text: patch.consent_text.clone(),
    });
    let change = ContactChange {
        locale,
        consent_source,
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
            "Nothing to change: send `name`, `add_tags`, `remove_tags`, `properties`, \
             `marketing_opt_in` or `locale`."
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
    let change = change_of(parse_json::<ContactPatch>(&body)?, &caller)?;
    let id = contact_id(&state, &caller, &phone).await?;
    let now = state.now();
    let event = Event::new(id, wa_id.clone(), now, EventKind::UpdateContact { change });
    // Subscribers hear of a consent change when the runtime applies it (events out).
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
