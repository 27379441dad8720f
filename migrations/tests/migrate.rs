//! The migrations apply, roll back and apply again, on SQLite and on the PostgreSQL at
//! `SPOOL_TEST_POSTGRES_URL` (the runtime's contract tests run them there too).

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use spool_migrations::Migrator;

const TABLES: [&str; 47] = [
    "ai_models",
    "api_keys",
    "audit_log",
    "campaign_recipients",
    "campaigns",
    "chatwoot_conversations",
    "chatwoot_links",
    "chatwoot_outbox",
    "consent_events",
    "contact_directory",
    "contact_imports",
    "contact_properties",
    "contact_reached",
    "contact_tags",
    "conversation_messages",
    "event_deliveries",
    "event_subscriptions",
    "flow_versions",
    "flows",
    "handoff_tickets",
    "memberships",
    "publication_changes",
    "publication_counter",
    "run_positions",
    "runtime_calls",
    "runtime_contact_aliases",
    "runtime_contacts",
    "runtime_counters",
    "runtime_events",
    "runtime_outbox",
    "runtime_partitions",
    "runtime_seen",
    "runtime_timers",
    "secrets",
    "segments",
    "sessions",
    "suppression_keys",
    "suppressions",
    "users",
    "webhook_poison",
    "whatsapp_channels",
    "whatsapp_reach",
    "whatsapp_send_queue",
    "whatsapp_template_syncs",
    "whatsapp_templates",
    "workspace_settings",
    "workspaces",
];

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name <> 'seaql_migrations' ORDER BY name",
        ))
        .await
        .expect("tables listed");
    rows.iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a name"))
        .collect()
}

#[tokio::test]
async fn migrations_apply_roll_back_and_apply_again() {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options
        .sqlx_logging(false)
        .min_connections(1)
        .max_connections(1);
    let db = Database::connect(options).await.expect("memory database");

    spool_migrations::migrate(&db).await.expect("up");
    assert_eq!(tables(&db).await, TABLES);
    spool_migrations::migrate(&db)
        .await
        .expect("up again changes nothing");
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .expect("status")
            .is_empty()
    );

    Migrator::down(&db, None).await.expect("down");
    assert!(tables(&db).await.is_empty());
    Migrator::up(&db, None).await.expect("up after down");
    assert_eq!(tables(&db).await, TABLES);
}

async fn rows(db: &DatabaseConnection, sql: &str) -> Vec<(String, i64)> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index::<String>(0).expect("a name"),
                row.try_get_by_index::<i64>(1).expect("a number"),
            )
        })
        .collect()
}

#[tokio::test]
async fn funnel_totals_kept_before_hourly_counts_are_kept_and_come_back_on_rollback() {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options
        .sqlx_logging(false)
        .min_connections(1)
        .max_connections(1);
    let db = Database::connect(options).await.expect("memory database");
    Migrator::up(&db, Some(2)).await.expect("the first two");
    db.execute_unprepared(
        "INSERT INTO runtime_stats (version, name, partition_id, count) VALUES \
         ('v1', 'ask|entered', 0, 5), ('v1', 'ask|entered', 1, 2), ('v1', 'ask|port:yes', 0, 3)",
    )
    .await
    .expect("old totals");

    Migrator::up(&db, Some(1)).await.expect("hourly counters");
    let moved = rows(
        &db,
        "SELECT name, SUM(count) FROM runtime_counters GROUP BY name ORDER BY name",
    )
    .await;
    assert_eq!(
        moved,
        [
            ("ask|entered".to_owned(), 7),
            ("ask|port:yes".to_owned(), 3)
        ]
    );
    let hours = rows(
        &db,
        "SELECT version, COUNT(DISTINCT hour) FROM runtime_counters GROUP BY version",
    )
    .await;
    assert_eq!(
        hours,
        [("v1".to_owned(), 1)],
        "one hour: when they were moved"
    );

    db.execute_unprepared(
        "INSERT INTO runtime_counters (version, hour, name, partition_id, count) VALUES \
         ('v1', 0, 'ask|entered', 0, 10)",
    )
    .await
    .expect("another hour");
    // Only the hourly counters were applied after the first two: roll them back.
    Migrator::down(&db, Some(1)).await.expect("back");
    let summed = rows(
        &db,
        "SELECT name, SUM(count) FROM runtime_stats GROUP BY name ORDER BY name",
    )
    .await;
    assert_eq!(
        summed,
        [
            ("ask|entered".to_owned(), 17),
            ("ask|port:yes".to_owned(), 3)
        ]
    );
}

/// How many migrations to roll back to undo `name` and everything after it.
fn from(name: &str) -> u32 {
    let all = Migrator::migrations();
    let at = all
        .iter()
        .position(|migration| migration.name() == name)
        .expect("the migration exists");
    u32::try_from(all.len() - at).expect("a few")
}

async fn counter(db: &DatabaseConnection) -> Vec<(String, i64)> {
    rows(
        db,
        "SELECT CAST(id AS TEXT), seq FROM publication_counter ORDER BY id",
    )
    .await
}

#[tokio::test]
async fn publication_changes_start_counted_from_zero_on_postgres_and_roll_back() {
    let admin_url = std::env::var("SPOOL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = Database::connect(&admin_url).await.expect("PostgreSQL");
    let name = format!("spool_migrate_{}", std::process::id());
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create");
    let (server, _) = admin_url.rsplit_once('/').expect("a database in the URL");
    let db = Database::connect(format!("{server}/{name}"))
        .await
        .expect("the fresh database");

    spool_migrations::migrate(&db).await.expect("up");
    assert_eq!(counter(&db).await, [("1".to_owned(), 0)]);
    db.execute_unprepared(
        "UPDATE publication_counter SET seq = seq + 1; \
         INSERT INTO publication_changes (seq, workspace_id, flow_id, version, changed_at) \
         VALUES (1, 'default', 'welcome', 1, 0)",
    )
    .await
    .expect("a change recorded");

    Migrator::down(&db, Some(from("m20261201_000001_publication_changes")))
        .await
        .expect("down to before it");
    let left = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'publication%'",
        ))
        .await
        .expect("tables listed");
    assert!(left.is_empty(), "both tables dropped");
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(counter(&db).await, [("1".to_owned(), 0)]);

    let _ = db.close().await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop at the end");
}

#[tokio::test]
async fn the_contact_alias_index_comes_and_goes_on_its_own() {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options
        .sqlx_logging(false)
        .min_connections(1)
        .max_connections(1);
    let db = Database::connect(options).await.expect("memory database");
    spool_migrations::migrate(&db).await.expect("up");
    db.execute_unprepared(
        "INSERT INTO runtime_contact_aliases (alias, contact_id) VALUES \
         ('acme/wa:US.1', 'acme/wa:4915112345678')",
    )
    .await
    .expect("a link");
    let twice = db
        .execute_unprepared(
            "INSERT INTO runtime_contact_aliases (alias, contact_id) VALUES ('acme/wa:US.1', 'x')",
        )
        .await;
    assert!(twice.is_err(), "an identifier is linked to one contact");

    Migrator::down(&db, Some(from("m20261201_000001_contact_aliases")))
        .await
        .expect("down to before it");
    let left = tables(&db).await;
    assert!(!left.iter().any(|table| table == "runtime_contact_aliases"));
    assert!(
        left.iter().any(|table| table == "runtime_contacts"),
        "the tables before it stay: {left:?}"
    );
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(tables(&db).await, TABLES);
}
