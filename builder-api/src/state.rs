//! What request handlers share: the database, the store, the runtime, the published flows,
//! the outside services and this process's simulations. Depends on no route, so routes and
//! the server both depend on it and not on each other.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use spool_nodes::Services;
use spool_runtime::Runtime;
use spool_runtime::store::Store;

use crate::ai_models::WorkspaceModels;
use crate::channels::WhatsAppChannels;
use crate::config::Config;
use crate::events_out::Notifier;
use crate::network::WorkspaceNetwork;
use crate::published::Published;
use crate::simulations::Simulations;
use crate::templates::Templates;

pub struct AppState {
    /// Workspaces, users, flows and versions, the audit log.
    pub db: DatabaseConnection,
    pub store: Arc<dyn Store>,
    /// `redis` or `embedded`, for `/readyz`.
    pub store_kind: &'static str,
    pub runtime: Arc<Runtime>,
    /// The published versions, kept in step with the database.
    pub published: Arc<Published>,
    /// What `http_request` and `ai_agent` nodes reach the outside through.
    pub services: Arc<dyn Services>,
    /// Each workspace's AI model endpoint, as `services` finds it.
    pub models: Arc<WorkspaceModels>,
    /// The workspaces' WhatsApp channels, their secrets opened.
    pub channels: Arc<WhatsAppChannels>,
    /// Meta's Graph API, for checking channels.
    pub whatsapp: spool_whatsapp::client::CloudApi,
    /// The WhatsApp templates of the workspaces' accounts, synced from Meta.
    pub templates: Arc<Templates>,
    /// Each workspace's network rule (private targets), as `services` and events out find it.
    pub network: Arc<WorkspaceNetwork>,
    /// Queues events for the workspaces' event subscriptions (events out).
    pub notifier: Notifier,
    /// The simulator's simulations, in this process's memory.
    pub simulations: Simulations,
    /// Live updates for inbox pages (see `inbox_updates`).
    pub inbox: crate::inbox_updates::InboxUpdates,
    /// The workspaces linked to Chatwoot (see `chatwoot`).
    pub chatwoot: crate::chatwoot::Linked,
    pub config: Config,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store_kind", &self.store_kind)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The runtime's clock, in ms since the epoch.
    pub fn now(&self) -> i64 {
        self.runtime.clock().now()
    }
}
