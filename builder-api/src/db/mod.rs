//! The builder's tables as sea-orm entities (created by `spool-migrations`), and opening the
//! database they live in.

use std::time::Duration;

use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

pub mod ai_model;
pub mod api_key;
pub mod audit;
pub mod campaign;
pub mod campaign_recipient;
pub mod channel;
pub mod chatwoot;
pub mod consent_event;
pub mod contact_directory;
pub mod contact_import;
pub mod contact_property;
pub mod contact_reached;
pub mod contact_tag;
pub mod conversation_message;
pub mod event_delivery;
pub mod event_subscription;
pub mod flow;
pub mod flow_version;
pub mod handoff_ticket;
pub mod membership;
pub mod publication_change;
pub mod publication_counter;
pub mod run_position;
pub mod secret;
pub mod segment;
pub mod session;
pub mod suppression;
pub mod suppression_key;
pub mod template;
pub mod template_sync;
pub mod user;
pub mod webhook_poison;
pub mod whatsapp_reach;
pub mod whatsapp_send_queue;
pub mod workspace;
pub mod workspace_setting;

/// Opens the database at `url` and applies pending migrations.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let sqlite = url.starts_with("sqlite:");
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .max_connections(if sqlite { 1 } else { 8 })
        .acquire_timeout(Duration::from_secs(10));
    let db = Database::connect(options).await?;
    spool_migrations::migrate(&db).await?;
    Ok(db)
}
