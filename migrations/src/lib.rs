//! Database migrations (sea-orm-migration) for SQLite and PostgreSQL.
//!
//! [`Migrator`] creates and upgrades the tables of the runtime's embedded store (the event
//! log, partition leases and cursors, contact states, timers, the outbox, de-duplication
//! keys, funnel counts by the hour, the contact alias index and the calls runs wait for)
//! and of the builder (workspaces, users, sessions, API keys, flows and their published
//! versions, the ordered changes to what is published, secrets, each workspace's AI model,
//! each workspace's WhatsApp channels (tokens sealed), the audit log, event subscriptions
//! and their deliveries, workspace settings, WhatsApp webhook bodies that could not be
//! processed), each WhatsApp Business Account's message templates and when they were last
//! synced, and the notes versions are published with. Each migration's name comes from its file name, so files are never renamed
//! once released.
//! [`migrate`] applies whatever is pending.

use sea_orm_migration::prelude::*;

mod m20261123_000001_runtime_store;
mod m20261124_000001_builder;
mod m20261124_000002_hourly_counters;
mod m20261201_000001_contact_aliases;
mod m20261201_000001_publication_changes;
mod m20261201_000010_pending_calls;
mod m20261201_000020_ai_models;
mod m20261202_000010_channels;
mod m20261202_000020_event_subscriptions;
mod m20261202_000021_workspace_settings;
mod m20261202_000030_webhook_poison;
mod m20261203_000010_whatsapp_templates;
mod m20261203_000040_messaging_limits;
mod m20261203_000050_event_delivery_once;
mod m20261204_000010_version_notes;
mod m20261205_000010_handoff_tickets;
mod m20261205_000020_run_positions;
mod m20261206_000010_conversation_messages;
mod m20261206_000020_chatwoot;
mod m20261207_000010_contact_directory;
mod m20261207_000020_consent_ledger;
mod m20261207_000030_contact_imports;
mod m20261207_000040_segments;
mod m20261207_000050_campaigns;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_runtime_store::Migration),
            Box::new(m20261124_000001_builder::Migration),
            Box::new(m20261124_000002_hourly_counters::Migration),
            Box::new(m20261201_000001_publication_changes::Migration),
            Box::new(m20261201_000001_contact_aliases::Migration),
            Box::new(m20261201_000010_pending_calls::Migration),
            Box::new(m20261201_000020_ai_models::Migration),
            Box::new(m20261202_000010_channels::Migration),
            Box::new(m20261202_000020_event_subscriptions::Migration),
            Box::new(m20261202_000021_workspace_settings::Migration),
            Box::new(m20261202_000030_webhook_poison::Migration),
            Box::new(m20261203_000010_whatsapp_templates::Migration),
            Box::new(m20261203_000040_messaging_limits::Migration),
            Box::new(m20261203_000050_event_delivery_once::Migration),
            Box::new(m20261204_000010_version_notes::Migration),
            Box::new(m20261205_000010_handoff_tickets::Migration),
            Box::new(m20261205_000020_run_positions::Migration),
            Box::new(m20261206_000010_conversation_messages::Migration),
            Box::new(m20261206_000020_chatwoot::Migration),
            Box::new(m20261207_000010_contact_directory::Migration),
            Box::new(m20261207_000020_consent_ledger::Migration),
            Box::new(m20261207_000030_contact_imports::Migration),
            Box::new(m20261207_000040_segments::Migration),
            Box::new(m20261207_000050_campaigns::Migration),
        ]
    }
}

/// Applies every pending migration.
pub async fn migrate<'c, C>(db: C) -> Result<(), DbErr>
where
    C: IntoSchemaManagerConnection<'c>,
{
    Migrator::up(db, None).await
}
