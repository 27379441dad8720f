//! A status the channel reports for a message, applied to the run that sent it: noted in
//! `vars.delivery.<node id>` (never moving backwards), counted for the funnel and the bill,
//! and a failure sends the run out of the node's `error` port wherever it waits by then.

use serde_json::{Map, Value, json};
use spool_nodes::{Millis, RunStatus, SECOND};
use tracing::debug;

use super::{Engine, Transition, notices};
use crate::counters::Counter;
use crate::delivery::{DELIVERY_VAR, DeliveryError, DeliveryStatus, MessageRef, StatusReport};
use crate::state::{ConsentSource, ContactState, RunChanges};

/// WhatsApp's error for a Marketing message to a person who stopped Marketing messages from
/// the business: recorded as their opting out.
const STOPPED_MARKETING: &str = "131050";

impl Engine {
    /// Notes a status on the run that sent the message, and sends a run whose message
    /// failed out of the node's `error` port.
    pub(crate) fn message_status(
        &self,
        state: &mut ContactState,
        report: &StatusReport,
        now: Millis,
        tx: &mut Transition,
    ) {
        // 131050: the person told WhatsApp to stop Marketing messages from this business.
        if report.status == DeliveryStatus::Failed
            && report
                .error
                .as_ref()
                .is_some_and(|error| error.code == STOPPED_MARKETING)
            && state.contact.marketing_opt_in_at.is_some()
        {
            state.contact.marketing_opt_in_at = None;
            tx.consent_source = Some(ConsentSource::named(STOPPED_MARKETING));
        }
        let Some(index) = state
            .runs
            .iter()
            .position(|run| run.id == report.message.run_id)
        else {
            debug!(key = %report.message.key, "status for a run no longer kept");
            tx.notices
                .extend(notices::message_notice(state, None, report));
            return;
        };
        let Some(billed) = record(&mut state.runs[index].vars, report) else {
            tx.duplicate = true;
            return;
        };
        tx.notices.extend(notices::message_notice(
            state,
            Some(&state.runs[index]),
            report,
        ));
        let flow = self.flows.version(&state.runs[index].version);
        if let Some(flow) = &flow {
            let node = &report.message.node_id;
            tx.counters.push(Counter::new(
                flow.hash(),
                node,
                &format!("delivery:{}", report.status.as_str()),
            ));
            if let Some(category) = billed {
                tx.counters.push(Counter::new(
                    flow.hash(),
                    node,
                    &format!("billed:{category}"),
                ));
            }
        }
        // A run that ended on the sending node (its last node) still learns its message
        // failed: the `error` port is how its author said what to do then.
        let run = &state.runs[index];
        let ended_there = run.status == RunStatus::Done && run.cursor == report.message.node_id;
        if report.status != DeliveryStatus::Failed || !(run.status.is_active() || ended_there) {
            return;
        }
        let error = report.error.clone().unwrap_or(DeliveryError {
            code: "failed".into(),
            message: "the channel could not deliver the message".into(),
        });
        let contact_id = state.contact.id.clone();
        state.discard_fragments(index, tx);
        let run = &mut state.runs[index];
        run.clear_wait(&contact_id, tx);
        let next = flow.as_ref().and_then(|flow| {
            let ix = flow.node_index(&report.message.node_id)?;
            let next = flow.next(ix, "error")?;
            Some(flow.node(next).id.clone())
        });
        match next {
            Some(next) => {
                run.vars.insert(
                    "error".into(),
                    json!({ "code": error.code, "message": error.message }),
                );
                run.cursor = next;
                run.status = RunStatus::Running;
                run.reason = None;
                self.trace(
                    tx,
                    run,
                    &report.message.node_id,
                    "left:error",
                    Some(error.message.clone()),
                );
                self.drive(state, index, None, false, now, tx);
            }
            None => {
                if let Some(flow) = &flow {
                    tx.counters
                        .push(Counter::new(flow.hash(), &report.message.node_id, "failed"));
                }
                let reason = format!("{}: {}", error.code, error.message);
                run.finish(RunStatus::Failed, Some(reason), now);
            }
        }
    }
}

/// Writes the status into `vars.delivery.<node>` unless it is older than what is there (an
/// earlier message of the node, or a status the message is already past). Returns `None`
/// when nothing changed, else the pricing category when this is the first status that says
/// the message is billed.
fn record(vars: &mut Map<String, Value>, report: &StatusReport) -> Option<Option<String>> {
    let delivery = vars
        .entry(DELIVERY_VAR)
        .or_insert_with(|| Value::Object(Map::new()));
    if !delivery.is_object() {
        *delivery = Value::Object(Map::new());
    }
    let nodes = delivery.as_object_mut()?;
    let node = &report.message.node_id;
    if let Some(previous) = nodes.get(node) {
        let previous_key = previous.get("key").and_then(Value::as_str).unwrap_or("");
        if previous_key == report.message.key {
            let previous_status = previous
                .get("status")
                .and_then(Value::as_str)
                .and_then(DeliveryStatus::parse);
            if previous_status.is_some_and(|status| status >= report.status) {
                return None;
            }
        } else {
            let earlier = MessageRef {
                key: previous_key.to_owned(),
                ..report.message.clone()
            };
            if earlier.position() > report.message.position() {
                return None;
            }
        }
    }
    let was_billed = nodes
        .get(node)
        .filter(|previous| previous.get("key").and_then(Value::as_str) == Some(&report.message.key))
        .and_then(|previous| previous.get("billed"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let billed_now = report
        .pricing
        .as_ref()
        .filter(|pricing| pricing.get("billable").and_then(Value::as_bool) == Some(true))
        .map(|pricing| {
            pricing
                .get("category")
                .and_then(Value::as_str)
                .unwrap_or("unknown")
                .to_owned()
        });
    let mut entry = Map::new();
    entry.insert("key".into(), report.message.key.clone().into());
    entry.insert("status".into(), report.status.as_str().into());
    entry.insert("at".into(), (report.timestamp / SECOND).into());
    if let Some(wamid) = &report.wamid {
        entry.insert("wamid".into(), wamid.clone().into());
    } else if let Some(wamid) = nodes.get(node).and_then(|previous| previous.get("wamid")) {
        entry.insert("wamid".into(), wamid.clone());
    }
    if let Some(error) = &report.error {
        entry.insert(
            "error".into(),
            json!({ "code": error.code, "message": error.message }),
        );
    }
    if was_billed || billed_now.is_some() {
        entry.insert("billed".into(), true.into());
    }
    nodes.insert(node.clone(), Value::Object(entry));
    Some(billed_now.filter(|_| !was_billed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(key: &str, status: DeliveryStatus) -> StatusReport {
        StatusReport {
            message: MessageRef {
                key: key.into(),
                run_id: "r1".into(),
                node_id: "ask".into(),
            },
            status,
            wamid: None,
            error: None,
            pricing: None,
            timestamp: 1_000 * SECOND,
        }
    }

    fn status_of(vars: &Map<String, Value>) -> &str {
        vars[DELIVERY_VAR]["ask"]["status"].as_str().unwrap_or("")
    }

    #[test]
    fn a_status_never_moves_backwards_and_a_repeat_changes_nothing() {
        let mut vars = Map::new();
        let key = "c/r1/3/0";
        assert!(record(&mut vars, &report(key, DeliveryStatus::Read)).is_some());
        assert_eq!(
            record(&mut vars, &report(key, DeliveryStatus::Delivered)),
            None
        );
        assert_eq!(record(&mut vars, &report(key, DeliveryStatus::Read)), None);
        assert_eq!(status_of(&vars), "read");
        assert!(record(&mut vars, &report(key, DeliveryStatus::Failed)).is_some());
        assert_eq!(status_of(&vars), "failed");
    }

    #[test]
    fn a_late_status_of_an_earlier_message_of_the_node_is_not_taken_for_the_latest() {
        let mut vars = Map::new();
        assert!(record(&mut vars, &report("c/r1/12/0", DeliveryStatus::Sent)).is_some());
        assert_eq!(
            record(&mut vars, &report("c/r1/9/0", DeliveryStatus::Read)),
            None
        );
        assert_eq!(status_of(&vars), "sent");
        assert!(record(&mut vars, &report("c/r1/15/0", DeliveryStatus::Sent)).is_some());
        assert_eq!(vars[DELIVERY_VAR]["ask"]["key"], "c/r1/15/0");
    }

    #[test]
    fn a_message_is_billed_once_whatever_statuses_repeat_the_pricing() {
        let mut vars = Map::new();
        let priced = |status| StatusReport {
            pricing: Some(
                json!({"billable": true, "category": "marketing", "pricing_model": "PMP"}),
            ),
            ..report("c/r1/3/0", status)
        };
        assert_eq!(
            record(&mut vars, &priced(DeliveryStatus::Sent)),
            Some(Some("marketing".into()))
        );
        assert_eq!(
            record(&mut vars, &priced(DeliveryStatus::Delivered)),
            Some(None)
        );
    }
}
