//! The outside world as node behaviours see it: HTTP calls and an LLM.
//!
//! A behaviour never waits for the outside world. It returns [`Step::Call`](crate::Step) with
//! a [`CallRequest`]; the runtime commits it with the run's state, performs it outside the
//! contact's partition (through the [`Services`] trait, so tests and the simulator plug in
//! local stubs) and resumes the run with the [`CallAnswer`].

use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
pub use spool_flows::config::HttpMethod;

/// The header that carries a call's idempotency key to HTTP targets.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// An HTTP call a node wants made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpCall {
    pub method: HttpMethod,
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
    /// The model's name; empty for the default model of the workspace's endpoint.
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

    /// An HTTP call for a run of `workspace`, under that workspace's network rules (whether
    /// it may reach private addresses). Services without such rules need not care.
    fn http_in(
        &self,
        workspace: &str,
        call: HttpCall,
    ) -> BoxFuture<'_, Result<HttpResponse, String>> {
        let _ = workspace;
        self.http(call)
    }

    /// A chat for a run of `workspace`, whose own model endpoint answers it. Services that
    /// have one model for everyone (test stubs) need not care.
    fn chat_in(
        &self,
        workspace: &str,
        request: ChatRequest,
    ) -> BoxFuture<'_, Result<ChatResponse, String>> {
        let _ = workspace;
        self.chat(request)
    }
}

/// `services` as one workspace's runs see them: chats go to that workspace's model and HTTP
/// calls follow its network rules (for callers that do not know the workspace of each call,
/// such as a simulation).
#[derive(Clone)]
pub struct InWorkspace {
    services: std::sync::Arc<dyn Services>,
    workspace: String,
}

impl InWorkspace {
    pub fn new(services: std::sync::Arc<dyn Services>, workspace: impl Into<String>) -> Self {
        Self {
            services,
            workspace: workspace.into(),
        }
    }
}

impl std::fmt::Debug for InWorkspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InWorkspace")
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl Services for InWorkspace {
    fn http(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpResponse, String>> {
        self.services.http_in(&self.workspace, call)
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, String>> {
        self.services.chat_in(&self.workspace, request)
    }
}

/// A call to the outside world that a run waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallRequest {
    Http { call: HttpCall },
    Chat { request: ChatRequest },
}

impl CallRequest {
    /// A few words for a trace: what is called, without headers or bodies (they may hold
    /// secrets).
    pub fn describe(&self) -> String {
        match self {
            CallRequest::Http { call } => {
                let target = call.url.split(['?', '#']).next().unwrap_or_default();
                format!("{} {target}", call.method.as_str())
            }
            CallRequest::Chat { request } if request.model.is_empty() => {
                "the workspace's AI model".to_owned()
            }
            CallRequest::Chat { request } => format!("the AI model {}", request.model),
        }
    }
}

/// What came back from a [`CallRequest`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallAnswer {
    Http {
        response: HttpResponse,
    },
    Chat {
        response: ChatResponse,
    },
    /// The call failed after its retries; the words go into the run's history.
    Failed {
        error: String,
    },
}

/// Makes a call through `services`. HTTP targets get `key` as their `Idempotency-Key`
/// (unless the node set one), so a call repeated after a crash is recognisable as the same.
pub async fn perform(services: &dyn Services, request: &CallRequest, key: &str) -> CallAnswer {
    perform_for(services, None, request, key).await
}

/// As [`perform`], for a run of `workspace`: a chat goes to that workspace's model, an HTTP
/// call follows its network rules.
pub async fn perform_in(
    services: &dyn Services,
    workspace: &str,
    request: &CallRequest,
    key: &str,
) -> CallAnswer {
    perform_for(services, Some(workspace), request, key).await
}

async fn perform_for(
    services: &dyn Services,
    workspace: Option<&str>,
    request: &CallRequest,
    key: &str,
) -> CallAnswer {
    match request {
        CallRequest::Http { call } => {
            let mut call = call.clone();
            let has_key = call
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case(IDEMPOTENCY_KEY_HEADER));
            if !has_key {
                call.headers
                    .push((IDEMPOTENCY_KEY_HEADER.to_owned(), key.to_owned()));
            }
            let answer = match workspace {
                Some(workspace) => services.http_in(workspace, call).await,
                None => services.http(call).await,
            };
            match answer {
                Ok(response) => CallAnswer::Http { response },
                Err(error) => CallAnswer::Failed { error },
            }
        }
        CallRequest::Chat { request } => {
            let answer = match workspace {
                Some(workspace) => services.chat_in(workspace, request.clone()).await,
                None => services.chat(request.clone()).await,
            };
            match answer {
                Ok(response) => CallAnswer::Chat { response },
                Err(error) => CallAnswer::Failed { error },
            }
        }
    }
}
