//! ai_agent: an LLM (OpenAI-compatible chat completions) talks with the contact, may call the
//! flow's tools over HTTP, and leaves through `done` or `handoff`.
//!
//! Every request to the model and every tool call is a [`Step::Call`]: the run waits while it
//! is made elsewhere, and [`answered`] picks the conversation up again from the run's
//! scratch, where it is kept between calls and between the contact's messages.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spool_flows::config::AiAgent;
use spool_flows::fields;

use crate::messaging::window_open;
use crate::model::{InboundMessage, Millis, OutboundBody, SECOND, WaitKind};
use crate::services::{CallAnswer, CallRequest, ChatMessage, ChatRequest, HttpCall, ToolCall};
use crate::{Ctx, Failure, Step};

/// Requests to the model per message of the contact: the model may chain tool calls, but
/// must answer the contact by the last one.
const MAX_TOOL_ROUNDS: u32 = 4;
const HANDOFF_TOOL: &str = "handoff_to_human";
const END_TOOL: &str = "end_conversation";

/// The conversation so far, kept in the run's scratch while it waits for the model, a tool
/// or the contact.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Conversation {
    messages: Vec<ChatMessage>,
    turns: u32,
    /// Requests made to the model since the contact's last message.
    #[serde(default)]
    requests: u32,
    /// Tool calls of the model's last answer not made yet, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending_tools: Vec<ToolCall>,
    /// The tool call being made now; None while the model is asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calling_tool: Option<ToolCall>,
}

pub(crate) fn enter(ctx: &mut Ctx<'_>, agent: &AiAgent) -> Result<Step, Failure> {
    window_open(ctx)?;
    let mut system = ctx.render_required(&fields::INSTRUCTIONS)?;
    if !agent.knowledge.is_empty() {
        system.push_str("\n\nWhat you know:\n");
        for fact in &agent.knowledge {
            system.push_str("- ");
            system.push_str(fact);
            system.push('\n');
        }
    }
    let mut conversation = Conversation {
        messages: vec![ChatMessage::new("system", system)],
        ..Conversation::default()
    };
    if let Some(text) = ctx.run.msg.get("text").and_then(Value::as_str) {
        conversation.messages.push(ChatMessage::new("user", text));
    }
    ask_model(ctx, agent, conversation)
}

pub(crate) fn reply(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    message: &InboundMessage,
) -> Result<Step, Failure> {
    window_open(ctx)?;
    let mut conversation = take_conversation(ctx);
    let text = message.text().map_or_else(
        || format!("[the contact sent a {}]", message.to_value()["type"]),
        str::to_owned,
    );
    conversation.messages.push(ChatMessage::new("user", text));
    conversation.requests = 0;
    ask_model(ctx, agent, conversation)
}

/// The model or a tool answered.
pub(crate) fn answered(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    answer: &CallAnswer,
) -> Result<Step, Failure> {
    let mut conversation = take_conversation(ctx);
    if let Some(tool_call) = conversation.calling_tool.take() {
        let result = match answer {
            CallAnswer::Http { response } => {
                json!({ "status": response.status, "body": response.body }).to_string()
            }
            CallAnswer::Failed { error } => format!("The tool failed: {error}"),
            CallAnswer::Chat { .. } => "The tool gave no answer.".to_owned(),
        };
        conversation.messages.push(tool_result(&tool_call, result));
        return next_tool(ctx, agent, conversation);
    }
    let message = match answer {
        CallAnswer::Chat { response } => response.message.clone(),
        CallAnswer::Failed { error } => return Err(Failure::new("ai_failed", error.clone())),
        CallAnswer::Http { .. } => {
            return Err(Failure::new(
                "internal",
                "the model's request was answered by an HTTP response",
            ));
        }
    };
    conversation.messages.push(message.clone());
    if message.tool_calls.is_empty() {
        let text = message.content.unwrap_or_default();
        if !text.trim().is_empty() {
            ctx.queue(OutboundBody::Text {
                text: text.clone(),
                preview_url: false,
            });
        }
        conversation.turns += 1;
        if conversation.turns >= agent.max_turns {
            save_summary(ctx, agent, &text);
            return Ok(Step::Next("done".into()));
        }
        keep_conversation(ctx, &conversation);
        let deadline: Millis = ctx.now + agent.timeout.as_secs() as Millis * SECOND;
        return Ok(Step::Wait {
            kind: WaitKind::Reply,
            deadline: Some(deadline),
        });
    }
    conversation.pending_tools = message.tool_calls;
    next_tool(ctx, agent, conversation)
}

fn take_conversation(ctx: &mut Ctx<'_>) -> Conversation {
    serde_json::from_value(ctx.run.scratch.take()).unwrap_or_default()
}

fn keep_conversation(ctx: &mut Ctx<'_>, conversation: &Conversation) {
    ctx.run.scratch = serde_json::to_value(conversation).unwrap_or(Value::Null);
}

fn ask_model(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    mut conversation: Conversation,
) -> Result<Step, Failure> {
    if conversation.requests >= MAX_TOOL_ROUNDS {
        return Err(Failure::new(
            "ai_failed",
            "the agent kept calling tools without answering",
        ));
    }
    conversation.requests += 1;
    let request = ChatRequest {
        model: agent.model.clone(),
        messages: conversation.messages.clone(),
        tools: tool_definitions(agent),
    };
    keep_conversation(ctx, &conversation);
    Ok(Step::Call(CallRequest::Chat { request }))
}

/// Works through the model's tool calls in order: the built-in ones end the node, the
/// flow's own are made one at a time; once none is left, the model is asked again.
fn next_tool(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    mut conversation: Conversation,
) -> Result<Step, Failure> {
    while !conversation.pending_tools.is_empty() {
        let call = conversation.pending_tools.remove(0);
        let arguments: Value = serde_json::from_str(&call.arguments).unwrap_or(Value::Null);
        let argument = |key: &str| {
            arguments
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        match call.name.as_str() {
            HANDOFF_TOOL => {
                save_summary(ctx, agent, &argument("reason"));
                return Ok(Step::Next("handoff".into()));
            }
            END_TOOL => {
                save_summary(ctx, agent, &argument("summary"));
                return Ok(Step::Next("done".into()));
            }
            name => match tool_request(ctx, agent, name, &call.arguments) {
                Ok(request) => {
                    conversation.calling_tool = Some(call);
                    keep_conversation(ctx, &conversation);
                    return Ok(Step::Call(request));
                }
                Err(result) => conversation.messages.push(tool_result(&call, result)),
            },
        }
    }
    ask_model(ctx, agent, conversation)
}

fn tool_result(call: &ToolCall, result: String) -> ChatMessage {
    ChatMessage {
        role: "tool".into(),
        content: Some(result),
        tool_calls: Vec::new(),
        tool_call_id: Some(call.id.clone()),
    }
}

fn tool_definitions(agent: &AiAgent) -> Vec<Value> {
    let mut tools: Vec<Value> = agent
        .tools
        .iter()
        .map(|tool| json!({ "type": "function", "function": { "name": tool.name, "description": tool.description, "parameters": tool.parameters } }))
        .collect();
    tools.push(json!({ "type": "function", "function": {
        "name": HANDOFF_TOOL,
        "description": "Hand the conversation to a human colleague when you cannot help or the contact asks for a person.",
        "parameters": { "type": "object", "properties": { "reason": { "type": "string" } }, "required": ["reason"] } } }));
    tools.push(json!({ "type": "function", "function": {
        "name": END_TOOL,
        "description": "End the conversation when the contact's need is met.",
        "parameters": { "type": "object", "properties": { "summary": { "type": "string" } }, "required": ["summary"] } } }));
    tools
}

/// The HTTP call for one of the flow's tools, or why it cannot be made (which goes back to
/// the model as the tool's answer).
fn tool_request(
    ctx: &Ctx<'_>,
    agent: &AiAgent,
    name: &str,
    arguments: &str,
) -> Result<CallRequest, String> {
    let Some(index) = agent.tools.iter().position(|tool| tool.name == name) else {
        return Err(format!("There is no tool called {name}."));
    };
    let tool = &agent.tools[index];
    let url = ctx
        .render_required(&fields::tool_url(index))
        .map_err(|failure| format!("The tool could not be called: {}", failure.message))?;
    let call = HttpCall {
        method: tool.method,
        url,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(arguments.to_owned()),
        timeout: std::time::Duration::from_secs(10),
        retries: 0,
    };
    Ok(CallRequest::Http { call })
}

fn save_summary(ctx: &mut Ctx<'_>, agent: &AiAgent, summary: &str) {
    ctx.run.scratch = Value::Null;
    if let Some(variable) = &agent.variable {
        ctx.set_var(variable, Value::String(summary.to_owned()));
    }
}
