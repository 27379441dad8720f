//! Choosing a contact's id once, from the first identifier seen, and finding it again by
//! any identifier linked to it since: the same rules over every store's alias index.
//!
//! A contact first seen by number is `<workspace>/wa:<wa_id>`, by BSUID alone
//! `<workspace>/wa:<BSUID>`. When a message carries both, the identifier not linked yet is
//! linked to the contact the other one names. Links are claimed with [`Store::link_alias`]
//! (first writer wins), so two first messages racing agree on one contact. The BSUID's
//! link is claimed first and decides: WhatsApp advises keying contacts by BSUID first.
//!
//! A number is linked only when it names a contact other than its own key's: contacts met by
//! number (all of them, before BSUIDs) need no row, and a message with a number alone only
//! reads the index.

use spool_nodes::identity::ContactIdentity;

use super::{Error, Store};
use crate::scope::ScopedId;

/// The identity's keys in `scope`, BSUID first, and the id a contact first seen with it gets.
fn keys_in(scope: &str, identity: &ContactIdentity) -> (Vec<String>, String) {
    let keys = identity
        .keys()
        .iter()
        .map(|key| ScopedId::new(scope, key).into())
        .collect();
    (keys, ScopedId::new(scope, &identity.first_key()).into())
}

pub(super) async fn find<S: Store + ?Sized>(
    store: &S,
    scope: &str,
    identity: &ContactIdentity,
) -> Result<String, Error> {
    let (keys, first) = keys_in(scope, identity);
    let linked = store.aliases(&keys).await?;
    Ok(linked.into_iter().flatten().next().unwrap_or(first))
}

pub(super) async fn resolve<S: Store + ?Sized>(
    store: &S,
    scope: &str,
    identity: &ContactIdentity,
) -> Result<String, Error> {
    let (keys, first) = keys_in(scope, identity);
    let linked = store.aliases(&keys).await?;
    let mut id = linked.iter().flatten().next().cloned();
    let bsuid_key = identity.bsuid().and(keys.first());
    for (key, linked) in keys.iter().zip(&linked) {
        if linked.is_some() {
            continue;
        }
        let is_bsuid = Some(key) == bsuid_key;
        let target = id.clone().unwrap_or_else(|| first.clone());
        // A number is its own key's contact unless linked elsewhere: no row needed.
        if !is_bsuid && key == &target {
            continue;
        }
        let now_linked = store.link_alias(key, &target).await?;
        if is_bsuid {
            // Whoever linked the BSUID first decides which contact this is.
            id = Some(now_linked);
        }
    }
    Ok(id.unwrap_or(first))
}
