//! The inbox's live updates as Server-Sent Events: `event: ticket` or `event: message`, with
//! `{"ticket"?, "contact"?}`, each time something changes in the workspace's inbox (see
//! `crate::inbox_updates`). A page re-reads what it shows on each; one that fell behind is
//! told `event: changed` and re-reads everything.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use tokio::sync::broadcast;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::inbox_updates::InboxUpdate;
use crate::state::AppState;

/// How often the stream sends a comment, so proxies keep an idle stream open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/inbox/events", web::get().to(events));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(events))]
pub struct Api;

fn frame(update: &InboxUpdate) -> Bytes {
    let data = serde_json::to_string(update).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("event: {}\ndata: {data}\n\n", update.what))
}

struct Listening {
    workspace: String,
    live: broadcast::Receiver<InboxUpdate>,
    keep_alive: tokio::time::Interval,
}

/// What changes in the workspace's inbox, live (text/event-stream).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/inbox/events", tag = "handoffs",
    operation_id = "inbox_events",
    params(("workspace" = String, Path)),
    responses((status = 200, description = "`event: ticket` / `event: message` / `event: changed`, `data: {\"ticket\"?, \"contact\"?}`", content_type = "text/event-stream"))
)]
pub async fn events(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let start = Listening {
        workspace: caller.workspace.clone(),
        live: state.inbox.subscribe(),
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE),
    };
    // The stream opens with a comment, so the page knows it is listening.
    let opened = futures::stream::once(async {
        Ok::<_, Infallible>(Bytes::from_static(b": listening\n\n"))
    });
    let updates = futures::stream::unfold(start, |mut listening| async move {
        loop {
            let bytes = tokio::select! {
                received = listening.live.recv() => match received {
                    Ok(update) if update.workspace == listening.workspace => frame(&update),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        Bytes::from_static(b"event: changed\ndata: {}\n\n")
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = listening.keep_alive.tick() => Bytes::from_static(b": keep-alive\n\n"),
            };
            return Some((Ok::<_, Infallible>(bytes), listening));
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures::StreamExt::chain(opened, updates)))
}
