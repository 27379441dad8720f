//! The outbox's way out to WhatsApp: each message goes through the Cloud API of the channel
//! its contact wrote to (else the workspace's default number), within the number's
//! throughput and the pair rate, with Spool's [`MessageRef`] attached so its statuses find
//! their run. What Meta answers decides what happens next: temporary problems are retried
//! (the contact's message and those after it wait; other contacts' do not), refusals go
//! back to the run, a rejected token pauses the channel until it is replaced.
//!
//! Nothing here waits long: a person over the pair rate, or a number whose line is full, is
//! a temporary failure whose `after` says when to try, and the dispatcher holds back that
//! contact's messages until then.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use spool_nodes::Outbound;
use spool_runtime::ScopedId;
use spool_runtime::channel::{Channel, SendError, Sent};
use spool_runtime::clock::Clock;
use spool_runtime::delivery::MessageRef;
use spool_whatsapp::client::CloudApi;
use spool_whatsapp::errors::SendFailure;
use spool_whatsapp::outbound::{Recipient, SendRequest};
use tracing::{debug, warn};

use super::rate::PairLimits;
use super::reach::{Admission, RECHECK, Reach};
use super::throughput::{Throughput, Turn};
use crate::channels::{ChannelConfig, WhatsAppChannels};

/// Meta's pair rate limit: too many messages to one person just now.
const PAIR_RATE_HIT: i64 = 131_056;
/// Meta's throughput limit of the number.
const THROUGHPUT_HIT: i64 = 130_429;
/// How long a paused channel's messages wait before it is looked at again.
const PAUSED_RETRY: Duration = Duration::from_secs(5);
/// How long a number sends nothing after Meta said it is over its throughput (130429).
const THROUGHPUT_PAUSE: Duration = Duration::from_secs(1);
/// How long a message waits when the shared send rate cannot be read.
const UNREADABLE_RETRY: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct WhatsAppSender {
    channels: Arc<WhatsAppChannels>,
    api: CloudApi,
    clock: Arc<dyn Clock>,
    throughput: Arc<dyn Throughput>,
    pairs: PairLimits,
    reach: Reach,
}

impl WhatsAppSender {
    /// `throughput` keeps each number's rate: shared in Redis when several processes send,
    /// else this process's; `clock` is the runtime's (the pair rate and the messaging
    /// limit's rolling day follow it); `db` keeps the messaging limit's count and queue.
    pub fn new(
        channels: Arc<WhatsAppChannels>,
        api: CloudApi,
        clock: Arc<dyn Clock>,
        throughput: Arc<dyn Throughput>,
        db: DatabaseConnection,
    ) -> Self {
        Self {
            channels,
            api,
            clock,
            throughput,
            pairs: PairLimits::new(),
            reach: Reach::new(db),
        }
    }

    /// Waits for the number's turn if it is near; otherwise the message waits outside the
    /// line (a temporary failure saying how long).
    async fn number_turn(&self, channel: &ChannelConfig) -> Result<(), SendError> {
        let turn = self
            .throughput
            .reserve(&channel.phone_number_id, channel.throughput_per_second)
            .await
            .map_err(|err| SendError::Retryable {
                reason: err.to_string(),
                after: Some(UNREADABLE_RETRY),
            })?;
        match turn {
            Turn::After(wait) => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                Ok(())
            }
            Turn::Busy(wait) => Err(SendError::Retryable {
                reason: format!("{} is at its throughput", channel.display_name),
                after: Some(wait),
            }),
        }
    }

    /// The channel a message goes out through: the contact's own, else the workspace's
    /// default (a contact whose channel was removed is answered from the default too).
    async fn channel_for(
        &self,
        message: &Outbound,
    ) -> Result<Option<Arc<ChannelConfig>>, SendError> {
        let workspace = ScopedId::scope_of(&message.contact_id);
        let unreadable = |err: crate::channels::Error| SendError::retry(err.to_string());
        if let Some(id) = &message.channel
            && let Some(channel) = self.channels.by_id(id).await.map_err(unreadable)?
            && channel.workspace_id == workspace
        {
            return Ok(Some(channel));
        }
        self.channels
            .default_for(workspace)
            .await
            .map_err(unreadable)
    }
}

#[async_trait]
impl Channel for WhatsAppSender {
    async fn send(&self, message: &Outbound) -> Result<Sent, SendError> {
        let Some(channel) = self.channel_for(message).await? else {
            warn!(key = %message.key, "no WhatsApp number is connected to the workspace: message not delivered");
            return Ok(Sent::default());
        };
        if let Some(reason) = &channel.paused_reason {
            return Err(SendError::Retryable {
                reason: format!("sending is paused on {}: {reason}", channel.display_name),
                after: Some(PAUSED_RETRY),
            });
        }
        let to = match &message.to_user_id {
            Some(user) if message.to.is_empty() => Recipient::UserId(user.to_string()),
            _ => Recipient::Phone(message.to.clone()),
        };
        let recipient = match &to {
            Recipient::Phone(id) | Recipient::UserId(id) => id.clone(),
        };
        let pair = format!("{}:{recipient}", channel.phone_number_id);
        let now = self.clock.now();
        let wait = self.pairs.wait(&pair, now);
        if !wait.is_zero() {
            return Err(SendError::Retryable {
                reason: "the pair rate: this person was written to often just now".into(),
                after: Some(wait),
            });
        }
        let admission = self
            .reach
            .admit(&channel, message, &recipient, now)
            .await
            .map_err(|err| SendError::Retryable {
                reason: format!("the messaging limit cannot be read: {err}"),
                after: Some(UNREADABLE_RETRY),
            })?;
        let counted = match admission {
            Admission::Go { counted } => counted,
            Admission::Queued { next_release_at } => {
                // Asked again when a place frees (and now and then, so the queue sees it
                // is still wanted).
                let wait = next_release_at.map_or(RECHECK, |at| (at - now).clamp(1_000, RECHECK));
                debug!(key = %message.key, "messaging limit reached: queued");
                return Err(SendError::Retryable {
                    reason: format!(
                        "{} reached its messaging limit: queued until a place frees",
                        channel.display_name
                    ),
                    after: Some(Duration::from_millis(u64::try_from(wait).unwrap_or(0))),
                });
            }
        };
        let outcome = self.deliver(&channel, message, to, &pair).await;
        if counted
            && outcome.is_err()
            && let Err(err) = self.reach.uncount(&channel.id, &recipient, now).await
        {
            warn!(channel = %channel.id, %err, "cannot take back a count for a message that did not go");
        }
        outcome
    }
}

impl WhatsAppSender {
    /// Sends a message that may go, within the number's throughput, and sorts out Meta's
    /// answer.
    async fn deliver(
        &self,
        channel: &ChannelConfig,
        message: &Outbound,
        to: Recipient,
        pair: &str,
    ) -> Result<Sent, SendError> {
        self.number_turn(channel).await?;
        let request = SendRequest {
            to,
            reply_to: None,
            callback_data: Some(MessageRef::of(message).callback_data()),
            body: &message.body,
        };
        let auth = channel.auth();
        match self.api.send(&auth, &request).await {
            Ok(sent) => {
                self.pairs.sent(pair, self.clock.now());
                debug!(key = %message.key, wamid = %sent.wamid, "sent");
                Ok(Sent {
                    provider_id: Some(sent.wamid),
                })
            }
            Err(SendFailure::Retry {
                code: Some(PAIR_RATE_HIT),
                reason,
                ..
            }) => Err(SendError::Retryable {
                reason,
                after: Some(self.pairs.refused(pair, self.clock.now())),
            }),
            Err(SendFailure::Retry {
                code: Some(THROUGHPUT_HIT),
                reason,
                after,
            }) => {
                let pause = after.unwrap_or(THROUGHPUT_PAUSE).max(THROUGHPUT_PAUSE);
                if let Err(err) = self.throughput.pause(&channel.phone_number_id, pause).await {
                    warn!(channel = %channel.id, %err, "cannot pause the number's sends");
                }
                Err(SendError::Retryable {
                    reason,
                    after: Some(pause),
                })
            }
            Err(SendFailure::Retry { reason, after, .. }) => {
                Err(SendError::Retryable { reason, after })
            }
            Err(SendFailure::Permanent { code, reason, .. }) => Err(SendError::Rejected {
                code: code.map_or_else(|| "rejected".to_owned(), |code| code.to_string()),
                reason,
            }),
            // Retrying within 24 h makes Meta block longer, and holding the contact's
            // messages a day would hold its replies too: the run decides (its `error` port
            // can wait a day and try again).
            Err(failure @ SendFailure::PerUserMarketingCap { .. }) => Err(SendError::Rejected {
                code: "131049".into(),
                reason: failure.reason().to_owned(),
            }),
            Err(SendFailure::TokenRejected { reason, .. }) => {
                warn!(channel = %channel.id, %reason, "Meta rejected the channel's token: sending paused");
                if let Err(err) = self.channels.pause(&channel.id, &reason).await {
                    warn!(channel = %channel.id, %err, "cannot record the pause");
                }
                Err(SendError::Retryable {
                    reason,
                    after: Some(PAUSED_RETRY),
                })
            }
        }
    }
}
