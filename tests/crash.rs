//! SIGKILL the gateway process in the middle of delivering 200 cases, restart it, and check that
//! every case completes and every receiver holds exactly one record per case.

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
    Command::new(env!("CARGO_BIN_EXE_lienthong"))
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
