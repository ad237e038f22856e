//! The store: cases, legs, attachments, the delivery outbox and the append-only event trail.
//!
//! SQLite in WAL mode with `synchronous = FULL` (district offices lose power; a committed case
//! must survive that). All writes go through a pool of ONE connection, so writers queue in the
//! pool instead of failing with `SQLITE_BUSY`; reads use a separate pool and never block on
//! writers. A SQLite store belongs to one gateway process, so leases left by a crash are released
//! at start-up.

mod anchors;
pub mod cases;
pub mod clocks;
pub mod credentials;
mod delivery;
pub mod notices;
pub mod reports;
pub mod retention;
pub mod users;
pub mod views;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::clock::Clock;

pub use cases::{AttemptView, CaseRow, EventView, LegView, NewCase};
pub use delivery::{DecisionApplied, DeliveryJob, Finish};

/// Store failures, mapped to API errors by the web layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a case with this receipt code already exists")]
    Duplicate,
    #[error("not found")]
    NotFound,
    #[error("the leg is {0}, which does not allow this")]
    InvalidState(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The store's connection pools and the clock its timestamps come from.
#[derive(Clone)]
pub struct Store {
    write: SqlitePool,
    read: SqlitePool,
    clock: Clock,
}

impl Store {
    /// Opens the store for THE gateway process: creates the SQLite file if needed, runs pending
    /// migrations and releases leases a crash left behind.
    pub async fn open(url: &str, clock: Clock) -> Result<Store, StoreError> {
        let store = Store::manage(url, clock).await?;
        store.release_leases().await?;
        Ok(store)
    }

    /// Opens the store for a command run beside a live gateway (users, tokens, migrations):
    /// migrations run, leases stay as they are.
    pub async fn manage(url: &str, clock: Clock) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        if let Some(parent) = opts.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            }
        }
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Store { write, read, clock })
    }

    /// Opens an existing store to read only: no migrations, no lease release, so an inspector
    /// can run it beside a live gateway.
    pub async fn inspect(url: &str) -> Result<Store, StoreError> {
        let opts = SqliteConnectOptions::from_str(url)?.read_only(true);
        let read = SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?;
        Ok(Store {
            write: read.clone(),
            read,
            clock: Clock::system(),
        })
    }

    /// True when the store answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// Runs only the migrations (the `migrate` command).
    pub async fn migrate(url: &str) -> Result<(), StoreError> {
        Store::manage(url, Clock::system()).await.map(|_| ())
    }

    /// The clock every stored instant comes from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Now, in the store's unit (milliseconds since the epoch) and by the store's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Closes both pools, flushing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}
