//! The statuses every route can answer besides its own, declared in the OpenAPI document,
//! and the methods each path has, for 405 answers.
//!
//! A route's handler declares what is its own (a 409 on a stale revision, a 422 on an
//! invalid flow). What follows from the extractors and the server it runs in is declared
//! here, once, by the same rules the extractors follow: a [`Caller`](crate::auth::Caller)
//! answers 401, 403 and 404 (a workspace one cannot see); a JSON body answers 400, 413 and
//! 415; a path or query parameter that cannot be read answers 400 or 404; and any route
//! answers 500 and 503 when the server or a service behind it fails. Every error response
//! carries [`ErrorBody`](crate::error::ErrorBody).

use std::collections::BTreeSet;

use actix_web::http::Method;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

const WORKSPACE_ROUTES: &str = "/api/v1/workspaces/{workspace}";
const JSON: &str = "application/json";

/// Declares on every operation of `doc` the statuses it answers through its extractors,
/// and the error body on every error status.
pub fn declare_errors(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                declare(path, &method, operation);
            }
        }
    }
}

fn declare(path: &str, method: &Method, operation: &mut Operation) {
    let mut add = |status: u16, description: &str| {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    };
    let in_workspace = path.starts_with(WORKSPACE_ROUTES);
    // A `SignedIn` extractor: everything about the session and one's workspaces but signing in.
    let signed_in = (path.starts_with("/api/v1/session") || path == "/api/v1/workspaces")
        && !(path == "/api/v1/session" && method == Method::POST);
    if in_workspace || signed_in {
        add(401, "Not signed in, and no valid API key");
    }
    if in_workspace {
        add(
            403,
            "The caller's role is not enough, or a session change without X-CSRF-Token",
        );
        add(
            404,
            "No such workspace that the caller can see, or nothing at this id",
        );
    } else if signed_in && method != Method::GET {
        add(403, "A change with the session cookie and no X-CSRF-Token");
    }
    let has_parameters = operation.parameters.as_ref().is_some_and(|parameters| {
        parameters.iter().any(|parameter| match parameter {
            RefOr::T(parameter) => {
                matches!(
                    parameter.parameter_in,
                    ParameterIn::Query | ParameterIn::Header
                ) || parameter.name != "workspace"
            }
            RefOr::Ref(_) => true,
        })
    });
    if has_parameters {
        add(400, "A parameter that cannot be read");
    }
    if operation.request_body.is_some() {
        add(400, "The body is not JSON, or not of this shape");
        add(413, "The body is larger than the server accepts");
        add(415, "The body is not sent as application/json");
        add(
            422,
            "The body is of the right shape, and a value in it is not acceptable",
        );
    }
    add(
        500,
        "A failure of the server's own; its cause is in the server's log",
    );
    add(
        503,
        "The database or the store cannot be reached; try again shortly",
    );
    for (status, response) in operation.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response)
            && response.content.is_empty()
        {
            response.content.insert(
                JSON.to_owned(),
                RefOr::T(Content::new(Some(Ref::from_schema_name("ErrorBody")))),
            );
        }
    }
}

/// The methods each path of the document has, to answer 405 with `Allow` for the others.
#[derive(Debug)]
pub struct PathMethods {
    paths: Vec<(Vec<Segment>, BTreeSet<String>)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Parameter,
}

impl PathMethods {
    pub fn of(doc: &OpenApi) -> Self {
        let paths = doc
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|segment| {
                        if segment.starts_with('{') && segment.ends_with('}') {
                            Segment::Parameter
                        } else {
                            Segment::Literal(segment.to_owned())
                        }
                    })
                    .collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ]
                .into_iter()
                .filter(|(_, has)| *has)
                .map(|(method, _)| method.to_owned())
                .collect();
                (segments, methods)
            })
            .collect();
        Self { paths }
    }

    /// The methods of the described path that `path` matches most closely (the most literal
    /// segments: `/flows/import` over `/flows/{flow}`); empty when it matches none.
    pub fn allowed(&self, path: &str) -> BTreeSet<String> {
        let requested: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut best: Option<(usize, &BTreeSet<String>)> = None;
        for (segments, methods) in &self.paths {
            let matches = segments.len() == requested.len()
                && segments
                    .iter()
                    .zip(&requested)
                    .all(|(segment, given)| match segment {
                        Segment::Literal(literal) => literal == given,
                        Segment::Parameter => !given.is_empty(),
                    });
            let literals = segments
                .iter()
                .filter(|segment| matches!(segment, Segment::Literal(_)))
                .count();
            if matches && best.is_none_or(|(most, _)| literals > most) {
                best = Some((literals, methods));
            }
        }
        best.map(|(_, methods)| methods.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_has_the_methods_of_every_template_it_matches() {
        let methods = PathMethods::of(&crate::routes::openapi::document());
        let flows = "/api/v1/workspaces/default/flows";
        assert_eq!(
            methods.allowed(flows).into_iter().collect::<Vec<_>>(),
            ["GET", "POST"]
        );
        // `/flows/import` is a path of its own, not a flow's.
        let import = methods.allowed(&format!("{flows}/import"));
        assert_eq!(import.into_iter().collect::<Vec<_>>(), ["POST"]);
        let flow = methods.allowed(&format!("{flows}/x"));
        assert_eq!(
            flow.into_iter().collect::<Vec<_>>(),
            ["DELETE", "GET", "PUT"]
        );
        assert!(methods.allowed("/api/v1/nothing/here").is_empty());
        assert!(methods.allowed(&format!("{flows}/x/versions/")).is_empty());
    }
}
