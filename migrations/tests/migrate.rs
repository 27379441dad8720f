//! The migrations apply, roll back and apply again (SQLite; the runtime's contract tests
//! run them on PostgreSQL too).

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use spool_migrations::Migrator;

const TABLES: [&str; 16] = [
    "api_keys",
    "audit_log",
    "flow_versions",
    "flows",
    "memberships",
    "runtime_contacts",
    "runtime_events",
    "runtime_outbox",
    "runtime_partitions",
    "runtime_seen",
    "runtime_stats",
    "runtime_timers",
    "secrets",
    "sessions",
    "users",
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
