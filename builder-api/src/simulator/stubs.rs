//! Answers the builder writes for a simulation's HTTP and AI steps, so a journey can be
//! tried before the CRM or the model is there, or on the answer that is hard to provoke (a
//! 500, an AI that hands off). Steps without one call the real service.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_flows::{CompiledFlow, NodeKind};
use spool_nodes::{CallAnswer, CallRequest, ChatMessage, ChatResponse, HttpResponse};
use utoipa::ToSchema;

use super::Error;

/// The answer one step's call gets in a simulation instead of calling out: for an HTTP
/// step `status` (200 when absent) and `body`; for an AI step `reply`; for either `error`,
/// the call failing for good (as after its retries).
#[derive(Clone, Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stub {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub body: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Stubs by step id, checked against the flow.
#[derive(Clone, Debug, Default)]
pub struct Stubs(BTreeMap<String, Stub>);

impl Stubs {
    /// The stubs, once each names an HTTP or AI step of `flow` and fits its kind.
    pub fn check(flow: &CompiledFlow, stubs: BTreeMap<String, Stub>) -> Result<Self, Error> {
        for (node_id, stub) in &stubs {
            let kind = flow
                .node_index(node_id)
                .map(|index| &flow.node(index).kind)
                .ok_or_else(|| Error::InvalidStub(format!("This flow has no step `{node_id}`.")))?;
            let http = match kind {
                NodeKind::HttpRequest(_) => true,
                NodeKind::AiAgent(_) => false,
                _ => {
                    return Err(Error::InvalidStub(format!(
                        "`{node_id}` calls nothing: only HTTP request and AI agent steps take a stub answer."
                    )));
                }
            };
            stub.fits(node_id, http)?;
        }
        Ok(Self(stubs))
    }

    pub fn get(&self, node_id: &str) -> Option<&Stub> {
        self.0.get(node_id)
    }

    pub fn all(&self) -> &BTreeMap<String, Stub> {
        &self.0
    }
}

impl Stub {
    fn fits(&self, node_id: &str, http: bool) -> Result<(), Error> {
        let invalid = |text: String| Err(Error::InvalidStub(text));
        if self.error.is_some() {
            if self.status.is_some() || self.body.is_some() || self.reply.is_some() {
                return invalid(format!(
                    "`{node_id}`: a failing call has only `error`, no answer besides it."
                ));
            }
            return Ok(());
        }
        if http {
            if self.reply.is_some() {
                return invalid(format!(
                    "`{node_id}` is an HTTP request: its stub has `status` and `body`, not `reply`."
                ));
            }
            if let Some(status) = self.status
                && !(100..=599).contains(&status)
            {
                return invalid(format!(
                    "`{node_id}`: {status} is not an HTTP status (100 to 599)."
                ));
            }
        } else {
            if self.status.is_some() || self.body.is_some() {
                return invalid(format!(
                    "`{node_id}` is an AI agent: its stub has `reply`, not `status` or `body`."
                ));
            }
            if self
                .reply
                .as_deref()
                .is_none_or(|reply| reply.trim().is_empty())
            {
                return invalid(format!(
                    "`{node_id}`: write what the AI answers in `reply`."
                ));
            }
        }
        Ok(())
    }

    /// The answer to `request`, as the service would have given it.
    pub fn answer(&self, request: &CallRequest) -> CallAnswer {
        if let Some(error) = &self.error {
            return CallAnswer::Failed {
                error: error.clone(),
            };
        }
        match request {
            CallRequest::Http { .. } => CallAnswer::Http {
                response: HttpResponse {
                    status: self.status.unwrap_or(200),
                    headers: serde_json::Map::new(),
                    body: self.body.clone().unwrap_or(Value::Null),
                },
            },
            CallRequest::Chat { .. } => CallAnswer::Chat {
                response: ChatResponse {
                    message: ChatMessage::new("assistant", self.reply.clone().unwrap_or_default()),
                },
            },
        }
    }

    /// A few words for the transcript: what the call got instead of the real answer.
    pub fn describe(&self) -> String {
        if let Some(error) = &self.error {
            return format!("fails: {error}");
        }
        if let Some(reply) = &self.reply {
            return format!("the AI answers “{reply}”");
        }
        format!("answers {}", self.status.unwrap_or(200))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow() -> CompiledFlow {
        spool_flows::compile_source(include_str!(
            "../../../flows/examples/ctwa-lead-qualification.json"
        ))
        .expect("the example compiles")
    }

    fn stubs(value: Value) -> Result<Stubs, Error> {
        let stubs: BTreeMap<String, Stub> =
            serde_json::from_value(value).expect("stubs deserialise");
        Stubs::check(&flow(), stubs)
    }

    #[test]
    fn an_http_step_takes_a_status_and_a_body() {
        let stubs = stubs(json!({"create_crm_lead": {"status": 404, "body": {"found": false}}}))
            .expect("a fitting stub");
        let stub = stubs.get("create_crm_lead").expect("kept");
        assert_eq!(stub.describe(), "answers 404");
    }

    #[test]
    fn refuses_a_stub_for_a_step_that_calls_nothing_or_does_not_exist() {
        let err = stubs(json!({"end_hot": {"status": 200}})).expect_err("an end calls nothing");
        assert!(err.to_string().contains("calls nothing"), "{err}");
        let err = stubs(json!({"nowhere": {"status": 200}})).expect_err("no such step");
        assert!(err.to_string().contains("no step `nowhere`"), "{err}");
    }

    #[test]
    fn refuses_an_ai_reply_on_an_http_step_and_a_status_out_of_range() {
        let err = stubs(json!({"create_crm_lead": {"reply": "hi"}})).expect_err("wrong kind");
        assert!(err.to_string().contains("not `reply`"), "{err}");
        let err = stubs(json!({"create_crm_lead": {"status": 42}})).expect_err("not a status");
        assert!(err.to_string().contains("100 to 599"), "{err}");
    }
}
