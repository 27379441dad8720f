//! What the behaviours' unit tests share: a flow compiled from JSON, and one contact and one
//! run on it. Behaviours cannot reach outside (calls are steps), so no services are needed.

use serde_json::{Value, json};
use spool_flows::CompiledFlow;

use crate::model::{
    Contact, Content, HOUR, InboundMessage, Millis, Outbound, Run, RunStatus, Wait, WaitKind,
};
use crate::{Ctx, Inputs, Policy, Resume, Step};

/// 2026-11-02 10:00 UTC.
pub(crate) const NOW: Millis = 1_793_613_600_000;

/// One contact's run on a small flow, stepped node by node.
pub(crate) struct Journey {
    pub flow: CompiledFlow,
    pub contact: Contact,
    pub run: Run,
    pub outbox: Vec<Outbound>,
    pub policy: Policy,
    pub templates: std::sync::Arc<dyn crate::TemplateCatalog>,
    pub now: Millis,
}

impl Journey {
    /// Compiles a flow of `nodes` and `edges` (`(from, port, to)`), started by a message
    /// trigger `start` leading to the first node. The contact wrote an hour ago, so the
    /// 24-hour window is open.
    pub fn new(nodes: Value, edges: &[(&str, &str, &str)]) -> Self {
        let Value::Array(mut nodes) = nodes else {
            panic!("nodes must be a JSON array");
        };
        let first = nodes[0]["id"].as_str().unwrap_or_default().to_owned();
        nodes.insert(0, json!({ "id": "start", "type": "inbound_message" }));
        let mut all_edges = vec![json!({ "from": "start", "port": "next", "to": first })];
        all_edges.extend(
            edges
                .iter()
                .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to })),
        );
        let source = json!({ "schema": 1, "id": "test", "name": "Test", "nodes": nodes, "edges": all_edges });
        let flow = spool_flows::compile_source(&source.to_string())
            .unwrap_or_else(|err| panic!("the test flow does not compile: {err}"));
        let mut contact = Contact::new("wa:351910000001", "351910000001");
        contact.name = Some("Ana".into());
        contact.last_inbound_at = Some(NOW - HOUR);
        let run = Run {
            id: "run-1".into(),
            flow_id: "test".into(),
            version: flow.hash().to_owned(),
            cursor: first,
            status: RunStatus::Running,
            vars: Default::default(),
            wait: None,
            steps: 1,
            started_at: NOW,
            updated_at: NOW,
            payload: Value::Null,
            msg: Value::Null,
            burst: None,
            scratch: Value::Null,
            reason: None,
        };
        Self {
            flow,
            contact,
            run,
            outbox: Vec::new(),
            policy: Policy::default(),
            templates: std::sync::Arc::new(crate::NoCatalog),
            now: NOW,
        }
    }

    /// Runs `node` as the run arrives on it.
    pub fn enter(&mut self, node: &str) -> Step {
        self.step(node, None)
    }

    /// Resumes the run waiting on `node`.
    pub fn resume(&mut self, node: &str, event: Resume<'_>) -> Step {
        self.step(node, Some(event))
    }

    /// Answers the run waiting on `node` with `message`, as the engine does: `msg` is the
    /// message while the node reads it.
    pub fn reply(&mut self, node: &str, message: &InboundMessage) -> Step {
        self.run.msg = message.to_value();
        self.resume(node, Resume::Reply(message))
    }

    /// Puts the run in the wait a node's `Step::Wait` asked for, as the engine would.
    pub fn wait_as(&mut self, step: &Step) {
        let Step::Wait { kind, deadline } = step else {
            panic!("expected a wait, got {step:?}");
        };
        self.run.wait = Some(Wait {
            kind: *kind,
            deadline: *deadline,
            token: 1,
            attempts: 0,
            quiet: false,
        });
    }

    fn step(&mut self, node: &str, event: Option<Resume<'_>>) -> Step {
        let ix = self
            .flow
            .node_index(node)
            .unwrap_or_else(|| panic!("no node `{node}`"));
        self.run.cursor = node.to_owned();
        let mut inputs = Inputs::new(
            &self.contact,
            &self.run.vars,
            &self.run.msg,
            &self.run.payload,
            self.now,
        );
        let mut ctx = Ctx {
            flow: &self.flow,
            ix,
            contact: &mut self.contact,
            run: &mut self.run,
            inputs: &mut inputs,
            now: self.now,
            policy: &self.policy,
            templates: self.templates.as_ref(),
            outbox: &mut self.outbox,
        };
        match event {
            None => crate::enter(&mut ctx),
            Some(event) => crate::resume(&mut ctx, event),
        }
    }
}

/// A text message from the contact.
pub(crate) fn text(body: &str) -> InboundMessage {
    message(Content::Text { body: body.into() })
}

/// A tap on the reply button `id`.
pub(crate) fn tap(id: &str) -> InboundMessage {
    message(Content::ButtonReply {
        id: id.into(),
        title: id.to_uppercase(),
    })
}

fn message(content: Content) -> InboundMessage {
    InboundMessage {
        id: "wamid.1".into(),
        from: "351910000001".into(),
        from_user_id: None,
        profile_name: None,
        timestamp: NOW,
        content,
        referral: None,
        context_id: None,
        channel: None,
    }
}

/// A step leaving through `port`.
pub(crate) fn next(port: &str) -> Step {
    Step::Next(port.into())
}

/// The code of a failed step.
pub(crate) fn failure_code(step: &Step) -> &'static str {
    match step {
        Step::Fail(failure) => failure.code,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A wait for the contact's reply, with its deadline.
pub(crate) fn waiting_reply(deadline: Option<Millis>) -> Step {
    Step::Wait {
        kind: WaitKind::Reply,
        deadline,
    }
}
