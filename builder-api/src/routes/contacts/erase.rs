//! Erasing a contact and everything kept about it (GDPR erasure).

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{ContactPath, audit_name, contact_id, phone_in_path, unknown_contact};
use crate::audit;
use crate::auth::{Caller, Role};
use crate::consent::suppression;
use crate::error::ApiError;
use crate::state::AppState;

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
    let id = contact_id(&state, &caller, &phone).await?;
    // Its BSUID goes on the suppression list too: WhatsApp may name the person by it alone.
    let bsuid = state
        .store
        .contact(&id)
        .await?
        .and_then(|found| found.contact.bsuid);
    let gone = state.store.erase(&id).await?;
    crate::whatsapp::reach::forget_contact(&state.db, &id).await?;
    crate::waiting::forget_contact(&state.db, &id).await?;
    crate::handoffs::forget_contact(&state.db, &id).await?;
    crate::conversation::forget_contact(&state.db, &id).await?;
    crate::chatwoot::link::forget_contact(&state.db, &id).await?;
    crate::directory::forget_contact(&state.db, &id).await?;
    crate::consent::forget_contact(&state.db, &id).await?;
    if !gone.found() {
        return Err(unknown_contact());
    }
    // What is left: the number's keyed hash, so that neither an import nor a broadcast
    // brings the person back.
    let key = suppression::key(&state.db, &caller.workspace).await?;
    let mut hashes = vec![suppression::phone_hash(&key, &wa_id)];
    if let Some(bsuid) = &bsuid {
        hashes.push(suppression::bsuid_hash(&key, bsuid.as_str()));
    }
    suppression::add(
        &state.db,
        &caller.workspace,
        &hashes,
        suppression::Reason::Erased,
        state.now(),
    )
    .await?;
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
