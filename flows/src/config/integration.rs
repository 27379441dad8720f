//! Integrations: calls to other systems, the AI agent, and the handoff to a person.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Duration, Expression, Template};

use super::*;

/// Calls another system over HTTP and keeps parts of the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: Template,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Template>,
    /// The request body (usually JSON), with placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Template>,
    #[serde(default = "HttpRequest::default_timeout")]
    pub timeout: Duration,
    /// How many times to try again after a network error or a 5xx answer.
    #[serde(default)]
    pub retries: u8,
    /// Variables to set from the answer: name → expression over `response`
    /// (`response.status`, `response.body`, `response.headers`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub save: BTreeMap<String, Expression>,
}

impl HttpRequest {
    fn default_timeout() -> Duration {
        Duration::from_secs(10)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// The method as HTTP writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Lets an AI model talk with the contact, with knowledge and tools, until it is done or
/// asks for a human.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiAgent {
    /// The model name understood by the workspace's chat-completions endpoint; when absent,
    /// the endpoint's default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub instructions: Template,
    /// Facts the agent may use when answering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<AiTool>,
    /// How many replies the agent may send before leaving through `done`.
    #[serde(default = "AiAgent::default_max_turns")]
    pub max_turns: u32,
    /// Where to store the agent's summary of the conversation (`vars.<variable>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// How long to wait for the contact between turns.
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

impl AiAgent {
    fn default_max_turns() -> u32 {
        10
    }
}

/// A tool the agent may call: an HTTP endpoint that receives the arguments as a JSON body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiTool {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    #[serde(default = "AiTool::default_parameters")]
    pub parameters: serde_json::Value,
    pub url: Template,
    #[serde(default = "AiTool::default_method")]
    pub method: HttpMethod,
}

impl AiTool {
    fn default_parameters() -> serde_json::Value {
        serde_json::json!({ "type": "object", "properties": {} })
    }

    fn default_method() -> HttpMethod {
        HttpMethod::Post
    }
}

/// Hands the conversation to a human team; the journey goes on when an operator closes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    pub team: String,
    /// Context shown to the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Template>,
    /// Leave through `timeout` if no operator closes the conversation in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}
