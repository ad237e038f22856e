//! SIGKILL the gateway process in the middle of delivering 200 cases, restart it, and check that
//! every case completes and every receiver holds exactly one record per case; then the same while
//! the agencies lose a third of their decision callbacks and the gateway answers most of the rest
//! 429 (docs/reconciliation.md): every decision is applied once, by callback or by check-back.
//!
//! The gateway is the `lienthong` binary cargo built for the tests, or `LTTEST_BIN` (e.g. the
//! release build); with `LTTEST_BACKEND=postgres` the second test's store is a fresh PostgreSQL
//! database.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use lienthong_contract::sim::{Faults, SimHandle};

const CASES: usize = 200;

fn start_gateway(dir: &std::path::Path, log: &str) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(log))
        .unwrap();
    let bin = std::env::var("LTTEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_lienthong").to_string());
    Command::new(bin)
        .args(["--config", dir.to_str().unwrap(), "serve"])
        .env("LIENTHONG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn one_per_case(sim: &SimHandle, ids: &HashSet<String>, what: &str) {
    let mut per_case: HashMap<String, usize> = HashMap::new();
    for r in sim.state.records() {
        *per_case.entry(r.case_id).or_default() += 1;
    }
    for id in ids {
        assert_eq!(
            per_case.get(id).copied().unwrap_or(0),
            1,
            "{what} must hold exactly one record for case {id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_loses_and_duplicates_nothing() {
    let port = listener().await.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let police = Faults {
        drop_files_rate: 0.2,
        fail_rate: 0.05,
        ..quick()
    };
    let insurance = Faults {
        fail_rate: 0.1,
        delay_ms: 5,
        ..quick()
    };
    let opts = Opts {
        police,
        insurance,
        max_attempts: 50,
        ..Opts::default()
    };
    let (police, insurance, onestop) = simulators(&url, &opts).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &format!("127.0.0.1:{port}"),
        &police.url(),
        &insurance.url(),
        &onestop.url(),
        None,
        &opts,
    );

    let http = reqwest::Client::new();
    let mut child = start_gateway(dir.path(), "gateway-1.log");
    wait_healthy(&http, &url).await;

    // The one-stop keeps pushing through the crash: a push that got no answer is pushed again,
    // which is safe because intake is idempotent on the receipt code.
    let accepted = Arc::new(AtomicUsize::new(0));
    let pusher = {
        let (accepted, url, http) = (Arc::clone(&accepted), url.clone(), http.clone());
        tokio::spawn(async move {
            let mut ids = HashSet::new();
            for i in 0..CASES {
                let (m, files) = case_with_code(&format!("CRASH-{i:04}"));
                loop {
                    match lienthong_onestop::push::push_case(&http, &url, ONESTOP_A, &m, &files).await {
                        Ok(a) if a.status == 200 || a.status == 201 => {
                            ids.insert(a.body["case_id"].as_str().unwrap().to_string());
                            accepted.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(a) => panic!("push refused: {} {}", a.status, a.body),
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }
            ids
        })
    };

    // Kill twice while cases are being pushed and delivered.
    for (round, at) in [(2usize, CASES / 3), (3, 2 * CASES / 3)] {
        while accepted.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        child = start_gateway(dir.path(), &format!("gateway-{round}.log"));
        wait_healthy(&http, &url).await;
    }
    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), CASES, "every push got one case");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(180);
    for id in &ids {
        loop {
            let c = get_case(&http, &url, id).await;
            if c["status"] == "completed" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "case did not complete: {c:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    one_per_case(&police, &ids, "the police system");
    one_per_case(&insurance, &ids, "the insurance system");
    one_per_case(&onestop, &ids, "the one-stop system");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkills_with_lost_and_throttled_callbacks_lose_no_decision() {
    const N: usize = 150;
    let port = listener().await.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let agency = |drop_files_rate| Faults {
        fail_rate: 0.2,
        drop_files_rate,
        drop_decisions_rate: 0.3,
        ..quick()
    };
    let pg = postgres_backend().then(PgDatabase::create);
    let opts = Opts {
        police: agency(0.1),
        insurance: agency(0.0),
        max_attempts: 50,
        check_back_after_ms: 500,
        // Far below a burst of decisions: most callbacks meet 429 at first.
        agency_extra: "rate_per_minute = 300\nburst = 5".into(),
        admin_extra: "rate_per_minute = 100000\nburst = 10000".into(),
        store_url: pg.as_ref().map(|db| db.url.clone()),
        ..Opts::default()
    };
    let (police, insurance, onestop) = simulators(&url, &opts).await;
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &format!("127.0.0.1:{port}"),
        &police.url(),
        &insurance.url(),
        &onestop.url(),
        None,
        &opts,
    );
    let http = reqwest::Client::new();
    let mut child = start_gateway(dir.path(), "gateway-1.log");
    wait_healthy(&http, &url).await;
    let pusher = {
        let (url, http) = (url.clone(), http.clone());
        tokio::spawn(async move {
            let mut ids = HashSet::new();
            for i in 0..N {
                let (m, files) = case_with_code(&format!("LOST-{i:04}"));
                loop {
                    match lienthong_onestop::push::push_case(&http, &url, ONESTOP_A, &m, &files).await {
                        Ok(a) if a.status == 200 || a.status == 201 => {
                            ids.insert(a.body["case_id"].as_str().unwrap().to_string());
                            break;
                        }
                        Ok(a) if a.status == 429 => tokio::time::sleep(Duration::from_millis(500)).await,
                        Ok(a) => panic!("push refused: {} {}", a.status, a.body),
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }
            ids
        })
    };
    // SIGKILL every 1.5-3.5 s while cases are pushed, and four more times while the backlog of
    // deliveries and decisions flushes.
    let mut kills = 0;
    let mut after_push = 0;
    while after_push < 4 {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(1_500..3_500))).await;
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        if pusher.is_finished() {
            after_push += 1;
        }
        child = start_gateway(dir.path(), &format!("gateway-{}.log", kills + 1));
        wait_healthy(&http, &url).await;
    }
    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), N, "every push got one case");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let mut cases = Vec::new();
    for id in &ids {
        loop {
            let c = get_case(&http, &url, id).await;
            if c["status"] == "completed" {
                cases.push(c);
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "case did not complete: {c:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    one_per_case(&police, &ids, "the police system");
    one_per_case(&insurance, &ids, "the insurance system");
    one_per_case(&onestop, &ids, "the one-stop system");

    // Each decision applied once; every lost callback was made good by check-back.
    let mut by_check_back = 0;
    for (sim, name) in [(&police, "residence"), (&insurance, "insurance")] {
        for r in sim.state.records() {
            let case = cases.iter().find(|c| c["case_id"] == r.case_id.as_str()).unwrap();
            let decided: Vec<&serde_json::Value> = case["events"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "state" && e["leg_id"] == r.leg_id.as_str() && e["to"] == "completed")
                .collect();
            assert_eq!(decided.len(), 1, "one {name} decision for {}: {case:#}", r.case_id);
            let actor = decided[0]["actor"].as_str().unwrap();
            if actor.starts_with("check-back:") {
                by_check_back += 1;
            } else {
                assert!(r.decision_delivered, "a lost callback applied as a callback? {case:#}");
            }
            assert_eq!(leg(case, name)["result"], r.decision.clone().unwrap(), "as decided");
        }
    }
    let lost = [&police, &insurance]
        .iter()
        .flat_map(|s| s.state.records())
        .filter(|r| !r.decision_delivered)
        .count();
    let throttled = police.state.throttled() + insurance.state.throttled();
    eprintln!("{N} cases, {kills} SIGKILLs, {lost} callbacks lost, {throttled} answered 429, {by_check_back} decisions by check-back");
    assert!(
        lost > 0 && by_check_back >= lost,
        "lost {lost}, by check-back {by_check_back}"
    );
    assert!(throttled > 0, "the token budget was never hit");
}
