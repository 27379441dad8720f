//! Published flow versions, from the database into the runtime's [`FlowRegistry`]: every
//! version (runs may still be on old ones) and, per flow, the one new runs start on.
//!
//! The registry lives in each process's memory; the database is the truth. [`Published::sync`]
//! runs at start, after every publish in this process, and every few seconds, so a version
//! published through one process reaches the others sharing the database.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use spool_flows::{CompiledFlow, Diagnostic};
use spool_runtime::FlowRegistry;
use spool_runtime::ScopedId;
use tracing::{info, warn};

use crate::db::{flow, flow_version};

#[derive(Debug)]
pub struct Published {
    registry: Arc<FlowRegistry>,
    known: Mutex<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// (workspace, flow, version) already compiled into the registry, with its hash.
    versions: HashMap<(String, String, i32), String>,
    /// Runtime flow id → the version number it is published at.
    published: HashMap<String, i32>,
}

/// Compiles a stored document for the runtime: its id becomes `<workspace>/<id>`, so flows
/// (and their hashes) of different workspaces never meet.
pub fn compile_in(workspace: &str, document: &str) -> Result<CompiledFlow, Vec<Diagnostic>> {
    let mut value: serde_json::Value = serde_json::from_str(document).map_err(|err| {
        vec![Diagnostic::error(
            spool_flows::Code::MalformedJson,
            format!("The document is not JSON: {err}"),
        )]
    })?;
    if let Some(id) = value.get("id").and_then(serde_json::Value::as_str) {
        let id = ScopedId::new(workspace, id).into();
        value["id"] = serde_json::Value::String(id);
    }
    let source = value.to_string();
    spool_flows::compile_source(&source)
        .map_err(|spool_flows::Error::Invalid(diagnostics)| diagnostics)
}

impl Published {
    pub fn new(registry: Arc<FlowRegistry>) -> Self {
        Self {
            registry,
            known: Mutex::default(),
        }
    }

    pub fn registry(&self) -> &Arc<FlowRegistry> {
        &self.registry
    }

    /// Brings the registry up to the database; returns how many versions it compiled.
    pub async fn sync(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let flows = flow::Entity::find().all(db).await?;
        let known_versions: HashSet<(String, String, i32)> =
            self.lock().versions.keys().cloned().collect();
        let mut compiled = 0;
        let versions = flow_version::Entity::find().all(db).await?;
        let mut hashes: HashMap<(String, String, i32), Arc<CompiledFlow>> = HashMap::new();
        for version in versions {
            let key = (
                version.workspace_id.clone(),
                version.flow_id.clone(),
                version.version,
            );
            let needed = !known_versions.contains(&key)
                || flows.iter().any(|flow| {
                    flow.workspace_id == key.0
                        && flow.id == key.1
                        && flow.published_version == Some(key.2)
                });
            if !needed {
                continue;
            }
            let known_hash = self.lock().versions.get(&key).cloned();
            let existing = known_hash.and_then(|hash| self.registry.version(&hash));
            let compiled_flow = match existing {
                Some(flow) => flow,
                None => match compile_in(&version.workspace_id, &version.document) {
                    Ok(flow) => {
                        compiled += 1;
                        self.registry.add_version(flow)
                    }
                    Err(diagnostics) => {
                        // Published versions compiled when published; a newer Spool may be
                        // stricter. Runs on it fail visibly rather than the server not starting.
                        warn!(
                            workspace = %version.workspace_id,
                            flow = %version.flow_id,
                            version = version.version,
                            problems = diagnostics.len(),
                            "a published version no longer compiles"
                        );
                        continue;
                    }
                },
            };
            self.lock()
                .versions
                .insert(key.clone(), compiled_flow.hash().to_owned());
            hashes.insert(key, compiled_flow);
        }
        let mut live: HashMap<String, i32> = HashMap::new();
        for flow in &flows {
            let Some(number) = flow.published_version else {
                continue;
            };
            let runtime_id: String = ScopedId::new(&flow.workspace_id, &flow.id).into();
            live.insert(runtime_id.clone(), number);
            let already = self.lock().published.get(&runtime_id) == Some(&number);
            if already {
                continue;
            }
            let key = (flow.workspace_id.clone(), flow.id.clone(), number);
            if let Some(compiled_flow) = hashes.get(&key) {
                self.registry.publish(compiled_flow.clone());
                self.lock().published.insert(runtime_id, number);
            }
        }
        let gone: Vec<String> = self
            .lock()
            .published
            .keys()
            .filter(|id| !live.contains_key(*id))
            .cloned()
            .collect();
        for id in gone {
            self.registry.unpublish(&id);
            self.lock().published.remove(&id);
        }
        if compiled > 0 {
            info!(compiled, "published versions loaded");
        }
        Ok(compiled)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
