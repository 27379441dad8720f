//! Contacts: their states loaded, everything about one erased, and the alias index (an
//! identifier's scoped key → its contact id) looked up, linked and unlinked.

use super::{RedisStore, corrupt};
use crate::state::ContactState;
use crate::store::{Erased, Error, Store};

impl RedisStore {
    pub(super) async fn load_states(
        &self,
        partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        if contact_ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = contact_ids
            .iter()
            .map(|id| self.contact_key(partition, id))
            .collect();
        let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.con())
            .await?;
        values
            .into_iter()
            .map(|value| {
                value
                    .map(|bytes| {
                        serde_json::from_slice(&bytes).map_err(|err| corrupt("contact state", err))
                    })
                    .transpose()
            })
            .collect()
    }

    pub(super) async fn erase_contact(&self, contact_id: &str) -> Result<Erased, Error> {
        let p = self.partition_of(contact_id);
        let (state, timers, events, outbox, calls): (i64, i64, i64, i64, i64) = self
            .scripts
            .erase
            .key(self.key(p, "lease"))
            .key(self.key(p, "log"))
            .key(self.key(p, "timers"))
            .key(self.key(p, "outbox"))
            .key(self.contact_key(p, contact_id))
            .key(self.key(p, "calls"))
            .arg(contact_id)
            .arg(format!("*|{}", glob_escape(contact_id)))
            .invoke_async(&mut self.con())
            .await?;
        let count = |n: i64| usize::try_from(n).unwrap_or_default();
        let aliases = self.unlink_aliases(contact_id).await?;
        Ok(Erased {
            state: state > 0,
            timers: count(timers),
            events: count(events),
            outbox: count(outbox),
            calls: count(calls),
            aliases,
        })
    }

    pub(super) async fn find_aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.get(self.alias_key(key));
        }
        Ok(pipe.query_async(&mut self.con()).await?)
    }

    pub(super) async fn insert_alias(&self, key: &str, contact_id: &str) -> Result<String, Error> {
        let p = self.partition_of(key);
        Ok(self
            .scripts
            .link_alias
            .key(self.alias_key(key))
            .key(self.key(p, &format!("aliases:{contact_id}")))
            .arg(contact_id)
            .arg(key)
            .invoke_async(&mut self.con())
            .await?)
    }

    /// An identifier's link in the alias index, in the partition its own key hashes to
    /// (aliases live apart from the contact they name, which is not known when looking up).
    fn alias_key(&self, key: &str) -> String {
        self.key(self.partition_of(key), &format!("alias:{key}"))
    }

    /// Removes every link to `contact_id`: its aliases are spread over the partitions their
    /// keys hash to, each keeping the set of its links to the contact. Returns how many.
    async fn unlink_aliases(&self, contact_id: &str) -> Result<usize, Error> {
        let mut removed = 0;
        for p in 0..self.partitions() {
            let n: i64 = self
                .scripts
                .unlink_aliases
                .key(self.key(p, &format!("aliases:{contact_id}")))
                .arg(contact_id)
                .arg(self.key(p, "alias:"))
                .invoke_async(&mut self.con())
                .await?;
            removed += usize::try_from(n).unwrap_or_default();
        }
        Ok(removed)
    }
}

/// `text` as a glob pattern that matches only itself.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
