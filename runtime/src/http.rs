//! The outside world for node behaviours over real HTTP: `http_request` calls, and an
//! OpenAI-compatible chat-completions endpoint for `ai_agent`.
//!
//! With [`HttpServices::with_network`], `http_request` calls reach only public addresses
//! (the [`ssrf`](crate::ssrf) guard) unless the run's workspace allows private targets.
//! Calls to a workspace's AI model are not guarded: an administrator sets that endpoint,
//! and a model served on the local network is a normal setup.

use std::sync::Arc;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use spool_nodes::{
    ChatMessage, ChatRequest, ChatResponse, HttpCall, HttpMethod, HttpResponse, Services, ToolCall,
};

/// Where the AI agent's model is served.
#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// e.g. `https://api.openai.com/v1` or a local server's `/v1`.
    pub base_url: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

/// A workspace's AI model endpoint, as a [`ModelEndpoints`] finds it.
#[derive(Clone)]
pub struct ModelEndpoint {
    pub llm: LlmConfig,
    /// The model asked when the node names none.
    pub default_model: String,
}

impl std::fmt::Debug for ModelEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelEndpoint")
            .field("base_url", &self.llm.base_url)
            .field("default_model", &self.default_model)
            .finish_non_exhaustive()
    }
}

/// Finds the model endpoint of a workspace when one of its runs asks a model; the API keeps
/// them (with their keys in the workspace's secrets), the runtime only reads them.
pub trait ModelEndpoints: Send + Sync {
    /// `Ok(None)`: the workspace has no model. `Err`: why it cannot be used now, in words
    /// for the run's history.
    fn endpoint(&self, workspace: &str) -> BoxFuture<'_, Result<Option<ModelEndpoint>, String>>;
}

/// Whether a workspace's runs may call private, loopback and link-local addresses; the API
/// keeps the setting, the runtime only reads it.
pub trait NetworkPolicies: Send + Sync {
    /// `Err`: the setting cannot be read now, in words for the run's history (the call is
    /// not made).
    fn allows_private(&self, workspace: &str) -> BoxFuture<'_, Result<bool, String>>;
}

#[derive(Clone)]
pub struct HttpServices {
    client: reqwest::Client,
    /// The same client, reaching public addresses only.
    guarded: reqwest::Client,
    /// The model of chats that come without a workspace (the CLI's simulations, tests).
    llm: Option<LlmConfig>,
    models: Option<Arc<dyn ModelEndpoints>>,
    /// Absent: every address may be called (the CLI's simulations, tests).
    network: Option<Arc<dyn NetworkPolicies>>,
}

impl std::fmt::Debug for HttpServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServices")
            .field("llm", &self.llm.as_ref().map(|llm| &llm.base_url))
            .field("models", &self.models.is_some())
            .field("network", &self.network.is_some())
            .finish_non_exhaustive()
    }
}

/// Installs the ring crypto provider for rustls once per process; reqwest needs one.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[derive(Debug)]
struct Attempt {
    message: String,
    retryable: bool,
}

impl HttpServices {
    pub fn new(llm: Option<LlmConfig>) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("spool/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(5))
        };
        Ok(Self {
            client: builder().build()?,
            guarded: crate::ssrf::guard_client(builder()).build()?,
            llm,
            models: None,
            network: None,
        })
    }

    /// `http_request` calls of a workspace's runs reach private addresses only when
    /// `network` says the workspace allows it; calls without a workspace, never.
    #[must_use]
    pub fn with_network(mut self, network: Arc<dyn NetworkPolicies>) -> Self {
        self.network = Some(network);
        self
    }

    /// The client for a call of `workspace` (`None`: not known), or why the call is refused.
    async fn client_for(
        &self,
        workspace: Option<&str>,
        url: &str,
    ) -> Result<&reqwest::Client, String> {
        let Some(network) = &self.network else {
            return Ok(&self.client);
        };
        if let Some(workspace) = workspace
            && network.allows_private(workspace).await?
        {
            return Ok(&self.client);
        }
        // Checked here for a clear answer; the guarded client checks again as it connects.
        crate::ssrf::check_url(url)
            .await
            .map_err(|refused| refused.to_string())?;
        Ok(&self.guarded)
    }

    async fn http_of(
        &self,
        workspace: Option<&str>,
        call: HttpCall,
    ) -> Result<HttpResponse, String> {
        let client = self.client_for(workspace, &call.url).await?;
        self.call_with(client, call).await
    }

    /// Chats of a workspace's runs go to the endpoint `models` finds for it.
    #[must_use]
    pub fn with_models(mut self, models: Arc<dyn ModelEndpoints>) -> Self {
        self.models = Some(models);
        self
    }

    async fn chat_of(&self, workspace: &str, request: ChatRequest) -> Result<ChatResponse, String> {
        let Some(models) = &self.models else {
            return self.chat_once(request).await;
        };
        let Some(endpoint) = models.endpoint(workspace).await? else {
            return Err(format!(
                "this workspace has no AI model: set one in the workspace's settings (PUT /api/v1/workspaces/{workspace}/ai-model)"
            ));
        };
        self.chat_with(&endpoint.llm, &endpoint.default_model, request)
            .await
    }

    async fn send_once(
        &self,
        client: &reqwest::Client,
        call: &HttpCall,
    ) -> Result<HttpResponse, Attempt> {
        let method = match call.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        };
        let mut request = client.request(method, &call.url).timeout(call.timeout);
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            let looks_like_json = body.trim_start().starts_with(['{', '[']);
            let has_type = call
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
            if looks_like_json && !has_type {
                request = request.header("content-type", "application/json");
            }
            request = request.body(body.clone());
        }
        let response = request.send().await.map_err(|err| Attempt {
            message: format!("the request to {} failed: {err}", call.url),
            retryable: err.is_timeout() || err.is_connect() || err.is_request(),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    name.as_str().to_owned(),
                    Value::String(value.to_str().ok()?.to_owned()),
                ))
            })
            .collect();
        let text = response.text().await.map_err(|err| Attempt {
            message: err.to_string(),
            retryable: true,
        })?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 500 {
            return Err(Attempt {
                message: format!("{} answered {status}", call.url),
                retryable: true,
            });
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn chat_once(&self, request: ChatRequest) -> Result<ChatResponse, String> {
        let Some(llm) = &self.llm else {
            return Err("no AI model is configured".to_owned());
        };
        self.chat_with(llm, "", request).await
    }

    async fn chat_with(
        &self,
        llm: &LlmConfig,
        default_model: &str,
        request: ChatRequest,
    ) -> Result<ChatResponse, String> {
        let model = if request.model.is_empty() {
            default_model
        } else {
            &request.model
        };
        if model.is_empty() {
            return Err("the agent names no model and the endpoint has no default".to_owned());
        }
        let url = format!("{}/chat/completions", llm.base_url.trim_end_matches('/'));
        let tools = if request.tools.is_empty() {
            Value::Null
        } else {
            Value::Array(request.tools.clone())
        };
        let mut body = json!({ "model": model, "messages": wire_messages(&request.messages) });
        if !tools.is_null() {
            body["tools"] = tools;
        }
        let call = HttpCall {
            method: HttpMethod::Post,
            url,
            headers: llm
                .api_key
                .iter()
                .map(|key| ("authorization".to_owned(), format!("Bearer {key}")))
                .collect(),
            body: Some(body.to_string()),
            timeout: llm.timeout,
            retries: 2,
        };
        let response = self.call(call).await?;
        if !(200..300).contains(&response.status) {
            return Err(format!(
                "the model endpoint answered {}: {}",
                response.status, response.body
            ));
        }
        parse_chat_response(&response.body)
    }

    async fn call(&self, call: HttpCall) -> Result<HttpResponse, String> {
        self.call_with(&self.client, call).await
    }

    async fn call_with(
        &self,
        client: &reqwest::Client,
        call: HttpCall,
    ) -> Result<HttpResponse, String> {
        let retries = usize::from(call.retries);
        (|| self.send_once(client, &call))
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(Duration::from_millis(100))
                    .with_max_times(retries),
            )
            .when(|attempt: &Attempt| attempt.retryable)
            .await
            .map_err(|attempt| attempt.message)
    }
}

/// Messages in the chat-completions wire format (tool calls nested under `function`).
fn wire_messages(messages: &[ChatMessage]) -> Vec<Value> {
    messages
        .iter()
        .map(|message| {
            let mut wire = json!({ "role": message.role, "content": message.content });
            if !message.tool_calls.is_empty() {
                wire["tool_calls"] = message
                    .tool_calls
                    .iter()
                    .map(|call| json!({ "id": call.id, "type": "function", "function": { "name": call.name, "arguments": call.arguments } }))
                    .collect();
            }
            if let Some(id) = &message.tool_call_id {
                wire["tool_call_id"] = Value::String(id.clone());
            }
            wire
        })
        .collect()
}

fn parse_chat_response(body: &Value) -> Result<ChatResponse, String> {
    let message = body
        .pointer("/choices/0/message")
        .ok_or_else(|| format!("the model's answer has no choices[0].message: {body}"))?;
    let tool_calls = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .map(|call| ToolCall {
                    id: call
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    name: call
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    arguments: call
                        .pointer("/function/arguments")
                        .and_then(Value::as_str)
                        .unwrap_or("{}")
                        .to_owned(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ChatResponse {
        message: ChatMessage {
            role: "assistant".into(),
            content: message
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned),
            tool_calls,
            tool_call_id: None,
        },
    })
}

impl Services for HttpServices {
    fn http(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpResponse, String>> {
        Box::pin(self.http_of(None, call))
    }

    fn http_in(
        &self,
        workspace: &str,
        call: HttpCall,
    ) -> BoxFuture<'_, Result<HttpResponse, String>> {
        let workspace = workspace.to_owned();
        Box::pin(async move { self.http_of(Some(&workspace), call).await })
    }

    fn chat(&self, request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, String>> {
        Box::pin(self.chat_once(request))
    }

    fn chat_in(
        &self,
        workspace: &str,
        request: ChatRequest,
    ) -> BoxFuture<'_, Result<ChatResponse, String>> {
        let workspace = workspace.to_owned();
        Box::pin(async move { self.chat_of(&workspace, request).await })
    }
}

/// Services for journeys that must not reach other systems (benchmarks, dry runs): every
/// call fails with a reason, so the node leaves through `error` like any failed call.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoServices;

impl Services for NoServices {
    fn http(&self, call: HttpCall) -> BoxFuture<'_, Result<HttpResponse, String>> {
        Box::pin(async move {
            Err(format!(
                "calls to other systems are off here ({})",
                call.url
            ))
        })
    }

    fn chat(&self, _request: ChatRequest) -> BoxFuture<'_, Result<ChatResponse, String>> {
        Box::pin(async { Err("no AI model is reachable here".to_owned()) })
    }
}
