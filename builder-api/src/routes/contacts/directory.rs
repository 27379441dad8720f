//! The contact directory over HTTP: list and search a workspace's contacts (by name or
//! number, tag, property, consent, when they last wrote, their business number, the ad they
//! came from, the steps of journeys they reached), page by cursor, in a chosen order; add a
//! contact; tag or untag many at once; read a contact's consent ledger.
//!
//! Reads come from the directory (see `crate::directory`); changes go through the runtime
//! like every change to a contact, so they are applied in order with its messages and land
//! in the directory when applied (moments later).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::{StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use spool_nodes::identity::ContactIdentity;
use spool_runtime::state::ContactChange;
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use super::{Accepted, ContactPatch, ContactPath, change_of, contact_id, phone_in_path};
use crate::auth::{Caller, Role};
use crate::consent::{self, ConsentEntry, suppression};
use crate::directory::{self, Audience, Condition, Cursor, Page, Sort};
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;

/// Contacts a page holds when the caller does not say.
const PAGE: u64 = 50;
/// The most a page holds.
const MOST: u64 = 500;
/// The most contacts one bulk change reaches.
const BULK_MOST: usize = 10_000;
/// Changes handed to the runtime at once by a bulk change.
const BULK_IN_FLIGHT: usize = 32;

fn bad(code: Code, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// A search: who, in what order, from where.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    #[serde(default)]
    pub audience: Audience,
    #[serde(default)]
    pub sort: Sort,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1 to 500 (50 when absent).
    #[serde(default)]
    pub limit: Option<u64>,
}

fn checked(audience: &Audience) -> Result<(), ApiError> {
    audience.check().map_err(|invalid| {
        let mut error = bad(
            Code::InvalidAudience,
            format!("The audience cannot be used: {invalid}."),
        );
        error.details = json!({ "condition": invalid.index });
        error
    })
}

async fn run_search(
    state: &AppState,
    caller: &Caller,
    search: Search,
) -> Result<HttpResponse, ApiError> {
    checked(&search.audience)?;
    let limit = search.limit.unwrap_or(PAGE);
    if !(1..=MOST).contains(&limit) {
        return Err(bad(
            Code::InvalidQuery,
            format!("`limit` is 1 to {MOST}; {limit} is not."),
        ));
    }
    let cursor = match search.cursor.as_deref() {
        None => None,
        Some(text) => Some(
            Cursor::decode(text)
                .filter(|cursor| cursor.sorts_by(search.sort))
                .ok_or_else(|| {
                    bad(
                        Code::InvalidCursor,
                        "This cursor was not given by this list in this order: start again \
                         without `cursor`."
                            .into(),
                    )
                })?,
        ),
    };
    let page: Page = directory::page(
        &state.db,
        &caller.workspace,
        &search.audience,
        search.sort,
        cursor.as_ref(),
        limit,
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Lists the workspace's contacts, with simple filters in the query (`POST
/// /contacts/search` takes every condition).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts", tag = "contacts", operation_id = "list_contacts",
    params(
        ("workspace" = String, Path),
        ("q" = Option<String>, Query, description = "Name or number contains this"),
        ("tag" = Option<String>, Query, description = "Has this tag (repeat for several)"),
        ("consent" = Option<String>, Query, description = "`given` or `none` (Marketing)"),
        ("wrote_within_days" = Option<u32>, Query, description = "Wrote within this many days"),
        ("flow" = Option<String>, Query, description = "Reached this journey (with `node`: this step of it)"),
        ("node" = Option<String>, Query),
        ("ad" = Option<String>, Query, description = "Came from this Click-to-WhatsApp ad"),
        ("channel" = Option<String>, Query, description = "Last wrote to this number (channel id)"),
        ("sort" = Option<Sort>, Query),
        ("cursor" = Option<String>, Query),
        ("limit" = Option<u64>, Query, description = "1 to 500 (50 when absent)")
    ),
    responses((status = 200, body = Page), (status = 400))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let search = search_of_query(request.query_string())?;
    run_search(&state, &caller, search).await
}

/// The conditions a list's query asks for (its order and page aside).
pub(crate) fn audience_of_query(query: &str) -> Result<Audience, ApiError> {
    let search = search_of_query(query)?;
    checked(&search.audience)?;
    Ok(search.audience)
}

fn search_of_query(query: &str) -> Result<Search, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|err| {
            bad(
                Code::InvalidQuery,
                format!("The query cannot be read: {err}."),
            )
        })?
        .into_inner();
    let mut search = Search::default();
    let mut flow = None;
    let mut node = None;
    let number = |name: &str, value: &str| {
        value.parse::<u64>().map_err(|_| {
            bad(
                Code::InvalidQuery,
                format!("`{name}` is a whole number; {value:?} is not."),
            )
        })
    };
    for (name, value) in pairs {
        let condition = match name.as_str() {
            "q" => Condition::Search { text: value },
            "tag" => Condition::Tag { tag: value },
            "consent" => match value.as_str() {
                "given" => Condition::MarketingConsent { given: true },
                "none" => Condition::MarketingConsent { given: false },
                other => {
                    return Err(bad(
                        Code::InvalidQuery,
                        format!("`consent` is `given` or `none`; {other:?} is not."),
                    ));
                }
            },
            "wrote_within_days" => Condition::WroteWithin {
                days: u32::try_from(number(&name, &value)?).unwrap_or(u32::MAX),
            },
            "ad" => Condition::FromAd { ad_id: value },
            "channel" => Condition::Channel { channel: value },
            "flow" => {
                flow = Some(value);
                continue;
            }
            "node" => {
                node = Some(value);
                continue;
            }
            "sort" => {
                search.sort =
                    serde_json::from_value(Value::String(value.clone())).map_err(|_| {
                        bad(
                            Code::InvalidQuery,
                            format!(
                                "`sort` is last_inbound, name, created or phone; {value:?} is not."
                            ),
                        )
                    })?;
                continue;
            }
            "cursor" => {
                search.cursor = Some(value);
                continue;
            }
            "limit" => {
                search.limit = Some(number(&name, &value)?);
                continue;
            }
            other => {
                return Err(bad(
                    Code::UnknownParameter,
                    format!(
                        "Unknown parameter `{other}`: this takes q, tag, consent, \
                         wrote_within_days, flow, node, ad, channel, sort, cursor and limit."
                    ),
                ));
            }
        };
        search.audience.all.push(condition);
    }
    match (flow, node) {
        (Some(flow_id), node_id) => search
            .audience
            .all
            .push(Condition::Reached { flow_id, node_id }),
        (None, Some(_)) => {
            return Err(bad(
                Code::InvalidQuery,
                "`node` goes with `flow`: a step of which journey?".into(),
            ));
        }
        (None, None) => {}
    }
    Ok(search)
}

/// Searches the workspace's contacts with any conditions (an audience).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/search", tag = "contacts",
    params(("workspace" = String, Path)),
    request_body = Search,
    responses((status = 200, body = Page), (status = 400))
)]
pub async fn search(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let search = parse_json::<Search>(&body)?;
    run_search(&state, &caller, search).await
}

/// A new contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// E.164, with or without `+`.
    pub phone: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// Marketing consent, with its basis (required with `true`).
    #[serde(default)]
    pub marketing_opt_in: Option<bool>,
    #[serde(default)]
    pub consent_basis: Option<String>,
    #[serde(default)]
    pub consent_text: Option<String>,
    #[serde(default)]
    pub locale: Option<String>,
}

/// Adds a contact (or changes the one Spool knows with this number). A number on the
/// suppression list is refused: its owner was erased or objected to being contacted.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts", tag = "contacts", operation_id = "create_contact",
    params(("workspace" = String, Path)),
    request_body = NewContact,
    responses(
        (status = 202, body = Accepted),
        (status = 400, description = "A bad number or change"),
        (status = 403, description = "Needs the editor role"),
        (status = 409, description = "The number is suppressed")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let new = parse_json::<NewContact>(&body)?;
    let phone = crate::routes::contacts::phone_in_body(&new.phone)?;
    if new.marketing_opt_in == Some(true)
        && new
            .consent_basis
            .as_deref()
            .is_none_or(|basis| basis.trim().is_empty())
    {
        return Err(bad(
            Code::InvalidConsent,
            "Recording Marketing consent needs `consent_basis`: how the person agreed \
             (e.g. \"ticked the WhatsApp box at checkout\")."
                .into(),
        ));
    }
    let key = suppression::key(&state.db, &caller.workspace).await?;
    let hash = suppression::phone_hash(&key, phone.digits());
    if !suppression::which(&state.db, &caller.workspace, &[hash])
        .await?
        .is_empty()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::Suppressed,
            "This number is on the suppression list: its owner was erased or objected to \
             being contacted. Take it off the list only if they asked to be contacted again.",
        ));
    }
    let patch = ContactPatch {
        name: new.name,
        add_tags: new.tags,
        properties: new.properties,
        marketing_opt_in: new.marketing_opt_in,
        consent_basis: new.consent_basis,
        consent_text: new.consent_text,
        locale: new.locale,
        ..ContactPatch::default()
    };
    let mut change = match change_of(patch, &caller) {
        Ok(change) => change,
        // A contact with nothing but a number is a contact too.
        Err(error) if error.code == Code::EmptyChange => ContactChange::default(),
        Err(error) => return Err(error),
    };
    change.add_tags.dedup();
    let identity = ContactIdentity::from(phone.clone());
    let id = state
        .store
        .resolve_contact(&caller.workspace, &identity)
        .await?;
    let wa_id = phone.digits().to_owned();
    let event = Event::new(
        id,
        wa_id.clone(),
        state.now(),
        EventKind::UpdateContact { change },
    );
    state.runtime.accept(event).await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        accepted: true,
        location: format!(
            "/api/v1/workspaces/{}/contacts/%2B{wa_id}",
            caller.workspace
        ),
    }))
}

/// Tags or untags many contacts: those listed, or those an audience matches now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkChange {
    /// Numbers (E.164); or give `audience`.
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
}

/// How many contacts a bulk change reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDone {
    /// Changes taken (applied moments later, in order with each contact's events).
    pub changed: usize,
    /// Numbers listed that Spool does not know (nothing was created for them).
    pub unknown: Vec<String>,
}

/// Tags or untags up to 10,000 contacts at once (listed by number, or matched by an
/// audience). Each contact's change starts the journeys listening for a tag being added.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/bulk", tag = "contacts",
    params(("workspace" = String, Path)),
    request_body = BulkChange,
    responses(
        (status = 200, body = BulkDone),
        (status = 400, description = "No contacts, no change, or too many contacts"),
        (status = 403, description = "Needs the editor role")
    )
)]
pub async fn bulk(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let request = parse_json::<BulkChange>(&body)?;
    let patch = ContactPatch {
        add_tags: request.add_tags,
        remove_tags: request.remove_tags,
        ..ContactPatch::default()
    };
    let change = change_of(patch, &caller)?;
    let mut unknown = Vec::new();
    let targets: Vec<(String, String)> = match (request.phones, request.audience) {
        (Some(phones), None) => {
            if phones.len() > BULK_MOST {
                return Err(too_many(phones.len()));
            }
            let mut found = Vec::new();
            for raw in phones {
                let phone = crate::routes::contacts::phone_in_body(&raw)?;
                let id = contact_id(&state, &caller, &phone).await?;
                if state.store.contact(&id).await?.is_some() {
                    found.push((id, phone.digits().to_owned()));
                } else {
                    unknown.push(raw);
                }
            }
            found
        }
        (None, Some(audience)) => {
            checked(&audience)?;
            let now = state.now();
            let total = directory::count(&state.db, &caller.workspace, &audience, now).await?;
            if total > BULK_MOST as u64 {
                return Err(too_many(usize::try_from(total).unwrap_or(usize::MAX)));
            }
            directory::members(&state.db, &caller.workspace, &audience, now).await?
        }
        _ => {
            return Err(bad(
                Code::InvalidQuery,
                "Give either `phones` (numbers) or `audience` (conditions), not both.".into(),
            ));
        }
    };
    let now = state.now();
    let changed = targets.len();
    stream::iter(targets)
        .map(|(id, wa_id)| {
            let event = Event::new(
                id,
                wa_id,
                now,
                EventKind::UpdateContact {
                    change: change.clone(),
                },
            );
            let runtime = state.runtime.clone();
            async move { runtime.accept(event).await }
        })
        .buffer_unordered(BULK_IN_FLIGHT)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(HttpResponse::Ok().json(BulkDone { changed, unknown }))
}

fn too_many(found: usize) -> ApiError {
    bad(
        Code::InvalidQuery,
        format!(
            "A bulk change reaches at most {BULK_MOST} contacts; this one would reach {found}. \
             Narrow the audience."
        ),
    )
}

/// Every opt-in and opt-out of a contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentLedger {
    /// Oldest first.
    pub entries: Vec<ConsentEntry>,
}

/// A contact's consent ledger: every opt-in and opt-out, with where it came from, who made
/// it, the basis stated and the text shown.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/consent", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path)),
    responses((status = 200, body = ConsentLedger), (status = 400))
)]
pub async fn consent_ledger(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
) -> Result<HttpResponse, ApiError> {
    let phone = phone_in_path(&path.phone)?;
    let id = contact_id(&state, &caller, &phone).await?;
    let entries = consent::history(&state.db, &id).await?;
    Ok(HttpResponse::Ok().json(ConsentLedger { entries }))
}
