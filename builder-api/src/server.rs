//! One process: the HTTP API and the runtime's workers (partitions, timers, outbox) on one
//! store, stopped together on SIGTERM or Ctrl-C, finishing the batch in hand.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::{App, HttpServer, web};
use async_trait::async_trait;
use spool_nodes::Outbound;
use spool_runtime::channel::{Channel, SendError};
use spool_runtime::clock::SystemClock;
use spool_runtime::http::HttpServices;
use spool_runtime::store::Store;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::{Engine, EngineConfig, FlowRegistry, Runtime, RuntimeConfig};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::config::Config;

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
    #[error("the server stopped with an error: {0}")]
    Server(std::io::Error),
}

/// What request handlers share.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// `redis` or `embedded`, for `/readyz`.
    pub store_kind: &'static str,
}

/// Until the WhatsApp channel is configured, outbound messages are logged, not delivered.
#[derive(Debug)]
struct LogChannel;

#[async_trait]
impl Channel for LogChannel {
    async fn send(&self, message: &Outbound) -> Result<(), SendError> {
        warn!(key = %message.key, to = %message.to, "no channel configured: message not delivered");
        Ok(())
    }
}

/// A started Spool: its address, and what to await for it to end.
pub struct Running {
    pub addresses: Vec<SocketAddr>,
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
    let (store, store_kind): (Arc<dyn Store>, &'static str) = match &config.redis_url {
        Some(url) => {
            let redis = RedisConfig::new(url.clone()).with_partitions(config.partitions);
            (Arc::new(RedisStore::connect(redis).await?), "redis")
        }
        None => {
            let embedded =
                EmbeddedConfig::new(config.database_url.clone()).with_partitions(config.partitions);
            (
                Arc::new(EmbeddedStore::connect(embedded).await?),
                "embedded",
            )
        }
    };
    let flows = Arc::new(FlowRegistry::new());
    let services = HttpServices::new(None).map_err(|err| Error::Http(err.to_string()))?;
    let engine = Arc::new(Engine::new(
        flows,
        Arc::new(services),
        EngineConfig::default(),
    ));
    let runtime = Arc::new(Runtime::new(
        store.clone(),
        engine,
        Arc::new(SystemClock),
        Arc::new(LogChannel),
        RuntimeConfig::default(),
    ));
    let (stop, stopped) = watch::channel(false);
    let workers = runtime.spawn(stopped);

    let state = web::Data::new(AppState { store, store_kind });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(crate::routes::configure)
    })
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
        server,
        workers,
        stop,
    })
}
