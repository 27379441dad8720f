//! `docs/flow.schema.json` must be what the types say. Regenerate with `make schema`.

use std::path::Path;

#[test]
fn checked_in_json_schema_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/flow.schema.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&spool_flows::json_schema()).expect("serializes")
    );
    if std::env::var_os("SPOOL_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &generated).expect("write docs/flow.schema.json");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/flow.schema.json is stale: run `make schema` and commit the result"
    );
}

#[test]
fn schema_describes_every_node_type() {
    let schema = serde_json::to_string(&spool_flows::json_schema()).expect("serializes");
    for node_type in spool_flows::NodeType::ALL {
        assert!(
            schema.contains(&format!("\"{}\"", node_type.name())),
            "{node_type} missing from the schema"
        );
    }
}
