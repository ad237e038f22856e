//! `migrate`: the store's schema, or a verified move from the embedded store to PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

use lienthong::config::Config;
use lienthong::store::Store;

/// Creates or upgrades the schema; with `from` and `to`, moves a stopped embedded store.
pub async fn run(dir: &Path, from_to: Option<(String, String)>, from_attachments: &Path) -> anyhow::Result<ExitCode> {
    let config = super::load(dir)?;
    match from_to {
        Some((from, to)) => transfer(&config, &from, &to, from_attachments).await,
        None => {
            Store::migrate(&config.gateway.store_url).await?;
            println!("store is up to date");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `migrate --from --to`: the copy, then one line per table and the files, then the verdict.
async fn transfer(
    config: &Config,
    from: &str,
    to: &str,
    from_attachments: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let mut old = config.gateway.clone();
    old.attachment_dir = from_attachments.to_path_buf();
    old.s3 = None;
    let from_files = lienthong::blobs::Blobs::configured(&old)?;
    let to_files = lienthong::blobs::Blobs::configured(&config.gateway)?;
    let report = lienthong::store_migration::transfer(from, to, &from_files, &to_files).await?;
    for t in &report.tables {
        let same = if t.source_sha256 == t.target_sha256 && t.rows == t.target_rows {
            "verified"
        } else {
            "DIFFERENT"
        };
        println!(
            "{:<18} {:>8} rows  sha256 {}  {same}",
            t.table,
            t.rows,
            &t.source_sha256[..16]
        );
    }
    println!(
        "{:<18} {:>8} files copied, {} read back with their SHA-256",
        "attachments", report.files, report.files_verified
    );
    if report.problems.is_empty() {
        println!("migration verified: every row and every file arrived");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            eprintln!("problem: {p}");
        }
        Ok(ExitCode::from(1))
    }
}
