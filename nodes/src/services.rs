//! The outside world as node behaviours see it: HTTP calls and an LLM, behind one trait so
//! that tests and the simulator use local stubs.

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An HTTP call a node wants made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpCall {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub timeout: Duration,
    /// How many times to try again after a network error or a 5xx answer.
    pub retries: u8,
}

/// The answer: the body is parsed as JSON when it is JSON, else kept as a string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: serde_json::Map<String, Value>,
    pub body: Value,
}

/// One message of an OpenAI-compatible chat.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_owned(),
            content: Some(content.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as the model wrote them (JSON text).
    pub arguments: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// Function definitions in the chat-completions `tools` format.
    pub tools: Vec<Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub message: ChatMessage,
}

/// What node behaviours need from outside. Errors are words for the run's history.
pub trait Services: Send + Sync {
    fn http(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpResponse, String>>;
    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, String>>;
}
