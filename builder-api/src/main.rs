//! `spool`: the command line of Spool.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod validate;

#[derive(Debug, Parser)]
#[command(
    name = "spool",
    version,
    about = "Spool: WhatsApp journeys, drawn and run."
)]
struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, global = true, default_value_t = ColorWhen::Auto)]
    color: ColorWhen,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check flow documents and print every problem found, with the node and field it is on.
    ///
    /// Exits with 0 when no file has errors (warnings are allowed), 1 otherwise.
    Validate {
        /// Print the diagnostics as JSON, for machines.
        #[arg(long)]
        json: bool,
        /// The flow documents (.json) to check.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    let outcome = match cli.command {
        Command::Validate { json, files } => validate::run(&files, json),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            let mut stderr = anstream::stderr();
            let _ = std::io::Write::write_fmt(&mut stderr, format_args!("spool: {err:#}\n"));
            ExitCode::from(2)
        }
    }
}
