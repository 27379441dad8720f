//! The Spool flow document: the language journeys are written in.
//!
//! It owns the serde types the editor saves and the runtime runs ([`Flow`], [`NodeKind`]),
//! their JSON Schema, validation that reports every problem at once as [`Diagnostic`]s a
//! flow builder can act on, and compilation to a [`CompiledFlow`] the interpreter walks.
//! It does no I/O and knows nothing of Redis, HTTP or SQL; expressions are only compiled
//! here, never evaluated.

pub mod catalog;
pub mod compile;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod document;
pub mod expr;
pub mod fields;
mod parse;
mod validate;
pub mod values;
mod window;

pub use catalog::{Category, NodeType, Port, PortRole};
pub use compile::CompiledFlow;
pub use config::NodeKind;
pub use diagnostic::{Code, Diagnostic, Location, Severity};
pub use document::{
    Edge, Flow, MAX_FLOW_ID, Node, Note, Position, Reentry, SCHEMA_VERSION, Settings, check_flow_id,
};
pub use validate::whatsapp;
pub use window::ClosedWindowEdge;

/// Why a flow cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the flow has {} error(s), the first: {}", .0.iter().filter(|d| d.is_error()).count(), first_error(.0))]
    Invalid(Vec<Diagnostic>),
}

fn first_error(diagnostics: &[Diagnostic]) -> &str {
    diagnostics
        .iter()
        .find(|d| d.is_error())
        .map_or("", |d| d.message.as_str())
}

/// The outcome of checking a document.
#[derive(Debug)]
pub struct Checked {
    /// The flow, when the whole document could be read.
    pub flow: Option<Flow>,
    /// Every problem found: errors first, then warnings, each in document order.
    pub diagnostics: Vec<Diagnostic>,
    /// Edges along which the 24-hour window may be closed (none when the document could not
    /// be read whole).
    pub closed_window: Vec<ClosedWindowEdge>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Reads and validates a flow document, reporting every problem at once.
pub fn check(source: &str) -> Checked {
    let (checked, _) = read_and_analyse(source, IdRule::Check);
    checked
}

/// Whether reading a document checks its id against [`check_flow_id`]. A document a person
/// wrote is checked; the runtime compiles documents whose id it has scoped to a workspace
/// (`<workspace>/<id>`), which the rule for ids people write does not fit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdRule {
    Check,
    Skip,
}

/// The one pass `check` and `compile_source` share; the analysis comes back when the whole
/// document was read, so compiling does not analyse twice.
fn read_and_analyse(source: &str, id_rule: IdRule) -> (Checked, Option<validate::Analysis>) {
    let partial = match parse::parse(source) {
        Ok(partial) => partial,
        Err(diagnostic) => {
            let checked = Checked {
                flow: None,
                diagnostics: vec![*diagnostic],
                closed_window: Vec::new(),
            };
            return (checked, None);
        }
    };
    let mut analysis = validate::analyse(&partial.flow, &partial.lenient);
    let complete = partial.diagnostics.is_empty();
    let mut diagnostics = partial.diagnostics;
    // An empty id was already reported as missing or empty by the reader.
    if id_rule == IdRule::Check
        && !partial.flow.id.is_empty()
        && let Err(diagnostic) = check_flow_id(&partial.flow.id)
    {
        diagnostics.push(diagnostic);
    }
    diagnostics.append(&mut analysis.diagnostics);
    diagnostics.sort_by_key(|diagnostic| diagnostic.severity);
    analysis.diagnostics = diagnostics.clone();
    let closed_window = if complete {
        analysis.closed_window.clone()
    } else {
        Vec::new()
    };
    let checked = Checked {
        flow: complete.then_some(partial.flow),
        diagnostics,
        closed_window,
    };
    (checked, complete.then_some(analysis))
}

/// Validates a flow that is already typed.
pub fn validate(flow: &Flow) -> Vec<Diagnostic> {
    let mut diagnostics = validate::analyse(flow, &Default::default()).diagnostics;
    diagnostics.sort_by_key(|diagnostic| diagnostic.severity);
    diagnostics
}

/// Compiles a flow; refuses one with errors (warnings are kept on the result).
pub fn compile(flow: Flow) -> Result<CompiledFlow, Error> {
    let mut analysis = validate::analyse(&flow, &Default::default());
    if analysis.diagnostics.iter().any(Diagnostic::is_error) {
        analysis
            .diagnostics
            .sort_by_key(|diagnostic| diagnostic.severity);
        return Err(Error::Invalid(analysis.diagnostics));
    }
    Ok(CompiledFlow::new(flow, analysis))
}

/// Reads, validates and compiles a flow document.
pub fn compile_source(source: &str) -> Result<CompiledFlow, Error> {
    match read_and_analyse(source, IdRule::Skip) {
        (
            Checked {
                flow: Some(flow),
                diagnostics,
                ..
            },
            Some(analysis),
        ) if !diagnostics.iter().any(Diagnostic::is_error) => Ok(CompiledFlow::new(flow, analysis)),
        (checked, _) => Err(Error::Invalid(checked.diagnostics)),
    }
}

/// The JSON Schema of the flow document (what `docs/flow.schema.json` holds).
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Flow)).unwrap_or_default()
}
