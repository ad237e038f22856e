//! Daily anchors of the audit trail: once a day is over, the hash of every case's chain head as
//! of that day's last event is stored. Idempotent (one row per day, insert-if-absent), so any
//! number of gateway instances may write them.

use super::columns::col;
use jiff::civil::Date;

use super::{Store, StoreError};
use crate::audit::{anchor_hash, Anchor};

/// The most days anchored in one pass (a store that was off for a long time catches up in steps).
const MAX_DAYS_PER_PASS: usize = 31;

/// How long after a day ends its anchor waits: a transaction that began before midnight may
/// still commit events of that day (on PostgreSQL, with ids below ones already committed).
const GRACE_MS: i64 = 10 * 60_000;

fn start_of(day: Date) -> Option<i64> {
    day.to_zoned(lienthong_contract::vn_tz())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

impl Store {
    /// Every anchor, oldest first.
    pub async fn anchors(&self) -> Result<Vec<Anchor>, StoreError> {
        let rows = sqlx::query("SELECT day, last_event_id, heads_sha256 FROM audit_anchors ORDER BY day")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Anchor {
                    day: col(r, "day")?,
                    last_event_id: col(r, "last_event_id")?,
                    heads_sha256: col(r, "heads_sha256")?,
                })
            })
            .collect()
    }

    /// Anchors every finished day (before `today`) not anchored yet; returns how many were written.
    pub async fn write_anchors(&self, today: Date) -> Result<usize, StoreError> {
        let last: Option<String> = sqlx::query_scalar("SELECT MAX(day) FROM audit_anchors")
            .fetch_one(&self.read)
            .await?;
        let mut day = match last.and_then(|d| d.parse::<Date>().ok()) {
            Some(d) => d.tomorrow().map_err(|e| StoreError::InvalidState(e.to_string()))?,
            None => {
                let first_at: Option<i64> = sqlx::query_scalar("SELECT MIN(at) FROM events WHERE hash IS NOT NULL")
                    .fetch_one(&self.read)
                    .await?;
                match first_at.and_then(|at| jiff::Timestamp::from_millisecond(at).ok()) {
                    Some(t) => crate::deadline::Calendar::local_day(t),
                    None => return Ok(0),
                }
            }
        };
        let mut written = 0;
        while day < today && written < MAX_DAYS_PER_PASS {
            let Some(end) = day.tomorrow().ok().and_then(start_of) else {
                break;
            };
            if end + GRACE_MS > self.now_ms() {
                break;
            }
            let last_id: Option<i64> =
                sqlx::query_scalar("SELECT MAX(id) FROM events WHERE at < $1 AND hash IS NOT NULL")
                    .bind(end)
                    .fetch_one(&self.read)
                    .await?;
            if let Some(last_id) = last_id {
                let heads: Vec<(String, String)> = sqlx::query_as(
                    "SELECT e.case_id, e.hash FROM events e
                     JOIN (SELECT case_id, MAX(id) AS id FROM events WHERE id <= $1 AND hash IS NOT NULL GROUP BY case_id) m
                       ON e.id = m.id
                     ORDER BY e.case_id",
                )
                .bind(last_id)
                .fetch_all(&self.read)
                .await?;
                sqlx::query(
                    "INSERT INTO audit_anchors (day, last_event_id, heads_sha256, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (day) DO NOTHING",
                )
                .bind(day.to_string())
                .bind(last_id)
                .bind(anchor_hash(&heads))
                .bind(self.now_ms())
                .execute(&self.write)
                .await?;
                written += 1;
            }
            day = match day.tomorrow() {
                Ok(d) => d,
                Err(_) => break,
            };
        }
        Ok(written)
    }
}
