//! The outbox and the pending calls: both read oldest first; a message is deleted once sent,
//! a call is taken by its answer, which goes into the log.

use sea_orm::{ConnectionTrait, Value};

use super::EmbeddedStore;
use super::sql::{corrupt, get, position_of};
use crate::state::Event;
use crate::store::{Calling, Error, Pending};

impl EmbeddedStore {
    /// Up to `max` rows of a table whose rows hold one JSON value each (the outbox, the
    /// pending calls), oldest first from after the position `after`, with their positions.
    async fn oldest<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        partition: u16,
        after: Option<&str>,
        max: usize,
        what: &str,
    ) -> Result<Vec<(String, T)>, Error> {
        let after = after.map(position_of).transpose()?.unwrap_or(i64::MIN);
        let rows = self
            .db
            .query_all_raw(self.statement(
                &format!(
                    "SELECT id, body FROM {table} WHERE partition_id = ? AND id > ? \
                     ORDER BY id LIMIT ?"
                ),
                vec![
                    i32::from(partition).into(),
                    after.into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let position: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                let value = serde_json::from_str(&body).map_err(|err| corrupt(what, err))?;
                Ok((position.to_string(), value))
            })
            .collect()
    }

    pub(super) async fn pending_outbox(
        &self,
        partition: u16,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Pending>, Error> {
        let messages = self
            .oldest("runtime_outbox", partition, after, max, "outbound message")
            .await?;
        Ok(messages
            .into_iter()
            .map(|(position, message)| Pending { position, message })
            .collect())
    }

    pub(super) async fn delete_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        if sent.is_empty() {
            return Ok(());
        }
        let p = i32::from(partition);
        let positions = sent
            .iter()
            .map(|item| position_of(&item.position).map(Value::from))
            .collect::<Result<Vec<Value>, Error>>()?;
        let txn = self.begin_write().await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_outbox WHERE partition_id = ? AND id",
            &[p.into()],
            positions,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn pending_calls(
        &self,
        partition: u16,
        max: usize,
    ) -> Result<Vec<Calling>, Error> {
        let calls = self
            .oldest("runtime_calls", partition, None, max, "pending call")
            .await?;
        Ok(calls
            .into_iter()
            .map(|(position, call)| Calling { position, call })
            .collect())
    }

    pub(super) async fn answer_pending_call(
        &self,
        partition: u16,
        call: &Calling,
        answer: &Event,
    ) -> Result<bool, Error> {
        let body = serde_json::to_string(answer).map_err(|err| corrupt("event", err))?;
        let txn = self.begin_write().await?;
        let taken = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_calls WHERE partition_id = ? AND id = ?",
                vec![
                    i32::from(partition).into(),
                    position_of(&call.position)?.into(),
                ],
            ))
            .await?
            .rows_affected();
        if taken == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        self.lock_log(&txn, partition).await?;
        self.insert_events(&txn, &[(partition, body.as_str())])
            .await?;
        txn.commit().await?;
        Ok(true)
    }
}
