//! Partition leases: acquired, renewed and released, and the fencing check a write makes
//! inside its transaction.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use super::EmbeddedStore;
use super::sql::{corrupt, get, token_value, ttl_millis};
use crate::clock::Clock;
use crate::store::{Error, Lease};

impl EmbeddedStore {
    pub(super) async fn acquire_lease(
        &self,
        partition: u16,
        ttl: Duration,
    ) -> Result<Option<Lease>, Error> {
        self.purge_now_and_then().await;
        let now = self.clock.now();
        // One statement: the right-hand sides read the row as it was.
        let row = self
            .db
            .query_one_raw(self.statement(
                "UPDATE runtime_partitions \
                 SET fence = fence + 1, lease_token = fence + 1, lease_until = ? \
                 WHERE partition_id = ? AND (lease_token IS NULL OR lease_until <= ?) \
                 RETURNING lease_token",
                vec![
                    (now + ttl_millis(ttl)).into(),
                    i32::from(partition).into(),
                    now.into(),
                ],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token: i64 = get(&row, 0)?;
        let token = u64::try_from(token).map_err(|err| corrupt("fencing token", err))?;
        Ok(Some(Lease { partition, token }))
    }

    pub(super) async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
        let now = self.clock.now();
        let renewed = self
            .db
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET lease_until = ? \
                 WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
                vec![
                    (now + ttl_millis(ttl)).into(),
                    i32::from(lease.partition).into(),
                    token_value(lease.token),
                    now.into(),
                ],
            ))
            .await?
            .rows_affected();
        Ok(renewed == 1)
    }

    pub(super) async fn release_lease(&self, lease: &Lease) -> Result<(), Error> {
        self.db
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET lease_token = NULL, lease_until = 0 \
                 WHERE partition_id = ? AND lease_token = ?",
                vec![i32::from(lease.partition).into(), token_value(lease.token)],
            ))
            .await?;
        Ok(())
    }

    /// Fails with [`Error::LeaseLost`] unless `lease` still holds its partition; the row stays
    /// locked until the transaction ends.
    pub(super) async fn check_lease(
        &self,
        txn: &DatabaseTransaction,
        lease: &Lease,
    ) -> Result<(), Error> {
        let mut sql = String::from(
            "SELECT lease_token FROM runtime_partitions \
             WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
        );
        if self.backend == DbBackend::Postgres {
            sql.push_str(" FOR UPDATE");
        }
        let held = txn
            .query_one_raw(self.statement(
                &sql,
                vec![
                    i32::from(lease.partition).into(),
                    token_value(lease.token),
                    self.clock.now().into(),
                ],
            ))
            .await?;
        if held.is_none() {
            return Err(Error::LeaseLost(lease.partition));
        }
        Ok(())
    }
}
