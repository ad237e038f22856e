//! Retention of attachment bytes (a case's attachments, supplement files and result documents): which finished cases' files may go, and the record that they
//! went (in the case's audit chain, so an inspector sees when and why).

use super::columns::{col, parsed};
use super::trail::fact;
use super::{Store, StoreError};
use crate::domain::state::CaseStatus;
use crate::domain::CaseId;
use lienthong_contract::Sha256;

/// Attachments of one finished case whose bytes are due for purging.
#[derive(Debug, Clone)]
pub struct Expired {
    pub case_id: CaseId,
    pub sha256: Vec<Sha256>,
}

/// Every stored file whose bytes are kept: the attachments, supplement files and result documents.
const FILES: &str = "SELECT case_id, sha256 FROM attachments WHERE purged_at IS NULL
     UNION ALL SELECT case_id, sha256 FROM supplement_files WHERE purged_at IS NULL
     UNION ALL SELECT case_id, sha256 FROM result_documents WHERE purged_at IS NULL";

/// Finished (every status whose clock no longer runs: completed, rejected, cancelled, withdrawn)
/// and unchanged since the instant bound at placeholder `$n`.
fn finished(n: u8) -> String {
    let done: Vec<String> = CaseStatus::ALL
        .into_iter()
        .filter(|s| !s.clock_runs())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("c.status IN ({}) AND c.updated_at < ${n}", done.join(", "))
}

impl Store {
    /// Up to `limit` finished cases, unchanged since `before` (ms), that still hold attachment bytes.
    pub async fn expired_attachments(&self, before: i64, limit: i64) -> Result<Vec<Expired>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT a.case_id, {} AS hashes FROM ({FILES}) a JOIN cases c ON c.id = a.case_id
             WHERE {}
             GROUP BY a.case_id LIMIT $2",
            self.dialect.comma_list("a.sha256"),
            finished(1)
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let hashes: String = col(r, "hashes")?;
                let sha256 = hashes
                    .split(',')
                    .map(|h| {
                        Sha256::parse(h).map_err(|_| StoreError::Corrupt {
                            column: "attachments.sha256",
                            value: h.to_string(),
                        })
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Expired {
                    case_id: parsed(r, "case_id")?,
                    sha256,
                })
            })
            .collect()
    }

    /// Whether some case that is NOT expired as of `before` still needs these bytes (the same
    /// file pushed in another case shares its content address).
    pub async fn bytes_still_needed(&self, sha256: &str, before: i64) -> Result<bool, StoreError> {
        let needed: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM ({FILES}) a JOIN cases c ON c.id = a.case_id
             WHERE a.sha256 = $1 AND NOT ({})",
            finished(2)
        ))
        .bind(sha256)
        .bind(before)
        .fetch_one(&self.read)
        .await?;
        Ok(needed > 0)
    }

    /// Records that a case's attachment bytes were purged, once (false if another instance did).
    pub async fn mark_purged(&self, case_id: &str, days: u32) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let mut tx = self.begin_case(case_id).await?;
        let mut done = 0;
        for table in ["attachments", "supplement_files", "result_documents"] {
            done += sqlx::query(&format!(
                "UPDATE {table} SET purged_at = $1 WHERE case_id = $2 AND purged_at IS NULL"
            ))
            .bind(now)
            .bind(case_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if done == 0 {
            return Ok(false);
        }
        let reason = format!("retention: attachment bytes purged {days} days after the case ended; hashes kept");
        fact(
            &mut tx,
            case_id,
            None,
            now,
            "gateway",
            "retention",
            "purged",
            Some(&reason),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
