//! The notices of one applied event, found by comparing the contact before and after: runs
//! that started, ended or went to or came back from a person, and a change of Marketing
//! consent. Message statuses are noticed where they are applied (`delivery`), since only
//! there is it known that a status is news.

use serde_json::{Map, Value, json};
use spool_nodes::{
    Contact, Failure, InboundMessage, Millis, Outbound, OutboundBody, Run, RunStatus,
};

use crate::counters::Counter;

use crate::delivery::{DeliveryStatus, StatusReport};
use crate::notice::{Notice, NoticeKind};
use crate::scope::ScopedId;
use crate::state::{ConsentSource, ContactState};

/// What a contact's runs and consent were before an event.
#[derive(Debug)]
pub(super) struct Before {
    /// Each run's id, status and the step it was at.
    runs: Vec<(String, RunStatus, String)>,
    /// The profile (its consent too).
    contact: Contact,
}

impl Before {
    pub(super) fn of(state: &ContactState) -> Self {
        Self {
            runs: state
                .runs
                .iter()
                .map(|run| (run.id.clone(), run.status, run.cursor.clone()))
                .collect(),
            contact: state.contact.clone(),
        }
    }

    /// The notices for what changed since, in the order of the contact's runs.
    pub(super) fn changes(
        &self,
        state: &ContactState,
        now: Millis,
        source: &ConsentSource,
        out: &mut Vec<Notice>,
    ) {
        for run in &state.runs {
            let was = self.runs.iter().find(|(id, _, _)| *id == run.id);
            let before = was.map(|(_, status, _)| *status);
            if before.is_none() {
                out.push(run_notice(state, run, NoticeKind::RunStarted, now));
            }
            let was_handoff = before == Some(RunStatus::Handoff);
            let is_handoff = run.status == RunStatus::Handoff;
            if was_handoff && !is_handoff {
                out.push(run_notice(state, run, NoticeKind::HandoffClosed, now));
            }
            if is_handoff && !was_handoff {
                let mut notice = run_notice(state, run, NoticeKind::HandoffRequested, now);
                notice.data.insert("handoff".into(), handoff(state, run));
                out.push(notice);
            }
            // At rest at a new step (or waiting in a new way): who waits where.
            if waits(run.status)
                && was.is_none_or(|(_, status, cursor)| {
                    *status != run.status || *cursor != run.cursor
                })
            {
                let mut notice = run_notice(state, run, NoticeKind::RunWaiting, now);
                notice.data.insert(
                    "until".into(),
                    json!(run.wait.as_ref().and_then(|wait| wait.deadline)),
                );
                out.push(notice);
            }
            let was_active = before.is_none_or(RunStatus::is_active);
            if was_active && !run.status.is_active() {
                let kind = if run.status == RunStatus::Failed {
                    NoticeKind::RunFailed
                } else {
                    NoticeKind::RunFinished
                };
                out.push(run_notice(state, run, kind, now));
            }
        }
        let contact = &state.contact;
        match (
            self.contact.marketing_opt_in_at,
            contact.marketing_opt_in_at,
        ) {
            (None, Some(at)) => out.push(consent(state, NoticeKind::OptedIn, at, source)),
            (Some(_), None) => out.push(consent(state, NoticeKind::OptedOut, now, source)),
            _ => {}
        }
    }

    /// A `contact.changed` notice when the profile changed or a run entered steps: the
    /// profile as it is now, which of its parts changed, and the steps entered.
    pub(super) fn contact_changed(
        &self,
        state: &ContactState,
        counters: &[Counter],
        now: Millis,
        out: &mut Vec<Notice>,
    ) {
        let contact = &state.contact;
        let mut reached: Vec<Value> = Vec::new();
        for counter in counters
            .iter()
            .filter(|counter| counter.at.key == "entered")
        {
            let flow = state
                .runs
                .iter()
                .find(|run| run.version == counter.version)
                .map(|run| ScopedId::local_of(&run.flow_id));
            if let Some(flow) = flow {
                let step = json!({ "flow_id": flow, "node_id": counter.at.node_id });
                if !reached.contains(&step) {
                    reached.push(step);
                }
            }
        }
        if *contact == self.contact && reached.is_empty() {
            return;
        }
        let mut notice = base(
            state,
            NoticeKind::ContactChanged,
            format!("{}:contact.changed:{now}:{}", contact.id, state.seq),
            now,
        );
        notice.data.insert(
            "profile".into(),
            serde_json::to_value(contact).unwrap_or(Value::Null),
        );
        notice.data.insert(
            "tags_changed".into(),
            Value::Bool(contact.tags != self.contact.tags),
        );
        notice.data.insert(
            "properties_changed".into(),
            Value::Bool(contact.properties != self.contact.properties),
        );
        notice.data.insert("reached".into(), Value::Array(reached));
        out.push(notice);
    }
}

fn base(state: &ContactState, kind: NoticeKind, id: String, at: Millis) -> Notice {
    let mut data = Map::new();
    let phone = &state.contact.phone;
    data.insert(
        "contact".into(),
        json!({
            "id": ScopedId::local_of(&state.contact.id),
            // E.164 as people write it; null for a contact WhatsApp names only by BSUID.
            "phone": (!phone.is_empty()).then(|| format!("+{phone}")),
            "wa_id": (!phone.is_empty()).then_some(phone),
        }),
    );
    Notice {
        kind,
        id,
        contact_id: state.contact.id.clone(),
        phone: state.contact.phone.clone(),
        at,
        data,
    }
}

fn run_notice(state: &ContactState, run: &Run, kind: NoticeKind, now: Millis) -> Notice {
    // Run ids are the contact's own (`r1`, `r2`…): the contact's id makes the notice's
    // unique in the workspace, or two contacts' first runs would be one event out.
    let mut notice = base(
        state,
        kind,
        format!(
            "{}:{}:{}:{}",
            state.contact.id,
            run.id,
            kind.as_str(),
            run.steps
        ),
        now,
    );
    let mut about = json!({
        "id": run.id,
        "flow_id": ScopedId::local_of(&run.flow_id),
        "version": run.version,
        "node_id": run.cursor,
        "status": run.status,
        "started_at": run.started_at,
    });
    if let Some(reason) = &run.reason {
        about["reason"] = Value::String(reason.clone());
    }
    if let Some(campaign) = run.payload.get("campaign_id") {
        about["campaign_id"] = campaign.clone();
    }
    notice.data.insert("run".into(), about);
    notice
}

/// Whether a run in `status` rests at a step until something happens.
fn waits(status: RunStatus) -> bool {
    matches!(
        status,
        RunStatus::WaitingReply | RunStatus::WaitingTimer | RunStatus::Calling | RunStatus::Handoff
    )
}

/// What a person picking up the handoff needs: the team, the note filled in, until when
/// the run waits for them, when the contact last wrote (the 24-hour window) and their name.
fn handoff(state: &ContactState, run: &Run) -> Value {
    let kept = &run.scratch[spool_nodes::handoff::SCRATCH_KEY];
    json!({
        "team": kept["team"],
        "note": kept["note"],
        "until": run.wait.as_ref().and_then(|wait| wait.deadline),
        "last_inbound_at": state.contact.last_inbound_at,
        "contact_name": state.contact.name,
    })
}

fn consent(state: &ContactState, kind: NoticeKind, at: Millis, source: &ConsentSource) -> Notice {
    let mut notice = base(
        state,
        kind,
        format!("{}:{}:{at}", state.contact.id, kind.as_str()),
        at,
    );
    let mut consent = serde_json::to_value(source).unwrap_or(Value::Null);
    consent["category"] = Value::String("marketing".into());
    notice.data.insert("consent".into(), consent);
    notice
}

/// A status that is news for its message (`None` for one that says nothing an outside
/// system acts on: a message held while WhatsApp assesses quality is still on its way).
pub(super) fn message_notice(
    state: &ContactState,
    run: Option<&Run>,
    report: &StatusReport,
) -> Option<Notice> {
    let kind = match report.status {
        DeliveryStatus::HeldForQualityAssessment => return None,
        DeliveryStatus::Sent => NoticeKind::MessageSent,
        DeliveryStatus::Delivered => NoticeKind::MessageDelivered,
        DeliveryStatus::Read => NoticeKind::MessageRead,
        DeliveryStatus::Failed => NoticeKind::MessageFailed,
    };
    let mut notice = base(
        state,
        kind,
        format!("{}:{}", report.message.key, kind.as_str()),
        report.timestamp,
    );
    let mut message = json!({
        "key": report.message.key,
        "run_id": report.message.run_id,
        "node_id": report.message.node_id,
        "status": report.status.as_str(),
    });
    if let Some(run) = run {
        message["flow_id"] = Value::String(ScopedId::local_of(&run.flow_id).to_owned());
        if let Some(campaign) = run.payload.get("campaign_id") {
            message["campaign_id"] = campaign.clone();
        }
    }
    if let Some(wamid) = &report.wamid {
        message["wamid"] = Value::String(wamid.clone());
    }
    if let Some(error) = &report.error {
        message["error"] = json!({ "code": error.code, "message": error.message });
    }
    if let Some(pricing) = &report.pricing {
        message["pricing"] = pricing.clone();
    }
    notice.data.insert("message".into(), message);
    Some(notice)
}

/// A message the contact sent, for the conversation history.
pub(super) fn inbound_notice(state: &ContactState, message: &InboundMessage, at: Millis) -> Notice {
    let mut notice = base(
        state,
        NoticeKind::MessageReceived,
        format!("{}:in:{}", state.contact.id, message.id),
        at,
    );
    let mut about = message.to_value();
    if let Some(about) = about.as_object_mut() {
        about.insert("content".into(), json!(message.content));
        if let Some(channel) = &message.channel {
            about.insert("channel".into(), json!(channel));
        }
    }
    notice.data.insert("message".into(), about);
    notice
}

/// A message given to the outbox, for the conversation history: what it says, who sent it
/// (the run and step, or the operator) and whether the 24-hour window was closed.
pub(super) fn queued_notice(state: &ContactState, message: &Outbound, now: Millis) -> Notice {
    let mut notice = base(
        state,
        NoticeKind::MessageQueued,
        format!("{}:message.queued", message.key),
        now,
    );
    notice.data.insert(
        "message".into(),
        json!({
            "key": message.key,
            "run_id": message.run_id,
            "node_id": message.node_id,
            "body": message.body,
            "window_closed": message.window_closed,
            "author": message.author,
        }),
    );
    let campaign = state
        .run(&message.run_id)
        .and_then(|run| run.payload.get("campaign_id"));
    if let (Some(campaign), Some(Value::Object(about))) = (campaign, notice.data.get_mut("message"))
    {
        about.insert("campaign_id".into(), campaign.clone());
    }
    notice
}

/// A message an operator wrote that WhatsApp's rules did not let go: what it said, who wrote
/// it and why it was not sent.
pub(super) fn refused_notice(
    state: &ContactState,
    key: &str,
    author: &str,
    body: &OutboundBody,
    reason: &Failure,
    now: Millis,
) -> Notice {
    let mut notice = base(
        state,
        NoticeKind::MessageRefused,
        format!("{key}:message.refused"),
        now,
    );
    notice.data.insert(
        "message".into(),
        json!({
            "key": key,
            "author": author,
            "body": body,
            "error": { "code": reason.code, "message": reason.message },
        }),
    );
    notice
}
