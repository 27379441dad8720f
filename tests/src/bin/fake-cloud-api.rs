//! A stand-in for Meta's Cloud API for `make bench-whatsapp`: answers every
//! `POST /{version}/{phone-number-id}/messages` at once with a new wamid and keeps what a
//! benchmark wants to know: how many messages arrived in each second, and, for a message
//! whose text starts `t=<ms since the epoch>;` (the latency probe's), how long after that
//! time it arrived.
//!
//! `GET /stats` answers `{"count", "per_second": [[second, count], …], "latency_ms": [...]}`;
//! `POST /reset` forgets everything. Usage: `fake-cloud-api <port>`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

#[derive(Default)]
struct Seen {
    count: u64,
    per_second: BTreeMap<u64, u64>,
    latency_ms: Vec<u64>,
}

#[derive(Default)]
struct Stand {
    seen: Mutex<Seen>,
    next_id: AtomicU64,
}

#[allow(clippy::disallowed_methods)] // the probe stamps wall-clock time; so does this
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

async fn send(stand: web::Data<Stand>, body: web::Bytes) -> HttpResponse {
    let arrived = now_ms();
    let sent_at = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|body| {
            body.pointer("/text/body")
                .and_then(Value::as_str)
                .and_then(|text| text.strip_prefix("t="))
                .and_then(|rest| rest.split(';').next())
                .and_then(|ms| ms.parse::<u64>().ok())
        });
    if let Ok(mut seen) = stand.seen.lock() {
        seen.count += 1;
        *seen.per_second.entry(arrived / 1000).or_default() += 1;
        if let Some(sent_at) = sent_at {
            seen.latency_ms.push(arrived.saturating_sub(sent_at));
        }
    }
    let id = stand.next_id.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Ok().json(json!({
        "messaging_product": "whatsapp",
        "messages": [{ "id": format!("wamid.BENCH{id}") }]
    }))
}

async fn stats(stand: web::Data<Stand>) -> HttpResponse {
    let Ok(seen) = stand.seen.lock() else {
        return HttpResponse::InternalServerError().finish();
    };
    let per_second: Vec<(u64, u64)> = seen.per_second.iter().map(|(s, n)| (*s, *n)).collect();
    HttpResponse::Ok().json(json!({
        "count": seen.count,
        "per_second": per_second,
        "latency_ms": seen.latency_ms,
    }))
}

async fn reset(stand: web::Data<Stand>) -> HttpResponse {
    if let Ok(mut seen) = stand.seen.lock() {
        *seen = Seen::default();
    }
    HttpResponse::NoContent().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .ok_or_else(|| std::io::Error::other("usage: fake-cloud-api <port>"))?;
    let stand = web::Data::new(Stand::default());
    HttpServer::new(move || {
        App::new()
            .app_data(stand.clone())
            .app_data(web::PayloadConfig::new(1 << 20))
            .route("/stats", web::get().to(stats))
            .route("/reset", web::post().to(reset))
            .route("/{version}/{phone}/messages", web::post().to(send))
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
