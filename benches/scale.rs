//! `cargo bench --bench scale`: the production shape, against a baseline measured in the same run.
//!
//! - Baseline: `pgbench -b simple-update` TPS on the same PostgreSQL server (4 clients, 10 s).
//! - End-to-end throughput (push → both agency legs delivered) with ONE and with TWO release
//!   `lienthong serve` processes on one PostgreSQL database, sharing one S3 bucket, then sharing
//!   one local directory (as on a shared file system; no S3 server in the path); ratio 2/1.
//! - Intake of 3-attachment cases into the S3 bucket vs into the local directory (SQLite store
//!   for both, receivers down so deliveries stay out of the way).
//!
//! Needs the machine's PostgreSQL, `pgbench`, and an S3 server: `LTTEST_S3` (scripts/bench.sh
//! starts moto like scripts/test.sh does). Prints a Markdown table for docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use lienthong_onestop::push::{push_case, PushFile};
use lienthong_simulators::sim::Faults;

const CASES: usize = 200;

/// `pgbench -b simple-update` on a database of its own: transactions per second.
fn pgbench_tps() -> f64 {
    let db = PgDatabase::create();
    let run = |args: &[&str]| {
        let out = Command::new("pgbench")
            .args(args)
            .arg(&db.url)
            .output()
            .expect("pgbench");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    run(&["-i", "-s", "4", "-q"]);
    let out = run(&["-b", "simple-update", "-c", "4", "-j", "2", "-T", "10"]);
    out.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .expect("pgbench prints its tps")
}

/// Pushes `CASES` cases, 4 at a time, spread over `urls`; the accepted case ids.
async fn push_all(http: &reqwest::Client, urls: &[String], prefix: &str, files: &[PushFile]) -> Vec<String> {
    let manifests: Vec<_> = (0..CASES)
        .map(|i| manifest_for(&format!("{prefix}-{i:05}"), files))
        .collect();
    let mut ids = Vec::new();
    for (n, chunk) in manifests.chunks(4).enumerate() {
        let answers = futures_util::future::join_all(chunk.iter().enumerate().map(|(i, m)| {
            let url = &urls[(n * 4 + i) % urls.len()];
            push_case(http, url, ONESTOP_A, m, files)
        }))
        .await;
        for a in answers {
            let a = a.unwrap();
            assert_eq!(a.status, 201, "{}", a.body);
            ids.push(a.body["case_id"].as_str().unwrap().to_string());
        }
    }
    ids
}

async fn wait_delivered(http: &reqwest::Client, url: &str, ids: &[String]) {
    for id in ids {
        loop {
            let c = get_case(http, url, id).await;
            let done = ["residence", "insurance"]
                .iter()
                .all(|n| ["delivered", "completed"].contains(&leg(&c, n)["state"].as_str().unwrap_or("")));
            if done {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// End-to-end cases per second with `n` gateway processes on one database, sharing one bucket
/// (`s3`) or one local directory (as on a shared file system).
async fn end_to_end(n: usize, s3: Option<&str>, files: &[PushFile]) -> f64 {
    let db = PgDatabase::create();
    let shared = tempfile::tempdir().unwrap();
    let s3 = match s3 {
        Some(e) => Some((e.to_string(), create_bucket(e).await)),
        None => None,
    };
    let mut ports = Vec::new();
    for _ in 0..n {
        ports.push(listener().await.local_addr().unwrap().port());
    }
    let urls: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let opts = Opts {
        police: quick(),
        insurance: quick(),
        store_url: Some(db.url.clone()),
        s3,
        // The benchmark pushes and polls as fast as it can.
        admin_extra: UNLIMITED.into(),
        onestop_a_extra: UNLIMITED.into(),
        ..Opts::default()
    };
    let agencies = simulators(&urls[0], &opts).await;
    let mut dirs = Vec::new();
    let mut children = Vec::new();
    for port in &ports {
        let dir = tempfile::tempdir().unwrap();
        GatewayConfig::new(format!("127.0.0.1:{port}"), &agencies, &opts).write(dir.path());
        children.push(serve_process(
            dir.path(),
            None,
            &[("LIENTHONG_ATTACHMENT_DIR", shared.path().as_os_str())],
        ));
        dirs.push(dir);
    }
    let http = reqwest::Client::new();
    for u in &urls {
        wait_healthy(&http, u).await;
    }
    let start = Instant::now();
    let ids = push_all(&http, &urls, &format!("E2E{n}"), files).await;
    wait_delivered(&http, &urls[0], &ids).await;
    let rate = CASES as f64 / start.elapsed().as_secs_f64();
    for mut c in children {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    rate
}

/// Intake cases per second into the local directory or the bucket.
async fn intake(s3: Option<&str>, files: &[PushFile]) -> f64 {
    let down = Faults {
        fail_always: true,
        ..Faults::default()
    };
    let s3 = match s3 {
        Some(e) => Some((e.to_string(), create_bucket(e).await)),
        None => None,
    };
    let s = spawn_stack(Opts {
        police: down.clone(),
        insurance: down,
        breaker_threshold: 1,
        s3,
        onestop_a_extra: UNLIMITED.into(),
        ..Opts::default()
    })
    .await;
    let start = Instant::now();
    push_all(&s.http, std::slice::from_ref(&s.url), "INTAKE", files).await;
    CASES as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let s3 = s3_server().expect("LTTEST_S3: run scripts/bench.sh, which starts the S3 server");
    let dir = tempfile::tempdir().unwrap();
    let files = pdf_attachments(dir.path());
    let tps = pgbench_tps();
    let one = end_to_end(1, Some(&s3), &files).await;
    let two = end_to_end(2, Some(&s3), &files).await;
    let one_local = end_to_end(1, None, &files).await;
    let two_local = end_to_end(2, None, &files).await;
    let local = intake(None, &files).await;
    let bucket = intake(Some(&s3), &files).await;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    println!("| measure ({cores} cores, {CASES} cases, 3 attachments / 1.0 MiB each) | value | baseline (same run) | ratio |");
    println!("|---|---|---|---|");
    println!("| pgbench simple-update, 4 clients | {tps:.0} TPS | — | — |");
    println!(
        "| end-to-end, 1 instance, PostgreSQL + S3 | {one:.1} cases/s | {tps:.0} pgbench TPS | {:.4} |",
        one / tps
    );
    println!(
        "| end-to-end, 2 instances, PostgreSQL + S3 | {two:.1} cases/s | {one:.1} cases/s (1 instance) | {:.2} |",
        two / one
    );
    println!(
        "| end-to-end, 1 instance, PostgreSQL + shared local directory | {one_local:.1} cases/s | {tps:.0} pgbench TPS | {:.4} |",
        one_local / tps
    );
    println!(
        "| end-to-end, 2 instances, PostgreSQL + shared local directory | {two_local:.1} cases/s | {one_local:.1} cases/s (1 instance) | {:.2} |",
        two_local / one_local
    );
    println!(
        "| intake into the S3 bucket (SQLite store) | {bucket:.1} cases/s | {local:.1} cases/s into local files | {:.2} |",
        bucket / local
    );
}
