//! The rules of each node type's configuration, beyond what its serde type already says.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::node::NodeCheck;
use super::whatsapp;
use crate::config::*;
use crate::diagnostic::Code;
use crate::fields;
use crate::values::Duration;

const MAX_RETRIES: u8 = 10;
const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_HTTP_RETRIES: u8 = 5;
const MAX_AI_TURNS: u32 = 100;

static HOOK_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9_-]{0,63}$").expect("valid regex"));
static SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").expect("valid regex"));
static TOOL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").expect("valid regex"));

impl NodeCheck<'_> {
    pub(super) fn config(&mut self) {
        let node = self.node;
        match &node.kind {
            NodeKind::InboundMessage(trigger) => match &trigger.matcher {
                MessageMatch::Any => {}
                MessageMatch::Keyword { keywords, .. } => {
                    if keywords.iter().all(|keyword| keyword.trim().is_empty()) {
                        self.error(
                            Code::EmptyField,
                            "config.match.keywords",
                            "Give at least one keyword.",
                        );
                    }
                }
                MessageMatch::Regex { pattern } => {
                    if let Err(err) = regex::Regex::new(pattern) {
                        self.error(
                            Code::InvalidRegex,
                            "config.match.pattern",
                            format!("The pattern does not compile: {err}"),
                        );
                    }
                }
                MessageMatch::ButtonPayload { payload } => {
                    self.not_empty("config.match.payload", payload, "The button payload")
                }
            },
            NodeKind::CtwaReferral(_) | NodeKind::Event(_) | NodeKind::End(_) => {}
            NodeKind::Webhook(webhook) => {
                if !HOOK_NAME.is_match(&webhook.hook) {
                    self.error(
                        Code::InvalidName,
                        "config.hook",
                        format!("`{}` cannot be a hook name: use lowercase letters, digits, - and _, e.g. `cart-abandoned`.", webhook.hook),
                    );
                }
                if let Some(secret) = &webhook.secret
                    && !SECRET_NAME.is_match(secret)
                {
                    self.error(
                        Code::InvalidName,
                        "config.secret",
                        format!(
                            "`{secret}` cannot be a secret name: use letters, digits, - and _."
                        ),
                    );
                }
                self.expression(fields::CONTACT, &webhook.contact, &[]);
            }
            NodeKind::Broadcast(broadcast) => {
                if let Some(segment) = &broadcast.segment {
                    self.expression(fields::SEGMENT, segment, &[]);
                }
                if let Some(schedule) = &broadcast.schedule
                    && humantime::parse_rfc3339_weak(schedule).is_err()
                {
                    self.error(
                        Code::InvalidValue,
                        "config.schedule",
                        format!("`{schedule}` is not a date and time like 2026-12-01T09:00:00Z."),
                    );
                }
            }
            NodeKind::Condition(condition) => {
                self.expression(fields::EXPRESSION, &condition.expression, &[])
            }
            NodeKind::Switch(switch) => {
                if switch.cases.is_empty() {
                    self.error(Code::EmptyField, "config.cases", "Add at least one case.");
                }
                for (i, case) in switch.cases.iter().enumerate() {
                    self.expression(fields::case_when(i), &case.when, &[]);
                }
            }
            NodeKind::Split(split) => {
                if split.branches.is_empty() {
                    self.error(
                        Code::EmptyField,
                        "config.branches",
                        "Add at least one branch.",
                    );
                } else if split.branches.iter().all(|branch| branch.weight == 0) {
                    self.error(
                        Code::InvalidValue,
                        "config.branches",
                        "Every branch has weight 0; give at least one a weight above 0.",
                    );
                }
            }
            NodeKind::Set(set) => {
                if set.assignments.is_empty() {
                    self.error(
                        Code::EmptyField,
                        "config.assignments",
                        "Add at least one variable to set.",
                    );
                }
                for (i, assignment) in set.assignments.iter().enumerate() {
                    self.variable(
                        &format!("config.assignments[{i}].variable"),
                        &assignment.variable,
                    );
                    self.input(fields::assignment_value(i), &assignment.value);
                }
            }
            NodeKind::Delay(delay) => match (&delay.duration, &delay.until) {
                (Some(duration), None) => self.wait_length("config.for", *duration),
                (None, Some(until)) => self.expression(fields::UNTIL, until, &[]),
                (Some(_), Some(_)) => self.error(
                    Code::InvalidConfig,
                    "config.until",
                    "Give either `for` (a duration) or `until` (a time), not both.",
                ),
                (None, None) => self.error(
                    Code::InvalidConfig,
                    "config.for",
                    "Say how long to wait (`for`, e.g. \"1h\") or until when (`until`).",
                ),
            },
            NodeKind::WaitForReply(wait) => {
                self.variable("config.variable", &wait.variable);
                if let Some(validation) = &wait.validation {
                    self.expression(fields::VALIDATION, validation, &[]);
                }
                self.optional_template(
                    fields::RETRY_MESSAGE,
                    wait.retry_message.as_ref(),
                    Some(whatsapp::TEXT_BODY),
                );
                if wait.retries > MAX_RETRIES {
                    self.error(
                        Code::InvalidValue,
                        "config.retries",
                        format!("Ask again at most {MAX_RETRIES} times."),
                    );
                }
                self.wait_length("config.timeout", wait.timeout);
            }
            NodeKind::GotoFlow(goto) => {
                self.not_empty("config.flow", &goto.flow, "The journey to go to")
            }
            NodeKind::SendText(send) => {
                self.template(fields::TEXT, &send.text, Some(whatsapp::TEXT_BODY))
            }
            NodeKind::SendMedia(send) => {
                self.url(fields::URL, &send.url);
                self.optional_template(
                    fields::CAPTION,
                    send.caption.as_ref(),
                    Some(whatsapp::CAPTION),
                );
                self.optional_template(fields::FILENAME, send.filename.as_ref(), None);
            }
            NodeKind::SendButtons(send) => self.buttons(send),
            NodeKind::SendList(send) => self.list(send),
            NodeKind::SendTemplate(send) => self.message_template(send),
            NodeKind::Tag(tag) => {
                if tag.add.is_empty() && tag.remove.is_empty() {
                    self.error(
                        Code::EmptyField,
                        "config.add",
                        "Say which tags to add or remove.",
                    );
                }
                for (field, tags) in [("add", &tag.add), ("remove", &tag.remove)] {
                    for (i, name) in tags.iter().enumerate() {
                        self.not_empty(&format!("config.{field}[{i}]"), name, "The tag");
                    }
                }
            }
            NodeKind::UpdateContact(update) => {
                if update.properties.is_empty()
                    && update.name.is_none()
                    && update.marketing_opt_in.is_none()
                    && update.locale.is_none()
                {
                    self.error(
                        Code::EmptyField,
                        "config.properties",
                        "Say what to change about the contact.",
                    );
                }
                for (name, value) in &update.properties {
                    self.variable(fields::property(name).as_str(), name);
                    self.input(fields::property(name), value);
                }
                self.optional_template(fields::NAME, update.name.as_ref(), None);
                self.optional_template(fields::LOCALE, update.locale.as_ref(), None);
            }
            NodeKind::HttpRequest(http) => {
                self.url(fields::URL, &http.url);
                for (name, value) in &http.headers {
                    self.template(fields::http_header(name), value, None);
                }
                self.optional_template(fields::BODY, http.body.as_ref(), None);
                if http.timeout > MAX_HTTP_TIMEOUT {
                    self.error(
                        Code::InvalidValue,
                        "config.timeout",
                        format!("An HTTP call may take at most {MAX_HTTP_TIMEOUT}."),
                    );
                }
                if http.retries > MAX_HTTP_RETRIES {
                    self.error(
                        Code::InvalidValue,
                        "config.retries",
                        format!("Try again at most {MAX_HTTP_RETRIES} times."),
                    );
                }
                for (name, expression) in &http.save {
                    self.variable(fields::save(name).as_str(), name);
                    self.expression(fields::save(name), expression, &["response"]);
                }
            }
            NodeKind::AiAgent(agent) => {
                if let Some(model) = &agent.model {
                    self.not_empty("config.model", model, "The model");
                }
                self.template(fields::INSTRUCTIONS, &agent.instructions, None);
                let mut names = BTreeSet::new();
                for (i, tool) in agent.tools.iter().enumerate() {
                    if !TOOL_NAME.is_match(&tool.name) {
                        self.error(Code::InvalidName, format!("config.tools[{i}].name"), format!("`{}` cannot be a tool name: use letters, digits, - and _ (at most 64).", tool.name));
                    } else if !names.insert(tool.name.as_str()) {
                        self.error(
                            Code::InvalidName,
                            format!("config.tools[{i}].name"),
                            format!("Two tools are called `{}`.", tool.name),
                        );
                    }
                    self.not_empty(
                        &format!("config.tools[{i}].description"),
                        &tool.description,
                        "The tool's description",
                    );
                    self.url(fields::tool_url(i), &tool.url);
                }
                if agent.max_turns == 0 || agent.max_turns > MAX_AI_TURNS {
                    self.error(
                        Code::InvalidValue,
                        "config.max_turns",
                        format!("Allow between 1 and {MAX_AI_TURNS} turns."),
                    );
                }
                if let Some(variable) = &agent.variable {
                    self.variable("config.variable", variable);
                }
                self.wait_length("config.timeout", agent.timeout);
            }
            NodeKind::Handoff(handoff) => {
                self.not_empty("config.team", &handoff.team, "The team");
                self.optional_template(fields::NOTE, handoff.note.as_ref(), None);
                if let Some(timeout) = handoff.timeout {
                    self.wait_length("config.timeout", timeout);
                }
            }
        }
    }
}
