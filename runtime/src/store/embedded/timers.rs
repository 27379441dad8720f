//! Timers: the due ones fired into the log, the earliest one, and a contact's.

use sea_orm::{ConnectionTrait, Value};
use spool_nodes::Millis;
use tracing::warn;

use super::EmbeddedStore;
use super::sql::{corrupt, get};
use crate::state::{Event, EventKind, TimerRef};
use crate::store::{Error, Lease};

impl EmbeddedStore {
    pub(super) async fn fire_timers(
        &self,
        lease: &Lease,
        now: Millis,
        max: usize,
    ) -> Result<usize, Error> {
        let partition = i32::from(lease.partition);
        let txn = self.begin_write().await?;
        self.check_lease(&txn, lease).await?;
        let due = txn
            .query_all_raw(self.statement(
                "SELECT member FROM runtime_timers WHERE partition_id = ? AND due <= ? \
                 ORDER BY due, member LIMIT ?",
                vec![
                    partition.into(),
                    now.into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        if due.is_empty() {
            txn.commit().await?;
            return Ok(0);
        }
        let mut members = Vec::with_capacity(due.len());
        let mut bodies = Vec::with_capacity(due.len());
        for row in &due {
            let member: String = get(row, 0)?;
            match TimerRef::decode(&member) {
                Some(timer) => bodies.push(
                    serde_json::to_string(&timer_event(timer))
                        .map_err(|err| corrupt("event", err))?,
                ),
                None => warn!(%member, "a timer that cannot be read is dropped"),
            }
            members.push(Value::from(member));
        }
        self.lock_log(&txn, lease.partition).await?;
        let events: Vec<(u16, &str)> = bodies
            .iter()
            .map(|body| (lease.partition, body.as_str()))
            .collect();
        self.insert_events(&txn, &events).await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_timers WHERE member",
            &[],
            members,
        )
        .await?;
        txn.commit().await?;
        Ok(due.len())
    }

    pub(super) async fn earliest_timer(&self, partition: u16) -> Result<Option<Millis>, Error> {
        let row = self
            .db
            .query_one_raw(self.statement(
                "SELECT MIN(due) FROM runtime_timers WHERE partition_id = ?",
                vec![i32::from(partition).into()],
            ))
            .await?;
        match row {
            Some(row) => get(&row, 0),
            None => Ok(None),
        }
    }

    pub(super) async fn timers_of(
        &self,
        contact_id: &str,
    ) -> Result<Vec<(TimerRef, Millis)>, Error> {
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT member, due FROM runtime_timers WHERE contact_id = ? ORDER BY due, member",
                vec![contact_id.to_owned().into()],
            ))
            .await?;
        let mut timers = Vec::with_capacity(rows.len());
        for row in &rows {
            let member: String = get(row, 0)?;
            let due: Millis = get(row, 1)?;
            if let Some(timer) = TimerRef::decode(&member) {
                timers.push((timer, due));
            }
        }
        Ok(timers)
    }
}

/// The event a fired timer becomes, as the worker reads it back.
fn timer_event(timer: TimerRef) -> Event {
    Event::new(
        timer.contact_id,
        "",
        0,
        EventKind::Timer {
            run_id: timer.run_id,
            token: timer.token,
        },
    )
}
