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
