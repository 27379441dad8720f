//! The loop that steps a run node to node: each node entered or resumed, the port it leaves
//! by, until the run waits, calls another system, ends, fails or spends its step budget.

use serde_json::{Value, json};
use spool_flows::CompiledFlow;
use spool_nodes::{Ctx, Inputs, Millis, Resume, RunStatus, Step, WaitKind};
use tracing::debug_span;

use super::trace::vars_diff;
use super::triggers::Origin;
use super::{Engine, Transition};
use crate::counters::Counter;
use crate::policy::quiet_until;
use crate::scope::ScopedId;
use crate::state::{ContactState, PendingCall, RunChanges};

impl Engine {
    /// Steps run `index` from its cursor (resuming its wait with `resume`, if given) until it
    /// waits, ends, fails or spends its step budget.
    pub(super) fn drive(
        &self,
        state: &mut ContactState,
        index: usize,
        mut resume: Option<Resume<'_>>,
        inbound: bool,
        now: Millis,
        tx: &mut Transition,
    ) {
        let Some(flow) = self.flows.version(&state.runs[index].version) else {
            let version = state.runs[index].version.clone();
            state.runs[index].finish(
                RunStatus::Failed,
                Some(format!(
                    "flow_version_missing: version {version} is not loaded"
                )),
                now,
            );
            return;
        };
        let mut goto = None;
        {
            let ContactState {
                contact, runs, seq, ..
            } = state;
            let run = &mut runs[index];
            let budget = flow
                .flow()
                .settings
                .step_budget
                .unwrap_or(self.config.step_budget);
            let mut inputs = Inputs::new(contact, &run.vars, &run.msg, &run.payload, now);
            let mut steps_this_event = 0u32;
            loop {
                let Some(ix) = flow.node_index(&run.cursor) else {
                    let reason = format!(
                        "node_missing: the run is at `{}`, which this version does not have",
                        run.cursor
                    );
                    run.finish(RunStatus::Failed, Some(reason), now);
                    break;
                };
                if steps_this_event >= budget {
                    let reason = format!("step_budget_exceeded: {budget} steps without waiting");
                    tx.counters
                        .push(counter(&flow, &run.cursor, "failed".into()));
                    run.finish(RunStatus::Failed, Some(reason), now);
                    break;
                }
                // The quiet hours are over: enter the node that was held back, afresh.
                if matches!(resume, Some(Resume::Timer))
                    && run.wait.as_ref().is_some_and(|wait| wait.quiet)
                {
                    resume = None;
                    run.clear_wait(&contact.id, tx);
                }
                let resuming = resume.is_some();
                let node_type = flow.node(ix).kind.node_type();
                let sends =
                    node_type.sends_free_form() || node_type == spool_flows::NodeType::SendTemplate;
                if !resuming
                    && !inbound
                    && sends
                    && let Some(quiet) = &flow.flow().settings.quiet_hours
                    && let Some(until) = quiet_until(quiet, contact, now)
                {
                    run.set_wait(&contact.id, seq, WaitKind::Timer, Some(until), true, tx);
                    run.status = RunStatus::WaitingTimer;
                    let node_id = flow.node(ix).id.clone();
                    self.trace(
                        tx,
                        run,
                        &node_id,
                        "quiet_hours",
                        Some(format!("until {until}")),
                    );
                    break;
                }
                steps_this_event += 1;
                run.steps += 1;
                // Only the simulator's trace pays for the copy.
                let vars_before = self.config.trace.then(|| run.vars.clone());
                let span =
                    debug_span!("step", run_id = %run.id, node_id = %flow.node(ix).id, resuming);
                let step = span.in_scope(|| {
                    let mut ctx = Ctx {
                        flow: &flow,
                        ix,
                        contact,
                        run,
                        inputs: &mut inputs,
                        now,
                        policy: &self.config.policy,
                        templates: self.templates.as_ref(),
                        outbox: &mut tx.outbox,
                    };
                    match resume.take() {
                        Some(event) => spool_nodes::resume(&mut ctx, event),
                        None => spool_nodes::enter(&mut ctx),
                    }
                });
                let node_id = flow.node(ix).id.clone();
                if !resuming {
                    tx.counters.push(counter(&flow, &node_id, "entered".into()));
                }
                if let Some(before) = &vars_before {
                    self.trace_changes(
                        tx,
                        run,
                        &node_id,
                        if resuming { "resumed" } else { "entered" },
                        None,
                        vars_diff(before, &run.vars),
                    );
                }
                match step {
                    Step::Next(port) => {
                        tx.counters
                            .push(counter(&flow, &node_id, format!("port:{port}")));
                        self.trace(tx, run, &node_id, &format!("left:{port}"), None);
                        run.clear_wait(&contact.id, tx);
                        match flow.next(ix, &port) {
                            Some(next) => run.cursor.clone_from(&flow.node(next).id),
                            None => {
                                run.finish(RunStatus::Done, None, now);
                                break;
                            }
                        }
                    }
                    Step::Wait { kind, mut deadline } => {
                        if node_type == spool_flows::NodeType::Delay
                            && let (Some(quiet), Some(due)) =
                                (&flow.flow().settings.quiet_hours, deadline)
                            && let Some(until) = quiet_until(quiet, contact, due)
                        {
                            deadline = Some(until);
                        }
                        let same_wait = resuming
                            && run
                                .wait
                                .as_ref()
                                .is_some_and(|wait| wait.kind == kind && wait.deadline == deadline);
                        if !same_wait {
                            run.set_wait(&contact.id, seq, kind, deadline, false, tx);
                        }
                        run.status = match kind {
                            WaitKind::Reply => RunStatus::WaitingReply,
                            WaitKind::Timer => RunStatus::WaitingTimer,
                            WaitKind::Handoff => RunStatus::Handoff,
                            WaitKind::Call => RunStatus::Calling,
                        };
                        self.trace(
                            tx,
                            run,
                            &node_id,
                            "waiting",
                            deadline.map(|at| format!("until {at}")),
                        );
                        break;
                    }
                    Step::Call(request) => {
                        run.set_wait(&contact.id, seq, WaitKind::Call, None, false, tx);
                        run.status = RunStatus::Calling;
                        let key = call_key(&contact.id, &run.id, &node_id, run.steps);
                        self.trace(tx, run, &node_id, "calling", Some(request.describe()));
                        tx.calls.push(PendingCall {
                            key,
                            contact_id: contact.id.clone(),
                            phone: contact.phone.clone(),
                            run_id: run.id.clone(),
                            token: run.wait.as_ref().map_or(0, |wait| wait.token),
                            reply: inbound,
                            request,
                        });
                        break;
                    }
                    Step::End => {
                        run.clear_wait(&contact.id, tx);
                        run.finish(RunStatus::Done, None, now);
                        break;
                    }
                    Step::GotoFlow(target) => {
                        run.clear_wait(&contact.id, tx);
                        run.finish(RunStatus::Done, None, now);
                        goto = Some(target);
                        break;
                    }
                    Step::Fail(failure) => {
                        tx.counters.push(counter(&flow, &node_id, "failed".into()));
                        self.trace(
                            tx,
                            run,
                            &node_id,
                            &format!("failed:{}", failure.code),
                            Some(failure.message.clone()),
                        );
                        run.clear_wait(&contact.id, tx);
                        match flow.next(ix, "error") {
                            Some(next) => {
                                let error =
                                    json!({ "code": failure.code, "message": failure.message });
                                if self.config.trace {
                                    let mut changed = serde_json::Map::new();
                                    changed.insert("error".into(), error.clone());
                                    self.trace_changes(
                                        tx,
                                        run,
                                        &node_id,
                                        "left:error",
                                        None,
                                        changed,
                                    );
                                }
                                run.vars.insert("error".into(), error);
                                inputs.set_vars(&run.vars);
                                run.cursor.clone_from(&flow.node(next).id);
                            }
                            None => {
                                let reason = format!("{}: {}", failure.code, failure.message);
                                run.finish(RunStatus::Failed, Some(reason), now);
                                break;
                            }
                        }
                    }
                }
            }
            run.updated_at = now;
        }
        if let Some(target) = goto {
            // A flow names another of its own workspace.
            let target = ScopedId::new(ScopedId::scope_of(&state.contact.id), &target);
            self.start(
                state,
                target.as_str(),
                None,
                Value::Null,
                Origin::Business,
                None,
                now,
                tx,
            );
        }
    }
}

/// A call's idempotency key: the same for the same step of the same run, however often the
/// event is applied; opaque, so the contact's number does not travel to other systems.
fn call_key(contact_id: &str, run_id: &str, node_id: &str, step: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(contact_id.as_bytes())
        .chain_update([0])
        .chain_update(run_id.as_bytes())
        .chain_update([0])
        .chain_update(node_id.as_bytes())
        .chain_update([0])
        .chain_update(step.to_be_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

fn counter(flow: &CompiledFlow, node_id: &str, key: String) -> Counter {
    Counter::new(flow.hash(), node_id, &key)
}
