//! The outbox's way out to WhatsApp: each message goes through the Cloud API of the channel
//! its contact wrote to (else the workspace's default number), within the number's
//! throughput and the pair rate, with Spool's [`MessageRef`] attached so its statuses find
//! their run. What Meta answers decides what happens next: temporary problems are retried
//! (the message and those after it wait), refusals go back to the run, a rejected token
//! pauses the channel until it is replaced.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use spool_nodes::Outbound;
use spool_runtime::ScopedId;
use spool_runtime::channel::{Channel, SendError, Sent};
use spool_runtime::delivery::MessageRef;
use spool_whatsapp::client::{ChannelAuth, CloudApi};
use spool_whatsapp::errors::SendFailure;
use spool_whatsapp::outbound::{Recipient, SendRequest};
use tracing::{debug, warn};

use super::rate::SendLimits;
use crate::channels::{ChannelConfig, WhatsAppChannels};

/// How long a paused channel's messages wait before it is looked at again.
const PAUSED_RETRY: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct WhatsAppSender {
    channels: Arc<WhatsAppChannels>,
    api: CloudApi,
    limits: SendLimits,
}

impl WhatsAppSender {
    pub fn new(channels: Arc<WhatsAppChannels>, api: CloudApi) -> Self {
        Self {
            channels,
            api,
            limits: SendLimits::new(),
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
        self.limits
            .wait_turn(
                &channel.phone_number_id,
                channel.throughput_per_second,
                &recipient,
            )
            .await;
        let request = SendRequest {
            to,
            reply_to: None,
            callback_data: Some(MessageRef::of(message).callback_data()),
            body: &message.body,
        };
        let auth = ChannelAuth {
            phone_number_id: channel.phone_number_id.clone(),
            token: channel.access_token.clone(),
            api_version: channel.api_version.clone(),
            marketing_messages: channel.marketing_messages_api,
        };
        match self.api.send(&auth, &request).await {
            Ok(sent) => {
                debug!(key = %message.key, wamid = %sent.wamid, "sent");
                Ok(Sent {
                    provider_id: Some(sent.wamid),
                })
            }
            Err(SendFailure::Retry { reason, after, .. }) => {
                Err(SendError::Retryable { reason, after })
            }
            Err(SendFailure::Permanent { code, reason, .. }) => Err(SendError::Rejected {
                code: code.map_or_else(|| "rejected".to_owned(), |code| code.to_string()),
                reason,
            }),
            // Retrying within 24 h makes Meta block longer, and holding the outbox a day
            // would hold every other contact of the partition: the run decides (its
            // `error` port can wait a day and try again).
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
