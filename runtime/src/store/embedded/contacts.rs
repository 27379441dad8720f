//! Contacts: their states loaded, their alias index looked up and linked, and everything
//! about one erased.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::sql::{corrupt, get, list};
use super::{EmbeddedStore, ROWS_PER_STATEMENT};
use crate::state::ContactState;
use crate::store::{Erased, Error, Owner, Store};

impl EmbeddedStore {
    /// States are keyed by contact alone, whatever their partition.
    pub(super) async fn load_states(
        &self,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        let mut found: HashMap<String, String> = HashMap::with_capacity(contact_ids.len());
        for chunk in contact_ids.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "SELECT contact_id, state FROM runtime_contacts WHERE contact_id IN (",
            );
            list(&mut sql, chunk.len());
            sql.push(')');
            let values = chunk.iter().map(|id| Value::from(id.clone())).collect();
            for row in self.db.query_all_raw(self.statement(&sql, values)).await? {
                found.insert(get(&row, 0)?, get(&row, 1)?);
            }
        }
        contact_ids
            .iter()
            .map(|id| {
                found
                    .get(id)
                    .map(|state| {
                        serde_json::from_str(state).map_err(|err| corrupt("contact state", err))
                    })
                    .transpose()
            })
            .collect()
    }

    pub(super) async fn erase_contact(&self, contact_id: &str) -> Result<Erased, Error> {
        let partition = i32::from(self.partition_of(contact_id));
        let txn = self.begin_write().await?;
        // The lease goes first, and its row stays locked until the end (PostgreSQL; SQLite
        // holds its write lock already): the holder's batch, loaded before, cannot commit.
        txn.execute_raw(self.statement(
            "UPDATE runtime_partitions SET lease_token = NULL, lease_until = 0 \
             WHERE partition_id = ?",
            vec![partition.into()],
        ))
        .await?;
        self.lock_log(&txn, self.partition_of(contact_id)).await?;
        let state = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_contacts WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        let timers = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_timers WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        let mut removed = [0usize; 3];
        for (table, count) in ["runtime_events", "runtime_outbox", "runtime_calls"]
            .into_iter()
            .zip(removed.iter_mut())
        {
            let rows = txn
                .query_all_raw(self.statement(
                    &format!("SELECT id, body FROM {table} WHERE partition_id = ?"),
                    vec![partition.into()],
                ))
                .await?;
            let mut ids = Vec::new();
            for row in &rows {
                let id: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                // Whose it is, from the decoded body: another contact's event may well
                // mention this one's id in its payload.
                let owner: Owner =
                    serde_json::from_str(&body).map_err(|err| corrupt(table, err))?;
                if owner.contact_id == contact_id {
                    ids.push(Value::from(id));
                }
            }
            *count = ids.len();
            self.delete_in(&txn, &format!("DELETE FROM {table} WHERE id"), &[], ids)
                .await?;
        }
        let aliases = self.unlink_aliases(&txn, contact_id).await?;
        txn.commit().await?;
        let [events, outbox, calls] = removed;
        Ok(Erased {
            state: state > 0,
            timers: usize::try_from(timers).unwrap_or(usize::MAX),
            events,
            outbox,
            calls,
            aliases,
        })
    }

    pub(super) async fn find_aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql =
            String::from("SELECT alias, contact_id FROM runtime_contact_aliases WHERE alias IN (");
        list(&mut sql, keys.len());
        sql.push(')');
        let values = keys.iter().map(|key| Value::from(key.clone())).collect();
        let rows = self.db.query_all_raw(self.statement(&sql, values)).await?;
        let mut linked = HashMap::with_capacity(rows.len());
        for row in &rows {
            linked.insert(get::<String>(row, 0)?, get::<String>(row, 1)?);
        }
        Ok(keys.iter().map(|key| linked.remove(key)).collect())
    }

    pub(super) async fn insert_alias(&self, key: &str, contact_id: &str) -> Result<String, Error> {
        // Insert unless linked, then read whichever link won: the row's key decides races,
        // on both databases, without a transaction.
        self.db
            .execute_raw(self.statement(
                "INSERT INTO runtime_contact_aliases (alias, contact_id) VALUES (?, ?) \
                 ON CONFLICT (alias) DO NOTHING",
                vec![key.to_owned().into(), contact_id.to_owned().into()],
            ))
            .await?;
        let row = self
            .db
            .query_one_raw(self.statement(
                "SELECT contact_id FROM runtime_contact_aliases WHERE alias = ?",
                vec![key.to_owned().into()],
            ))
            .await?
            .ok_or_else(|| corrupt("contact alias", format!("{key} vanished once linked")))?;
        get(&row, 0)
    }

    /// Removes every link to `contact_id` from the alias index, inside erasure's transaction.
    async fn unlink_aliases(
        &self,
        txn: &DatabaseTransaction,
        contact_id: &str,
    ) -> Result<usize, Error> {
        let removed = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_contact_aliases WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}
