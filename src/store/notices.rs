//! The notification outbox and the cursor of the component that turns events into messages.
//!
//! Messages are rendered when they are queued and stored with their text, so what the family
//! received is on record. A dedupe key per message makes queueing idempotent: an event read
//! twice (a crash between queueing and moving the cursor) never sends twice.

use sqlx::Row;

use super::cases::{event_view, EventView};
use super::{Store, StoreError};

/// A message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotice {
    pub case_id: Option<String>,
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
    pub case_id: Option<String>,
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

fn notice(r: &sqlx::sqlite::SqliteRow) -> Notice {
    Notice {
        id: r.get("id"),
        case_id: r.get("case_id"),
        kind: r.get("kind"),
        channel: r.get("channel"),
        recipient: r.get("recipient"),
        subject: r.get("subject"),
        body: r.get("body"),
        status: r.get("status"),
        attempts: r.get("attempts"),
        last_error: r.get("last_error"),
        created_at_ms: r.get("created_at"),
        sent_at_ms: r.get("sent_at"),
    }
}

impl Store {
    /// Events after the named cursor, oldest first, and the cursor's position.
    pub async fn events_after(&self, cursor: &str, limit: i64) -> Result<(i64, Vec<EventView>), StoreError> {
        let position: i64 = sqlx::query_scalar("SELECT position FROM cursors WHERE name = ?")
            .bind(cursor)
            .fetch_optional(&self.read)
            .await?
            .unwrap_or(0);
        let rows = sqlx::query("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?")
            .bind(position)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        Ok((position, rows.iter().map(event_view).collect()))
    }

    /// Queues messages and moves the cursor past the events they came from, in one transaction.
    pub async fn queue_notices(&self, cursor: &str, to: i64, notices: &[NewNotice]) -> Result<(), StoreError> {
        let now = self.now_ms();
        let mut tx = self.write.begin().await?;
        for n in notices {
            sqlx::query(
                "INSERT INTO notifications (case_id, kind, channel, recipient, subject, body, dedupe_key, status, due_at, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
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
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO cursors (name, position) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)",
        )
        .bind(cursor)
        .bind(to)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Leases due messages (or ones whose lease expired).
    pub async fn claim_notices(&self, limit: i64, lease_ms: i64) -> Result<Vec<Notice>, StoreError> {
        let now = self.now_ms();
        let rows = sqlx::query(
            "UPDATE notifications SET status = 'leased', lease_until = ?1, attempts = attempts + 1
             WHERE id IN (
               SELECT id FROM notifications
               WHERE (status = 'pending' AND due_at <= ?2) OR (status = 'leased' AND lease_until < ?2)
               ORDER BY due_at LIMIT ?3)
             RETURNING *",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        Ok(rows.iter().map(notice).collect())
    }

    /// Records a sent message.
    pub async fn notice_sent(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = 'sent', sent_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?",
        )
        .bind(self.now_ms())
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Records a failed send: retried at `retry_at`, or given up when `None`.
    pub async fn notice_failed(&self, id: i64, error: &str, retry_at: Option<i64>) -> Result<(), StoreError> {
        let status = if retry_at.is_some() { "pending" } else { "failed" };
        sqlx::query(
            "UPDATE notifications SET status = ?, due_at = COALESCE(?, due_at), lease_until = NULL, last_error = ? WHERE id = ?",
        )
        .bind(status)
        .bind(retry_at)
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The messages of a case, oldest first.
    pub async fn notices(&self, case_id: &str) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query("SELECT * FROM notifications WHERE case_id = ? ORDER BY id")
            .bind(case_id)
            .fetch_all(&self.read)
            .await?;
        Ok(rows.iter().map(notice).collect())
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
