//! The outbox and the pending calls, two streams read oldest first: a message is deleted once
//! sent, a call is taken by its answer, which goes into the log in the same script.

use super::{RedisStore, corrupt};
use crate::state::Event;
use crate::store::{Calling, Error, Pending};

impl RedisStore {
    pub(super) async fn pending_outbox(
        &self,
        partition: u16,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Pending>, Error> {
        let entries = self
            .oldest(
                self.key(partition, "outbox"),
                after,
                max,
                "outbound message",
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|(position, message)| Pending { position, message })
            .collect())
    }

    pub(super) async fn delete_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        if sent.is_empty() {
            return Ok(());
        }
        let positions: Vec<&str> = sent
            .iter()
            .map(|pending| pending.position.as_str())
            .collect();
        let _: i64 = redis::cmd("XDEL")
            .arg(self.key(partition, "outbox"))
            .arg(positions)
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }

    pub(super) async fn pending_calls(
        &self,
        partition: u16,
        max: usize,
    ) -> Result<Vec<Calling>, Error> {
        let entries = self
            .oldest(self.key(partition, "calls"), None, max, "pending call")
            .await?;
        Ok(entries
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
        let body = serde_json::to_vec(answer).map_err(|err| corrupt("event", err))?;
        let answered: i64 = self
            .scripts
            .answer
            .key(self.key(partition, "calls"))
            .key(self.key(partition, "log"))
            .arg(&call.position)
            .arg(body)
            .arg(&answer.contact_id)
            .arg(self.wake_channel())
            .arg(partition)
            .invoke_async(&mut self.con())
            .await?;
        Ok(answered == 1)
    }
}
