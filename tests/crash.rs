//! SIGKILL the gateway process in the middle of delivering 200 cases, restart it, and check that
//! every case completes, every receiver holds exactly one record per case and the commune holds
//! every document the agencies issued, once and as issued; then the same while
//! the agencies lose a third of their decision callbacks and the gateway answers most of the rest
//! 429 (docs/reconciliation.md): every decision is applied once, by callback or by check-back.
//!
//! The gateway is the `lienthong` binary cargo built for the tests, or `LTTEST_BIN` (e.g. the
//! release build); with `LTTEST_BACKEND=postgres` the second test's store is a fresh PostgreSQL
//! database.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use lienthong_simulators::sim::{Faults, SimHandle};

const CASES: usize = 200;

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

/// The simulators, a configuration for them and a gateway process serving it.
struct Crashable {
    url: String,
    http: reqwest::Client,
    police: SimHandle,
    insurance: SimHandle,
    onestop: SimHandle,
    dir: tempfile::TempDir,
    child: Child,
    starts: usize,
}

impl Crashable {
    async fn start(opts: &Opts) -> Crashable {
        let port = listener().await.local_addr().unwrap().port();
        let url = format!("http://127.0.0.1:{port}");
        let agencies = simulators(&url, opts).await;
        let dir = tempfile::tempdir().unwrap();
        GatewayConfig::new(format!("127.0.0.1:{port}"), &agencies, opts).write(dir.path());
        let (police, insurance, onestop) = agencies.into_parts();
        let http = reqwest::Client::new();
        let child = serve_process(dir.path(), Some(&dir.path().join("gateway-1.log")), &[]);
        wait_healthy(&http, &url).await;
        Crashable {
            url,
            http,
            police,
            insurance,
            onestop,
            dir,
            child,
            starts: 1,
        }
    }

    /// SIGKILLs the gateway and starts it again.
    async fn kill_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.starts += 1;
        let log = self.dir.path().join(format!("gateway-{}.log", self.starts));
        self.child = serve_process(self.dir.path(), Some(&log), &[]);
        wait_healthy(&self.http, &self.url).await;
    }

    /// Pushes `n` cases as the one-stop would through the crashes: a push that got no answer (or
    /// a 429) is pushed again, which is safe because intake is idempotent on the receipt code.
    fn pusher(&self, prefix: &str, n: usize, accepted: Arc<AtomicUsize>) -> tokio::task::JoinHandle<HashSet<String>> {
        let (url, http, prefix) = (self.url.clone(), self.http.clone(), prefix.to_string());
        tokio::spawn(async move {
            let mut ids = HashSet::new();
            for i in 0..n {
                let (m, files) = case_with_code(&format!("{prefix}-{i:04}"));
                loop {
                    match lienthong_onestop::push::push_case(&http, &url, ONESTOP_A, &m, &files).await {
                        Ok(a) if a.status == 200 || a.status == 201 => {
                            ids.insert(a.body["case_id"].as_str().unwrap().to_string());
                            accepted.fetch_add(1, Ordering::SeqCst);
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
    }

    /// Waits until every case is completed; the cases as the API shows them.
    async fn wait_completed(&self, ids: &HashSet<String>, secs: u64) -> Vec<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut cases = Vec::new();
        for id in ids {
            loop {
                let c = get_case(&self.http, &self.url, id).await;
                if c["status"] == "completed" {
                    cases.push(c);
                    break;
                }
                assert!(tokio::time::Instant::now() < deadline, "case did not complete: {c:#}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        cases
    }

    /// Stops the gateway and checks that each receiver holds exactly one record per case.
    fn stop_and_check_once(mut self, ids: &HashSet<String>) -> (SimHandle, SimHandle, SimHandle) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        one_per_case(&self.police, ids, "the police system");
        one_per_case(&self.insurance, ids, "the insurance system");
        one_per_case(&self.onestop, ids, "the one-stop system");
        (self.police, self.insurance, self.onestop)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_delivery_loses_and_duplicates_nothing() {
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
    let mut g = Crashable::start(&opts).await;
    let accepted = Arc::new(AtomicUsize::new(0));
    let pusher = g.pusher("CRASH", CASES, Arc::clone(&accepted));
    // Kill twice while cases are being pushed and delivered.
    for at in [CASES / 3, 2 * CASES / 3] {
        while accepted.load(Ordering::SeqCst) < at {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        g.kill_and_restart().await;
    }
    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), CASES, "every push got one case");
    let cases = g.wait_completed(&ids, 180).await;
    let (police, insurance, onestop) = g.stop_and_check_once(&ids);

    // Every document each agency issued reached the commune, as issued, and is listed once.
    for case in &cases {
        let id = case["case_id"].as_str().unwrap();
        let issued: HashMap<String, String> = [&police, &insurance]
            .iter()
            .filter_map(|s| s.state.record_of(id)?.issued)
            .map(|(kind, sha)| (kind, sha.to_string()))
            .collect();
        assert_eq!(issued.len(), 2, "both agencies issued their document for {id}");
        let held: HashMap<String, String> = onestop
            .state
            .record_of(id)
            .unwrap()
            .files
            .into_iter()
            .map(|(kind, sha)| (kind, sha.to_string()))
            .collect();
        assert_eq!(held, issued, "the one-stop holds what was issued for {id}");
        let listed: Vec<(String, String)> = case["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["kind"].as_str().unwrap().to_string(),
                    d["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut expected: Vec<(String, String)> = issued.into_iter().collect();
        expected.sort();
        assert_eq!(listed, expected, "each document once on case {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkills_with_lost_and_throttled_callbacks_lose_no_decision() {
    const N: usize = 150;
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
        // Far below the pace of decisions even on a loaded machine (one callback every two
        // seconds per agency): callbacks meet 429 whatever the timing, and check-back does not
        // depend on the budget.
        agency_extra: "rate_per_minute = 30\nburst = 2".into(),
        admin_extra: "rate_per_minute = 100000\nburst = 10000".into(),
        store_url: pg.as_ref().map(|db| db.url.clone()),
        ..Opts::default()
    };
    let mut g = Crashable::start(&opts).await;
    let pusher = g.pusher("LOST", N, Arc::default());
    // SIGKILL every 1.5-3.5 s while cases are pushed, and four more times while the backlog of
    // deliveries and decisions flushes.
    let mut kills = 0;
    let mut after_push = 0;
    while after_push < 4 {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(1_500..3_500))).await;
        if pusher.is_finished() {
            after_push += 1;
        }
        g.kill_and_restart().await;
        kills += 1;
    }
    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), N, "every push got one case");
    let cases = g.wait_completed(&ids, 300).await;
    let (police, insurance, _) = g.stop_and_check_once(&ids);

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
