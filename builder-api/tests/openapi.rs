//! `docs/openapi.json` must describe the API the server serves. Regenerate with `make schema`.

use std::path::Path;

#[test]
fn checked_in_openapi_document_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    let document = spool_builder_api::routes::openapi::document();
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&document).expect("serializes")
    );
    if std::env::var_os("SPOOL_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/openapi.json is stale: run `make schema` and commit the result"
    );
}

#[test]
fn every_route_is_described() {
    let document =
        serde_json::to_value(spool_builder_api::routes::openapi::document()).expect("serializes");
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/node-types",
        "/api/v1/session",
        "/api/v1/workspaces",
        "/api/v1/workspaces/{workspace}/flows",
        "/api/v1/workspaces/{workspace}/flows/{flow}",
        "/api/v1/workspaces/{workspace}/flows/{flow}/publish",
        "/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}/rollback",
        "/api/v1/workspaces/{workspace}/api-keys",
        "/api/v1/workspaces/{workspace}/audit-log",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} is not in the OpenAPI document"
        );
    }
}

#[test]
fn every_error_code_the_document_lists_round_trips_through_the_code_enum() {
    use spool_builder_api::error::Code;
    let document =
        serde_json::to_value(spool_builder_api::routes::openapi::document()).expect("serializes");
    let listed = document["components"]["schemas"]["Code"]["enum"]
        .as_array()
        .expect("the document lists the error codes");
    let listed: Vec<&str> = listed.iter().filter_map(|code| code.as_str()).collect();
    let known: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
    assert_eq!(listed, known, "the document and Code list other codes");
    for text in listed {
        let code: Code = serde_json::from_value(serde_json::json!(text))
            .unwrap_or_else(|err| panic!("{text} is not a Code: {err}"));
        assert_eq!(serde_json::to_value(code).expect("serializes"), text);
    }
    // Codes clients already key on keep their names.
    for text in [
        "revision_conflict",
        "store_unavailable",
        "hook_taken",
        "not_found",
    ] {
        assert!(known.contains(&text), "{text} is gone");
    }
}

#[test]
fn every_error_status_of_every_operation_carries_the_error_body() {
    let document =
        serde_json::to_value(spool_builder_api::routes::openapi::document()).expect("serializes");
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let responses = operation["responses"].as_object().expect("responses");
            for status in ["500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} has no {status}"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

/// Generated clients (the editor's types among them) name an operation by its id, so two
/// operations with one id make one of them unreachable.
#[test]
fn every_operation_has_its_own_id() {
    let document =
        serde_json::to_value(spool_builder_api::routes::openapi::document()).expect("serializes");
    let mut seen = std::collections::HashMap::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            if let Some(other) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("{method} {path} and {other} are both operationId {id:?}");
            }
        }
    }
}
