//! Node behaviours: what each node type does when a run reaches it, and when a run waiting
//! on it is resumed (a reply, a timer, an operator closing a handoff).
//!
//! A behaviour reads and changes the run's state and returns a [`Step`] (go on through a
//! port, wait, call, end, fail); messages it wants sent are appended to the context's outbox
//! as data, never sent from here. Nothing here waits for the outside world: a node that needs
//! HTTP or an LLM returns [`Step::Call`], and the runtime resumes it with the answer
//! ([`Resume::Answer`]) once the call, made elsewhere through the [`Services`] trait, is
//! back. This crate knows nothing of Redis or SQL.

pub mod eval;
pub mod identity;
pub mod model;
pub mod outbound;
pub mod services;
pub mod templates;

mod ai_agent;
mod contact;
pub mod handoff;
mod http_request;
mod logic;
mod messaging;
mod wait_for_reply;

#[cfg(test)]
mod testing;

use petgraph::graph::NodeIndex;

use spool_flows::fields::Field;
use spool_flows::{CompiledFlow, NodeKind};

pub use eval::{EvalError, Inputs};
pub use model::*;
pub use services::{
    CallAnswer, CallRequest, ChatMessage, ChatRequest, ChatResponse, HttpCall, HttpMethod,
    HttpResponse, InWorkspace, Services, ToolCall, perform, perform_in,
};
pub use templates::{NoCatalog, TemplateCatalog, TemplateFacts};

/// What a node does next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Leave through this port.
    Next(String),
    /// Suspend the run until an event resumes it.
    Wait {
        kind: WaitKind,
        deadline: Option<Millis>,
    },
    /// Suspend the run until this call to the outside world is answered.
    Call(CallRequest),
    /// End the run.
    End,
    /// Hand the contact to another published flow; this run ends.
    GotoFlow(String),
    /// Something went wrong: leave through `error` if it is connected, else fail the run.
    Fail(Failure),
}

/// Why a node failed, as a stable code and words for the run's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub code: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<EvalError> for Failure {
    fn from(err: EvalError) -> Self {
        Failure::new("expression_failed", err.0)
    }
}

/// What resumes a waiting run.
#[derive(Clone, Copy, Debug)]
pub enum Resume<'a> {
    Reply(&'a InboundMessage),
    /// The wait's timer fired (delay over, or a timeout).
    Timer,
    HandoffClosed,
    /// The call the run waited for came back.
    Answer(&'a CallAnswer),
}

/// Rules the runtime enforces whatever the flow says.
#[derive(Clone, Debug)]
pub struct Policy {
    /// At most this many Marketing templates per contact within `marketing_cap_window`.
    pub marketing_cap: u32,
    pub marketing_cap_window: Millis,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            marketing_cap: 1,
            marketing_cap_window: DAY,
        }
    }
}

/// Everything a behaviour may read and change.
pub struct Ctx<'a> {
    pub flow: &'a CompiledFlow,
    pub ix: NodeIndex,
    pub contact: &'a mut Contact,
    pub run: &'a mut Run,
    pub inputs: &'a mut Inputs,
    pub now: Millis,
    pub policy: &'a Policy,
    /// What the templates a node names are now (category, approved languages).
    pub templates: &'a dyn TemplateCatalog,
    pub outbox: &'a mut Vec<Outbound>,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("run", &self.run.id)
            .field("node", &self.node_id())
            .finish()
    }
}

impl Ctx<'_> {
    pub fn node_id(&self) -> &str {
        &self.flow.node(self.ix).id
    }

    /// `field` comes from [`spool_flows::fields`], as validation names it: a misspelt key
    /// does not compile.
    fn expression(&self, field: &Field) -> Result<&rhai::AST, Failure> {
        self.flow
            .expression(self.ix, field)
            .ok_or_else(|| Failure::new("internal", format!("no compiled expression for {field}")))
    }

    fn eval_bool(&self, field: &Field) -> Result<bool, Failure> {
        Ok(self.inputs.eval_bool(self.expression(field)?)?)
    }

    fn eval_json(&self, field: &Field) -> Result<serde_json::Value, Failure> {
        Ok(self.inputs.eval_json(self.expression(field)?)?)
    }

    /// Renders the template in `field`; an absent optional field renders as `None`.
    fn render(&self, field: &Field) -> Result<Option<String>, Failure> {
        match self.flow.template(self.ix, field) {
            Some(template) => Ok(Some(self.inputs.render(template)?)),
            None => Ok(None),
        }
    }

    fn render_required(&self, field: &Field) -> Result<String, Failure> {
        self.render(field)?
            .ok_or_else(|| Failure::new("internal", format!("no compiled template for {field}")))
    }

    fn set_var(&mut self, name: &str, value: serde_json::Value) {
        self.inputs.set_var(name, &value);
        self.run.vars.insert(name.to_owned(), value);
    }

    /// Queues a message for the dispatcher, under a key that stays the same if this event is
    /// applied again after a crash.
    fn queue(&mut self, body: OutboundBody) {
        let key = format!(
            "{}/{}/{}/{}",
            self.contact.id,
            self.run.id,
            self.run.steps,
            self.outbox.len()
        );
        self.outbox.push(Outbound {
            key,
            contact_id: self.contact.id.clone(),
            to: self.contact.phone.clone(),
            to_user_id: if self.contact.phone.is_empty() {
                self.contact.bsuid.clone()
            } else {
                None
            },
            channel: self.contact.channel.clone(),
            run_id: self.run.id.clone(),
            node_id: self.node_id().to_owned(),
            body,
            window_closed: !self.contact.window_open(self.now),
            author: None,
        });
    }
}

/// Runs the node at `ctx.ix` as the run arrives on it.
pub fn enter(ctx: &mut Ctx<'_>) -> Step {
    let node = ctx.flow.node(ctx.ix);
    let kind = &node.kind;
    let step = match kind {
        NodeKind::InboundMessage(_)
        | NodeKind::CtwaReferral(_)
        | NodeKind::Webhook(_)
        | NodeKind::Event(_)
        | NodeKind::Broadcast(_) => Ok(Step::Next("next".into())),
        NodeKind::Condition(_) => logic::condition(ctx),
        NodeKind::Switch(switch) => logic::switch(ctx, switch),
        NodeKind::Split(split) => Ok(logic::split(ctx, split)),
        NodeKind::Set(set) => logic::set(ctx, set),
        NodeKind::Delay(delay) => logic::delay(ctx, delay),
        NodeKind::WaitForReply(wait) => Ok(wait_for_reply::enter(ctx, wait)),
        NodeKind::GotoFlow(goto) => Ok(Step::GotoFlow(goto.flow.clone())),
        NodeKind::End(_) => Ok(Step::End),
        NodeKind::SendText(send) => messaging::send_text(ctx, send),
        NodeKind::SendMedia(send) => messaging::send_media(ctx, send),
        NodeKind::SendButtons(send) => messaging::send_buttons(ctx, send),
        NodeKind::SendList(send) => messaging::send_list(ctx, send),
        NodeKind::SendTemplate(send) => messaging::send_template(ctx, send),
        NodeKind::Tag(tag) => Ok(contact::tag(ctx, tag)),
        NodeKind::UpdateContact(update) => contact::update(ctx, update),
        NodeKind::HttpRequest(http) => http_request::call(ctx, http),
        NodeKind::AiAgent(agent) => ai_agent::enter(ctx, agent),
        NodeKind::Handoff(config) => Ok(handoff::enter(ctx, config)),
    };
    step.unwrap_or_else(Step::Fail)
}

/// Resumes a run waiting on the node at `ctx.ix`.
pub fn resume(ctx: &mut Ctx<'_>, event: Resume<'_>) -> Step {
    let node = ctx.flow.node(ctx.ix);
    let step = match (&node.kind, event) {
        (NodeKind::WaitForReply(wait), Resume::Reply(message)) => {
            wait_for_reply::reply(ctx, wait, message)
        }
        (NodeKind::SendButtons(_) | NodeKind::SendList(_), Resume::Reply(message)) => {
            Ok(messaging::choice(ctx, message))
        }
        (NodeKind::AiAgent(agent), Resume::Reply(message)) => ai_agent::reply(ctx, agent, message),
        (NodeKind::HttpRequest(http), Resume::Answer(answer)) => {
            http_request::answered(ctx, http, answer)
        }
        (NodeKind::AiAgent(agent), Resume::Answer(answer)) => {
            ai_agent::answered(ctx, agent, answer)
        }
        (NodeKind::Handoff(_), Resume::HandoffClosed) => Ok(handoff::leave(ctx, "resolved")),
        (NodeKind::Handoff(_), Resume::Timer) => Ok(handoff::leave(ctx, "timeout")),
        (NodeKind::Delay(_), Resume::Timer) => Ok(Step::Next("next".into())),
        (
            NodeKind::WaitForReply(_) | NodeKind::SendButtons(_) | NodeKind::SendList(_),
            Resume::Timer,
        ) => Ok(Step::Next("timeout".into())),
        (NodeKind::AiAgent(_), Resume::Timer) => Ok(Step::Next("done".into())),
        // Anything else does not concern this wait: keep waiting as before.
        _ => Ok(Step::Wait {
            kind: ctx
                .run
                .wait
                .as_ref()
                .map_or(WaitKind::Reply, |wait| wait.kind),
            deadline: ctx.run.wait.as_ref().and_then(|wait| wait.deadline),
        }),
    };
    step.unwrap_or_else(Step::Fail)
}
