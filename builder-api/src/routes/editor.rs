//! The editor, served at `/` from the binary itself: web/dist is embedded at compile time
//! (see build.rs), so `spool` stays one file. Hashed files under `assets/` are cached for a
//! year; `index.html` is revalidated every time, so a new build is picked up at once.
//!
//! Client-side routes (`/flows/abandoned-cart`) are the editor's too: a page a browser asks
//! for (`Accept: text/html`) outside the API, webhooks and probes gets `index.html`. Programs
//! asking for a path that does not exist keep getting the API's JSON 404.
//!
//! For working on the editor, the setting `editor_dir` (`SPOOL_EDITOR_DIR=web/dist`) makes
//! `spool serve` read the files from that directory instead, so a `npm run build` shows
//! without recompiling Spool.

use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use actix_web::http::Method;
use actix_web::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

mod assets {
    include!(concat!(env!("OUT_DIR"), "/editor_assets.rs"));
}

/// Paths the editor never answers for, whatever the client accepts.
const NOT_THE_EDITORS: [&str; 5] = ["/api/", "/hooks/", "/webhooks/", "/healthz", "/readyz"];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Shown when the binary was built before the editor was (`cargo build` on a fresh clone).
const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spool</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; color: #1b2230">
<h1>The editor was not built</h1>
<p>This <code>spool</code> binary was compiled before the editor in <code>web/</code> was built,
so it has only the API. Run <code>make run</code>, which builds both, or build the editor with
<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> and then <code>cargo build</code> again.</p>
<p>The API is at <a href="/api/v1/docs/">/api/v1/docs/</a>.</p>
</body></html>
"#;

static EDITOR_DIR: OnceLock<PathBuf> = OnceLock::new();

/// Serves the editor from `dir` rather than from the binary (the `editor_dir` setting); the
/// first server started in a process decides.
pub fn serve_from(dir: Option<PathBuf>) {
    if let Some(dir) = dir {
        let _ = EDITOR_DIR.set(dir);
    }
}

fn editor_dir() -> Option<&'static Path> {
    EDITOR_DIR.get().map(PathBuf::as_path)
}

fn file(path: &str) -> Option<Bytes> {
    if let Some(dir) = editor_dir() {
        // Only plain names below the directory: never `..` or an absolute path.
        let relative = Path::new(path);
        if !relative
            .components()
            .all(|part| matches!(part, Component::Normal(_)))
        {
            return None;
        }
        return std::fs::read(dir.join(relative)).ok().map(Bytes::from);
    }
    assets::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| Bytes::from_static(bytes))
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /`: the editor.
pub async fn index() -> HttpResponse {
    index_page()
}

/// `index.html`, never cached without asking, or the page saying the editor is not built.
fn index_page() -> HttpResponse {
    let body = file("index.html").unwrap_or(Bytes::from_static(NOT_BUILT.as_bytes()));
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, REVALIDATE))
        .body(body)
}

/// The editor's answer to a request no route took, if it has one: one of its files, or
/// `index.html` for a page a browser navigates to.
pub fn answer(request: &HttpRequest) -> Option<HttpResponse> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return None;
    }
    let path = request.path();
    if NOT_THE_EDITORS
        .iter()
        .any(|prefix| path.starts_with(prefix) || path == prefix.trim_end_matches('/'))
    {
        return None;
    }
    let name = path.trim_start_matches('/');
    if !name.is_empty()
        && let Some(bytes) = file(name)
    {
        let cache = if name.starts_with("assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return Some(
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, content_type(name)))
                .insert_header((CACHE_CONTROL, cache))
                .body(bytes),
        );
    }
    let wants_a_page = request
        .headers()
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_a_page {
        return Some(index_page());
    }
    None
}
