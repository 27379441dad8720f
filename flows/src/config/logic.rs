//! Logic: conditions, branches, variables, waits and the end of a journey.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Duration, Expression, Input, Template};

use super::*;

/// Goes on through `true` or `false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub expression: Expression,
}

/// Goes on through the port of the first case whose `when` holds, else `default`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub cases: Vec<SwitchCase>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchCase {
    /// The output port this case leads to.
    pub port: String,
    pub when: Expression,
}

/// Sends each contact down one branch, by weight; the same contact always gets the same one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub branches: Vec<SplitBranch>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBranch {
    pub port: String,
    /// Relative weight; `50` and `50` is an even split.
    pub weight: u32,
}

/// Stores values in the run's variables (`vars.<name>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Set {
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub variable: String,
    pub value: Input,
}

/// Pauses the journey for a while, or until a computed time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    /// How long to wait.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Or until when: an expression giving a Unix time in seconds, e.g. `payload.delivery_at - 3600`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Expression>,
}

/// Waits for the contact's next message and stores it in `vars.<variable>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForReply {
    pub variable: String,
    /// What kind of answer is expected; anything else is re-asked.
    #[serde(default)]
    pub expect: Expect,
    /// A further check on the reply (`msg`), e.g. `to_number(msg.text) > 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Expression>,
    /// Sent when the answer is not valid; the question is then asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_message: Option<Template>,
    /// How many times to re-ask before leaving through `invalid`.
    #[serde(default = "WaitForReply::default_retries")]
    pub retries: u8,
    /// How long to wait before leaving through `timeout`.
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

impl WaitForReply {
    fn default_retries() -> u8 {
        2
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    #[default]
    Any,
    Text,
    Number,
    Email,
    Phone,
    Button,
    Media,
    Location,
}

/// Hands the contact to another published flow; this run ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GotoFlow {
    /// The id of the flow to start.
    pub flow: String,
}

/// Ends the journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct End {}
