//! The delivery task: takes due deliveries a batch at a time, POSTs each to its
//! subscription's URL, signed, and records what came of it — delivered, to be tried again
//! later, or given up.
//!
//! Several processes may run it on one database. A process claims a batch with one
//! conditional UPDATE (`… SET claimed_by = <token>, next_attempt_at = now + lease WHERE id
//! IN (<due ids>) AND state = 'pending' AND next_attempt_at <= now`) and then reads back the
//! rows that carry its token. On PostgreSQL a concurrent UPDATE of the same row waits for the
//! first to commit and then re-checks its WHERE against the new row, where
//! `next_attempt_at` has moved past `now`, so it skips it; SQLite runs one write at a time.
//! Either way a row is claimed once. The outcome is recorded only `WHERE claimed_by =
//! <token>`, and a process that stops mid-attempt leaves the row to be claimed again when
//! its lease ends: an event may be delivered more than once, never lost, and receivers
//! de-duplicate on `X-Spool-Event-Id`.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use rand::RngExt as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use spool_runtime::ssrf;
use tokio::sync::watch;
use tracing::{debug, info, warn};
use uuid::Uuid;

use super::event::signature;
use super::notifier::{DELIVERED, FAILED, Notifier, PENDING};
use super::schedule::Schedule;
use crate::db::{event_delivery, event_subscription};
use crate::network::WorkspaceNetwork;

/// How many deliveries one pass claims (and attempts at once).
const BATCH: u64 = 32;
/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claim holds; well above [`TIMEOUT`], so a live claim never ends mid-attempt.
const LEASE: Duration = Duration::from_secs(60);
/// How often the task looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_secs(5);
/// How often a paused subscription's pending deliveries are looked at again.
const PAUSED_RECHECK: Duration = Duration::from_secs(60);
/// The longest error kept in the log.
const ERROR_LIMIT: usize = 500;

/// The delivery task; [`Deliveries::run`] until told to stop.
pub struct Deliveries {
    notifier: Notifier,
    network: Arc<WorkspaceNetwork>,
    /// For workspaces that allow private targets.
    open: reqwest::Client,
    /// For the others: connects to public addresses only.
    guarded: reqwest::Client,
    schedule: Schedule,
}

impl std::fmt::Debug for Deliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deliveries")
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

/// What came of one attempt.
#[derive(Debug)]
enum Outcome {
    Delivered {
        status: u16,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// The subscription is inactive: the delivery waits.
    Paused,
}

impl Deliveries {
    pub fn new(
        notifier: Notifier,
        network: Arc<WorkspaceNetwork>,
        schedule: Schedule,
    ) -> Result<Self, reqwest::Error> {
        spool_runtime::http::install_crypto_provider();
        // Receivers answer; they do not send Spool elsewhere (a redirect is a failure).
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("spool/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(5))
        };
        Ok(Self {
            notifier,
            network,
            open: builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            guarded: ssrf::guard_client(builder())
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            schedule,
        })
    }

    /// Delivers what is due, then waits for an emit, the next due delivery or the poll
    /// interval; returns when `stopped` turns true, after the batch in hand.
    pub async fn run(self, mut stopped: watch::Receiver<bool>) {
        let woken = self.notifier.woken();
        loop {
            let attempted = match self.pass().await {
                Ok(attempted) => attempted,
                Err(err) => {
                    warn!(%err, "event deliveries could not be read; retrying");
                    0
                }
            };
            if *stopped.borrow() {
                return;
            }
            if attempted as u64 == BATCH {
                continue;
            }
            let pause = self.pause().await;
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = woken.notified() => {}
                _ = stopped.changed() => return,
            }
        }
    }

    /// Until the next delivery is due, at most [`POLL`].
    async fn pause(&self) -> Duration {
        let next: Result<Option<i64>, DbErr> = event_delivery::Entity::find()
            .select_only()
            .column(event_delivery::Column::NextAttemptAt)
            .filter(event_delivery::Column::State.eq(PENDING))
            .order_by_asc(event_delivery::Column::NextAttemptAt)
            .limit(1)
            .into_tuple()
            .one(self.notifier.db())
            .await;
        match next {
            Ok(Some(due)) => {
                let wait = due.saturating_sub(self.notifier.clock().now()).max(0);
                Duration::from_millis(wait as u64).min(POLL)
            }
            Ok(None) | Err(_) => POLL,
        }
    }

    /// Claims the due deliveries and attempts them; returns how many.
    pub async fn pass(&self) -> Result<usize, DbErr> {
        let now = self.notifier.clock().now();
        let (token, claimed) = self.claim(now).await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = claimed
            .iter()
            .map(|delivery| delivery.subscription_id.clone())
            .collect();
        let subscriptions = event_subscription::Entity::find()
            .filter(event_subscription::Column::Id.is_in(ids))
            .all(self.notifier.db())
            .await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|delivery| {
            let subscription = subscriptions
                .iter()
                .find(|subscription| subscription.id == delivery.subscription_id);
            self.attempt(&token, delivery, subscription)
        });
        for recorded in join_all(attempts).await {
            if let Err(err) = recorded {
                // The claim ends with its lease; the delivery is attempted again then.
                warn!(%err, "an event delivery's outcome could not be recorded");
            }
        }
        Ok(count)
    }

    async fn claim(&self, now: i64) -> Result<(String, Vec<event_delivery::Model>), DbErr> {
        let db = self.notifier.db();
        let due: Vec<String> = event_delivery::Entity::find()
            .select_only()
            .column(event_delivery::Column::Id)
            .filter(event_delivery::Column::State.eq(PENDING))
            .filter(event_delivery::Column::NextAttemptAt.lte(now))
            .order_by_asc(event_delivery::Column::NextAttemptAt)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let token = Uuid::new_v4().to_string();
        if due.is_empty() {
            return Ok((token, Vec::new()));
        }
        event_delivery::Entity::update_many()
            .col_expr(
                event_delivery::Column::ClaimedBy,
                Expr::value(token.clone()),
            )
            .col_expr(
                event_delivery::Column::NextAttemptAt,
                Expr::value(now.saturating_add(LEASE.as_millis() as i64)),
            )
            .filter(event_delivery::Column::Id.is_in(due))
            .filter(event_delivery::Column::State.eq(PENDING))
            .filter(event_delivery::Column::NextAttemptAt.lte(now))
            .exec(db)
            .await?;
        let claimed = event_delivery::Entity::find()
            .filter(event_delivery::Column::ClaimedBy.eq(token.clone()))
            .filter(event_delivery::Column::State.eq(PENDING))
            .all(db)
            .await?;
        Ok((token, claimed))
    }

    async fn attempt(
        &self,
        token: &str,
        delivery: event_delivery::Model,
        subscription: Option<&event_subscription::Model>,
    ) -> Result<(), DbErr> {
        let outcome = match subscription {
            None => Outcome::Failed {
                status: None,
                error: "the subscription no longer exists".to_owned(),
            },
            Some(subscription) if !subscription.active => Outcome::Paused,
            Some(subscription) => self.post(subscription, &delivery).await,
        };
        self.record(token, &delivery, outcome).await
    }

    async fn post(
        &self,
        subscription: &event_subscription::Model,
        delivery: &event_delivery::Model,
    ) -> Outcome {
        let secret = match super::secret::open(self.notifier.key(), subscription) {
            Ok(secret) => secret,
            Err(error) => {
                return Outcome::Failed {
                    status: None,
                    error,
                };
            }
        };
        let client = match self.client_for(subscription).await {
            Ok(client) => client,
            Err(error) => {
                return Outcome::Failed {
                    status: None,
                    error,
                };
            }
        };
        let sent = client
            .post(&subscription.url)
            .timeout(TIMEOUT)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Spool-Event-Id", &delivery.event_id)
            .header("X-Spool-Event-Type", &delivery.event_type)
            .header(
                "X-Spool-Signature",
                signature(&secret, delivery.body.as_bytes()),
            )
            .body(delivery.body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Outcome::Delivered {
                status: response.status().as_u16(),
            },
            Ok(response) => Outcome::Failed {
                status: Some(response.status().as_u16()),
                error: format!("the receiver answered {}", response.status()),
            },
            Err(err) => Outcome::Failed {
                status: None,
                error: chain(&err),
            },
        }
    }

    /// The client for `subscription`'s workspace, or why its URL may not be called.
    async fn client_for(
        &self,
        subscription: &event_subscription::Model,
    ) -> Result<&reqwest::Client, String> {
        let allowed = self
            .network
            .allows_private_in(&subscription.workspace_id)
            .await
            .map_err(|err| format!("the workspace's network settings could not be read: {err}"))?;
        if allowed {
            return Ok(&self.open);
        }
        ssrf::check_url(&subscription.url)
            .await
            .map_err(|refused| refused.to_string())?;
        Ok(&self.guarded)
    }

    async fn record(
        &self,
        token: &str,
        delivery: &event_delivery::Model,
        outcome: Outcome,
    ) -> Result<(), DbErr> {
        use event_delivery::Column;
        let now = self.notifier.clock().now();
        let attempts = delivery.attempts.saturating_add(1);
        let mut update = event_delivery::Entity::update_many()
            .col_expr(Column::ClaimedBy, Expr::value(Option::<String>::None));
        match &outcome {
            Outcome::Delivered { status } => {
                debug!(delivery = %delivery.id, event = %delivery.event_id, status, "event delivered");
                update = update
                    .col_expr(Column::State, Expr::value(DELIVERED))
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::LastStatus, Expr::value(i32::from(*status)))
                    .col_expr(Column::LastError, Expr::value(Option::<String>::None))
                    .col_expr(Column::DeliveredAt, Expr::value(now));
            }
            Outcome::Failed { status, error } => {
                let jitter = rand::rng().random::<f64>();
                let next = self.schedule.next_attempt(
                    u32::try_from(attempts).unwrap_or(u32::MAX),
                    delivery.queued_at,
                    now,
                    jitter,
                );
                let error: String = error.chars().take(ERROR_LIMIT).collect();
                match next {
                    Some(at) => {
                        debug!(delivery = %delivery.id, attempts, %error, "event delivery failed; will retry");
                        update = update.col_expr(Column::NextAttemptAt, Expr::value(at));
                    }
                    None => {
                        info!(delivery = %delivery.id, event = %delivery.event_id, attempts, %error, "event delivery given up");
                        update = update.col_expr(Column::State, Expr::value(FAILED));
                    }
                }
                update = update
                    .col_expr(Column::Attempts, Expr::value(attempts))
                    .col_expr(Column::LastStatus, Expr::value(status.map(i32::from)))
                    .col_expr(Column::LastError, Expr::value(Some(error)));
            }
            Outcome::Paused => {
                let waited = now.saturating_sub(delivery.queued_at);
                if waited >= self.schedule.give_up_after.as_millis() as i64 {
                    update = update
                        .col_expr(Column::State, Expr::value(FAILED))
                        .col_expr(
                            Column::LastError,
                            Expr::value(Some("the subscription was inactive".to_owned())),
                        );
                } else {
                    update = update.col_expr(
                        Column::NextAttemptAt,
                        Expr::value(now.saturating_add(PAUSED_RECHECK.as_millis() as i64)),
                    );
                }
            }
        }
        update
            .filter(Column::Id.eq(delivery.id.clone()))
            .filter(Column::ClaimedBy.eq(token))
            .exec(self.notifier.db())
            .await?;
        Ok(())
    }
}

/// An error and its causes on one line (reqwest's own message rarely says what failed).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let said = inner.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = inner.source();
    }
    text
}
