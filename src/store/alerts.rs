//! What the delivery-health alerts observe, and their rows (docs/alerts.md). A row moves only
//! from the version its mover read, and the messages of a move are queued in the same
//! transaction, so with several gateway processes each start, reminder and clear is sent once.

use super::columns::col;
use super::notices::{insert_notice, NewNotice};
use super::{Store, StoreError};
use crate::alerts::rules::{Phase, Tracked};

/// One receiving system's queue, as the alerts see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHealth {
    pub office: String,
    /// Deliveries waiting or being sent.
    pub queued: i64,
    /// Of those, deliveries already tried (waiting to be tried again, or being tried again: a
    /// retry in flight must not look like a recovery).
    pub failing: i64,
    /// When the oldest of them was first tried.
    pub failing_since: Option<i64>,
    /// The last successful delivery to the system (asked only while something fails).
    pub last_delivered: Option<i64>,
}

/// Everything one evaluation observes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    pub offices: Vec<OfficeHealth>,
    pub dead_legs: i64,
    /// Messages queued and not yet sent.
    pub notify_backlog: i64,
}

/// One condition's stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    pub key: String,
    pub tracked: Tracked,
    pub detail: Option<String>,
    pub version: i64,
}

impl Store {
    /// The queues of every receiving system with work, the dead legs and the message backlog.
    pub async fn delivery_health(&self) -> Result<Health, StoreError> {
        let rows = sqlx::query(
            "SELECT l.office_code AS office, COUNT(*) AS queued,
               SUM(CASE WHEN d.policy_attempts > 0 THEN 1 ELSE 0 END) AS failing,
               MIN(CASE WHEN d.policy_attempts > 0 THEN d.policy_started_at END) AS failing_since
             FROM deliveries d JOIN legs l ON l.id = d.leg_id
             WHERE d.status IN ('pending', 'leased') GROUP BY l.office_code",
        )
        .fetch_all(&self.read)
        .await?;
        let mut offices = Vec::with_capacity(rows.len());
        for r in &rows {
            let office: String = col(r, "office")?;
            let failing: i64 = col::<Option<i64>>(r, "failing")?.unwrap_or(0);
            let last_delivered = if failing > 0 {
                sqlx::query_scalar("SELECT MAX(delivered_at) FROM legs WHERE office_code = $1")
                    .bind(&office)
                    .fetch_one(&self.read)
                    .await?
            } else {
                None
            };
            offices.push(OfficeHealth {
                queued: col(r, "queued")?,
                failing,
                failing_since: col(r, "failing_since")?,
                last_delivered,
                office,
            });
        }
        let dead_legs = sqlx::query_scalar("SELECT COUNT(*) FROM legs WHERE state = 'dead'")
            .fetch_one(&self.read)
            .await?;
        let notify_backlog =
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status IN ('pending', 'leased')")
                .fetch_one(&self.read)
                .await?;
        Ok(Health {
            offices,
            dead_legs,
            notify_backlog,
        })
    }

    /// Every condition ever tracked. Read from the readers: the dashboard must not queue behind
    /// the writer, and a mover that read an older version loses the race in `move_alert`.
    pub async fn alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT key, phase, since, notified_at, gone_since, episode, detail, version FROM alerts ORDER BY key",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let since: Option<i64> = col(r, "since")?;
                let phase_name: String = col(r, "phase")?;
                let gone_since: Option<i64> = col(r, "gone_since")?;
                let phase = match (phase_name.as_str(), since, col::<Option<i64>>(r, "notified_at")?) {
                    ("quiet", _, _) => Phase::Quiet,
                    ("pending", Some(since), _) => Phase::Pending { since },
                    ("active", Some(since), Some(notified_at)) => Phase::Active { since, notified_at },
                    ("clearing", Some(since), Some(notified_at)) if gone_since.is_some() => Phase::Clearing {
                        since,
                        notified_at,
                        gone_since: gone_since.unwrap_or(since),
                    },
                    _ => {
                        return Err(StoreError::Corrupt {
                            column: "phase",
                            value: phase_name,
                        })
                    }
                };
                Ok(AlertRow {
                    key: col(r, "key")?,
                    tracked: Tracked {
                        phase,
                        episode: col(r, "episode")?,
                    },
                    detail: col(r, "detail")?,
                    version: col(r, "version")?,
                })
            })
            .collect()
    }

    /// Moves the condition `key` from the row version its caller read (`None`: no row yet) to
    /// `to`, queuing `notices` with the move; false when another process moved it first.
    pub async fn move_alert(
        &self,
        key: &str,
        from_version: Option<i64>,
        to: Tracked,
        detail: Option<&str>,
        notices: &[NewNotice],
    ) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let (phase, since, notified_at, gone_since) = match to.phase {
            Phase::Quiet => ("quiet", None, None, None),
            Phase::Pending { since } => ("pending", Some(since), None, None),
            Phase::Active { since, notified_at } => ("active", Some(since), Some(notified_at), None),
            Phase::Clearing {
                since,
                notified_at,
                gone_since,
            } => ("clearing", Some(since), Some(notified_at), Some(gone_since)),
        };
        let mut tx = self.write.begin().await?;
        let moved = match from_version {
            None => sqlx::query(
                "INSERT INTO alerts (key, phase, since, notified_at, gone_since, episode, detail, version, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(phase)
            .bind(since)
            .bind(notified_at)
            .bind(gone_since)
            .bind(to.episode)
            .bind(detail)
            .bind(now)
            .execute(&mut *tx)
            .await?,
            Some(version) => {
                sqlx::query(
                    "UPDATE alerts SET phase = $1, since = $2, notified_at = $3, gone_since = $4, episode = $5,
                   detail = COALESCE($6, detail), version = version + 1, updated_at = $7
                 WHERE key = $8 AND version = $9",
                )
                .bind(phase)
                .bind(since)
                .bind(notified_at)
                .bind(gone_since)
                .bind(to.episode)
                .bind(detail)
                .bind(now)
                .bind(key)
                .bind(version)
                .execute(&mut *tx)
                .await?
            }
        };
        if moved.rows_affected() != 1 {
            return Ok(false);
        }
        for n in notices {
            insert_notice(&mut tx, n, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
