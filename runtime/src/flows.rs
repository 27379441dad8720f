//! The published flows a runtime runs: every version runs may still be on, and the latest
//! published version of each flow, which new runs start on.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use petgraph::graph::NodeIndex;
use spool_flows::{CompiledFlow, NodeKind};

use crate::scope::ScopedId;

#[derive(Debug, Default)]
pub struct FlowRegistry {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    versions: HashMap<String, Arc<CompiledFlow>>,
    published: HashMap<String, Arc<CompiledFlow>>,
    /// Published flows in the order they were first published, for stable trigger matching.
    order: Vec<String>,
}

impl FlowRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `flow` the version new runs of its flow start on. Runs on older versions keep
    /// them.
    pub fn publish(&self, flow: impl Into<Arc<CompiledFlow>>) -> Arc<CompiledFlow> {
        let flow = flow.into();
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let id = flow.flow().id.clone();
        inner
            .versions
            .entry(flow.hash().to_owned())
            .or_insert_with(|| flow.clone());
        if inner.published.insert(id.clone(), flow.clone()).is_none() {
            inner.order.push(id);
        }
        flow
    }

    /// Knows a version without making it the published one (runs still on it can go on).
    pub fn add_version(&self, flow: impl Into<Arc<CompiledFlow>>) -> Arc<CompiledFlow> {
        let flow = flow.into();
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner
            .versions
            .entry(flow.hash().to_owned())
            .or_insert(flow)
            .clone()
    }

    /// Stops new runs of a flow; runs already in it go on.
    pub fn unpublish(&self, flow_id: &str) {
        let mut inner = self
            .inner
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.published.remove(flow_id);
        inner.order.retain(|id| id != flow_id);
    }

    pub fn version(&self, hash: &str) -> Option<Arc<CompiledFlow>> {
        self.read().versions.get(hash).cloned()
    }

    pub fn published(&self, flow_id: &str) -> Option<Arc<CompiledFlow>> {
        self.read().published.get(flow_id).cloned()
    }

    /// Every published flow of one scope (workspace), oldest first.
    pub fn all_published_in(&self, scope: &str) -> Vec<Arc<CompiledFlow>> {
        let inner = self.read();
        inner
            .order
            .iter()
            .filter(|id| ScopedId::scope_of(id) == scope)
            .filter_map(|id| inner.published.get(id).cloned())
            .collect()
    }

    /// The published flow of `scope` and its webhook trigger listening on `hook`.
    pub fn by_hook(&self, scope: &str, hook: &str) -> Option<(Arc<CompiledFlow>, NodeIndex)> {
        self.all_published_in(scope).into_iter().find_map(|flow| {
            let trigger = flow.triggers().iter().copied().find(|ix| {
                matches!(&flow.node(*ix).kind, NodeKind::Webhook(webhook) if webhook.hook == hook)
            })?;
            Some((flow, trigger))
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
