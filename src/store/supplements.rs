//! What families brought when an agency asked for more: one supplement per leg and time, with
//! the files uploaded against the kinds the agency asked for (docs/supplements.md). A supplement
//! is written in the transaction that sends its leg back to the agency, so a stored supplement
//! always has its delivery queued, and a refused one leaves nothing.

use lienthong_contract::{AttachmentMeta, LegKind, Supplement};
use sqlx::{Any, Transaction};

use super::columns::{attachment_meta, col, leg_kind};
use super::{Store, StoreError};

/// A supplement file as the case page lists it: which leg and supplement it belongs to.
#[derive(Debug, Clone)]
pub struct SuppliedFile {
    pub leg: LegKind,
    pub number: u32,
    pub received_at_ms: i64,
    pub meta: AttachmentMeta,
}

/// Appends the leg's next supplement with its files; returns its number.
pub(super) async fn append(
    tx: &mut Transaction<'_, Any>,
    case_id: &str,
    leg_id: &str,
    at: i64,
    actor: &str,
    note: &str,
    files: &[AttachmentMeta],
) -> Result<u32, StoreError> {
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(number) FROM supplements WHERE leg_id = $1")
        .bind(leg_id)
        .fetch_one(&mut **tx)
        .await?;
    let number = last.unwrap_or(0) + 1;
    sqlx::query(
        "INSERT INTO supplements (leg_id, number, case_id, note, actor, received_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(leg_id)
    .bind(number)
    .bind(case_id)
    .bind(note)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    for f in files {
        // The trail names each file by its hash, so a printout can be checked against it.
        let what = format!("{} sha256:{}", f.kind, f.sha256);
        super::trail::fact(tx, case_id, Some(leg_id), at, actor, "supplement", "file", Some(&what)).await?;
        sqlx::query(
            "INSERT INTO supplement_files (leg_id, number, kind, case_id, file_name, media_type, size, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(leg_id)
        .bind(number)
        .bind(&f.kind)
        .bind(case_id)
        .bind(&f.file_name)
        .bind(&f.media_type)
        .bind(f.size as i64)
        .bind(f.sha256.as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(number as u32)
}

impl Store {
    /// A leg's supplements with their files, oldest first: what its envelope carries.
    pub async fn supplements(&self, leg_id: &str) -> Result<Vec<Supplement>, StoreError> {
        let rows = sqlx::query("SELECT number, note, received_at FROM supplements WHERE leg_id = $1 ORDER BY number")
            .bind(leg_id)
            .fetch_all(&self.read)
            .await?;
        let files = sqlx::query(
            "SELECT number, kind, file_name, media_type, size, sha256 FROM supplement_files
             WHERE leg_id = $1 ORDER BY number, kind",
        )
        .bind(leg_id)
        .fetch_all(&self.read)
        .await?;
        let files = files
            .iter()
            .map(|f| Ok((col::<i64>(f, "number")?, attachment_meta(f)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let number: i64 = col(r, "number")?;
            out.push(Supplement {
                number: number as u32,
                note: col(r, "note")?,
                received_at: super::columns::instant(r, "received_at")?,
                files: files
                    .iter()
                    .filter(|(n, _)| *n == number)
                    .map(|(_, m)| m.clone())
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Every supplement file of a case, by leg and supplement.
    pub async fn supplied_files(&self, case_id: &str) -> Result<Vec<SuppliedFile>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.name, f.number, s.received_at, f.kind, f.file_name, f.media_type, f.size, f.sha256
             FROM supplement_files f
             JOIN supplements s ON s.leg_id = f.leg_id AND s.number = f.number
             JOIN legs l ON l.id = f.leg_id
             WHERE f.case_id = $1 ORDER BY s.received_at, l.name, f.kind",
        )
        .bind(case_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SuppliedFile {
                    leg: leg_kind(r, "name")?,
                    number: col::<i64>(r, "number")? as u32,
                    received_at_ms: col(r, "received_at")?,
                    meta: attachment_meta(r)?,
                })
            })
            .collect()
    }
}
