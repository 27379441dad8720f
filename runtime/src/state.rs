//! What is kept per contact between events, and the events that move it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::{
    Burst, CallAnswer, CallRequest, Contact, InboundMessage, Millis, Run, RunStatus, Wait, WaitKind,
};

use crate::engine::Transition;

/// How many finished runs a contact keeps for inspection.
pub const FINISHED_RUNS_KEPT: usize = 3;
/// How many recent inbound messages a contact remembers (as 64-bit hashes of their ids), as a
/// second line of de-duplication behind the store's.
pub const RECENT_MESSAGES_KEPT: usize = 8;

/// Everything Spool keeps about one contact, loaded and committed as one unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactState {
    pub contact: Contact,
    /// Active runs, then up to [`FINISHED_RUNS_KEPT`] finished ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Run>,
    /// Numbers runs and waits, so run ids and wait tokens never repeat for this contact.
    #[serde(default)]
    pub seq: u64,
    /// Journeys to start when the current conversation ends (re-entry rule `queue`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queued: Vec<QueuedStart>,
    /// Timers that fired while a human was handling the contact; they fire on release.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frozen: Vec<TimerRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent_messages: Vec<u64>,
    /// Messages that arrived while a run was waiting for a call: they are routed once the
    /// call is answered, as if they had arrived after it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<InboundMessage>,
}

impl ContactState {
    pub fn new(contact: Contact) -> Self {
        Self {
            contact,
            ..Self::default()
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn run(&self, run_id: &str) -> Option<&Run> {
        self.runs.iter().find(|run| run.id == run_id)
    }

    /// Whether a run waits for a call to another system.
    pub fn calling(&self) -> bool {
        self.runs
            .iter()
            .any(|run| run.status == spool_nodes::RunStatus::Calling)
    }
}

/// The changes the engine makes to one run. [`Run`] belongs to the nodes crate; the rules
/// live here, beside the contact state, because they are the runtime's: wait tokens come
/// from the contact's sequence, and the timers a change sets or makes stale are effects the
/// [`Transition`] carries to the store.
pub(crate) trait RunChanges {
    /// Replaces the run's wait with a new one (a new token, and a timer if it has a deadline).
    fn set_wait(
        &mut self,
        contact_id: &str,
        seq: &mut u64,
        kind: WaitKind,
        deadline: Option<Millis>,
        quiet: bool,
        tx: &mut Transition,
    );

    /// Drops the run's wait, and its timer if it had one.
    fn clear_wait(&mut self, contact_id: &str, tx: &mut Transition);

    /// Ends the run as `status` (done, failed or cancelled), and why.
    fn finish(&mut self, status: RunStatus, reason: Option<String>, now: Millis);
}

impl RunChanges for Run {
    fn set_wait(
        &mut self,
        contact_id: &str,
        seq: &mut u64,
        kind: WaitKind,
        deadline: Option<Millis>,
        quiet: bool,
        tx: &mut Transition,
    ) {
        self.clear_wait(contact_id, tx);
        *seq += 1;
        let token = *seq;
        if let Some(deadline) = deadline {
            let timer = TimerRef {
                contact_id: contact_id.to_owned(),
                run_id: self.id.clone(),
                token,
            };
            tx.timers_set.push((timer, deadline));
        }
        self.wait = Some(Wait {
            kind,
            deadline,
            token,
            attempts: 0,
            quiet,
        });
    }

    fn clear_wait(&mut self, contact_id: &str, tx: &mut Transition) {
        if let Some(wait) = self.wait.take()
            && wait.deadline.is_some()
        {
            tx.timers_cleared.push(TimerRef {
                contact_id: contact_id.to_owned(),
                run_id: self.id.clone(),
                token: wait.token,
            });
        }
    }

    fn finish(&mut self, status: RunStatus, reason: Option<String>, now: Millis) {
        self.status = status;
        self.wait = None;
        self.reason = reason;
        self.updated_at = now;
        self.scratch = Value::Null;
    }
}

/// The changes the engine makes to a contact's runs as a whole.
impl ContactState {
    /// Ends run `index` as cancelled, with its wait and any fragments it was collecting.
    pub(crate) fn cancel(&mut self, index: usize, reason: &str, now: Millis, tx: &mut Transition) {
        let contact_id = self.contact.id.clone();
        self.runs[index].clear_wait(&contact_id, tx);
        self.discard_fragments(index, tx);
        self.runs[index].finish(RunStatus::Cancelled, Some(reason.to_owned()), now);
    }

    /// Drops text fragments a tap overtook, with their timer.
    pub(crate) fn discard_fragments(&mut self, index: usize, tx: &mut Transition) {
        let contact_id = self.contact.id.clone();
        let run = &mut self.runs[index];
        if let Some(burst) = run.burst.take() {
            tx.timers_cleared.push(TimerRef {
                contact_id,
                run_id: run.id.clone(),
                token: burst.token,
            });
        }
    }

    /// Keeps a fragment of a burst; the first one of a burst sets the timer that ends it.
    pub(crate) fn collect_fragment(
        &mut self,
        index: usize,
        message: &InboundMessage,
        ends: Millis,
        tx: &mut Transition,
    ) {
        if let Some(burst) = self.runs[index].burst.as_mut() {
            burst.messages.push(message.clone());
            return;
        }
        let token = self.next_seq();
        let timer = TimerRef {
            contact_id: self.contact.id.clone(),
            run_id: self.runs[index].id.clone(),
            token,
        };
        tx.timers_set.push((timer, ends));
        self.runs[index].burst = Some(Burst {
            token,
            messages: vec![message.clone()],
        });
    }

    /// Keeps active runs and only the most recent finished ones.
    pub(crate) fn prune_finished(&mut self) {
        let finished = self
            .runs
            .iter()
            .filter(|run| !run.status.is_active())
            .count();
        if finished <= FINISHED_RUNS_KEPT {
            return;
        }
        let mut to_drop = finished - FINISHED_RUNS_KEPT;
        // Runs are kept in start order, so the oldest finished come first.
        self.runs.retain(|run| {
            if !run.status.is_active() && to_drop > 0 {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
    }
}

/// A journey waiting to start for this contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuedStart {
    pub flow_id: String,
    /// The trigger it starts at, when the event that queued it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
}

/// Identifies one timer: a run's wait, by its token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimerRef {
    pub contact_id: String,
    pub run_id: String,
    pub token: u64,
}

impl TimerRef {
    /// The timer as one string (a sorted-set member, a table key).
    pub fn encode(&self) -> String {
        format!("{}|{}|{}", self.token, self.run_id, self.contact_id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '|');
        let token = parts.next()?.parse().ok()?;
        let run_id = parts.next()?.to_owned();
        let contact_id = parts.next()?.to_owned();
        Some(Self {
            contact_id,
            run_id,
            token,
        })
    }
}

/// A call to another system that a run waits for, committed with the run's state and made
/// outside the partition by the call executor, which appends its answer as an
/// [`EventKind::CallResult`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingCall {
    /// Stable across retries and re-applied batches: derived from the contact, the run, the
    /// node and the run's step. HTTP targets receive it as `Idempotency-Key`.
    pub key: String,
    pub contact_id: String,
    pub phone: String,
    pub run_id: String,
    /// The token of the run's wait: an answer for an older wait is ignored.
    pub token: u64,
    /// The run was answering the contact when it called (quiet hours do not hold replies).
    #[serde(default, skip_serializing_if = "is_false")]
    pub reply: bool,
    pub request: CallRequest,
}

impl PendingCall {
    /// The workspace the call is made for, whose limits it counts against.
    pub fn workspace(&self) -> &str {
        crate::scope::ScopedId::scope_of(&self.contact_id)
    }

    /// The event that brings the answer back to the run.
    pub fn answered(&self, answer: CallAnswer, at: Millis) -> Event {
        Event::new(
            self.contact_id.clone(),
            self.phone.clone(),
            at,
            EventKind::CallResult {
                run_id: self.run_id.clone(),
                token: self.token,
                reply: self.reply,
                answer,
            },
        )
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Something that happened to a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub contact_id: String,
    /// The contact's phone number, for a contact Spool has not met yet.
    pub phone: String,
    /// When the event was accepted.
    pub at: Millis,
    /// Events with the same key are applied once (a message id, an Idempotency-Key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    pub kind: EventKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Inbound {
        message: InboundMessage,
    },
    /// A webhook call for a journey (its hook already resolved to the flow and trigger).
    Webhook {
        flow_id: String,
        /// The id of the webhook trigger whose hook was called; events logged before it was
        /// carried have none and start at the flow's first webhook trigger.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
        payload: Value,
    },
    Timer {
        run_id: String,
        token: u64,
    },
    HandoffClosed {
        run_id: String,
    },
    /// A call a run waited for came back (or failed for good).
    CallResult {
        run_id: String,
        token: u64,
        #[serde(default)]
        reply: bool,
        answer: CallAnswer,
    },
    /// A broadcast reaching this contact.
    Broadcast {
        flow_id: String,
        /// The campaign that sends it: the run's `payload.campaign_id`, and its notices
        /// carry it, so the campaign follows what became of each recipient.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        campaign: Option<String>,
    },
    /// A person sends the contact into another journey (from the inbox): it starts at its
    /// business-side trigger (broadcast, event, webhook) or else its first, as a broadcast
    /// would.
    StartFlow {
        flow_id: String,
    },
    /// An operator ended a run.
    CancelRun {
        run_id: String,
    },
    /// The contact's profile changed from outside (the API, an import): applied in order
    /// with the contact's other events, and it fires `event` triggers.
    UpdateContact {
        #[serde(default)]
        change: ContactChange,
    },
    /// A person writes to the contact from the inbox: sent through the same outbox, limits
    /// and statuses as a journey's messages when WhatsApp's rules allow it now, else
    /// refused with the reason (a `message.refused` notice).
    OperatorMessage {
        /// `<contact>/op/<n>/0`, chosen by whoever takes the message in; a repeat of the
        /// same key is applied once.
        key: String,
        author: String,
        body: spool_nodes::OutboundBody,
    },
    /// What became of a message a run sent (sent, delivered, read, failed).
    MessageStatus {
        report: crate::delivery::StatusReport,
    },
}

/// A change to a contact's profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_opt_in: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub properties: serde_json::Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The language the contact reads (`pt_BR`), for picking template translations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Where a change of consent in this change came from, for the consent ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_source: Option<ConsentSource>,
}

/// Where a change of Marketing consent came from: what the consent ledger keeps with it,
/// so that consent can be shown to have been given (and withdrawal honoured).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConsentSource {
    /// `keyword`, `flow`, `api`, `operator`, `import`, `user_preferences`, `131050`…
    pub source: String,
    /// Who made the change (a person's or an API key's label), when someone did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The legal basis stated for it (an import's, e.g. "ticked the box at checkout").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// The text the contact was shown, or wrote, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl ConsentSource {
    pub fn named(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            ..Self::default()
        }
    }
}

impl Event {
    pub fn new(
        contact_id: impl Into<String>,
        phone: impl Into<String>,
        at: Millis,
        kind: EventKind,
    ) -> Self {
        Self {
            contact_id: contact_id.into(),
            phone: phone.into(),
            at,
            dedupe_key: None,
            kind,
        }
    }

    /// An inbound message for its sender, de-duplicated by the channel's message id, for the
    /// contact id its sender's number (or, without one, its BSUID) gives. A sender may have
    /// been met by another identifier first: [`crate::Runtime::accept_inbound`] asks the
    /// store's alias index which contact it is and uses [`Event::inbound_for`].
    pub fn inbound(message: InboundMessage, at: Millis) -> Self {
        let identifier = match &message.from_user_id {
            Some(bsuid) if message.from.is_empty() => bsuid.as_str().to_owned(),
            _ => message.from.clone(),
        };
        Self::inbound_for(contact_id_for(&identifier), message, at)
    }

    /// An inbound message for the contact `contact_id` (already resolved).
    pub fn inbound_for(contact_id: impl Into<String>, message: InboundMessage, at: Millis) -> Self {
        let phone = message.from.clone();
        let dedupe_key = Some(format!("msg:{}", message.id));
        Self {
            contact_id: contact_id.into(),
            phone,
            at,
            dedupe_key,
            kind: EventKind::Inbound { message },
        }
    }

    pub fn with_dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
}

/// A message id as the contact state remembers it: 8 bytes instead of a 60-character wamid.
pub fn message_fingerprint(message_id: &str) -> u64 {
    // FNV-1a, 64 bits: stable across processes and releases.
    message_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The contact id of a WhatsApp number (its `wa_id`) or BSUID, before any workspace scope:
/// the id a contact first seen by it gets.
pub fn contact_id_for(identifier: &str) -> String {
    spool_nodes::identity::contact_key(identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timer_refs_survive_encoding_even_with_odd_ids() {
        let timer = TimerRef {
            contact_id: "wa:55|11".into(),
            run_id: "cart.3".into(),
            token: 42,
        };
        assert_eq!(TimerRef::decode(&timer.encode()), Some(timer));
        assert_eq!(TimerRef::decode("nonsense"), None);
    }

    #[test]
    fn webhook_events_logged_before_triggers_were_carried_still_read() {
        let old = r#"{"type":"webhook","flow_id":"ws/cart","payload":{"n":1}}"#;
        let kind: EventKind = serde_json::from_str(old).expect("an old webhook event reads");
        assert_eq!(
            kind,
            EventKind::Webhook {
                flow_id: "ws/cart".into(),
                trigger: None,
                payload: serde_json::json!({ "n": 1 }),
            }
        );
        let new = EventKind::Webhook {
            flow_id: "ws/cart".into(),
            trigger: Some("paid".into()),
            payload: Value::Null,
        };
        let text = serde_json::to_string(&new).expect("encodes");
        assert_eq!(serde_json::from_str::<EventKind>(&text).ok(), Some(new));
    }
}
