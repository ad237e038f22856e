//! The store: cases, legs, attachments, the delivery outbox and the append-only event trail.
//!
//! Two databases behind one set of queries (sqlx's `Any` driver, `$n` placeholders), chosen by
//! the store URL:
//! - `sqlite://…`, the embedded default, in WAL mode with `synchronous = FULL` (district offices
//!   lose power; a committed case must survive that). All writes go through a pool of ONE
//!   connection, so writers queue in the pool instead of failing with `SQLITE_BUSY`; reads use a
//!   separate pool. A SQLite store belongs to one gateway process, so leases left by a crash are
//!   released at start-up.
//! - `postgres://…`, the production shape: several gateway processes share one database. Every
//!   transaction that changes a case first locks the case's row, which serializes a case's changes
//!   (and its audit chain) the way SQLite's single writer does; outbox rows are claimed with
//!   `FOR UPDATE SKIP LOCKED` and a lease, which another process takes over once it expires.

pub mod alerts;
mod anchors;
pub mod cases;
pub mod check_back;
pub mod clocks;
mod columns;
pub mod credentials;
mod decisions;
mod delivery;
pub mod dialect;
pub mod feedback;
pub mod journey;
pub mod notices;
pub mod pauses;
mod recoding;
pub mod reports;
pub mod result_documents;
pub mod retention;
mod scheduled_reports;
pub mod supplements;
mod trail;
pub mod users;
mod verification;
pub mod views;
pub mod withdrawals;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::clock::Clock;
use dialect::Dialect;

pub use cases::{AttemptView, CaseRow, EventView, LegView, NewCase};
pub use decisions::{DecisionApplied, NewDecision};
pub use delivery::{DeadFilter, DeliveryJob, Finish};

/// Connections one gateway process keeps to PostgreSQL: delivery workers, the notifier, the
/// sweeper and request handlers share them; several processes multiply it.
const POSTGRES_POOL: u32 = 16;

/// Store failures, mapped to API errors by the web layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("a case with this receipt code already exists")]
    Duplicate,
    #[error("not found")]
    NotFound,
    #[error("the leg is {0}, which does not allow this")]
    InvalidState(String),
    /// What is stored already says otherwise (another document of the same kind).
    #[error("{0}")]
    Conflict(&'static str),
    #[error("unsupported store URL: use sqlite://PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl,
    #[error("the stored {column} '{value}' is not one this gateway writes")]
    Corrupt { column: &'static str, value: String },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The id of a row just inserted with `ON CONFLICT DO NOTHING`, or [`StoreError::Duplicate`] when
/// the conflict kept it out.
fn inserted(done: sqlx::any::AnyQueryResult, id: String) -> Result<String, StoreError> {
    match done.rows_affected() {
        0 => Err(StoreError::Duplicate),
        _ => Ok(id),
    }
}

/// The store's connection pools, its dialect and the clock its timestamps come from.
#[derive(Clone)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    dialect: Dialect,
    clock: Clock,
}

/// How a store is opened: by the gateway, by an admin command beside it, or to read only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Manage,
    Inspect,
}

impl Store {
    /// Opens the store for a gateway process: creates the SQLite file if needed, runs pending
    /// migrations and, on SQLite only, releases leases a crash left behind (on PostgreSQL other
    /// processes may hold live leases; expired ones are taken over by the claim itself).
    pub async fn open(url: &str, clock: Clock) -> Result<Store, StoreError> {
        let store = Store::manage(url, clock).await?;
        if store.dialect == Dialect::Sqlite {
            store.release_leases().await?;
        }
        Ok(store)
    }

    /// Opens the store for a command run beside a live gateway (users, tokens, migrations):
    /// migrations run, leases stay as they are.
    pub async fn manage(url: &str, clock: Clock) -> Result<Store, StoreError> {
        Store::connect(url, clock, Mode::Manage).await
    }

    /// Opens an existing store to read only: no migrations, no lease release, so an inspector
    /// can run it beside a live gateway.
    pub async fn inspect(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, Clock::system(), Mode::Inspect).await
    }

    async fn connect(url: &str, clock: Clock, mode: Mode) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        match Dialect::of_url(url).ok_or(StoreError::UnsupportedUrl)? {
            Dialect::Sqlite => Store::connect_sqlite(url, clock, mode).await,
            Dialect::Postgres => Store::connect_postgres(url, clock, mode).await,
        }
    }

    async fn connect_sqlite(url: &str, clock: Clock, mode: Mode) -> Result<Store, StoreError> {
        let path = SqliteConnectOptions::from_str(url)?.get_filename().to_path_buf();
        let file = path.to_str().ok_or(StoreError::UnsupportedUrl)?.to_string();
        let read = AnyPoolOptions::new()
            .max_connections(if mode == Mode::Inspect { 1 } else { 4 })
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 30000").await?;
                    Ok(())
                })
            });
        if mode == Mode::Inspect {
            let read = read.connect(&format!("sqlite://{file}?mode=ro")).await?;
            return Ok(Store {
                write: read.clone(),
                read,
                dialect: Dialect::Sqlite,
                clock,
            });
        }
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            }
        }
        let write = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
                         PRAGMA busy_timeout = 30000;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&format!("sqlite://{file}?mode=rwc"))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&write).await?;
        let read = read.connect(&format!("sqlite://{file}?mode=ro")).await?;
        Ok(Store {
            write,
            read,
            dialect: Dialect::Sqlite,
            clock,
        })
    }

    async fn connect_postgres(url: &str, clock: Clock, mode: Mode) -> Result<Store, StoreError> {
        let mut options = AnyPoolOptions::new()
            .max_connections(POSTGRES_POOL)
            .acquire_timeout(Duration::from_secs(10));
        if mode == Mode::Inspect {
            options = options.max_connections(2).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET default_transaction_read_only = on").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await?;
        if mode == Mode::Manage {
            // sqlx holds an advisory lock while migrating: instances starting together queue.
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
        }
        Ok(Store {
            write: pool.clone(),
            read: pool,
            dialect: Dialect::Postgres,
            clock,
        })
    }

    /// The pool reads go to (for whole-store tools such as the transfer).
    pub(crate) fn read_pool(&self) -> &AnyPool {
        &self.read
    }

    /// The pool writes go to.
    pub(crate) fn write_pool(&self) -> &AnyPool {
        &self.write
    }

    /// Which database this store is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// True when the store answers within two seconds (a readiness probe must not hang on a
    /// database that is restarting).
    pub async fn ping(&self) -> bool {
        let probe = sqlx::query("SELECT 1").execute(&self.read);
        matches!(tokio::time::timeout(Duration::from_secs(2), probe).await, Ok(Ok(_)))
    }

    /// Runs only the migrations (the `migrate` command).
    pub async fn migrate(url: &str) -> Result<(), StoreError> {
        Store::manage(url, Clock::system()).await.map(|_| ())
    }

    /// Begins a transaction that changes one case; on PostgreSQL the case's row is locked first,
    /// so the case's changes and its audit chain are serialized across processes.
    pub(crate) async fn begin_case(&self, case_id: &str) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.write.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
                .bind(case_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// [`Store::begin_case`] for the case a leg belongs to.
    pub(crate) async fn begin_leg(&self, leg_id: &str) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.write.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT c.id FROM cases c JOIN legs l ON l.case_id = c.id WHERE l.id = $1 FOR UPDATE OF c")
                .bind(leg_id)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
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
