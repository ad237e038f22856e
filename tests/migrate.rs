//! `lienthong migrate --from sqlite://… --to postgres://…` on a district store of over 10,000
//! cases: every row of every table and every attachment arrives, verified; a gateway on the new
//! store serves the old cases; a second run into the now non-empty database is refused.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;
use futures_util::StreamExt;
use lienthong::clock::Clock;
use lienthong::config::Config;
use lienthong::App;
use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};

const TARGET_CASES: i64 = 10_000;

/// Tables the test copies wholesale to grow the store, and the columns that must change in a copy
/// (keys and unique values); an integer `id` is left to the database.
const GROWN: &[&str] = ALL.split_at(8).0;
/// Columns holding case or leg ids, which must stay UUIDs: see [`grown_id_sql`].
const IDS: [&str; 3] = ["id", "case_id", "leg_id"];
/// Free-text keys that are unique per row: the copy gets a suffix.
const SUFFIXED: [&str; 2] = ["receipt_code", "dedupe_key"];

/// The id a grown copy gets in round `round` (1..=12): the hex digit at position 24 + round is
/// moved one step along `0123456789abcdef` (f wraps to 0). Each round touches its own position,
/// so the map is one-to-one, never a fixed point, and ids stay UUIDs.
fn grown_id_sql(column: &str, round: usize) -> String {
    let at = 24 + round;
    format!(
        "substr({column}, 1, {before}) || substr('123456789abcdef0', instr('0123456789abcdef', substr({column}, {at}, 1)), 1) || substr({column}, {after})",
        before = at - 1,
        after = at + 1,
    )
}

/// [`grown_id_sql`] for one id, as the test computes it.
fn grown_id(id: &str, round: usize) -> String {
    let at = 24 + round - 1;
    let digits = "0123456789abcdef";
    let next = digits.as_bytes()[(digits.find(&id[at..=at]).unwrap() + 1) % 16] as char;
    format!("{}{next}{}", &id[..at], &id[at + 1..])
}

/// Every table the move copies; the first eight are the ones the test grows.
const ALL: [&str; 27] = [
    "cases",
    "attachments",
    "legs",
    "deliveries",
    "delivery_attempts",
    "check_backs",
    "events",
    "notifications",
    "apologies",
    "tracking_numbers",
    "ratings",
    "complaints",
    "withdrawals",
    "supplements",
    "supplement_files",
    "result_documents",
    "scheduled_reports",
    "cursors",
    "users",
    "sessions",
    "password_resets",
    "user_changes",
    "office_pauses",
    "alerts",
    "audit_anchors",
    "api_tokens",
    "seen_signatures",
];

/// Doubles every grown table until the store holds at least `TARGET_CASES` cases.
async fn grow(db: &std::path::Path) -> i64 {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let mut round = 0;
    loop {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cases")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if n >= TARGET_CASES {
            return n;
        }
        round += 1;
        let mut tx = conn.begin().await.unwrap();
        for table in GROWN {
            let cols: Vec<(String, String, i64)> = sqlx::query(&format!("PRAGMA table_info({table})"))
                .fetch_all(&mut *tx)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("name"), r.get("type"), r.get("pk")))
                .collect();
            let kept: Vec<&(String, String, i64)> = cols
                .iter()
                .filter(|(name, ty, pk)| !(name == "id" && ty == "INTEGER" && *pk == 1))
                .collect();
            let names = kept.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ");
            let values = kept
                .iter()
                .map(|(name, _, _)| {
                    if IDS.contains(&name.as_str()) {
                        grown_id_sql(name, round)
                    } else if SUFFIXED.contains(&name.as_str()) {
                        format!("{name} || '.{round}'")
                    } else {
                        name.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query(&format!("INSERT INTO {table} ({names}) SELECT {values} FROM {table}"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

/// Fills the results' journey tables (tracking numbers, ratings, complaints, withdrawals),
/// supplements with their files and result documents (the bytes of an attachment already
/// stored) from the grown cases, so the move copies and verifies them too.
async fn last_mile(db: &std::path::Path) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    for sql in [
        "INSERT INTO tracking_numbers (number, case_id, step, at) SELECT 'EB' || id, id, 'posted', created_at FROM cases LIMIT 500",
        "INSERT INTO ratings (case_id, token, issued_at, used_at, score, channel) SELECT id, 't' || id, created_at, created_at, 5, 'link' FROM cases LIMIT 500",
        "INSERT INTO complaints (case_id, commune_code, body, filed_at, due_at) SELECT id, commune_code, 'Chờ lâu', created_at, created_at + 864000000 FROM cases LIMIT 300",
        "INSERT INTO withdrawals (leg_id, case_id, reason, status, due_at, created_at) SELECT l.id, l.case_id, 'Rút hồ sơ', 'done', c.created_at, c.created_at FROM legs l JOIN cases c ON c.id = l.case_id WHERE l.name = 'residence' LIMIT 200",
        "INSERT INTO supplements (leg_id, number, case_id, note, actor, received_at) SELECT l.id, 1, l.case_id, 'Đã nộp bản rõ nét', 'user:canbo', c.created_at FROM legs l JOIN cases c ON c.id = l.case_id WHERE l.name = 'insurance' LIMIT 300",
        "INSERT INTO supplement_files (leg_id, number, kind, case_id, file_name, media_type, size, sha256) SELECT s.leg_id, 1, 'birth-registration-extract', s.case_id, 'ban-ro-net.pdf', a.media_type, a.size, a.sha256 FROM supplements s JOIN attachments a ON a.case_id = s.case_id AND a.kind = 'birth-registration-extract'",
        "INSERT INTO result_documents (leg_id, kind, case_id, file_name, media_type, size, sha256, received_at, actor) SELECT l.id, 'residence-confirmation', l.case_id, 'xac-nhan.pdf', a.media_type, a.size, a.sha256, c.created_at, 'system:police' FROM legs l JOIN cases c ON c.id = l.case_id JOIN attachments a ON a.case_id = l.case_id AND a.kind = 'residence-declaration' WHERE l.name = 'residence' LIMIT 300",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}

/// Rows per table of `ALL`, on either database.
async fn counts(url: &str) -> Vec<i64> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let mut out = Vec::new();
    for t in ALL {
        out.push(
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {t}"))
                .fetch_one(&mut conn)
                .await
                .unwrap(),
        );
    }
    out
}

fn migrate(config: &std::path::Path, from: &str, to: &str, files: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "migrate",
            "--from",
            from,
            "--to",
            to,
        ])
        .arg("--from-attachments")
        .arg(files)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_cases_move_from_sqlite_to_postgres_and_s3_verified() {
    // A district's embedded store, filled through the real pipeline and then grown.
    let key = format!("attachment_key = \"{}\"", "3d".repeat(32));
    // The police system loses every decision callback, so check-back rows are copied too.
    let mut police = quick();
    police.drop_decisions_rate = 1.0;
    let mut old = spawn_stack(Opts {
        police,
        insurance: quick(),
        gateway_extra: key.clone(),
        check_back_after_ms: 200,
        ..Opts::default()
    })
    .await;
    let mut first = Vec::new();
    for i in 0..6 {
        first.push(old.push_new(&format!("MIG-{i}")).await);
    }
    for id in &first {
        old.wait_status(id, "completed", 30).await;
    }
    old.gateway.take().unwrap().stop().await;
    let db = old.dir.path().join("store.db");
    let cases = grow(&db).await;
    last_mile(&db).await;
    assert!(cases >= TARGET_CASES);
    let before = counts(&format!("sqlite://{}", db.display())).await;

    // The production shape: a new PostgreSQL database and (when the suite has one) a bucket.
    let pg = PgDatabase::create();
    let new_dir = tempfile::tempdir().unwrap();
    let s3 = match s3_server() {
        Some(endpoint) => Some((endpoint.clone(), create_bucket(&endpoint).await)),
        None => None,
    };
    let opts = Opts {
        gateway_extra: key,
        store_url: Some(pg.url.clone()),
        s3,
        ..Opts::default()
    };
    GatewayConfig {
        listen: "127.0.0.1:1".into(),
        police: old.police.url(),
        insurance: old.insurance.url(),
        onestop: old.onestop.url(),
        notify: None,
        opts: &opts,
    }
    .write(new_dir.path());
    let from = format!("sqlite://{}", db.display());
    let files = old.dir.path().join("attachments");
    let (code, stdout, stderr) = migrate(new_dir.path(), &from, &pg.url, &files);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("migration verified"), "{stdout}");
    assert_eq!(stdout.matches("verified").count(), ALL.len() + 1, "{stdout}");

    // Counted independently: every table holds the same number of rows on both sides.
    assert_eq!(counts(&pg.url).await, before);

    // The new store, served by a gateway: the old cases are there with their files.
    let config = Config::load_with_env(new_dir.path(), std::iter::empty()).unwrap();
    let listener = listener().await;
    let url = format!("http://{}", listener.local_addr().unwrap());
    let gw = App::with_listener(config, listener, Clock::system())
        .await
        .unwrap()
        .spawn();
    let http = reqwest::Client::new();
    let mut hashes = BTreeSet::new();
    for id in &first {
        let c = get_case(&http, &url, id).await;
        assert_eq!(c["status"], "completed", "{c:#}");
        for a in c["attachments"].as_array().unwrap() {
            hashes.insert(a["sha256"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(hashes.len(), 3, "the fixture's three files");
    for sha in &hashes {
        let mut stream = gw.blobs.open_stream(sha).await.unwrap();
        let mut h = Sha256::new();
        while let Some(chunk) = stream.next().await {
            h.update(chunk.unwrap());
        }
        assert_eq!(&hex::encode(h.finalize()), sha, "a file reads back from the new store");
    }
    let grown = grown_id(&first[0], 1);
    assert_eq!(get_case(&http, &url, &grown).await["status"], "completed");
    gw.stop().await;
    // What the gateway wrote while it ran (its alert rows among them) is the new baseline.
    let settled = counts(&pg.url).await;

    // Once the database holds cases, a second copy into it is refused and changes nothing.
    let (code, stdout, stderr) = migrate(new_dir.path(), &from, &pg.url, &files);
    assert_ne!(code, 0, "{stdout}{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(counts(&pg.url).await, settled);
}
