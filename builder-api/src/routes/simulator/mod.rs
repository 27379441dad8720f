//! The simulator over HTTP: talk to a draft or published flow as a fake contact, fast-forward
//! its timers, and watch the transcript and trace live as Server-Sent Events.
//!
//! Simulations live in this process's memory (see [`crate::simulations`] for how many and
//! how long).

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::error::{ApiError, Code};
use crate::routes::flows::rfc3339;
use crate::simulations::Hosted;
use crate::simulator::{
    self, ContactOptions, ContactUpdate, ContactView, Direction, Entry, FastForward, FlowInfo,
    LocationInput, MediaInput, Outcome, RunView, Say, Simulation, State, Stub, TimerView,
    TraceEntry, Update,
};
use crate::state::AppState;

mod loading;

use loading::{load_flow, parse_start};

/// The longest single fast-forward.
const LONGEST_FAST_FORWARD: Duration = Duration::from_secs(400 * 86_400);
/// How often the event stream sends a comment, so proxies keep an idle stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/simulations", web::post().to(create))
        .route("/simulations/{simulation}", web::get().to(read))
        .route("/simulations/{simulation}", web::delete().to(delete))
        .route(
            "/simulations/{simulation}/messages",
            web::post().to(message),
        )
        .route(
            "/simulations/{simulation}/fast-forward",
            web::post().to(fast_forward),
        )
        .route("/simulations/{simulation}/contact", web::post().to(contact))
        .route(
            "/simulations/{simulation}/handoff/close",
            web::post().to(close_handoff),
        )
        .route("/simulations/{simulation}/events", web::get().to(events));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        create,
        read,
        delete,
        message,
        fast_forward,
        contact,
        close_handoff,
        events
    ),
    components(schemas(
        NewSimulation,
        StartFrom,
        Stub,
        Source,
        SimulationView,
        StepView,
        FastForwardBody,
        Say,
        LocationInput,
        MediaInput,
        ContactOptions,
        ContactUpdate,
        ContactView,
        Entry,
        Direction,
        TraceEntry,
        State,
        RunView,
        TimerView,
        FlowInfo
    ))
)]
pub struct Api;

/// Which version of the flow to simulate.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Source {
    /// `"draft"` (the document as last saved, the default) or `"published"` (the live version).
    Named(String),
    /// A published version by its number.
    Version { version: i32 },
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSimulation {
    /// The flow's id.
    pub flow: String,
    /// `"draft"` (default), `"published"` or `{"version": n}`.
    #[schema(value_type = Option<Source>)]
    pub source: Option<Value>,
    #[serde(default)]
    pub contact: ContactOptions,
    /// Starts the flow at once as its webhook (or event, broadcast) trigger would, with this
    /// body as `payload`. Flows whose triggers are all business-side start at once anyway.
    #[schema(value_type = Option<Object>)]
    pub payload: Option<Value>,
    /// Where the simulation's clock starts (RFC 3339); now by default. Quiet hours and the
    /// 24-hour window are judged by this clock.
    pub start_at: Option<String>,
    /// Starts a run at this step with these variables instead of at a trigger (`payload` is
    /// then not used): the builder tries the rest of a journey without playing its start.
    pub start: Option<StartFrom>,
    /// Answers for HTTP and AI steps, by step id, given instead of calling the service:
    /// `{"lookup": {"status": 404, "body": {}}, "agent": {"reply": "Hello!"}}`, or
    /// `{"error": "…"}` for a call that fails. Steps without one call the real service.
    #[serde(default)]
    pub stubs: BTreeMap<String, Stub>,
}

/// Where a simulation starts when it does not start at a trigger.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartFrom {
    /// The step's id.
    pub node: String,
    /// The run's variables (`vars.*`) as the steps before would have set them.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub vars: serde_json::Map<String, Value>,
}

/// A simulation: its flow, fake contact, clock, runs, timers, transcript and trace.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimulationView {
    pub id: String,
    pub flow: FlowInfo,
    /// `"draft"`, or the published version's number.
    #[schema(value_type = Object)]
    pub source: Value,
    pub created_at: String,
    #[serde(flatten)]
    pub state: State,
    pub transcript: Vec<Entry>,
    pub trace: Vec<TraceEntry>,
    /// The stub answers in use, by step id.
    pub stubs: BTreeMap<String, Stub>,
}

/// What one action made happen, and the state after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepView {
    /// Transcript entries added by this action.
    pub entries: Vec<Entry>,
    /// Trace steps taken in this action.
    pub trace: Vec<TraceEntry>,
    pub state: State,
}

/// How far to move the simulation's clock: exactly one of `by` and `next_timer`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FastForwardBody {
    /// A duration such as `"90s"`, `"1h"`, `"1h 30m"` or `"2d"`.
    pub by: Option<String>,
    /// Jump to the earliest pending timer and fire it.
    pub next_timer: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct SimulationPath {
    pub workspace: String,
    pub simulation: String,
}

#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Only what came after this `seq` (as `Last-Event-ID` does on a reconnect).
    pub after: Option<u64>,
}

impl Hosted {
    fn view(&self) -> SimulationView {
        SimulationView {
            id: self.id.clone(),
            flow: self.simulation.info(),
            source: self.source.clone(),
            created_at: self.created_at.clone(),
            state: self.simulation.state(),
            transcript: self.simulation.transcript(),
            trace: self.simulation.trace(),
            stubs: self.simulation.stubs().all().clone(),
        }
    }

    fn step(&self, outcome: Outcome) -> StepView {
        StepView {
            entries: outcome.entries,
            trace: outcome.trace,
            state: self.simulation.state(),
        }
    }
}

/// Starts a simulation of a flow's draft or published version for a fake contact.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/simulations", tag = "simulator",
    params(("workspace" = String, Path)),
    request_body = NewSimulation,
    responses(
        (status = 201, body = SimulationView, headers(("Location" = String))),
        (status = 404, description = "No such flow or version"),
        (status = 409, description = "`published` asked for, and the flow is not published"),
        (status = 422, description = "The draft has errors (details.diagnostics), or a bad contact, source, start_at, start step or stub")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewSimulation>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let body = body.into_inner();
    let now = match &body.start_at {
        Some(text) => parse_start(text)?,
        None => state.now(),
    };
    let (flow, source) = load_flow(&state, &caller, &body.flow, body.source.as_ref()).await?;
    let mut simulation = Simulation::new(
        flow,
        &caller.workspace,
        Arc::new(spool_nodes::InWorkspace::new(
            state.services.clone(),
            caller.workspace.clone(),
        )),
        &body.contact,
        now,
    )?;
    simulation.set_stubs(body.stubs)?;
    match body.start {
        Some(start) => {
            simulation.start_at(&start.node, start.vars).await?;
        }
        None => {
            simulation.begin(body.payload).await;
        }
    }
    let id = format!("sim_{}", uuid::Uuid::now_v7().simple());
    let hosted = Hosted {
        id: id.clone(),
        source,
        created_at: rfc3339(state.now()),
        simulation,
    };
    let view = hosted.view();
    state.simulations.insert(&caller.workspace, hosted);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/workspaces/{}/simulations/{id}", caller.workspace),
        ))
        .json(view))
}

/// A simulation: contact, runs, pending timers, the whole transcript and trace.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    responses((status = 200, body = SimulationView), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
) -> Result<HttpResponse, ApiError> {
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let hosted = hosted.lock().await;
    Ok(HttpResponse::Ok().json(hosted.view()))
}

/// Ends a simulation (its event streams end too).
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    responses((status = 204), (status = 404))
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    state
        .simulations
        .remove(&caller.workspace, &path.simulation)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The fake contact sends a message: text, a tap on a button or list row the flow sent, a
/// location, media, or any content.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}/messages", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    request_body = Say,
    responses(
        (status = 200, body = StepView),
        (status = 404),
        (status = 422, description = "Not exactly one kind of content, or a button the flow did not send (details.offered lists what it did)")
    )
)]
pub async fn message(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
    body: web::Json<Say>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let mut hosted = hosted.lock().await;
    let outcome = hosted.simulation.say(body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(hosted.step(outcome)))
}

/// Moves the simulation's clock: by a duration, or to the next pending timer. Timers due on
/// the way fire in order, each at its due time.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}/fast-forward", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    request_body = FastForwardBody,
    responses(
        (status = 200, body = StepView),
        (status = 404),
        (status = 409, description = "`next_timer`, and no timer is pending"),
        (status = 422, description = "Neither or both of `by` and `next_timer`, or a bad duration")
    )
)]
pub async fn fast_forward(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
    body: web::Json<FastForwardBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let how = match (&body.by, body.next_timer) {
        (Some(by), None | Some(false)) => {
            let by = simulator::parse_duration(by)?;
            if by > LONGEST_FAST_FORWARD {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Code::InvalidDuration,
                    "A fast-forward is at most 400 days.",
                ));
            }
            FastForward::By(by)
        }
        (None, Some(true)) => FastForward::NextTimer,
        _ => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidFastForward,
                "Send either {\"by\": \"1h\"} or {\"next_timer\": true}.",
            ));
        }
    };
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let mut hosted = hosted.lock().await;
    let outcome = hosted.simulation.fast_forward(how).await?;
    Ok(HttpResponse::Ok().json(hosted.step(outcome)))
}

/// Changes the fake contact from outside (tags, consent, properties), as the contacts API
/// would; journeys listening for such changes start.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}/contact", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    request_body = ContactUpdate,
    responses((status = 200, body = StepView), (status = 404), (status = 422))
)]
pub async fn contact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
    body: web::Json<ContactUpdate>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let mut hosted = hosted.lock().await;
    let outcome = hosted.simulation.update_contact(body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(hosted.step(outcome)))
}

/// An operator closes the conversation of the run in a handoff (it goes on by `resolved`).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}/handoff/close", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path)),
    responses(
        (status = 200, body = StepView),
        (status = 404),
        (status = 409, description = "No run is in a handoff")
    )
)]
pub async fn close_handoff(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let mut hosted = hosted.lock().await;
    let outcome = hosted.simulation.close_handoff().await?;
    Ok(HttpResponse::Ok().json(hosted.step(outcome)))
}

/// What the stream writes for one update.
fn frame(update: &Update) -> Bytes {
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        update.seq(),
        update.name(),
        update.to_json()
    ))
}

struct Stream {
    backlog: VecDeque<Update>,
    live: broadcast::Receiver<Update>,
    keep_alive: tokio::time::Interval,
}

/// The simulation as Server-Sent Events: first what happened so far (after `?after=` or
/// `Last-Event-ID`), then each transcript entry (`event: transcript`) and trace step
/// (`event: trace`) as it happens. `id` is the entry's `seq`. The stream ends with the
/// simulation.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/simulations/{simulation}/events", tag = "simulator",
    params(("workspace" = String, Path), ("simulation" = String, Path),
           ("after" = Option<u64>, Query, description = "Only what came after this seq"),
           ("Last-Event-ID" = Option<String>, Header, description = "As `after`, sent by EventSource on a reconnect")),
    responses(
        (status = 200, content_type = "text/event-stream", description = "`event: transcript` with an Entry, `event: trace` with a TraceEntry, as JSON in `data`"),
        (status = 404)
    )
)]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SimulationPath>,
    query: web::Query<EventsQuery>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let last_event_id = request
        .headers()
        .get("Last-Event-ID")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    let after = query.after.or(last_event_id);
    let hosted = state.simulations.get(&caller.workspace, &path.simulation)?;
    let (backlog, live) = hosted.lock().await.simulation.subscribe(after);
    let start = Stream {
        backlog: backlog.into(),
        live,
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
    };
    let stream = futures::stream::unfold(start, |mut stream| async move {
        if let Some(update) = stream.backlog.pop_front() {
            return Some((Ok::<_, Infallible>(frame(&update)), stream));
        }
        let bytes = tokio::select! {
            received = stream.live.recv() => match received {
                Ok(update) => frame(&update),
                Err(broadcast::error::RecvError::Lagged(missed)) => Bytes::from(format!(
                    ": {missed} updates were missed; GET the simulation to catch up\n\n"
                )),
                Err(broadcast::error::RecvError::Closed) => return None,
            },
            _ = stream.keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
        };
        Some((Ok(bytes), stream))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(stream))
}
