//! Moving a district's embedded store (SQLite + attachment directory) to the production shape
//! (PostgreSQL + the configured attachment store): the `migrate --from … --to …` command.
//!
//! Every table is copied row by row with its values unchanged (both schemas use the same columns
//! and types), then verified: the same number of rows and the same SHA-256 over the sorted row
//! digests on both sides (order-independent, since the databases sort text differently). Every
//! attachment still held is streamed from the old directory into the new store — re-sealed with
//! the configured key if there is one — and read back from there to check its SHA-256. The
//! gateway must be stopped meanwhile: the copy is a cut-over, not a replication.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use sqlx::{AnyPool, Row};

use crate::blobs::Blobs;
use crate::store::dialect::{Dialect, Placeholders};
use crate::store::Store;

/// Tables in the order their foreign keys need, each with its key (for paging).
const TABLES: [(&str, &str); 27] = [
    ("cases", "id"),
    ("attachments", "case_id, kind"),
    ("legs", "id"),
    ("deliveries", "leg_id"),
    ("delivery_attempts", "id"),
    ("check_backs", "id"),
    ("events", "id"),
    ("apologies", "case_id"),
    ("tracking_numbers", "number"),
    ("ratings", "case_id"),
    ("complaints", "id"),
    ("withdrawals", "leg_id"),
    ("supplements", "leg_id, number"),
    ("supplement_files", "leg_id, number, kind"),
    ("result_documents", "leg_id, kind"),
    ("scheduled_reports", "period"),
    ("notifications", "id"),
    ("cursors", "name"),
    ("users", "id"),
    ("sessions", "token_sha256"),
    ("password_resets", "token_sha256"),
    ("user_changes", "id"),
    ("office_pauses", "id"),
    ("alerts", "key"),
    ("audit_anchors", "day"),
    ("api_tokens", "id"),
    ("seen_signatures", "signature"),
];

/// Tables whose ids come from an identity sequence, moved past the copied ids afterwards.
const IDENTITIES: [&str; 7] = [
    "user_changes",
    "office_pauses",
    "delivery_attempts",
    "check_backs",
    "events",
    "notifications",
    "complaints",
];

/// Rows read per page.
const PAGE: i64 = 2000;

/// The notifier's cursor (see `notify`): on PostgreSQL it counts transactions, not event ids.
const NOTIFIER: &str = "notifier";

/// One copied table, as verified.
#[derive(Debug, Clone)]
pub struct TableReport {
    pub table: &'static str,
    pub rows: u64,
    pub source_sha256: String,
    pub target_sha256: String,
    pub target_rows: u64,
}

/// What the transfer did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tables: Vec<TableReport>,
    pub files: u64,
    pub files_verified: u64,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl Value {
    fn digest_into(&self, h: &mut Sha256) {
        match self {
            Value::Int(Some(i)) => h.update(format!("i{i};")),
            Value::Text(Some(t)) => h.update(format!("t{}:{t};", t.len())),
            Value::Int(None) | Value::Text(None) => h.update("n;"),
        }
    }
}

/// A table's columns on the target and whether each is an integer.
async fn columns(target: &AnyPool, table: &str) -> anyhow::Result<Vec<(String, bool)>> {
    let rows = sqlx::query(
        "SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS ty FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(target)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<String, _>("name"), r.get::<String, _>("ty") == "bigint"))
        .filter(|(name, _)| !(table == "events" && name == "tx"))
        .collect())
}

fn read_row(row: &sqlx::any::AnyRow, cols: &[(String, bool)]) -> anyhow::Result<Vec<Value>> {
    cols.iter()
        .map(|(name, int)| {
            Ok(if *int {
                Value::Int(row.try_get(name.as_str())?)
            } else {
                Value::Text(row.try_get(name.as_str())?)
            })
        })
        .collect()
}

fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in values {
        v.digest_into(&mut h);
    }
    h.finalize().into()
}

fn table_digest(mut rows: Vec<[u8; 32]>) -> String {
    rows.sort_unstable();
    let mut h = Sha256::new();
    for r in &rows {
        h.update(r);
    }
    hex::encode(h.finalize())
}

/// Reads a whole table a page at a time, calling `each` with every row's values.
async fn scan(
    pool: &AnyPool,
    table: &str,
    key: &str,
    cols: &[(String, bool)],
    mut each: impl FnMut(Vec<Value>),
) -> anyhow::Result<()> {
    let list = cols.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ");
    let mut offset = 0;
    loop {
        let rows = sqlx::query(&format!("SELECT {list} FROM {table} ORDER BY {key} LIMIT $1 OFFSET $2"))
            .bind(PAGE)
            .bind(offset)
            .fetch_all(pool)
            .await?;
        for r in &rows {
            each(read_row(r, cols)?);
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
        offset += PAGE;
    }
}

/// Inserts rows in multi-row statements inside one transaction.
async fn insert(target: &AnyPool, table: &str, cols: &[String], rows: &[Vec<Value>]) -> anyhow::Result<()> {
    let per_statement = (30_000 / cols.len().max(1)).clamp(1, 500);
    let mut tx = target.begin().await?;
    for chunk in rows.chunks(per_statement) {
        let mut n = Placeholders::default();
        let tuples: Vec<String> = chunk.iter().map(|_| format!("({})", n.list(cols.len()))).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES {}", cols.join(", "), tuples.join(", "));
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Value::Int(i) => q.bind(*i),
                    Value::Text(t) => q.bind(t.clone()),
                };
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Copies `from` (SQLite) into `to` (PostgreSQL, empty) and the attachments from `from_files`
/// into `to_files`, verifying everything; problems are listed in the report.
pub async fn transfer(from: &str, to: &str, from_files: &Blobs, to_files: &Blobs) -> anyhow::Result<Report> {
    anyhow::ensure!(
        Dialect::of_url(from) == Some(Dialect::Sqlite),
        "--from must be a sqlite:// store"
    );
    anyhow::ensure!(
        Dialect::of_url(to) == Some(Dialect::Postgres),
        "--to must be a postgres:// store"
    );
    let source = Store::inspect(from).await?;
    let target = Store::manage(to, crate::clock::Clock::system()).await?;
    let (src, dst) = (source.read_pool(), target.write_pool());
    // A table this list does not know would be left behind without a word: refuse instead.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(src)
    .await?;
    let unknown: Vec<&String> = tables.iter().filter(|t| !TABLES.iter().any(|(n, _)| n == t)).collect();
    anyhow::ensure!(
        unknown.is_empty(),
        "the source holds tables this version does not move: {unknown:?}"
    );
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(dst).await?;
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(dst).await?;
    anyhow::ensure!(
        existing == 0 && events == 0,
        "the target store is not empty ({existing} cases): migrate into a new database"
    );
    let notified: i64 = sqlx::query_scalar("SELECT position FROM cursors WHERE name = $1")
        .bind(NOTIFIER)
        .fetch_optional(src)
        .await?
        .unwrap_or(0);

    let mut report = Report::default();
    for (table, key) in TABLES {
        let cols = columns(dst, table).await?;
        let mut rows = Vec::new();
        let mut digests = Vec::new();
        scan(src, table, key, &cols, |values| {
            digests.push(row_digest(&values));
            rows.push(values);
        })
        .await?;
        let mut names: Vec<String> = cols.iter().map(|(n, _)| n.clone()).collect();
        if table == "events" {
            // Events the notifier already read belong to "transaction 0", the rest to
            // "transaction 1", where the copied notifier cursor (1) resumes.
            names.push("tx".into());
            for r in &mut rows {
                let id = match r.first() {
                    Some(Value::Int(Some(id))) => *id,
                    _ => 0,
                };
                r.push(Value::Int(Some(i64::from(id > notified))));
            }
        }
        if table == "cursors" {
            for r in &mut rows {
                if r.first() == Some(&Value::Text(Some(NOTIFIER.into()))) {
                    r[1] = Value::Int(Some(1));
                }
            }
        }
        insert(dst, table, &names, &rows).await?;
        let source_sha256 = table_digest(digests);
        let mut target_digests = Vec::new();
        let mut target_rows = Vec::new();
        scan(dst, table, key, &cols, |values| target_rows.push(values)).await?;
        for mut values in target_rows {
            if table == "cursors" && values.first() == Some(&Value::Text(Some(NOTIFIER.into()))) {
                values[1] = Value::Int(Some(notified));
            }
            target_digests.push(row_digest(&values));
        }
        let target_count = target_digests.len() as u64;
        let target_sha256 = table_digest(target_digests);
        if target_count != rows.len() as u64 || target_sha256 != source_sha256 {
            report.problems.push(format!(
                "{table}: {} rows (sha256 {source_sha256}) copied as {target_count} rows (sha256 {target_sha256})",
                rows.len()
            ));
        }
        report.tables.push(TableReport {
            table,
            rows: rows.len() as u64,
            source_sha256,
            target_sha256,
            target_rows: target_count,
        });
    }
    for table in IDENTITIES {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .execute(dst)
        .await?;
    }
    copy_files(src, from_files, to_files, &mut report).await?;
    source.close().await;
    target.close().await;
    Ok(report)
}

/// Streams every attachment still held into the new store and reads it back to check its hash.
async fn copy_files(src: &AnyPool, from: &Blobs, to: &Blobs, report: &mut Report) -> anyhow::Result<()> {
    let held: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT sha256 FROM attachments WHERE purged_at IS NULL ORDER BY sha256")
            .fetch_all(src)
            .await?;
    let mut sizes: BTreeMap<String, u64> = BTreeMap::new();
    for sha in held {
        let stream = match from.open_stream(&sha).await {
            Ok(s) => s,
            Err(e) => {
                report
                    .problems
                    .push(format!("attachment {sha}: unreadable in the old directory: {e}"));
                continue;
            }
        };
        let blob = to.write_temp(stream, u64::MAX).await?;
        if blob.sha256 != sha {
            report.problems.push(format!(
                "attachment {sha}: the old directory holds other bytes ({})",
                blob.sha256
            ));
            continue;
        }
        sizes.insert(sha.clone(), blob.size);
        to.commit(blob).await?;
        report.files += 1;
    }
    for (sha, size) in sizes {
        let mut stream = to.open_stream(&sha).await?;
        let mut h = Sha256::new();
        let mut read = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            read += chunk.len() as u64;
            h.update(&chunk);
        }
        if hex::encode(h.finalize()) == sha && read == size {
            report.files_verified += 1;
        } else {
            report
                .problems
                .push(format!("attachment {sha}: reads back different bytes"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_digest_ignores_row_order_but_not_content() {
        let a = row_digest(&[Value::Int(Some(1)), Value::Text(Some("một".into()))]);
        let b = row_digest(&[Value::Int(Some(2)), Value::Text(None)]);
        assert_eq!(table_digest(vec![a, b]), table_digest(vec![b, a]));
        let c = row_digest(&[Value::Int(Some(2)), Value::Text(Some(String::new()))]);
        assert_ne!(
            table_digest(vec![a, b]),
            table_digest(vec![a, c]),
            "NULL differs from ''"
        );
    }
}
