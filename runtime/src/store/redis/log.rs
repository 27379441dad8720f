//! Reading a partition's log: the entries after its cursor, alone or with the states of their
//! contacts in the same round trip.

use std::collections::HashMap;

use super::{RedisStore, corrupt};
use crate::state::{ContactState, Event, EventKind, TimerRef};
use crate::store::{Error, Lease, Logged, ReadBatch, Store, contacts_of};

impl RedisStore {
    pub(super) async fn read_entries(
        &self,
        lease: &Lease,
        max: usize,
    ) -> Result<Vec<Logged>, Error> {
        let entries: Vec<(String, Vec<Vec<u8>>)> = self
            .scripts
            .read
            .key(self.key(lease.partition, "cursor"))
            .key(self.key(lease.partition, "log"))
            .arg(max)
            .invoke_async(&mut self.con())
            .await?;
        entries
            .into_iter()
            .map(|(position, fields)| decode_entry(position, fields))
            .collect()
    }

    pub(super) async fn read_with_states(
        &self,
        lease: &Lease,
        max: usize,
    ) -> Result<ReadBatch, Error> {
        type Entries = Vec<(String, Vec<Vec<u8>>)>;
        let (entries, ids, states): (Entries, Vec<String>, Vec<Option<Vec<u8>>>) = self
            .scripts
            .read_batch
            .key(self.key(lease.partition, "cursor"))
            .key(self.key(lease.partition, "log"))
            .arg(max)
            .arg(self.key(lease.partition, "c:"))
            .invoke_async(&mut self.con())
            .await?;
        let logged = entries
            .into_iter()
            .map(|(position, fields)| decode_entry(position, fields))
            .collect::<Result<Vec<_>, _>>()?;
        let mut found: HashMap<String, Option<ContactState>> = HashMap::with_capacity(ids.len());
        for (id, state) in ids.into_iter().zip(states) {
            let state = state
                .map(|bytes| {
                    serde_json::from_slice(&bytes).map_err(|err| corrupt("contact state", err))
                })
                .transpose()?;
            found.insert(id, state);
        }
        let contact_ids = contacts_of(&logged);
        let missing: Vec<String> = contact_ids
            .iter()
            .filter(|id| !found.contains_key(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let loaded = self.load(lease.partition, &missing).await?;
            found.extend(missing.into_iter().zip(loaded));
        }
        let states = contact_ids
            .into_iter()
            .map(|id| {
                let state = found.remove(&id).flatten();
                (id, state)
            })
            .collect();
        Ok(ReadBatch { logged, states })
    }
}

fn decode_entry(position: String, fields: Vec<Vec<u8>>) -> Result<Logged, Error> {
    let (Some(name), Some(value)) = (fields.first(), fields.get(1)) else {
        return Err(corrupt("log entry", format!("{position} has no fields")));
    };
    let event = match name.as_slice() {
        b"e" => serde_json::from_slice(value).map_err(|err| corrupt("event", err))?,
        b"t" => {
            let member = std::str::from_utf8(value).map_err(|err| corrupt("timer", err))?;
            let timer = TimerRef::decode(member).ok_or_else(|| corrupt("timer", member))?;
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
        other => return Err(corrupt("log entry", String::from_utf8_lossy(other))),
    };
    Ok(Logged { position, event })
}
