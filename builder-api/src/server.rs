//! One process: the HTTP API, the runtime's workers (partitions, timers, outbox) on one
//! store and the delivery of events out, stopped together on SIGTERM or Ctrl-C, finishing
//! the batch in hand.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;
use spool_nodes::Services;
use spool_runtime::clock::{Clock, SystemClock};
use spool_runtime::http::HttpServices;
use spool_runtime::notice::Observers;
use spool_runtime::store::Store;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::{Engine, EngineConfig, FlowRegistry, Runtime, RuntimeConfig};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::ai_models::WorkspaceModels;
use crate::bootstrap::FirstAdmin;
use crate::channels::WhatsAppChannels;
use crate::config::Config;
use crate::events_out::{Deliveries, Notifier, RuntimeEvents, Schedule};
use crate::network::WorkspaceNetwork;
use crate::published::Published;
use crate::simulations::Simulations;
use crate::state::AppState;
use crate::templates::Templates;
use crate::whatsapp::sender::WhatsAppSender;
use crate::whatsapp::throughput::{
    Local as LocalThroughput, Shared as SharedThroughput, Throughput,
};
use spool_whatsapp::client::{ApiConfig, CloudApi};

/// How often a process looks for versions published through another process.
const PUBLISHED_POLL: std::time::Duration = std::time::Duration::from_secs(2);

async fn keep_published_in_step(
    db: DatabaseConnection,
    published: Arc<Published>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PUBLISHED_POLL) => {}
            _ = stopped.changed() => return,
        }
        if let Err(err) = published.sync(&db).await {
            warn!(%err, "published versions could not be refreshed; retrying");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the store cannot be opened: {0}")]
    Store(#[from] spool_runtime::Error),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("the HTTP client cannot be built: {0}")]
    Http(String),
    #[error("the database cannot be opened: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("the first administrator cannot be created: {0}")]
    Bootstrap(String),
    #[error("the server stopped with an error: {0}")]
    Server(std::io::Error),
    #[error("{0}")]
    SecretKey(#[from] crate::sealed::KeyError),
    #[error("{0}")]
    Channels(#[from] crate::channels::StartError),
    #[error("{0}")]
    Subscriptions(#[from] crate::events_out::StartError),
    #[error("{0}")]
    SendRate(#[from] crate::whatsapp::throughput::Unavailable),
}

/// A started Spool: its address, and what to await for it to end.
/// How long a stop waits for open connections.
const SHUTDOWN_GRACE_SECS: u64 = 5;

pub struct Running {
    pub addresses: Vec<SocketAddr>,
    /// Set when this start created the first administrator.
    pub first_admin: Option<FirstAdmin>,
    server: actix_web::dev::Server,
    workers: JoinSet<()>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addresses", &self.addresses)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// Serves until a shutdown signal, then lets the workers finish their batch.
    pub async fn wait(mut self) -> Result<(), Error> {
        let served = self.server.await;
        info!("shutting down: finishing the work in hand");
        let _ = self.stop.send(true);
        while self.workers.join_next().await.is_some() {}
        served.map_err(Error::Server)
    }
}

/// Opens the store, starts the workers and binds the HTTP server.
pub async fn start(config: &Config) -> Result<Running, Error> {
    spool_runtime::http::install_crypto_provider();
    // Checked before anything is opened: a mistyped key is a mistake to hear about at once.
    let secret_key = config.secret_key()?;
    let mut embedded_db = None;
    let (store, store_kind): (Arc<dyn Store>, &'static str) = match &config.redis_url {
        Some(url) => {
            let redis = RedisConfig::new(url.clone())
                .with_prefix(config.redis_prefix.clone())
                .with_partitions(config.partitions);
            (Arc::new(RedisStore::connect(redis).await?), "redis")
        }
        None => {
            let embedded =
                EmbeddedConfig::new(config.database_url.clone()).with_partitions(config.partitions);
            let embedded = EmbeddedStore::connect(embedded).await?;
            embedded_db = Some(embedded.database().clone());
            (Arc::new(embedded), "embedded")
        }
    };
    // The embedded store's database is the builder's too (SQLite has one writer anyway).
    let db = match &embedded_db {
        Some(db) => db.clone(),
        None => crate::db::connect(&config.database_url).await?,
    };
    let flows = Arc::new(FlowRegistry::new());
    let published = Arc::new(Published::new(flows.clone()));
    published.sync(&db).await?;
    let models = Arc::new(WorkspaceModels::new(db.clone()));
    let network = Arc::new(WorkspaceNetwork::new(
        db.clone(),
        config.allow_private_targets,
    ));
    let services: Arc<dyn Services> = Arc::new(
        HttpServices::new(None)
            .map_err(|err| Error::Http(err.to_string()))?
            .with_models(models.clone())
            .with_network(network.clone()),
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    crate::routes::editor::serve_from(config.editor_dir.clone());
    crate::events_out::check_at_start(&db, secret_key.as_ref()).await?;
    let channels = Arc::new(WhatsAppChannels::new(
        db.clone(),
        secret_key.clone(),
        clock.clone(),
    ));
    channels.check_at_start().await?;
    let api = CloudApi::new(&ApiConfig {
        base_url: config.whatsapp_api_url.clone(),
        ..ApiConfig::default()
    })
    .map_err(|err| Error::Http(err.to_string()))?;
    let templates = Arc::new(Templates::new(db.clone(), api.clone(), clock.clone()));
    templates.reload().await;
    let engine = Arc::new(
        Engine::new(flows, services.clone(), EngineConfig::default())
            .with_templates(templates.catalog()),
    );
    let first_admin = crate::bootstrap::ensure_first_admin(
        &db,
        &config.admin_email,
        config.admin_password.as_deref(),
        clock.now(),
    )
    .await
    .map_err(|err| Error::Bootstrap(err.message))?;
    // Several processes share a number's throughput through the Redis they share; one
    // process on the embedded store keeps it in memory.
    let throughput: Arc<dyn Throughput> = match &config.redis_url {
        Some(url) => Arc::new(SharedThroughput::connect(url, &config.redis_prefix).await?),
        None => Arc::new(LocalThroughput::default()),
    };
    let sender = WhatsAppSender::new(
        channels.clone(),
        api.clone(),
        clock.clone(),
        throughput,
        db.clone(),
    );
    let inbox = crate::inbox_updates::InboxUpdates::default();
    let chatwoot = crate::chatwoot::Linked::default();
    chatwoot.reload(&db).await?;
    let chatwoot_deliveries = crate::chatwoot::ChatwootDeliveries::new(
        db.clone(),
        config.secret_key()?,
        network.clone(),
        clock.clone(),
        chatwoot.clone(),
    )
    .map_err(|err| Error::Http(err.to_string()))?;
    let notifier = Notifier::new(db.clone(), clock.clone(), secret_key);
    let runtime = Arc::new(
        Runtime::new(
            store.clone(),
            engine,
            clock,
            Arc::new(sender),
            RuntimeConfig::default(),
        )
        .with_observer(Arc::new(Observers(vec![
            Arc::new(RuntimeEvents::new(notifier.clone())),
            Arc::new(crate::handoffs::Tickets::new(db.clone())),
            Arc::new(crate::waiting::Positions::new(db.clone())),
            Arc::new(crate::conversation::History::new(db.clone())),
            Arc::new(crate::directory::Directory::new(db.clone())),
            Arc::new(crate::consent::Ledger::new(db.clone())),
            Arc::new(crate::campaigns::observer::Campaigns::new(db.clone())),
            Arc::new(crate::chatwoot::ChatwootQueue::new(
                db.clone(),
                chatwoot.clone(),
            )),
            Arc::new(inbox.clone()),
        ]))),
    );
    let (stop, stopped) = watch::channel(false);
    let mut workers = runtime.spawn(stopped.clone());
    let deliveries = Deliveries::new(
        notifier.clone(),
        network.clone(),
        Schedule::new(std::time::Duration::from_millis(
            config.events_first_retry_ms,
        )),
    )
    .map_err(|err| Error::Http(err.to_string()))?;
    workers.spawn(deliveries.run(stopped.clone()));
    workers.spawn(chatwoot_deliveries.run(stopped.clone()));
    workers.spawn(templates.clone().run(channels.clone(), stopped.clone()));
    workers.spawn(keep_published_in_step(
        db.clone(),
        published.clone(),
        stopped,
    ));

    let state = web::Data::new(AppState {
        db,
        store,
        store_kind,
        runtime,
        published,
        services,
        models,
        channels,
        whatsapp: api,
        templates,
        network,
        notifier,
        simulations: Simulations::default(),
        inbox,
        chatwoot,
        config: config.clone(),
    });
    workers.spawn(crate::campaigns::driver::run(
        state.clone(),
        stop.subscribe(),
    ));
    // Imports a stopped server left half done go on here.
    let resuming = state.clone();
    tokio::spawn(async move {
        if let Err(err) = crate::imports::resume_unfinished(resuming).await {
            tracing::warn!(error = %err, "unfinished imports could not be looked for");
        }
    });
    let body_limit = config.body_limit;
    let path_methods = web::Data::new(crate::routes::contract::PathMethods::of(
        &crate::routes::openapi::document(),
    ));
    let server = HttpServer::new(move || {
        App::new()
            .wrap(crate::routes::json_errors())
            .app_data(state.clone())
            .app_data(path_methods.clone())
            .app_data(crate::routes::json_config(body_limit))
            .app_data(web::PayloadConfig::new(body_limit))
            .configure(crate::routes::configure)
    })
    // Event streams (the inbox, the simulator) stay open until their page closes: a stop
    // waits this long for them and for requests in flight, not actix's 30 s.
    .shutdown_timeout(SHUTDOWN_GRACE_SECS)
    .bind(&config.bind)
    .map_err(|source| Error::Bind {
        bind: config.bind.clone(),
        source,
    })?;
    let addresses = server.addrs();
    let server = server.run();
    info!(?addresses, store = store_kind, "spool is serving");
    Ok(Running {
        addresses,
        first_admin,
        server,
        workers,
        stop,
    })
}
