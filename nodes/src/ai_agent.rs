//! ai_agent: an LLM (OpenAI-compatible chat completions) talks with the contact, may call the
//! flow's tools over HTTP, and leaves through `done` or `handoff`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spool_flows::config::AiAgent;

use crate::messaging::window_open;
use crate::model::{InboundMessage, Millis, OutboundBody, SECOND, WaitKind};
use crate::services::{ChatMessage, ChatRequest, HttpCall};
use crate::{Ctx, Failure, Step};

/// Tool calls the model may chain before it must answer the contact.
const MAX_TOOL_ROUNDS: usize = 4;
const HANDOFF_TOOL: &str = "handoff_to_human";
const END_TOOL: &str = "end_conversation";

/// The conversation so far, kept in the run while it waits for the contact.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Conversation {
    messages: Vec<ChatMessage>,
    turns: u32,
}

pub(crate) async fn enter(ctx: &mut Ctx<'_>, agent: &AiAgent) -> Result<Step, Failure> {
    window_open(ctx)?;
    let mut system = ctx.render_required("config.instructions")?;
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
        turns: 0,
    };
    if let Some(text) = ctx.run.msg.get("text").and_then(Value::as_str) {
        conversation.messages.push(ChatMessage::new("user", text));
    }
    converse(ctx, agent, conversation).await
}

pub(crate) async fn reply(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    message: &InboundMessage,
) -> Result<Step, Failure> {
    window_open(ctx)?;
    let mut conversation: Conversation =
        serde_json::from_value(ctx.run.scratch.take()).unwrap_or_default();
    let text = message.text().map_or_else(
        || format!("[the contact sent a {}]", message.to_value()["type"]),
        str::to_owned,
    );
    conversation.messages.push(ChatMessage::new("user", text));
    converse(ctx, agent, conversation).await
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

async fn converse(
    ctx: &mut Ctx<'_>,
    agent: &AiAgent,
    mut conversation: Conversation,
) -> Result<Step, Failure> {
    let tools = tool_definitions(agent);
    for _ in 0..MAX_TOOL_ROUNDS {
        let request = ChatRequest {
            model: agent.model.clone(),
            messages: conversation.messages.clone(),
            tools: tools.clone(),
        };
        let response = ctx
            .services
            .chat(request)
            .await
            .map_err(|err| Failure::new("ai_failed", err))?;
        let message = response.message;
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
            ctx.run.scratch = serde_json::to_value(&conversation).unwrap_or(Value::Null);
            let deadline: Millis = ctx.now + agent.timeout.as_secs() as Millis * SECOND;
            return Ok(Step::Wait {
                kind: WaitKind::Reply,
                deadline: Some(deadline),
            });
        }
        for call in &message.tool_calls {
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
                name => {
                    let result = run_tool(ctx, agent, name, &call.arguments).await;
                    conversation.messages.push(ChatMessage {
                        role: "tool".into(),
                        content: Some(result),
                        tool_calls: Vec::new(),
                        tool_call_id: Some(call.id.clone()),
                    });
                }
            }
        }
    }
    Err(Failure::new(
        "ai_failed",
        "the agent kept calling tools without answering",
    ))
}

/// Calls one of the flow's tools; its answer (or the error) goes back to the model as text.
async fn run_tool(ctx: &mut Ctx<'_>, agent: &AiAgent, name: &str, arguments: &str) -> String {
    let Some(index) = agent.tools.iter().position(|tool| tool.name == name) else {
        return format!("There is no tool called {name}.");
    };
    let tool = &agent.tools[index];
    let url = match ctx.render_required(&format!("config.tools[{index}].url")) {
        Ok(url) => url,
        Err(failure) => return format!("The tool could not be called: {}", failure.message),
    };
    let call = HttpCall {
        method: serde_json::to_value(tool.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        url,
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(arguments.to_owned()),
        timeout: std::time::Duration::from_secs(10),
        retries: 0,
    };
    match ctx.services.http(call).await {
        Ok(response) => json!({ "status": response.status, "body": response.body }).to_string(),
        Err(err) => format!("The tool failed: {err}"),
    }
}

fn save_summary(ctx: &mut Ctx<'_>, agent: &AiAgent, summary: &str) {
    ctx.run.scratch = Value::Null;
    if let Some(variable) = &agent.variable {
        ctx.set_var(variable, Value::String(summary.to_owned()));
    }
}
