//! `spool validate FILE...`: diagnostics for people (coloured on a terminal) or for machines.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstyle::{AnsiColor, Style};
use serde::Serialize;
use spool_flows::{Checked, Code, Diagnostic, Severity};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const OK: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// One file's result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct FileReport<'a> {
    file: &'a Path,
    valid: bool,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

pub fn run(files: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let checks: Vec<(PathBuf, Checked)> = files
        .iter()
        .map(|path| (path.clone(), check_file(path)))
        .collect();
    let mut out = anstream::stdout().lock();
    if json {
        let reports: Vec<FileReport> = checks
            .iter()
            .map(|(file, checked)| {
                let (errors, warnings) = counts(&checked.diagnostics);
                FileReport {
                    file,
                    valid: errors == 0,
                    errors,
                    warnings,
                    diagnostics: &checked.diagnostics,
                }
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &reports)?;
        writeln!(out)?;
    } else {
        for (file, checked) in &checks {
            print_human(&mut out, file, &checked.diagnostics)?;
        }
        if checks.len() > 1 {
            let failed = checks
                .iter()
                .filter(|(_, checked)| checked.has_errors())
                .count();
            writeln!(
                out,
                "{BOLD}{} files checked: {} valid, {failed} with errors{BOLD:#}",
                checks.len(),
                checks.len() - failed
            )?;
        }
    }
    let any_errors = checks.iter().any(|(_, checked)| checked.has_errors());
    Ok(if any_errors {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads and checks one file; a file that cannot be read is reported like any other problem.
fn check_file(path: &Path) -> Checked {
    match std::fs::read_to_string(path) {
        Ok(source) => spool_flows::check(&source),
        Err(err) => Checked {
            flow: None,
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                code: Code::UnreadableFile,
                message: format!("The file cannot be read: {err}."),
                node_id: None,
                field: None,
                location: None,
            }],
            closed_window: Vec::new(),
        },
    }
}

fn counts(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

fn print_human(
    out: &mut impl Write,
    file: &Path,
    diagnostics: &[Diagnostic],
) -> std::io::Result<()> {
    let (errors, warnings) = counts(diagnostics);
    let file = file.display();
    match (errors, warnings) {
        (0, 0) => return writeln!(out, "{OK}valid{OK:#} {file}"),
        (0, _) => writeln!(
            out,
            "{OK}valid{OK:#} {file} ({})",
            plural(warnings, "warning")
        )?,
        _ => writeln!(
            out,
            "{ERROR}invalid{ERROR:#} {file} ({}, {})",
            plural(errors, "error"),
            plural(warnings, "warning")
        )?,
    }
    for diagnostic in diagnostics {
        let style = if diagnostic.is_error() {
            ERROR
        } else {
            WARNING
        };
        writeln!(
            out,
            "  {style}{}[{}]{style:#} {}",
            diagnostic.severity, diagnostic.code, diagnostic.message
        )?;
        let mut place = Vec::new();
        if let Some(node) = &diagnostic.node_id {
            place.push(format!("node `{node}`"));
        }
        if let Some(field) = &diagnostic.field {
            place.push(format!("field `{field}`"));
        }
        if let Some(location) = diagnostic.location {
            let within = if diagnostic.field.is_some() {
                "of the text"
            } else {
                "of the file"
            };
            place.push(format!(
                "line {}, column {} {within}",
                location.line, location.column
            ));
        }
        if !place.is_empty() {
            writeln!(out, "    {DIM}at {}{DIM:#}", place.join(", "))?;
        }
    }
    Ok(())
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
