//! `cargo bench --bench pipeline`: intake and end-to-end throughput against baselines measured in
//! the same run, plus the gateway's peak memory while a 20 MiB file streams in.
//!
//! - Baseline 1: raw SQLite insert+commit rate (WAL, synchronous=FULL, ~2 KiB rows) — the floor
//!   of any durable write path on this disk.
//! - Baseline 2: raw disk write bandwidth for the same attachment bytes (write + fsync per file).
//! - Intake: cases with three attachments (~1 MiB in all) pushed over HTTP, 4 at a time.
//! - End-to-end: push → both agency legs delivered, with the simulators answering at once.
//! - Memory: peak RSS (VmHWM) of the real `lienthong serve` process before and after streaming a
//!   20 MiB attachment.
//!
//! Figures are printed as a Markdown table to paste into docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use lienthong_onestop::push::{push_case, PushFile};
use lienthong_simulators::sim::Faults;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::ConnectOptions;

const CASES: usize = 200;

async fn sqlite_commits_per_sec(dir: &Path) -> f64 {
    let mut conn = SqliteConnectOptions::new()
        .filename(dir.join("baseline.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        .execute(&mut conn)
        .await
        .unwrap();
    let payload = "x".repeat(2048);
    let n = 2000;
    let start = Instant::now();
    for _ in 0..n {
        sqlx::query("INSERT INTO t (payload) VALUES (?)")
            .bind(&payload)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn disk_mib_per_sec(dir: &Path, files: &[PushFile]) -> (f64, f64) {
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(&f.path).unwrap()).collect();
    let total: usize = bytes.iter().map(Vec::len).sum();
    let out = dir.join("disk");
    std::fs::create_dir_all(&out).unwrap();
    let start = Instant::now();
    for i in 0..CASES {
        for (j, b) in bytes.iter().enumerate() {
            let mut f = std::fs::File::create(out.join(format!("{i}-{j}"))).unwrap();
            f.write_all(b).unwrap();
            f.sync_all().unwrap();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    ((total * CASES) as f64 / (1024.0 * 1024.0) / secs, CASES as f64 / secs)
}

async fn push_all(s: &Stack, prefix: &str, files: &[PushFile]) -> (f64, Vec<String>) {
    let manifests: Vec<_> = (0..CASES)
        .map(|i| manifest_for(&format!("{prefix}-{i:05}"), files))
        .collect();
    let start = Instant::now();
    let mut ids = Vec::new();
    for chunk in manifests.chunks(4) {
        let answers =
            futures_util::future::join_all(chunk.iter().map(|m| push_case(&s.http, &s.url, ONESTOP_A, m, files))).await;
        for a in answers {
            let a = a.unwrap();
            assert_eq!(a.status, 201, "{}", a.body);
            ids.push(a.body["case_id"].as_str().unwrap().to_string());
        }
    }
    (CASES as f64 / start.elapsed().as_secs_f64(), ids)
}

fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

async fn peak_rss_streaming_20_mib(dir: &Path) -> (u64, u64) {
    let port = listener().await.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let opts = Opts::default();
    let agencies = simulators(&url, &opts).await;
    let cfg = dir.join("rss");
    std::fs::create_dir_all(&cfg).unwrap();
    GatewayConfig::new(format!("127.0.0.1:{port}"), &agencies, &opts).write(&cfg);
    let mut child = serve_process(&cfg, None, &[]);
    let http = reqwest::Client::new();
    while http.get(format!("{url}/healthz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = vm_hwm_kib(child.id());
    let mut files = pdf_attachments(&cfg);
    let big = cfg.join("big.pdf");
    let mut f = std::fs::File::create(&big).unwrap();
    f.write_all(b"%PDF-1.4\n").unwrap();
    f.write_all(&vec![b'z'; 20 * 1024 * 1024 - 9]).unwrap();
    files[0].path = big;
    let m = manifest_for("RSS-1", &files);
    let a = push_case(&http, &url, ONESTOP_A, &m, &files).await.unwrap();
    assert_eq!(a.status, 201, "{}", a.body);
    tokio::time::sleep(Duration::from_secs(2)).await; // the delivery streams it out again
    let peak = vm_hwm_kib(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    (idle, peak)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let files = pdf_attachments(dir.path());
    let mib_per_case = files
        .iter()
        .map(|f| std::fs::metadata(&f.path).unwrap().len())
        .sum::<u64>() as f64
        / (1024.0 * 1024.0);

    let sqlite = sqlite_commits_per_sec(dir.path()).await;
    let (disk_mib, disk_cases) = disk_mib_per_sec(dir.path(), &files);

    // Intake alone: receivers down and breakers open, so deliveries stay out of the way.
    let down = Faults {
        fail_always: true,
        ..Faults::default()
    };
    let s = spawn_stack(Opts {
        police: down.clone(),
        insurance: down,
        breaker_threshold: 1,
        onestop_a_extra: UNLIMITED.into(),
        ..Opts::default()
    })
    .await;
    let (intake, _) = push_all(&s, "INTAKE", &files).await;
    drop(s);

    // End-to-end: push → both agency legs delivered.
    let s = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        onestop_a_extra: UNLIMITED.into(),
        admin_extra: UNLIMITED.into(),
        ..Opts::default()
    })
    .await;
    let start = Instant::now();
    let (_, ids) = push_all(&s, "E2E", &files).await;
    for id in &ids {
        loop {
            let c = s.get_case(id).await;
            let done = ["residence", "insurance"]
                .iter()
                .all(|n| ["delivered", "completed"].contains(&leg(&c, n)["state"].as_str().unwrap()));
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let e2e = CASES as f64 / start.elapsed().as_secs_f64();
    drop(s);

    let (idle_kib, peak_kib) = peak_rss_streaming_20_mib(dir.path()).await;

    println!("| measure | value | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!("| raw SQLite insert+commit (WAL, FULL) | {sqlite:.0} commits/s | — | — |");
    println!("| raw disk write+fsync, {mib_per_case:.2} MiB per case in 3 files | {disk_mib:.1} MiB/s ({disk_cases:.1} cases/s) | — | — |");
    println!("| intake, 3 attachments ({mib_per_case:.2} MiB) per case, 4 concurrent | {intake:.1} cases/s | {sqlite:.0} SQLite commits/s | {:.4} |", intake / sqlite);
    println!(
        "| intake bytes | {:.1} MiB/s | {disk_mib:.1} MiB/s raw disk | {:.2} |",
        intake * mib_per_case,
        intake * mib_per_case / disk_mib
    );
    println!(
        "| end-to-end push → both legs delivered | {e2e:.1} cases/s | {sqlite:.0} SQLite commits/s | {:.4} |",
        e2e / sqlite
    );
    println!(
        "| end-to-end vs raw disk for the same bytes | {e2e:.1} cases/s | {disk_cases:.1} cases/s | {:.2} |",
        e2e / disk_cases
    );
    println!(
        "| peak RSS of `lienthong serve`, 20 MiB file in and out | {:.1} MiB | {:.1} MiB idle | {:.2} |",
        peak_kib as f64 / 1024.0,
        idle_kib as f64 / 1024.0,
        peak_kib as f64 / idle_kib as f64
    );
}
