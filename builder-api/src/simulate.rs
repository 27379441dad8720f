//! `spool simulate FILE`: talk to a flow in the terminal as a fake contact. Each line read is
//! the contact's message; lines starting with `/` are commands (`/help`). Works the same
//! typed at a terminal or piped in.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anstyle::{AnsiColor, Style};
use anyhow::Context;
use serde_json::Value;
use spool_builder_api::simulator::{
    ContactOptions, ContactUpdate, Direction, FastForward, LocationInput, Outcome, Say, Simulation,
    TraceEntry, parse_duration,
};
use spool_runtime::clock::{Clock, SystemClock};

const CONTACT: Style = AnsiColor::Cyan.on_default().bold();
const FLOW: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();
const ERROR: Style = AnsiColor::Red.on_default().bold();

const HELP: &str = "\
Type a line to send it as the contact. Commands:
  /button ID        tap a reply button or template quick reply (its id or title)
  /list ID          pick a row of a list (its id or title)
  /location LAT LON share a location
  /ad [JSON]        the next message comes from a Click-to-WhatsApp ad (this referral)
  /wait DURATION    fast-forward the clock, e.g. /wait 1h (timers due on the way fire)
  /next             fast-forward to the next timer
  /resolve          an operator closes the conversation (handoff)
  /contact JSON     change the contact, e.g. /contact {\"add_tags\": [\"vip\"]}
  /state            the contact, runs and timers as JSON
  /quit             end (so does the end of input)
A line starting with // is sent as text starting with /.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The flow document (.json) to talk to.
    file: PathBuf,
    /// The fake contact's WhatsApp number.
    #[arg(long, default_value = spool_builder_api::simulator::DEFAULT_PHONE)]
    phone: String,
    /// The contact's profile name.
    #[arg(long)]
    name: Option<String>,
    /// The contact agreed to Marketing messages.
    #[arg(long)]
    opt_in: bool,
    /// The contact's time zone (IANA, e.g. Europe/Lisbon).
    #[arg(long)]
    timezone: Option<String>,
    /// Start the flow at once as its webhook would, with this body (JSON, or @file).
    #[arg(long)]
    payload: Option<String>,
    /// The ad the first message comes from (JSON, or @file); flows started by ads get a
    /// sample one otherwise.
    #[arg(long)]
    referral: Option<String>,
    /// Where the simulation's clock starts (RFC 3339), e.g. 2026-03-02T10:00:00Z.
    #[arg(long)]
    at: Option<String>,
    /// Also print each step: node, port taken, variables changed.
    #[arg(long)]
    trace: bool,
}

/// JSON given inline or as `@file`.
fn read_json(what: &str, text: &str) -> anyhow::Result<Value> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the {what} file {path}"))?,
        None => text.to_owned(),
    };
    serde_json::from_str(&text).with_context(|| format!("the {what} is not JSON"))
}

struct Session {
    simulation: Simulation,
    runtime: tokio::runtime::Runtime,
    trace: bool,
    echo: bool,
    /// The referral the next message carries.
    referral: Option<Value>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let source = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let flow = match spool_flows::compile_source(&source) {
        Ok(flow) => flow,
        Err(_) => {
            // The same report as `spool validate`, which exits 1 here.
            return crate::validate::run(std::slice::from_ref(&args.file), false);
        }
    };
    let payload = args
        .payload
        .as_deref()
        .map(|text| read_json("payload", text))
        .transpose()?;
    let referral = args
        .referral
        .as_deref()
        .map(|text| read_json("referral", text))
        .transpose()?;
    let now = match &args.at {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text.trim())
            .map(|at| at.timestamp_millis())
            .with_context(|| format!("--at {text:?} is not a time like 2026-03-02T10:00:00Z"))?,
        None => SystemClock.now(),
    };
    spool_runtime::http::install_crypto_provider();
    let services = spool_runtime::http::HttpServices::new(None)
        .context("the HTTP client for http_request nodes cannot be built")?;
    let options = ContactOptions {
        phone: Some(args.phone.clone()),
        name: args.name.clone(),
        marketing_opt_in: args.opt_in,
        timezone: args.timezone.clone(),
        ..ContactOptions::default()
    };
    let simulation = Simulation::new(flow, "", Arc::new(services), &options, now)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let needs_referral = simulation.needs_referral();
    let mut session = Session {
        referral: referral.or_else(|| needs_referral.then(|| simulation.sample_referral())),
        simulation,
        runtime,
        trace: args.trace,
        echo: !interactive,
    };
    let mut out = anstream::stdout();
    let name = session.simulation.flow().flow().name.clone();
    writeln!(
        out,
        "{DIM}Simulating {name} as {} — /help for commands.{DIM:#}",
        spool_builder_api::simulator::parse_phone(&args.phone)?
    )?;
    let begun = session.runtime.block_on(session.simulation.begin(payload));
    session.print(&mut out, &begun)?;
    if needs_referral && args.referral.is_none() {
        writeln!(
            out,
            "{DIM}  * The first message comes from a sample ad (--referral to choose one).{DIM:#}"
        )?;
    }
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            write!(out, "{CONTACT}you:{CONTACT:#} ")?;
            out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("cannot read the input")?;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match session.handle(&mut out, line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                out.flush()?;
                let mut stderr = anstream::stderr();
                writeln!(stderr, "{ERROR}error:{ERROR:#} {err:#}")?;
            }
        }
        out.flush()?;
    }
    Ok(ExitCode::SUCCESS)
}

impl Session {
    /// Handles one line; false to stop.
    fn handle(&mut self, out: &mut impl Write, line: &str) -> anyhow::Result<bool> {
        let command = line.strip_prefix('/').filter(|rest| !rest.starts_with('/'));
        let Some(command) = command else {
            let text = line.strip_prefix('/').unwrap_or(line).to_owned();
            if self.echo {
                writeln!(out, "{CONTACT}you:{CONTACT:#}  {text}")?;
            }
            let say = Say {
                text: Some(text),
                referral: self.referral.take(),
                ..Say::default()
            };
            self.say(out, say)?;
            return Ok(true);
        };
        let (name, rest) = command
            .split_once(char::is_whitespace)
            .map_or((command, ""), |(name, rest)| (name, rest.trim()));
        if self.echo {
            writeln!(out, "{CONTACT}you:{CONTACT:#}  {DIM}/{command}{DIM:#}")?;
        }
        match name {
            "quit" | "exit" | "q" => return Ok(false),
            "help" | "h" | "?" => writeln!(out, "{HELP}")?,
            "button" | "b" => {
                anyhow::ensure!(!rest.is_empty(), "/button needs the button's id or title");
                let say = Say {
                    button: Some(rest.to_owned()),
                    referral: self.referral.take(),
                    ..Say::default()
                };
                self.say(out, say)?;
            }
            "list" => {
                anyhow::ensure!(!rest.is_empty(), "/list needs the row's id or title");
                let say = Say {
                    list_reply: Some(rest.to_owned()),
                    ..Say::default()
                };
                self.say(out, say)?;
            }
            "location" => {
                let mut parts = rest.splitn(3, char::is_whitespace);
                let latitude = parts.next().and_then(|text| text.parse().ok());
                let longitude = parts.next().and_then(|text| text.parse().ok());
                let (Some(latitude), Some(longitude)) = (latitude, longitude) else {
                    anyhow::bail!(
                        "/location needs a latitude and a longitude, e.g. /location 38.72 -9.14"
                    );
                };
                let say = Say {
                    location: Some(LocationInput {
                        latitude,
                        longitude,
                        name: parts.next().map(str::to_owned),
                        address: None,
                    }),
                    ..Say::default()
                };
                self.say(out, say)?;
            }
            "ad" => {
                self.referral = Some(if rest.is_empty() {
                    self.simulation.sample_referral()
                } else {
                    read_json("referral", rest)?
                });
                writeln!(out, "{DIM}  * The next message comes from the ad.{DIM:#}")?;
            }
            "wait" | "w" => {
                anyhow::ensure!(!rest.is_empty(), "/wait needs a duration, e.g. /wait 1h");
                let by = parse_duration(rest)?;
                let outcome = self
                    .runtime
                    .block_on(self.simulation.fast_forward(FastForward::By(by)))?;
                self.print(out, &outcome)?;
            }
            "next" | "n" => {
                let outcome = self
                    .runtime
                    .block_on(self.simulation.fast_forward(FastForward::NextTimer))?;
                self.print(out, &outcome)?;
            }
            "resolve" => {
                let outcome = self.runtime.block_on(self.simulation.close_handoff())?;
                self.print(out, &outcome)?;
            }
            "contact" => {
                let update: ContactUpdate = serde_json::from_value(read_json("change", rest)?)
                    .context("a contact change is like {\"add_tags\": [\"vip\"], \"marketing_opt_in\": true}")?;
                let outcome = self
                    .runtime
                    .block_on(self.simulation.update_contact(update))?;
                self.print(out, &outcome)?;
            }
            "state" => {
                let state = serde_json::to_string_pretty(&self.simulation.state())?;
                writeln!(out, "{state}")?;
            }
            other => anyhow::bail!("/{other} is not a command; /help lists them"),
        }
        Ok(true)
    }

    fn say(&mut self, out: &mut impl Write, say: Say) -> anyhow::Result<()> {
        let outcome = self.runtime.block_on(self.simulation.say(say))?;
        self.print(out, &outcome)
    }

    /// What the flow sent and what happened, in order; the contact's own message is not
    /// repeated.
    fn print(&self, out: &mut impl Write, outcome: &Outcome) -> anyhow::Result<()> {
        let mut trace = outcome.trace.iter().peekable();
        for entry in &outcome.entries {
            if self.trace {
                while let Some(step) = trace.next_if(|step| step.seq < entry.seq) {
                    print_step(out, step)?;
                }
            }
            match entry.direction {
                Direction::Contact => {}
                Direction::Flow => {
                    let mut lines = entry.text.lines();
                    if let Some(first) = lines.next() {
                        writeln!(out, "{FLOW}flow:{FLOW:#} {first}")?;
                    }
                    for line in lines {
                        if line.is_empty() {
                            writeln!(out)?;
                        } else {
                            writeln!(out, "      {line}")?;
                        }
                    }
                    if let Some(hint) = entry.message.as_ref().and_then(tap_hint) {
                        writeln!(out, "{DIM}      ({hint}){DIM:#}")?;
                    }
                }
                Direction::System => {
                    writeln!(out, "{DIM}  * [{}] {}{DIM:#}", entry.at, entry.text)?;
                }
            }
        }
        if self.trace {
            for step in trace {
                print_step(out, step)?;
            }
        }
        Ok(())
    }
}

/// One trace step: run, node, what happened, the variables it changed.
fn print_step(out: &mut impl Write, step: &TraceEntry) -> std::io::Result<()> {
    let vars = if step.vars_changed.is_empty() {
        String::new()
    } else {
        format!(" {}", Value::Object(step.vars_changed.clone()))
    };
    writeln!(
        out,
        "{DIM}  | {} {} {}{vars}{DIM:#}",
        step.run_id, step.node_id, step.what
    )
}

/// How to answer a message with choices: the commands to type.
fn tap_hint(message: &Value) -> Option<String> {
    let ids: Vec<(&str, &str)> = match message["type"].as_str()? {
        "buttons" => message["buttons"]
            .as_array()?
            .iter()
            .filter_map(|button| Some(("/button", button["id"].as_str()?)))
            .collect(),
        "list" => message["sections"]
            .as_array()?
            .iter()
            .filter_map(|section| section["rows"].as_array())
            .flatten()
            .filter_map(|row| Some(("/list", row["id"].as_str()?)))
            .collect(),
        "template" => message["buttons"]
            .as_array()?
            .iter()
            .filter(|button| button["sub_type"] == "quick_reply")
            .filter_map(|button| Some(("/button", button["parameter"].as_str()?)))
            .collect(),
        _ => return None,
    };
    if ids.is_empty() {
        return None;
    }
    let commands: Vec<String> = ids
        .iter()
        .map(|(command, id)| format!("{command} {id}"))
        .collect();
    Some(format!("answer with {}", commands.join(", ")))
}
