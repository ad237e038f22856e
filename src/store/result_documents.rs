//! Documents agencies issued with their decisions (docs/result-documents.md), written in the
//! decision's transaction so a recorded decision always has its documents, and a refused one
//! leaves none.

use lienthong_contract::{AttachmentMeta, LegKind};
use sqlx::{Any, Transaction};

use super::columns::{attachment_meta, col, leg_kind};
use super::trail::fact;
use super::{Store, StoreError};

/// A result document as the case page and the return leg read it.
#[derive(Debug, Clone)]
pub struct ResultDocument {
    pub leg: LegKind,
    pub received_at_ms: i64,
    pub meta: AttachmentMeta,
}

/// Stores a leg's documents; one already held with the same hash is left as it is, one of the
/// same kind with other bytes is refused (a document, once issued, is not silently replaced).
/// Returns how many were new.
pub(super) async fn attach(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    leg_id: &str,
    at: i64,
    actor: &str,
    documents: &[AttachmentMeta],
) -> Result<usize, StoreError> {
    let mut new = 0;
    for d in documents {
        let held: Option<String> =
            sqlx::query_scalar("SELECT sha256 FROM result_documents WHERE leg_id = $1 AND kind = $2")
                .bind(leg_id)
                .bind(&d.kind)
                .fetch_optional(&mut **tx)
                .await?;
        match held {
            Some(sha) if d.sha256.eq_ignore_ascii_case(&sha) => continue,
            Some(_) => {
                return Err(StoreError::Conflict(
                    "another document of this kind was already recorded",
                ))
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO result_documents (leg_id, kind, case_id, file_name, media_type, size, sha256, received_at, actor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(leg_id)
        .bind(&d.kind)
        .bind(case_id)
        .bind(&d.file_name)
        .bind(&d.media_type)
        .bind(d.size as i64)
        .bind(d.sha256.as_str())
        .bind(at)
        .bind(actor)
        .execute(&mut **tx)
        .await?;
        let what = format!("{} sha256:{}", d.kind, d.sha256);
        fact(
            tx,
            case_id,
            Some(leg_id),
            at,
            actor,
            "document",
            "received",
            Some(&what),
        )
        .await?;
        new += 1;
    }
    Ok(new)
}

impl Store {
    /// The documents of a case, by kind.
    pub async fn result_documents(&self, case_id: &str) -> Result<Vec<ResultDocument>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.name, d.received_at, d.kind, d.file_name, d.media_type, d.size, d.sha256
             FROM result_documents d JOIN legs l ON l.id = d.leg_id
             WHERE d.case_id = $1 ORDER BY d.kind",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ResultDocument {
                    leg: leg_kind(r, "name")?,
                    received_at_ms: col(r, "received_at")?,
                    meta: attachment_meta(r)?,
                })
            })
            .collect()
    }
}
