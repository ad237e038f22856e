//! The notification outbox and the cursor of the component that turns events into messages.
//!
//! Messages are rendered when they are queued and stored with their text, so what the family
//! received is on record. A dedupe key per message makes queueing idempotent: an event read
//! twice (a crash between queueing and moving the cursor) never sends twice.

use super::cases::{event_view, EventView};
use super::columns::col;
use super::dialect::Dialect;
use super::{Store, StoreError};
use crate::domain::CaseId;

/// Events read behind a cursor.
#[derive(Debug, Clone)]
pub struct EventBatch {
    /// Where the cursor was.
    pub position: i64,
    pub events: Vec<EventView>,
    /// Where the cursor goes once these events are handled.
    pub next: i64,
}

/// A message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotice {
    pub case_id: Option<CaseId>,
    pub kind: String,
    pub channel: String,
    /// A phone number, or email addresses separated by commas.
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub dedupe_key: String,
}

/// A queued or sent message.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub case_id: Option<CaseId>,
    pub kind: String,
    pub channel: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    #[serde(skip)]
    #[schema(ignore)]
    pub created_at_ms: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub sent_at_ms: Option<i64>,
}

fn notice(r: &sqlx::any::AnyRow) -> Result<Notice, StoreError> {
    Ok(Notice {
        id: col(r, "id")?,
        case_id: col(r, "case_id")?,
        kind: col(r, "kind")?,
        channel: col(r, "channel")?,
        recipient: col(r, "recipient")?,
        subject: col(r, "subject")?,
        body: col(r, "body")?,
        status: col(r, "status")?,
        attempts: col(r, "attempts")?,
        last_error: col(r, "last_error")?,
        created_at_ms: col(r, "created_at")?,
        sent_at_ms: col(r, "sent_at")?,
    })
}

impl Store {
    /// Events after the named cursor, in commit-safe order, and where the cursor goes next.
    ///
    /// On SQLite (one writer) event ids are committed in order and the cursor is an event id. On
    /// PostgreSQL a transaction that took a lower id can commit after a higher one, so a cursor
    /// over ids would skip it for good; there the cursor is a transaction id instead: only events
    /// of transactions older than every transaction still running are read (they can no longer
    /// change), in transaction order.
    pub async fn events_after(&self, cursor: &str, limit: i64) -> Result<EventBatch, StoreError> {
        let position: i64 = sqlx::query_scalar("SELECT position FROM cursors WHERE name = $1")
            .bind(cursor)
            .fetch_optional(&self.read)
            .await?
            .unwrap_or(0);
        if self.dialect == Dialect::Sqlite {
            let rows = sqlx::query("SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(position)
                .bind(limit)
                .fetch_all(&self.read)
                .await?;
            let events: Vec<EventView> = rows.iter().map(event_view).collect::<Result<_, _>>()?;
            let next = events.last().map_or(position, |e| e.id);
            return Ok(EventBatch { position, events, next });
        }
        let horizon: i64 =
            sqlx::query_scalar("SELECT CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS TEXT) AS BIGINT)")
                .fetch_one(&self.read)
                .await?;
        let rows = sqlx::query("SELECT * FROM events WHERE tx >= $1 AND tx < $2 ORDER BY tx, id LIMIT $3")
            .bind(position)
            .bind(horizon)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        let txs: Vec<i64> = rows.iter().map(|r| col(r, "tx")).collect::<Result<_, _>>()?;
        let mut events: Vec<EventView> = rows.iter().map(event_view).collect::<Result<_, _>>()?;
        let next = match txs.last() {
            // A full batch may have cut the last transaction's events: leave them for next time,
            // unless that one transaction fills the whole batch.
            Some(&last) if events.len() as i64 == limit && txs[0] != last => {
                let keep = txs.iter().take_while(|&&t| t != last).count();
                events.truncate(keep);
                last
            }
            Some(&last) if events.len() as i64 == limit => last + 1,
            _ => horizon.max(position),
        };
        Ok(EventBatch { position, events, next })
    }

    /// Queues messages and moves the cursor past the events they came from, in one transaction.
    pub async fn queue_notices(&self, cursor: &str, to: i64, notices: &[NewNotice]) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        for n in notices {
            insert_notice(&mut tx, n, now).await?;
        }
        sqlx::query(&format!(
            "INSERT INTO cursors (name, position) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET position = {}(cursors.position, excluded.position)",
            self.dialect.greatest()
        ))
        .bind(cursor)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues one message that no event calls for (a reply to an inbound SMS); false when its
    /// dedupe key was queued before.
    pub async fn queue_notice(&self, n: &NewNotice) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let queued = insert_notice(&mut tx, n, self.now_ms()).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Leases due messages (or ones whose lease expired).
    pub async fn claim_notices(&self, limit: i64, lease_ms: i64) -> Result<Vec<Notice>, StoreError> {
        let now = self.now_ms();
        let rows = sqlx::query(&format!(
            "UPDATE notifications SET status = 'leased', lease_until = $1, attempts = attempts + 1
             WHERE id IN (
               SELECT id FROM notifications
               WHERE (status = 'pending' AND due_at <= $2) OR (status = 'leased' AND lease_until < $2)
               ORDER BY due_at LIMIT $3{})
             RETURNING *",
            self.dialect.skip_locked()
        ))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        rows.iter().map(notice).collect()
    }

    /// Records a sent message.
    pub async fn notice_sent(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
        )
        .bind(self.now_ms())
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failed send: retried at `retry_at`, or given up when `None`.
    pub async fn notice_failed(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = CASE WHEN $1 IS NULL THEN 'failed' ELSE 'pending' END,
                    due_at = COALESCE($1, due_at), lease_until = NULL, last_error = $2 WHERE id = $3",
        )
        .bind(retry_at)
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The messages of a case, oldest first.
    pub async fn notices(&self, case_id: &str) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query("SELECT * FROM notifications WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(notice).collect()
    }

    /// When the next pending message is due.
    pub async fn next_notice_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(due_at) FROM notifications WHERE status = 'pending'")
                .fetch_one(&self.read)
                .await?,
        )
    }
}

/// Inserts a pending message unless its dedupe key exists; true when it was inserted.
pub(super) async fn insert_notice(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    n: &NewNotice,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO notifications (case_id, kind, channel, recipient, subject, body, dedupe_key, status, due_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&n.case_id)
    .bind(&n.kind)
    .bind(&n.channel)
    .bind(&n.recipient)
    .bind(&n.subject)
    .bind(&n.body)
    .bind(&n.dedupe_key)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
