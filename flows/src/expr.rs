//! Expressions (rhai) and `{{ }}` templates: the sandboxed engine and compilation.
//!
//! Only compilation happens here; the runtime evaluates the compiled ASTs with an engine
//! built by [`sandboxed_engine`], so what validates is exactly what runs.

use rhai::{AST, Dynamic, Engine, OptimizationLevel, ParseErrorType, Scope};

use crate::diagnostic::{Code, Diagnostic, Location, excerpt};

/// The names every expression may read.
pub const ROOT_NAMES: &[&str] = &["contact", "vars", "msg", "payload", "now"];

/// Resource limits for one evaluation; a runaway expression fails its run, never the worker.
pub mod limits {
    pub const MAX_OPERATIONS: u64 = 100_000;
    pub const MAX_STRING_SIZE: usize = 64 * 1024;
    pub const MAX_ARRAY_SIZE: usize = 10_000;
    pub const MAX_MAP_SIZE: usize = 10_000;
    pub const MAX_CALL_LEVELS: usize = 16;
    pub const MAX_EXPR_DEPTH: usize = 64;
    pub const MAX_FUNCTION_EXPR_DEPTH: usize = 32;
}

/// An engine with the sandbox every Spool expression runs in: bounded operations, sizes and
/// depth, no `eval`, no modules, nothing printed. The runtime registers its helper
/// functions on top of this.
pub fn sandboxed_engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_operations(limits::MAX_OPERATIONS)
        .set_max_string_size(limits::MAX_STRING_SIZE)
        .set_max_array_size(limits::MAX_ARRAY_SIZE)
        .set_max_map_size(limits::MAX_MAP_SIZE)
        .set_max_call_levels(limits::MAX_CALL_LEVELS)
        .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_FUNCTION_EXPR_DEPTH)
        .set_max_modules(0)
        .set_module_resolver(rhai::module_resolvers::DummyModuleResolver::new())
        .set_strict_variables(true)
        .set_optimization_level(OptimizationLevel::Simple)
        .on_print(|_| {})
        .on_debug(|_, _, _| {});
    engine.disable_symbol("eval");
    engine
}

/// Why an expression does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprError {
    /// Not valid rhai, or not a single expression; `snippet` is the expression's text (an
    /// excerpt around `location` when it is long).
    Syntax {
        message: String,
        snippet: String,
        location: Location,
    },
    /// Reads a name that is not one of [`ROOT_NAMES`] (or the field's extra names).
    UnknownVariable { name: String, location: Location },
    /// A `{{` with no `}}` after it, or an empty `{{ }}`.
    Template { message: String, location: Location },
}

impl ExprError {
    pub fn location(&self) -> Location {
        match self {
            ExprError::Syntax { location, .. }
            | ExprError::UnknownVariable { location, .. }
            | ExprError::Template { location, .. } => *location,
        }
    }

    fn shifted(self, origin: Location) -> Self {
        let shift = |location: Location| {
            if location.line == 1 {
                Location {
                    line: origin.line,
                    column: origin.column + location.column - 1,
                }
            } else {
                Location {
                    line: origin.line + location.line - 1,
                    column: location.column,
                }
            }
        };
        match self {
            ExprError::Syntax {
                message,
                snippet,
                location,
            } => ExprError::Syntax {
                message,
                snippet,
                location: shift(location),
            },
            ExprError::UnknownVariable { name, location } => ExprError::UnknownVariable {
                name,
                location: shift(location),
            },
            ExprError::Template { message, location } => ExprError::Template {
                message,
                location: shift(location),
            },
        }
    }
}

impl ExprError {
    /// The problem in a flow builder's words, at its place in the text (no node or field:
    /// the caller knows where the text is).
    pub fn diagnostic(self) -> Diagnostic {
        let location = self.location();
        let (code, message) = match self {
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
        Diagnostic::error(code, message).at(location)
    }
}

/// What a field holds: one expression, or text with `{{ }}` placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    Expression,
    Template,
}

/// Compiles one field's text on its own, as the editor checks it while it is typed: every
/// problem, with the same words and places validation gives them.
pub fn check_text(kind: TextKind, source: &str, extra_names: &[&str]) -> Vec<Diagnostic> {
    let compiler = Compiler::new();
    match kind {
        TextKind::Expression => compiler
            .expression(source, extra_names)
            .err()
            .map(ExprError::diagnostic)
            .into_iter()
            .collect(),
        TextKind::Template => compiler
            .template(source, extra_names)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(ExprError::diagnostic)
            .collect(),
    }
}

/// A template split into literal text and compiled expressions.
#[derive(Clone, Debug)]
pub struct CompiledTemplate {
    pub parts: Vec<TemplatePart>,
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(String),
    Expr(AST),
}

impl CompiledTemplate {
    /// True when the template has no placeholders at all.
    #[cfg(test)]
    pub fn is_literal(&self) -> bool {
        self.parts
            .iter()
            .all(|part| matches!(part, TemplatePart::Text(_)))
    }
}

/// Compiles expressions and templates against the names a flow can read.
#[derive(Debug)]
pub struct Compiler {
    engine: Engine,
}

impl Default for Compiler {
    fn default() -> Self {
        Self::new()
    }
}

impl Compiler {
    pub fn new() -> Self {
        Self {
            engine: sandboxed_engine(),
        }
    }

    fn scope(extra_names: &[&str]) -> Scope<'static> {
        let mut scope = Scope::new();
        // Plain variables, never constants: the optimizer would fold constants into the AST.
        for name in ROOT_NAMES.iter().chain(extra_names) {
            scope.push_dynamic(name.to_string(), Dynamic::UNIT);
        }
        scope
    }

    /// Compiles one expression; `extra_names` are names only this field may read
    /// (e.g. `response` when mapping an HTTP answer).
    pub fn expression(&self, source: &str, extra_names: &[&str]) -> Result<AST, ExprError> {
        if source.trim().is_empty() {
            return Err(ExprError::Syntax {
                message: "the expression is empty".to_owned(),
                snippet: String::new(),
                location: Location { line: 1, column: 1 },
            });
        }
        let scope = Self::scope(extra_names);
        self.engine
            .compile_expression_with_scope(&scope, source)
            .map_err(|err| {
                let position = err.position();
                let location = Location {
                    line: position.line().unwrap_or(1),
                    column: position.position().unwrap_or(1),
                };
                match *err.err_type() {
                    ParseErrorType::VariableUndefined(ref name) => ExprError::UnknownVariable {
                        name: name.clone(),
                        location,
                    },
                    ref other => ExprError::Syntax {
                        message: plain_words(other),
                        snippet: snippet_around(source, location),
                        location,
                    },
                }
            })
    }

    /// Compiles a template, reporting every broken placeholder, not just the first.
    pub fn template(
        &self,
        source: &str,
        extra_names: &[&str],
    ) -> Result<CompiledTemplate, Vec<ExprError>> {
        let mut parts = Vec::new();
        let mut errors = Vec::new();
        let mut rest = source;
        let mut consumed = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_owned()));
            }
            let inner_start = open + 2;
            let Some(close) = rest[inner_start..].find("}}") else {
                errors.push(ExprError::Template {
                    message: "`{{` is never closed with `}}`".to_owned(),
                    location: location_of(source, consumed + open),
                });
                rest = "";
                break;
            };
            let inner = &rest[inner_start..inner_start + close];
            let inner_origin = location_of(source, consumed + inner_start);
            if let Some(nested) = inner.find("{{") {
                // `{{ a {{ b }}`: the first one is the unclosed one; go on from the second.
                errors.push(ExprError::Template {
                    message: "`{{` is never closed with `}}`".to_owned(),
                    location: location_of(source, consumed + open),
                });
                let next = inner_start + nested;
                consumed += next;
                rest = &rest[next..];
                continue;
            }
            if inner.trim().is_empty() {
                errors.push(ExprError::Template {
                    message:
                        "`{{ }}` has nothing inside; write what to show, e.g. {{ contact.name }}"
                            .to_owned(),
                    location: location_of(source, consumed + open),
                });
            } else {
                match self.expression(inner, extra_names) {
                    Ok(ast) => parts.push(TemplatePart::Expr(ast)),
                    Err(err) => errors.push(err.shifted(inner_origin)),
                }
            }
            let next = inner_start + close + 2;
            consumed += next;
            rest = &rest[next..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_owned()));
        }
        if errors.is_empty() {
            Ok(CompiledTemplate { parts })
        } else {
            Err(errors)
        }
    }
}

/// rhai's wording where a flow builder would not follow it.
fn plain_words(error: &ParseErrorType) -> String {
    match error {
        ParseErrorType::UnexpectedEOF => {
            "it stops before it is complete (is something missing at the end?)".to_owned()
        }
        ParseErrorType::MissingToken(token, _) => format!("a `{token}` is missing"),
        other => other.to_string(),
    }
}

/// The trimmed expression, or an excerpt of it around `location` when it is long.
fn snippet_around(source: &str, location: Location) -> String {
    let leading = source.len() - source.trim_start().len();
    let skipped = source[..leading].chars().count();
    let at = char_offset(source, location).saturating_sub(skipped);
    excerpt(source.trim(), at).into_owned()
}

/// The character offset (from 0) of a line and column (from 1) in `text`.
fn char_offset(text: &str, location: Location) -> usize {
    let before: usize = text
        .split('\n')
        .take(location.line.saturating_sub(1))
        .map(|line| line.chars().count() + 1)
        .sum();
    before + location.column.saturating_sub(1)
}

/// Line and column (from 1, in characters) of a byte offset.
fn location_of(text: &str, offset: usize) -> Location {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Location {
        line,
        column: before[line_start..].chars().count() + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_read_the_run_and_nothing_else() {
        let compiler = Compiler::new();
        assert!(
            compiler
                .expression(
                    "payload.cart.total > 50 && contact.tags.contains(\"vip\")",
                    &[]
                )
                .is_ok()
        );
        let err = compiler
            .expression("cart.total > 50", &[])
            .expect_err("unknown root");
        assert!(matches!(err, ExprError::UnknownVariable { ref name, .. } if name == "cart"));
        assert!(
            compiler
                .expression("response.status == 200", &["response"])
                .is_ok()
        );
    }

    #[test]
    fn a_field_checked_alone_reads_like_validation() {
        assert!(check_text(TextKind::Expression, "vars.score > 3", &[]).is_empty());
        let unknown = check_text(TextKind::Expression, "cart.total > 50", &[]);
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].code, Code::UnknownVariable);
        assert!(
            unknown[0].message.contains("`cart`"),
            "{}",
            unknown[0].message
        );
        let broken = check_text(TextKind::Template, "Hi {{ contact.name", &[]);
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!(broken[0].code, Code::TemplateSyntax);
        assert_eq!(broken[0].location, Some(Location { line: 1, column: 4 }));
        assert!(check_text(TextKind::Template, "Hi {{ contact.name }}", &[]).is_empty());
        assert!(check_text(TextKind::Expression, "response.status", &["response"]).is_empty());
    }

    #[test]
    fn syntax_errors_point_inside_the_expression() {
        let compiler = Compiler::new();
        let err = compiler
            .expression("vars.score >", &[])
            .expect_err("incomplete");
        assert!(matches!(err, ExprError::Syntax { .. }));
        assert_eq!(err.location().line, 1);
        assert!(err.location().column >= 12, "{err:?}");
    }

    #[test]
    fn a_huge_expression_is_quoted_by_an_excerpt_around_the_error() {
        let compiler = Compiler::new();
        // A long comment keeps the expression shallow enough for the parser's depth limit.
        let filler = "the cart total ".repeat(3_500);
        let source = format!("vars.total /* {filler} */ + ) /* {filler} */");
        assert!(source.len() > 100_000);
        let err = compiler.expression(&source, &[]).expect_err("stray )");
        let ExprError::Syntax {
            snippet, location, ..
        } = err
        else {
            panic!("not a syntax error: {err:?}");
        };
        assert!(
            snippet.chars().count() <= crate::diagnostic::EXCERPT_CHARS + 2,
            "{snippet}"
        );
        assert!(
            snippet.contains(')'),
            "the excerpt misses the error at {location:?}: {snippet}"
        );
        assert!(
            snippet.starts_with('…') && snippet.ends_with('…'),
            "{snippet}"
        );
    }

    #[test]
    fn statements_and_eval_are_refused() {
        let compiler = Compiler::new();
        assert!(compiler.expression("let x = 1; x", &[]).is_err());
        assert!(compiler.expression("eval(\"1\")", &[]).is_err());
    }

    #[test]
    fn templates_split_into_text_and_placeholders() {
        let compiler = Compiler::new();
        let template = compiler
            .template("Hi {{ contact.name }}, total {{payload.total}}!", &[])
            .expect("ok");
        assert_eq!(template.parts.len(), 5);
        assert!(
            compiler
                .template("no placeholders", &[])
                .expect("ok")
                .is_literal()
        );
    }

    #[test]
    fn template_errors_are_all_reported_with_their_place() {
        let compiler = Compiler::new();
        let errors = compiler
            .template("A {{ }} B {{ vars.x + }} C {{ who }}", &[])
            .expect_err("broken");
        assert_eq!(errors.len(), 3);
        assert!(matches!(errors[0], ExprError::Template { .. }));
        assert!(matches!(errors[1], ExprError::Syntax { .. }));
        assert!(matches!(errors[2], ExprError::UnknownVariable { ref name, .. } if name == "who"));
        assert_eq!(
            errors[2].location(),
            Location {
                line: 1,
                column: 31
            }
        );
        let nested = compiler
            .template("Hi {{ contact.name, see {{ vars.link }}", &[])
            .expect_err("unclosed then fine");
        assert_eq!(nested.len(), 1);
        assert!(matches!(nested[0], ExprError::Template { .. }));
        let unclosed = compiler
            .template("Hello\n{{ contact.name", &[])
            .expect_err("unclosed");
        assert_eq!(unclosed[0].location(), Location { line: 2, column: 1 });
    }
}
