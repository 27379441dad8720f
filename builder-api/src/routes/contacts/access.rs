//! A subject-access export (GDPR Art. 15 and 20): everything Spool keeps about one contact,
//! in one JSON document a person can be given — profile, consent ledger, every message both
//! ways with what became of it, runs, campaigns that reached them, handoffs with the team's
//! notes — and what Spool does with it. The request is recorded in the audit log under the
//! contact's pseudonym.

use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::runs::version_numbers;
use super::{ContactPath, audit_name, contact_view, find, phone_in_path, unknown_contact};
use crate::audit;
use crate::auth::{Caller, Role};
use crate::db::{campaign, campaign_recipient, conversation_message, handoff_ticket};
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::rfc3339;

/// Everything Spool keeps about a contact, as one JSON document for the person it is about.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/export", tag = "contacts", operation_id = "export_contact",
    params(("workspace" = String, Path), ("phone" = String, Path)),
    responses(
        (status = 200, description = "The contact's data (JSON, as a file)", body = Object),
        (status = 403, description = "Needs the admin role"),
        (status = 404, description = "Nothing is kept about this number")
    )
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    let (id, found) = find(&state, &caller, &phone)
        .await?
        .ok_or_else(unknown_contact)?;
    let numbers = version_numbers(&state, &caller, &found.runs).await?;
    let profile = contact_view(&state, &found, &wa_id, &numbers);
    let consent = crate::consent::history(&state.db, &id).await?;
    let messages: Vec<Value> = conversation_message::Entity::find()
        .filter(conversation_message::Column::ContactId.eq(id.as_str()))
        .order_by_asc(conversation_message::Column::At)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "direction": row.direction,
                "at": rfc3339(row.at),
                "content": serde_json::from_str::<Value>(&row.body).unwrap_or(Value::String(row.body)),
                "status": row.status,
                "error": row.error,
                "sent_by_step": row.node_id,
                "written_by": row.author,
                "outside_the_24_hour_window": row.window_closed,
            })
        })
        .collect();
    let mut campaigns = Vec::new();
    for row in campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::ContactId.eq(id.as_str()))
        .all(&state.db)
        .await?
    {
        let name = campaign::Entity::find_by_id(row.campaign_id.clone())
            .one(&state.db)
            .await?
            .map(|campaign| campaign.name);
        campaigns.push(json!({
            "campaign": name,
            "state": row.state,
            "reason": row.reason,
            "at": rfc3339(row.updated_at),
        }));
    }
    let handoffs: Vec<Value> = handoff_ticket::Entity::find()
        .filter(handoff_ticket::Column::ContactId.eq(id.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| {
            json!({
                "team": row.team,
                "note": row.note,
                "status": row.status,
                "assignee": row.assignee,
            })
        })
        .collect();
    let document = json!({
        "about": format!("+{wa_id}"),
        "exported_at": rfc3339(state.now()),
        "profile": profile,
        "consent": consent,
        "messages": messages,
        "campaigns": campaigns,
        "handoffs": handoffs,
        "processing": {
            "purposes": "Conversations on WhatsApp with this business: answering messages, journeys the business set up, offers when consent was given, and handing conversations to the business's team.",
            "recipients": "Meta Platforms (WhatsApp Business Cloud API) carries every message; Meta keeps message content for up to 30 days.",
            "retention": "Kept until erased or until the workspace's retention periods remove it.",
        },
    });
    audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        "contact.exported",
        &audit_name(&caller, &wa_id),
        json!({ "messages": messages_len(&document), "consent_entries": document["consent"].as_array().map_or(0, Vec::len) }),
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"contact-{wa_id}.json\""),
        ))
        .json(document))
}

fn messages_len(document: &Value) -> usize {
    document["messages"].as_array().map_or(0, Vec::len)
}
