//! Database migrations (sea-orm-migration) for SQLite and PostgreSQL.
//!
//! This crate is empty until Spool stores flows in a database; today flows are files.
