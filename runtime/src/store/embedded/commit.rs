//! Committing a batch: states, timers, outbox, calls and funnel counts in one fenced
//! transaction; and the funnel counts read back.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, Value};
use spool_nodes::Millis;

use super::EmbeddedStore;
use super::sql::{corrupt, get, position_of, token_value};
use crate::clock::Clock;
use crate::counters::CountKey;
use crate::store::{Batch, Error, Lease, hour_of};

impl EmbeddedStore {
    pub(super) async fn commit_batch(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        let partition = i32::from(lease.partition);
        let position = position_of(&batch.position)?;

        // Everything is encoded before the transaction starts, to keep it short. Keys are
        // unique within a statement (last one wins, as in Redis) and sorted.
        let mut states = BTreeMap::new();
        for state in &batch.states {
            let json = serde_json::to_string(state).map_err(|err| corrupt("contact state", err))?;
            states.insert(state.contact.id.clone(), json);
        }
        let states: Vec<Vec<Value>> = states
            .into_iter()
            .map(|(id, json)| vec![id.into(), partition.into(), json.into()])
            .collect();
        let mut timers = BTreeMap::new();
        for (timer, due) in &batch.timers_set {
            timers.insert(timer.encode(), (timer.contact_id.clone(), *due));
        }
        let timers: Vec<Vec<Value>> = timers
            .into_iter()
            .map(|(member, (contact, due))| {
                vec![member.into(), partition.into(), contact.into(), due.into()]
            })
            .collect();
        let cleared: Vec<Value> = batch
            .timers_cleared
            .iter()
            .map(|timer| Value::from(timer.encode()))
            .collect();
        let outbox = batch
            .outbox
            .iter()
            .map(|message| {
                serde_json::to_string(message).map_err(|err| corrupt("outbound message", err))
            })
            .collect::<Result<Vec<String>, Error>>()?;
        let calls: Vec<Vec<Value>> = batch
            .calls
            .iter()
            .map(|call| {
                serde_json::to_string(call)
                    .map(|body| vec![partition.into(), body.into()])
                    .map_err(|err| corrupt("pending call", err))
            })
            .collect::<Result<_, Error>>()?;
        let counters: BTreeMap<(&str, String), i64> = batch
            .counters
            .iter()
            .map(|(counter, increment)| {
                ((counter.version.as_str(), counter.at.encode()), *increment)
            })
            .collect();
        let hour = hour_of(batch.at);
        let counters: Vec<Vec<Value>> = counters
            .into_iter()
            .map(|((version, name), count)| {
                vec![
                    version.into(),
                    hour.into(),
                    name.into(),
                    partition.into(),
                    count.into(),
                ]
            })
            .collect();

        let txn = self.begin_write().await?;
        // The fencing check and the new position at once; the row stays locked till the end.
        let fenced = txn
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET applied = ? \
                 WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
                vec![
                    position.into(),
                    partition.into(),
                    token_value(lease.token),
                    self.clock.now().into(),
                ],
            ))
            .await?
            .rows_affected();
        if fenced == 0 {
            txn.rollback().await?;
            return Err(Error::LeaseLost(lease.partition));
        }
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_contacts (contact_id, partition_id, state)",
            3,
            states,
            "ON CONFLICT (contact_id) DO UPDATE \
             SET state = excluded.state, partition_id = excluded.partition_id",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_timers (member, partition_id, contact_id, due)",
            4,
            timers,
            "ON CONFLICT (member) DO UPDATE SET due = excluded.due",
        )
        .await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_timers WHERE member",
            &[],
            cleared,
        )
        .await?;
        let outbox: Vec<Vec<Value>> = outbox
            .into_iter()
            .map(|body| vec![partition.into(), body.into()])
            .collect();
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_outbox (partition_id, body)",
            2,
            outbox,
            "",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_calls (partition_id, body)",
            2,
            calls,
            "",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_counters (version, hour, name, partition_id, count)",
            5,
            counters,
            "ON CONFLICT (version, hour, name, partition_id) \
             DO UPDATE SET count = runtime_counters.count + excluded.count",
        )
        .await?;
        txn.execute_raw(self.statement(
            "DELETE FROM runtime_events WHERE partition_id = ? AND id <= ?",
            vec![partition.into(), position.into()],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }

    pub(super) async fn sum_counters(
        &self,
        version: &str,
        from: Millis,
        to: Millis,
    ) -> Result<HashMap<CountKey, i64>, Error> {
        if to <= from {
            return Ok(HashMap::new());
        }
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT name, CAST(SUM(count) AS BIGINT) FROM runtime_counters \
                 WHERE version = ? AND hour >= ? AND hour < ? GROUP BY name",
                vec![version.to_owned().into(), hour_of(from).into(), to.into()],
            ))
            .await?;
        let mut counts = HashMap::with_capacity(rows.len());
        for row in &rows {
            let name: String = get(row, 0)?;
            // Every name was written from a CountKey: none fails to read back.
            if let Some(key) = CountKey::decode(&name) {
                counts.insert(key, get(row, 1)?);
            }
        }
        Ok(counts)
    }
}
