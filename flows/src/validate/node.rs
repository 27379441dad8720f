//! Checks of one node's fields, shared by every node type's rules: expressions and templates
//! compile (and are kept for the compiled flow), names are usable, texts are not empty or
//! too long, waits are not endless, and the ports a node's choices name are distinct.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::NodeArtifacts;
use crate::catalog::RESERVED_PORT_NAMES;
use crate::diagnostic::{Code, Diagnostic, excerpt};
use crate::document::Node;
use crate::expr::{Compiler, ExprError, TemplatePart};
use crate::fields::Field;
use crate::values::{Duration, Expression, Input, Template};

/// The longest a run may wait on one step.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(90 * 24 * 3600);

static VARIABLE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$").expect("valid regex"));

/// Checks of one node's configuration.
pub(super) struct NodeCheck<'a> {
    pub(super) node: &'a Node,
    pub(super) compiler: &'a Compiler,
    pub(super) diagnostics: &'a mut Vec<Diagnostic>,
    pub(super) artifacts: NodeArtifacts,
}

impl NodeCheck<'_> {
    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics
            .push(diagnostic.on_node(self.node.id.clone()));
    }

    pub(super) fn error(
        &mut self,
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(Diagnostic::error(code, message).on_field(field));
    }

    fn expr_error(&mut self, field: &str, err: ExprError) {
        self.push(err.diagnostic().on_field(field));
    }

    pub(super) fn expression(&mut self, field: Field, expression: &Expression, extra: &[&str]) {
        match self.compiler.expression(expression.as_str(), extra) {
            Ok(ast) => self.artifacts.expressions.push((field, ast)),
            Err(err) => self.expr_error(field.as_str(), err),
        }
    }

    /// Compiles a template and checks the length of its fixed text against `max_chars`.
    pub(super) fn template(&mut self, field: Field, template: &Template, max_chars: Option<usize>) {
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
                        field.as_str(),
                        format!("This text is {fixed} characters long; WhatsApp accepts at most {max} here."),
                    );
                }
                if template.as_str().trim().is_empty() {
                    self.error(Code::EmptyField, field.as_str(), "This text is empty.");
                }
                self.artifacts.templates.push((field, compiled));
            }
            Err(errors) => {
                for err in errors {
                    self.expr_error(field.as_str(), err);
                }
            }
        }
    }

    pub(super) fn optional_template(
        &mut self,
        field: Field,
        template: Option<&Template>,
        max_chars: Option<usize>,
    ) {
        if let Some(template) = template {
            self.template(field, template, max_chars);
        }
    }

    pub(super) fn url(&mut self, field: Field, template: &Template) {
        let path = field.as_str().to_owned();
        self.template(field, template, None);
        let text = template.as_str().trim_start();
        if !text.starts_with("{{") && !text.starts_with("https://") && !text.starts_with("http://")
        {
            self.error(
                Code::InvalidUrl,
                path,
                format!(
                    "`{}` is not a web address; it must start with https://.",
                    excerpt(text, 0)
                ),
            );
        }
    }

    pub(super) fn variable(&mut self, field: &str, name: &str) {
        if !VARIABLE_NAME.is_match(name) {
            self.error(
                Code::InvalidName,
                field,
                format!("`{name}` cannot be a variable name: use letters, digits and _ (not first), e.g. `first_name`."),
            );
        }
    }

    pub(super) fn not_empty(&mut self, field: &str, text: &str, what: &str) {
        if text.trim().is_empty() {
            self.error(Code::EmptyField, field, format!("{what} is empty."));
        }
    }

    pub(super) fn max_chars(
        &mut self,
        field: &str,
        text: &str,
        max: usize,
        code: Code,
        what: &str,
    ) {
        let length = text.chars().count();
        if length > max {
            self.error(
                code,
                field,
                format!(
                    "{what} `{}` is {length} characters long; WhatsApp allows at most {max}.",
                    excerpt(text, max)
                ),
            );
        }
    }

    pub(super) fn wait_length(&mut self, field: &str, duration: Duration) {
        if duration > MAX_WAIT {
            self.error(
                Code::InvalidValue,
                field,
                format!("{duration} is longer than the longest wait Spool keeps ({MAX_WAIT})."),
            );
        }
    }

    pub(super) fn input(&mut self, field: Field, input: &Input) {
        if let Input::Expr(expression) = input {
            self.expression(field, expression, &[]);
        }
    }

    /// Buttons, rows, cases and branches name ports: the names must be usable and distinct.
    pub(super) fn configured_ports(&mut self) {
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
