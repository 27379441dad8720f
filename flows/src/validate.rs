//! Validation: every problem of a flow at once, as diagnostics on nodes and fields.
//!
//! Validation also produces what compilation needs (the node index, the port table and the
//! compiled expressions), so a flow is analysed once whether it is only checked or compiled.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use petgraph::graph::{DiGraph, NodeIndex};
use regex::Regex;

use crate::catalog::{NodeType, Port, PortRole, RESERVED_PORT_NAMES};
use crate::config::*;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::{Flow, Node, Settings};
use crate::expr::{CompiledTemplate, Compiler, ExprError, TemplatePart};
use crate::values::{Duration, Expression, Input, Template};
use crate::window;

/// WhatsApp's limits on what a message may hold, in characters.
pub mod whatsapp {
    pub const MAX_BUTTONS: usize = 3;
    pub const BUTTON_TITLE: usize = 20;
    pub const BUTTON_ID: usize = 256;
    pub const TEXT_BODY: usize = 4096;
    pub const INTERACTIVE_BODY: usize = 1024;
    pub const HEADER: usize = 60;
    pub const FOOTER: usize = 60;
    pub const CAPTION: usize = 1024;
    pub const LIST_BUTTON: usize = 20;
    pub const LIST_ROWS: usize = 10;
    pub const LIST_SECTIONS: usize = 10;
    pub const LIST_SECTION_TITLE: usize = 24;
    pub const LIST_ROW_TITLE: usize = 24;
    pub const LIST_ROW_DESCRIPTION: usize = 72;
    pub const LIST_ROW_ID: usize = 200;
    pub const TEMPLATE_NAME: usize = 512;
    pub const TEMPLATE_BUTTONS: usize = 10;
}

const MAX_WAIT: Duration = Duration::from_secs(90 * 24 * 3600);
const MAX_RETRIES: u8 = 10;
const MAX_HTTP_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_HTTP_RETRIES: u8 = 5;
const MAX_AI_TURNS: u32 = 100;

static VARIABLE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$").expect("valid regex"));
static HOOK_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9][a-z0-9_-]{0,63}$").expect("valid regex"));
static SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").expect("valid regex"));
static TEMPLATE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9_]+$").expect("valid regex"));
static LANGUAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]{2,3}(_[A-Z]{2})?$").expect("valid regex"));
static TOOL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_-]{1,64}$").expect("valid regex"));
static CLOCK_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([01][0-9]|2[0-3]):[0-5][0-9]$").expect("valid regex"));

/// The compiled expressions and templates of one node, keyed by their field path.
#[derive(Debug, Default)]
pub struct NodeArtifacts {
    pub expressions: Vec<(String, rhai::AST)>,
    pub templates: Vec<(String, CompiledTemplate)>,
}

/// Everything validation learnt about a flow.
#[derive(Debug)]
pub(crate) struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// `graph` node `i` is `flow.nodes[i]`; edge weights are port names.
    pub graph: DiGraph<usize, String>,
    /// For each node, its ports with the node each leads to.
    pub ports: Vec<Vec<(Port, Option<NodeIndex>)>>,
    pub artifacts: Vec<NodeArtifacts>,
}

/// Nodes that could not be typed, with the type they declared when it is a known one.
pub(crate) type Untyped = BTreeMap<String, Option<NodeType>>;

/// What the lenient reader knows beyond the typed flow.
#[derive(Debug, Default)]
pub(crate) struct Lenient {
    pub untyped: Untyped,
    /// For each kept edge, its index in the document (edges that could not be read are
    /// left out of the flow, but diagnostics must name the document's index).
    pub edge_positions: Vec<usize>,
}

impl Lenient {
    fn edge_position(&self, kept: usize) -> usize {
        self.edge_positions.get(kept).copied().unwrap_or(kept)
    }
}

pub(crate) fn analyse(flow: &Flow, lenient: &Lenient) -> Analysis {
    let untyped = &lenient.untyped;
    let mut diagnostics = Vec::new();
    let compiler = Compiler::new();

    // Node ids: the first node with an id owns it.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(flow.nodes.len());
    for (position, node) in flow.nodes.iter().enumerate() {
        if index.contains_key(node.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateNodeId,
                    format!(
                        "Another node already has the id `{}`; ids must be unique.",
                        node.id
                    ),
                )
                .on_node(node.id.clone())
                .on_field(format!("nodes[{position}].id")),
            );
        } else {
            index.insert(node.id.as_str(), position);
        }
    }

    // A trigger whose config is broken is reported as such, not as a missing trigger.
    let declared_trigger = untyped
        .values()
        .flatten()
        .any(|node_type| node_type.is_trigger());
    let has_trigger = flow
        .nodes
        .iter()
        .any(|node| node.kind.node_type().is_trigger());
    if !has_trigger && !declared_trigger {
        diagnostics.push(Diagnostic::error(
            Code::MissingTrigger,
            "Nothing starts this flow. Add a trigger: a message received, an ad click, a webhook, a contact event or a broadcast.",
        ));
    }

    settings(&flow.settings, &mut diagnostics);

    let mut artifacts = Vec::with_capacity(flow.nodes.len());
    let mut ports: Vec<Vec<(Port, Option<NodeIndex>)>> = Vec::with_capacity(flow.nodes.len());
    for node in &flow.nodes {
        let mut check = NodeCheck {
            node,
            compiler: &compiler,
            diagnostics: &mut diagnostics,
            artifacts: NodeArtifacts::default(),
        };
        check.config();
        check.configured_ports();
        artifacts.push(check.artifacts);
        ports.push(
            node.kind
                .ports()
                .into_iter()
                .map(|port| (port, None))
                .collect(),
        );
    }

    let mut graph = DiGraph::with_capacity(flow.nodes.len(), flow.edges.len());
    for position in 0..flow.nodes.len() {
        graph.add_node(position);
    }
    // Ports leading to a node that could not be read are connected, just not checkable.
    let mut into_untyped = std::collections::HashSet::new();
    for (kept, edge) in flow.edges.iter().enumerate() {
        let from = index.get(edge.from.as_str()).copied();
        let to = index.get(edge.to.as_str()).copied();
        let edge_index = lenient.edge_position(kept);
        let field = |end: &str| format!("edges[{edge_index}].{end}");
        if from.is_none() && !untyped.contains_key(&edge.from) {
            diagnostics.push(
                Diagnostic::error(
                    Code::EdgeFromUnknownNode,
                    format!(
                        "An edge starts at `{}`, but there is no node with that id.",
                        edge.from
                    ),
                )
                .on_field(field("from")),
            );
        }
        if to.is_none() && !untyped.contains_key(&edge.to) {
            let diagnostic = Diagnostic::error(
                Code::EdgeToUnknownNode,
                format!("The edge from `{}` through `{}` leads to `{}`, but there is no node with that id.", edge.from, edge.port, edge.to),
            )
            .on_field(field("to"));
            diagnostics.push(if from.is_some() {
                diagnostic.on_node(edge.from.clone())
            } else {
                diagnostic
            });
        }
        let Some(from) = from else { continue };
        let node = &flow.nodes[from];
        let Some(slot) = ports[from]
            .iter()
            .position(|(port, _)| port.name == edge.port)
        else {
            let names: Vec<&str> = ports[from]
                .iter()
                .map(|(port, _)| port.name.as_str())
                .collect();
            let has = if names.is_empty() {
                "it has no way out".to_owned()
            } else {
                format!("its ports are {}", quoted(&names))
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::UnknownPort,
                    format!(
                        "A {} node has no port `{}`; {has}.",
                        node.kind.node_type().label(),
                        edge.port
                    ),
                )
                .on_node(node.id.clone())
                .on_field(field("port")),
            );
            continue;
        };
        let Some(to) = to else {
            into_untyped.insert((from, slot));
            continue;
        };
        let target = NodeIndex::new(to);
        match ports[from][slot].1 {
            Some(existing) if existing != target => diagnostics.push(
                Diagnostic::error(
                    Code::PortConnectedTwice,
                    format!(
                        "Port `{}` already leads to `{}`; a contact can only go one way. Remove one of the edges.",
                        edge.port, flow.nodes[existing.index()].id
                    ),
                )
                .on_node(node.id.clone())
                .on_field(field("port")),
            ),
            Some(_) => {} // the same edge twice changes nothing
            None => {
                ports[from][slot].1 = Some(target);
                graph.add_edge(NodeIndex::new(from), target, edge.port.clone());
            }
        }
    }

    // The first of several nodes sharing an id is the one edges reach.
    let owner = |position: usize| index.get(flow.nodes[position].id.as_str()) == Some(&position);
    for (position, node) in flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(position, _)| owner(*position))
    {
        for (slot, (port, target)) in ports[position].iter().enumerate() {
            if target.is_some() || into_untyped.contains(&(position, slot)) {
                continue;
            }
            let on_port = |diagnostic: Diagnostic| {
                diagnostic
                    .on_node(node.id.clone())
                    .on_field(format!("ports.{}", port.name))
            };
            match port.role {
                PortRole::Main => diagnostics.push(on_port(Diagnostic::warning(
                    Code::UnconnectedPort,
                    format!("Port `{}` leads nowhere: contacts who go that way end their journey here.", port.name),
                ))),
                PortRole::Timeout => diagnostics.push(on_port(Diagnostic::warning(
                    Code::WaitTimeoutUnconnected,
                    "The `timeout` port leads nowhere: contacts who never answer will wait here forever. Connect it to a follow-up or an end.",
                ))),
                PortRole::Optional | PortRole::Error => {}
            }
        }
    }

    // Without any trigger every node is unreachable; the missing trigger says it all.
    if has_trigger || declared_trigger {
        reachability(flow, &graph, untyped, &owner, &mut diagnostics);
    }
    loops_without_wait(flow, &graph, &mut diagnostics);
    window::check(flow, &graph, &mut diagnostics);

    Analysis {
        diagnostics,
        graph,
        ports,
        artifacts,
    }
}

const MAX_STEP_BUDGET: u32 = 100_000;
const MAX_BURST_MERGE: Duration = Duration::from_secs(60);

fn settings(settings: &Settings, diagnostics: &mut Vec<Diagnostic>) {
    let mut error = |field: &str, message: String| {
        diagnostics.push(
            Diagnostic::error(Code::InvalidSettings, message).on_field(format!("settings.{field}")),
        );
    };
    if let Some(budget) = settings.step_budget
        && !(1..=MAX_STEP_BUDGET).contains(&budget)
    {
        error(
            "step_budget",
            format!("The step budget must be between 1 and {MAX_STEP_BUDGET}."),
        );
    }
    if let Some(window) = settings.burst_merge
        && window > MAX_BURST_MERGE
    {
        error(
            "burst_merge",
            format!(
                "Merging messages over more than {MAX_BURST_MERGE} would make contacts wait for an answer."
            ),
        );
    }
    if let Some(quiet) = &settings.quiet_hours {
        for (field, value) in [("start", &quiet.start), ("end", &quiet.end)] {
            if !CLOCK_TIME.is_match(value) {
                error(
                    &format!("quiet_hours.{field}"),
                    format!("`{value}` is not a time of day like 21:00."),
                );
            }
        }
        if quiet.start == quiet.end {
            error(
                "quiet_hours.end",
                "Quiet hours start and end at the same time.".to_owned(),
            );
        }
    }
}

/// Warns about nodes no trigger leads to. Nodes that could not be typed count as possible
/// starts, so a misspelt trigger does not also mark its whole journey unreachable.
fn reachability(
    flow: &Flow,
    graph: &DiGraph<usize, String>,
    untyped: &Untyped,
    owner: &dyn Fn(usize) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if flow.nodes.is_empty() {
        return;
    }
    let mut reached = vec![false; flow.nodes.len()];
    let mut stack: Vec<NodeIndex> = graph
        .node_indices()
        .filter(|ix| flow.nodes[ix.index()].kind.node_type().is_trigger())
        .collect();
    if !untyped.is_empty() {
        // Edges from untyped nodes were not kept; their targets are possible starts too.
        for edge in &flow.edges {
            if untyped.contains_key(&edge.from)
                && let Some(position) = flow.nodes.iter().position(|node| node.id == edge.to)
            {
                stack.push(NodeIndex::new(position));
            }
        }
    }
    while let Some(ix) = stack.pop() {
        if std::mem::replace(&mut reached[ix.index()], true) {
            continue;
        }
        stack.extend(graph.neighbors(ix));
    }
    for (position, node) in flow.nodes.iter().enumerate() {
        if !reached[position] && owner(position) && !node.kind.node_type().is_trigger() {
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnreachableNode,
                    "No trigger leads here, so no contact will ever reach this step.",
                )
                .on_node(node.id.clone()),
            );
        }
    }
}

/// Errors on loops that pass through no waiting step: a contact entering one would be
/// stepped round it until the step budget stops the run.
fn loops_without_wait(
    flow: &Flow,
    graph: &DiGraph<usize, String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let waits = |ix: NodeIndex| flow.nodes[graph[ix]].kind.node_type().waits();
    let mut busy = DiGraph::<NodeIndex, ()>::with_capacity(graph.node_count(), graph.edge_count());
    let mut busy_index = vec![None; graph.node_count()];
    for ix in graph.node_indices().filter(|ix| !waits(*ix)) {
        busy_index[ix.index()] = Some(busy.add_node(ix));
    }
    for edge in graph.raw_edges() {
        if let (Some(from), Some(to)) = (
            busy_index[edge.source().index()],
            busy_index[edge.target().index()],
        ) {
            busy.add_edge(from, to, ());
        }
    }
    let mut loops: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(&busy)
        .into_iter()
        .filter(|component| component.len() > 1 || busy.contains_edge(component[0], component[0]))
        .map(|component| {
            let mut positions: Vec<usize> = component.iter().map(|ix| busy[*ix].index()).collect();
            positions.sort_unstable();
            positions
        })
        .collect();
    loops.sort_unstable();
    for positions in loops {
        let ids: Vec<&str> = positions
            .iter()
            .map(|position| flow.nodes[*position].id.as_str())
            .collect();
        diagnostics.push(
            Diagnostic::error(
                Code::LoopWithoutWait,
                format!(
                    "These steps form a loop with nothing that waits ({}): a contact would go round it forever. Add a wait for reply or a delay inside the loop.",
                    quoted(&ids)
                ),
            )
            .on_node(ids[0].to_owned()),
        );
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks of one node's configuration.
struct NodeCheck<'a> {
    node: &'a Node,
    compiler: &'a Compiler,
    diagnostics: &'a mut Vec<Diagnostic>,
    artifacts: NodeArtifacts,
}

impl NodeCheck<'_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics
            .push(diagnostic.on_node(self.node.id.clone()));
    }

    fn error(&mut self, code: Code, field: impl Into<String>, message: impl Into<String>) {
        self.push(Diagnostic::error(code, message).on_field(field));
    }

    fn expr_error(&mut self, field: &str, err: ExprError) {
        let location = err.location();
        let (code, message) = match err {
            ExprError::Syntax {
                message, snippet, ..
            } if snippet.is_empty() => (
                Code::ExpressionSyntax,
                format!("The expression is missing: {message}."),
            ),
            ExprError::Syntax {
                message, snippet, ..
            } => (
                Code::ExpressionSyntax,
                format!("`{snippet}` does not work as an expression: {message}."),
            ),
            ExprError::UnknownVariable { name, .. } => (
                Code::UnknownVariable,
                format!(
                    "`{name}` is not something a flow can read; start with contact, vars, msg, payload or now (e.g. vars.{name})."
                ),
            ),
            ExprError::Template { message, .. } => (Code::TemplateSyntax, message),
        };
        self.push(
            Diagnostic::error(code, message)
                .on_field(field)
                .at(location),
        );
    }

    fn expression(&mut self, field: &str, expression: &Expression, extra: &[&str]) {
        match self.compiler.expression(expression.as_str(), extra) {
            Ok(ast) => self.artifacts.expressions.push((field.to_owned(), ast)),
            Err(err) => self.expr_error(field, err),
        }
    }

    /// Compiles a template and checks the length of its fixed text against `max_chars`.
    fn template(&mut self, field: &str, template: &Template, max_chars: Option<usize>) {
        match self.compiler.template(template.as_str(), &[]) {
            Ok(compiled) => {
                let fixed: usize = compiled
                    .parts
                    .iter()
                    .map(|part| match part {
                        TemplatePart::Text(text) => text.chars().count(),
                        TemplatePart::Expr(_) => 0,
                    })
                    .sum();
                if let Some(max) = max_chars
                    && fixed > max
                {
                    self.error(
                        Code::TextTooLong,
                        field,
                        format!("This text is {fixed} characters long; WhatsApp accepts at most {max} here."),
                    );
                }
                if template.as_str().trim().is_empty() {
                    self.error(Code::EmptyField, field, "This text is empty.");
                }
                self.artifacts.templates.push((field.to_owned(), compiled));
            }
            Err(errors) => {
                for err in errors {
                    self.expr_error(field, err);
                }
            }
        }
    }

    fn optional_template(
        &mut self,
        field: &str,
        template: Option<&Template>,
        max_chars: Option<usize>,
    ) {
        if let Some(template) = template {
            self.template(field, template, max_chars);
        }
    }

    fn url(&mut self, field: &str, template: &Template) {
        self.template(field, template, None);
        let text = template.as_str().trim_start();
        if !text.starts_with("{{") && !text.starts_with("https://") && !text.starts_with("http://")
        {
            self.error(
                Code::InvalidUrl,
                field,
                format!("`{text}` is not a web address; it must start with https://."),
            );
        }
    }

    fn variable(&mut self, field: &str, name: &str) {
        if !VARIABLE_NAME.is_match(name) {
            self.error(
                Code::InvalidName,
                field,
                format!("`{name}` cannot be a variable name: use letters, digits and _ (not first), e.g. `first_name`."),
            );
        }
    }

    fn not_empty(&mut self, field: &str, text: &str, what: &str) {
        if text.trim().is_empty() {
            self.error(Code::EmptyField, field, format!("{what} is empty."));
        }
    }

    fn max_chars(&mut self, field: &str, text: &str, max: usize, code: Code, what: &str) {
        let length = text.chars().count();
        if length > max {
            self.error(
                code,
                field,
                format!(
                    "{what} `{text}` is {length} characters long; WhatsApp allows at most {max}."
                ),
            );
        }
    }

    fn wait_length(&mut self, field: &str, duration: Duration) {
        if duration > MAX_WAIT {
            self.error(
                Code::InvalidValue,
                field,
                format!("{duration} is longer than the longest wait Spool keeps ({MAX_WAIT})."),
            );
        }
    }

    fn config(&mut self) {
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
                self.expression("config.contact", &webhook.contact, &[]);
            }
            NodeKind::Broadcast(broadcast) => {
                if let Some(segment) = &broadcast.segment {
                    self.expression("config.segment", segment, &[]);
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
                self.expression("config.expression", &condition.expression, &[])
            }
            NodeKind::Switch(switch) => {
                if switch.cases.is_empty() {
                    self.error(Code::EmptyField, "config.cases", "Add at least one case.");
                }
                for (i, case) in switch.cases.iter().enumerate() {
                    self.expression(&format!("config.cases[{i}].when"), &case.when, &[]);
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
                    self.input(&format!("config.assignments[{i}].value"), &assignment.value);
                }
            }
            NodeKind::Delay(delay) => match (&delay.duration, &delay.until) {
                (Some(duration), None) => self.wait_length("config.for", *duration),
                (None, Some(until)) => self.expression("config.until", until, &[]),
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
                    self.expression("config.validation", validation, &[]);
                }
                self.optional_template(
                    "config.retry_message",
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
                self.template("config.text", &send.text, Some(whatsapp::TEXT_BODY))
            }
            NodeKind::SendMedia(send) => {
                self.url("config.url", &send.url);
                self.optional_template(
                    "config.caption",
                    send.caption.as_ref(),
                    Some(whatsapp::CAPTION),
                );
                self.optional_template("config.filename", send.filename.as_ref(), None);
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
                {
                    self.error(
                        Code::EmptyField,
                        "config.properties",
                        "Say what to change about the contact.",
                    );
                }
                for (name, value) in &update.properties {
                    self.variable(&format!("config.properties.{name}"), name);
                    self.input(&format!("config.properties.{name}"), value);
                }
                self.optional_template("config.name", update.name.as_ref(), None);
            }
            NodeKind::HttpRequest(http) => {
                self.url("config.url", &http.url);
                for (name, value) in &http.headers {
                    self.template(&format!("config.headers.{name}"), value, None);
                }
                self.optional_template("config.body", http.body.as_ref(), None);
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
                    self.variable(&format!("config.save.{name}"), name);
                    self.expression(&format!("config.save.{name}"), expression, &["response"]);
                }
            }
            NodeKind::AiAgent(agent) => {
                self.not_empty("config.model", &agent.model, "The model");
                self.template("config.instructions", &agent.instructions, None);
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
                    self.url(&format!("config.tools[{i}].url"), &tool.url);
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
                self.optional_template("config.note", handoff.note.as_ref(), None);
                if let Some(timeout) = handoff.timeout {
                    self.wait_length("config.timeout", timeout);
                }
            }
        }
    }

    fn input(&mut self, field: &str, input: &Input) {
        if let Input::Expr(expression) = input {
            self.expression(field, expression, &[]);
        }
    }

    /// What buttons and lists share: the text around the choices, where the choice is kept,
    /// and how long to wait for it.
    fn interactive(
        &mut self,
        text: &Template,
        header: Option<&Template>,
        footer: Option<&Template>,
        variable: Option<&str>,
        timeout: Duration,
    ) {
        self.template("config.text", text, Some(whatsapp::INTERACTIVE_BODY));
        self.optional_template("config.header", header, Some(whatsapp::HEADER));
        self.optional_template("config.footer", footer, Some(whatsapp::FOOTER));
        if let Some(variable) = variable {
            self.variable("config.variable", variable);
        }
        self.wait_length("config.timeout", timeout);
    }

    fn buttons(&mut self, send: &SendButtons) {
        self.interactive(
            &send.text,
            send.header.as_ref(),
            send.footer.as_ref(),
            send.variable.as_deref(),
            send.timeout,
        );
        if send.buttons.is_empty() {
            self.error(
                Code::EmptyField,
                "config.buttons",
                "Add at least one button.",
            );
        }
        if send.buttons.len() > whatsapp::MAX_BUTTONS {
            self.error(
                Code::TooManyButtons,
                "config.buttons",
                format!(
                    "WhatsApp shows at most {} reply buttons; this message has {}. Use a list for more choices.",
                    whatsapp::MAX_BUTTONS,
                    send.buttons.len()
                ),
            );
        }
        let mut titles = BTreeSet::new();
        for (i, button) in send.buttons.iter().enumerate() {
            let field = format!("config.buttons[{i}].title");
            self.not_empty(&field, &button.title, "The button title");
            self.max_chars(
                &field,
                &button.title,
                whatsapp::BUTTON_TITLE,
                Code::ButtonTitleTooLong,
                "The button title",
            );
            if !titles.insert(button.title.as_str()) {
                self.error(
                    Code::DuplicateButtonTitle,
                    field,
                    format!(
                        "Two buttons are titled `{}`; WhatsApp needs them to differ.",
                        button.title
                    ),
                );
            }
            self.max_chars(
                &format!("config.buttons[{i}].id"),
                &button.id,
                whatsapp::BUTTON_ID,
                Code::TextTooLong,
                "The button id",
            );
        }
    }

    fn list(&mut self, send: &SendList) {
        self.interactive(
            &send.text,
            send.header.as_ref(),
            send.footer.as_ref(),
            send.variable.as_deref(),
            send.timeout,
        );
        self.not_empty("config.button", &send.button, "The list button's label");
        self.max_chars(
            "config.button",
            &send.button,
            whatsapp::LIST_BUTTON,
            Code::ButtonTitleTooLong,
            "The list button's label",
        );
        let rows: usize = send.sections.iter().map(|section| section.rows.len()).sum();
        if rows == 0 {
            self.error(
                Code::EmptyField,
                "config.sections",
                "Add at least one row to the list.",
            );
        }
        if rows > whatsapp::LIST_ROWS {
            self.error(
                Code::TooManyListRows,
                "config.sections",
                format!(
                    "WhatsApp shows at most {} rows in a list; this one has {rows}.",
                    whatsapp::LIST_ROWS
                ),
            );
        }
        if send.sections.len() > whatsapp::LIST_SECTIONS {
            self.error(
                Code::TooManyListSections,
                "config.sections",
                format!(
                    "WhatsApp shows at most {} sections in a list; this one has {}.",
                    whatsapp::LIST_SECTIONS,
                    send.sections.len()
                ),
            );
        }
        for (s, section) in send.sections.iter().enumerate() {
            self.max_chars(
                &format!("config.sections[{s}].title"),
                &section.title,
                whatsapp::LIST_SECTION_TITLE,
                Code::TextTooLong,
                "The section title",
            );
            for (r, row) in section.rows.iter().enumerate() {
                let at = format!("config.sections[{s}].rows[{r}]");
                self.not_empty(&format!("{at}.title"), &row.title, "The row title");
                self.max_chars(
                    &format!("{at}.title"),
                    &row.title,
                    whatsapp::LIST_ROW_TITLE,
                    Code::TextTooLong,
                    "The row title",
                );
                self.max_chars(
                    &format!("{at}.id"),
                    &row.id,
                    whatsapp::LIST_ROW_ID,
                    Code::TextTooLong,
                    "The row id",
                );
                if let Some(description) = &row.description {
                    self.max_chars(
                        &format!("{at}.description"),
                        description,
                        whatsapp::LIST_ROW_DESCRIPTION,
                        Code::TextTooLong,
                        "The row description",
                    );
                }
            }
        }
    }

    fn message_template(&mut self, send: &SendTemplate) {
        if send.name.is_empty()
            || send.name.len() > whatsapp::TEMPLATE_NAME
            || !TEMPLATE_NAME.is_match(&send.name)
        {
            self.error(
                Code::InvalidTemplateName,
                "config.name",
                format!("`{}` is not a template name: Meta's template names are lowercase letters, digits and _, e.g. `cart_reminder`.", send.name),
            );
        }
        if !LANGUAGE.is_match(&send.language) {
            self.error(
                Code::InvalidLanguage,
                "config.language",
                format!(
                    "`{}` is not a template language: write it like `en`, `en_US` or `pt_BR`.",
                    send.language
                ),
            );
        }
        for (i, value) in send.header.iter().enumerate() {
            self.template(&format!("config.header[{i}]"), value, None);
        }
        for (i, value) in send.body.iter().enumerate() {
            self.template(&format!("config.body[{i}]"), value, None);
        }
        if send.buttons.len() > whatsapp::TEMPLATE_BUTTONS {
            self.error(
                Code::TooManyButtons,
                "config.buttons",
                format!(
                    "A template has at most {} buttons.",
                    whatsapp::TEMPLATE_BUTTONS
                ),
            );
        }
        for (i, button) in send.buttons.iter().enumerate() {
            match button {
                TemplateButton::QuickReply { payload } => self.not_empty(
                    &format!("config.buttons[{i}].payload"),
                    payload,
                    "The button payload",
                ),
                TemplateButton::Url { text } => {
                    self.template(&format!("config.buttons[{i}].text"), text, None)
                }
            }
        }
    }

    /// Buttons, rows, cases and branches name ports: the names must be usable and distinct.
    fn configured_ports(&mut self) {
        let node_type = self.node.kind.node_type();
        let mut seen = BTreeSet::new();
        for (name, field) in self.node.kind.configured_ports() {
            if name.trim().is_empty() {
                self.error(
                    Code::EmptyField,
                    field,
                    "The id is empty; it names the way out this choice leads to.",
                );
            } else if name.trim() != name {
                self.error(
                    Code::InvalidName,
                    field,
                    format!("`{name}` starts or ends with a space."),
                );
            } else if RESERVED_PORT_NAMES.contains(&name.as_str())
                || node_type.fixed_ports().iter().any(|port| port.name == name)
            {
                self.error(
                    Code::ReservedPortName,
                    field,
                    format!(
                        "`{name}` is a port this {} node already has; pick another id.",
                        node_type.label()
                    ),
                );
            } else if !seen.insert(name.clone()) {
                self.error(
                    Code::DuplicatePort,
                    field,
                    format!("Two choices share the id `{name}`; each needs its own."),
                );
            }
        }
    }
}
