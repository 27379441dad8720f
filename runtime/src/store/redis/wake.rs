//! Hearing of appends from other processes: one subscription per process to the store's
//! wake-up channel, on which every append announces its partition.

use std::time::Duration;

use futures::StreamExt;
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::store::{Error, Wake};

/// Subscribes to the store's wake-up channel on a connection of its own (a subscribed
/// connection can do nothing else) and passes each announced partition on, subscribing again
/// whenever the connection is lost. Appends made meanwhile were not heard, so every partition
/// is woken once subscribed.
pub(super) async fn listen_for_appends(
    client: redis::Client,
    channel: String,
    partitions: u16,
    wake: Wake,
    mut stop: watch::Receiver<bool>,
) {
    let mut pause = Duration::from_millis(100);
    while !*stop.borrow() {
        match subscribe(&client, &channel).await {
            Ok(pubsub) => {
                (0..partitions).for_each(|partition| wake(partition));
                pause = Duration::from_millis(100);
                let mut messages = pubsub.into_on_message();
                loop {
                    tokio::select! {
                        message = messages.next() => match message {
                            Some(message) => match message.get_payload::<u16>() {
                                Ok(partition) if partition < partitions => wake(partition),
                                _ => debug!("a wake-up that names no partition is ignored"),
                            },
                            None => break,
                        },
                        changed = stop.changed() => if changed.is_err() || *stop.borrow() {
                            return;
                        },
                    }
                }
                warn!("the wake-up subscription was lost; subscribing again");
            }
            Err(err) => warn!(%err, "cannot subscribe to wake-ups; workers poll until then"),
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            changed = stop.changed() => if changed.is_err() { return },
        }
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

async fn subscribe(client: &redis::Client, channel: &str) -> Result<redis::aio::PubSub, Error> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}
