//! The migrations apply, roll back and apply again (SQLite; the runtime's contract tests
//! run them on PostgreSQL too).

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use spool_migrations::Migrator;

const TABLES: [&str; 17] = [
    "api_keys",
    "audit_log",
    "flow_versions",
    "flows",
    "memberships",
    "runtime_calls",
    "runtime_contacts",
    "runtime_counters",
    "runtime_events",
    "runtime_outbox",
    "runtime_partitions",
    "runtime_seen",
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

    Migrator::up(&db, None).await.expect("hourly counters");
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
    // Back to before the hourly counters (the third migration), whatever came after them.
    let after_the_first_two = u32::try_from(Migrator::migrations().len() - 2).expect("a few");
    Migrator::down(&db, Some(after_the_first_two))
        .await
        .expect("back");
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
