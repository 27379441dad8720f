//! `spool`: the command line of Spool.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use spool_builder_api::config::{Config, Overrides};

mod simulate;
mod validate;

// glibc's malloc cost the runtime 40% of its CPU under load (docs/performance.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
    /// Talk to a flow as a fake contact: type its messages, see what the flow sends.
    ///
    /// Each line is the contact's message; lines starting with / are commands (/help lists
    /// them: /button ID, /wait 1h, /next, /state, /quit…). Nothing is stored or sent.
    Simulate(simulate::Args),
    /// Create or upgrade the database's tables, then exit (`spool serve` also does it).
    Migrate {
        /// Database URL (default: as `spool serve` would use).
        #[arg(long)]
        database_url: Option<String>,
        /// A TOML file with database_url.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
    /// Run Spool: the API and the journey workers, until SIGTERM or Ctrl-C.
    ///
    /// Settings: defaults, then --config FILE (TOML), then SPOOL_* variables, then flags.
    Serve {
        /// A TOML file with any of: bind, database_url, redis_url, partitions.
        #[arg(long)]
        config: Option<std::path::PathBuf>,
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long)]
        bind: Option<String>,
        /// Database URL (default: a SQLite file spool.sqlite in the working directory).
        #[arg(long)]
        database_url: Option<String>,
        /// Redis URL for contact and run state (default: the embedded store in the database).
        #[arg(long)]
        redis_url: Option<String>,
        /// Partitions contacts are spread over (fixed once chosen).
        #[arg(long)]
        partitions: Option<u16>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

fn serve(file: Option<&std::path::Path>, flags: &Overrides) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SPOOL_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = Config::load(file, flags)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = spool_builder_api::start(&config).await?;
        let mut stdout = anstream::stdout();
        for address in &running.addresses {
            std::io::Write::write_fmt(
                &mut stdout,
                format_args!("Spool is running at http://{address}\n"),
            )?;
        }
        if let Some(admin) = &running.first_admin {
            let password = admin.generated_password.as_deref().map_or_else(
                || "the password in SPOOL_ADMIN_PASSWORD".to_owned(),
                |password| format!("the password {password} (shown once: change it from your account menu once signed in)"),
            );
            std::io::Write::write_fmt(
                &mut stdout,
                format_args!(
                    "First start: sign in as {} with {password}. Your workspace is \"{}\".\n",
                    admin.email, admin.workspace
                ),
            )?;
        }
        std::io::Write::flush(&mut stdout)?;
        running.wait().await?;
        Ok(ExitCode::SUCCESS)
    })
}

fn migrate(file: Option<&std::path::Path>, flags: &Overrides) -> anyhow::Result<ExitCode> {
    let config = Config::load(file, flags)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let db = spool_builder_api::db::connect(&config.database_url).await?;
        db.close().await?;
        anyhow::Ok(())
    })?;
    let mut stdout = anstream::stdout();
    std::io::Write::write_fmt(
        &mut stdout,
        format_args!("The database at {} is up to date.\n", config.database_url),
    )?;
    Ok(ExitCode::SUCCESS)
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
        Command::Simulate(args) => simulate::run(&args),
        Command::Migrate {
            database_url,
            config,
        } => migrate(
            config.as_deref(),
            &Overrides {
                database_url,
                ..Overrides::default()
            },
        ),
        Command::Serve {
            config,
            bind,
            database_url,
            redis_url,
            partitions,
        } => {
            let flags = Overrides {
                bind,
                database_url,
                redis_url,
                partitions,
            };
            serve(config.as_deref(), &flags)
        }
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
