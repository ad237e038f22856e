//! Several gateway processes (the real binary) on one PostgreSQL database and one S3 bucket:
//! - 1,000 cases pushed alternately to two instances, receivers answering 503 to 20% of requests
//!   and dropping the files of 10% of envelopes, one instance killed with SIGKILL every few
//!   seconds and restarted: every case completes, every receiver holds exactly one record per
//!   case, and no receiver ever saw the same delivery twice at once;
//! - PostgreSQL stopped under load (a private server this test starts): both instances report
//!   not-ready, recover by themselves once it is back and finish the work;
//! - two instances' sweepers and notifiers on one clock: every deadline transition is acted on
//!   once, one apology per overdue case, one warning per transition.
//!
//! Needs the machine's PostgreSQL (or `LTTEST_PG`) and the S3 server scripts/test.sh
//! starts (`LTTEST_S3`); `LTTEST_SCALE_CASES` changes the number of cases.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use lienthong::config::Config;
use lienthong::App;
use lienthong_simulators::sim::{Faults, SimHandle};
use tokio::net::TcpStream;

/// A TCP proxy in front of the instances (what nginx or HAProxy is in production): each
/// connection goes to the next instance that accepts it. Simulators report decisions through it.
async fn proxy(backends: Vec<String>) -> String {
    let listener = listener().await;
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let next = AtomicUsize::new(0);
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                continue;
            };
            let start = next.fetch_add(1, Ordering::Relaxed);
            let backends = backends.clone();
            tokio::spawn(async move {
                for i in 0..backends.len() {
                    if let Ok(mut outbound) = TcpStream::connect(&backends[(start + i) % backends.len()]).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    }
                }
            });
        }
    });
    url
}

/// One gateway process: its config directory and port; killed and restarted at will.
struct Instance {
    dir: PathBuf,
    url: String,
    child: Option<Child>,
    starts: usize,
}

impl Instance {
    fn start(&mut self) {
        self.starts += 1;
        let log = self.dir.join(format!("gateway-{}.log", self.starts));
        self.child = Some(serve_process(&self.dir, Some(&log), &[]));
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            for n in 1..=self.starts {
                let log = std::fs::read_to_string(self.dir.join(format!("gateway-{n}.log"))).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                eprintln!(
                    "--- {} start {n}, last lines:\n{}",
                    self.url,
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        }
    }
}

/// Two instances sharing `store_url` and a fresh bucket, with the simulators behind the proxy.
struct Cluster {
    instances: Vec<Instance>,
    police: SimHandle,
    insurance: SimHandle,
    onestop: SimHandle,
    http: reqwest::Client,
    _dirs: Vec<tempfile::TempDir>,
}

async fn cluster(store_url: &str, police: Faults, insurance: Faults) -> Cluster {
    let s3 = s3_server().expect("LTTEST_S3: run the suite with scripts/test.sh");
    let bucket = create_bucket(&s3).await;
    let ports: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..2 {
            v.push(listener().await.local_addr().unwrap().port());
        }
        v
    };
    let front = proxy(ports.iter().map(|p| format!("127.0.0.1:{p}")).collect()).await;
    let opts = Opts {
        police,
        insurance,
        max_attempts: 1000,
        request_timeout_ms: 2000,
        // Long enough for a slow attempt on a loaded 2-core machine; a killed instance's
        // deliveries wait this long before the other instance takes them over.
        lease_ms: 15_000,
        // The test polls every case's state through the admin token.
        admin_extra: UNLIMITED.into(),
        onestop_a_extra: UNLIMITED.into(),
        store_url: Some(store_url.to_string()),
        s3: Some((s3, bucket)),
        gateway_extra: format!("attachment_key = \"{}\"", "7a".repeat(32)),
        ..Opts::default()
    };
    let agencies = simulators(&front, &opts).await;
    let mut dirs = Vec::new();
    let mut instances = Vec::new();
    for port in ports {
        let dir = tempfile::tempdir().unwrap();
        GatewayConfig::new(format!("127.0.0.1:{port}"), &agencies, &opts).write(dir.path());
        let mut i = Instance {
            dir: dir.path().to_path_buf(),
            url: format!("http://127.0.0.1:{port}"),
            child: None,
            starts: 0,
        };
        i.start();
        instances.push(i);
        dirs.push(dir);
    }
    let (police, insurance, onestop) = agencies.into_parts();
    let http = reqwest::Client::new();
    for i in &instances {
        wait_healthy(&http, &i.url).await;
    }
    Cluster {
        instances,
        police,
        insurance,
        onestop,
        http,
        _dirs: dirs,
    }
}

impl Cluster {
    /// Pushes `n` cases, alternately to each instance; a push that fails (instance killed, store
    /// down) goes again to the other one, which is safe because intake is idempotent.
    fn pusher(&self, prefix: &str, n: usize, accepted: Arc<AtomicUsize>) -> tokio::task::JoinHandle<HashSet<String>> {
        let urls: Vec<String> = self.instances.iter().map(|i| i.url.clone()).collect();
        let http = self.http.clone();
        let prefix = prefix.to_string();
        tokio::spawn(async move {
            let mut ids = HashSet::new();
            for i in 0..n {
                let (m, files) = case_with_code(&format!("{prefix}-{i:05}"));
                let mut target = i;
                loop {
                    let url = &urls[target % urls.len()];
                    match lienthong_onestop::push::push_case(&http, url, ONESTOP_A, &m, &files).await {
                        Ok(a) if a.status == 200 || a.status == 201 => {
                            ids.insert(a.body["case_id"].as_str().unwrap().to_string());
                            accepted.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(a) if a.status < 500 => panic!("push refused: {} {}", a.status, a.body),
                        _ => {
                            target += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
            ids
        })
    }

    /// Waits until every case is completed, asking whichever instance answers.
    async fn wait_completed(&self, ids: &HashSet<String>, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        let mut left: Vec<&String> = ids.iter().collect();
        let mut turn = 0;
        while !left.is_empty() {
            turn += 1;
            let url = &self.instances[turn % self.instances.len()].url;
            let id = left[left.len() - 1];
            let answer = self
                .http
                .get(format!("{url}/api/v1/cases/{id}"))
                .bearer_auth(ADMIN)
                .send()
                .await;
            let case = match answer {
                Ok(r) if r.status().is_success() => r.json::<serde_json::Value>().await.unwrap(),
                _ => serde_json::Value::Null,
            };
            let status = &case["status"];
            if status == "completed" {
                left.pop();
                continue;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} cases not completed after {secs} s, e.g. {case:#}",
                left.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Exactly one record per case at every receiver, and no delivery ever ran twice at once.
    fn assert_exactly_once(&self, ids: &HashSet<String>) {
        for (sim, what) in [
            (&self.police, "police"),
            (&self.insurance, "insurance"),
            (&self.onestop, "one-stop"),
        ] {
            let mut per_case: HashMap<String, usize> = HashMap::new();
            for r in sim.state.records() {
                *per_case.entry(r.case_id).or_default() += 1;
            }
            for id in ids {
                assert_eq!(per_case.get(id), Some(&1), "{what} must hold one record for case {id}");
            }
            assert_eq!(per_case.len(), ids.len(), "{what} holds records of unknown cases");
        }
        for (sim, what) in [(&self.police, "police"), (&self.insurance, "insurance")] {
            assert_eq!(sim.state.overlaps(), 0, "{what} saw one delivery run twice at once");
        }
    }
}

/// The two load tests take turns: each alone already keeps both cores busy.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cases() -> usize {
    std::env::var("LTTEST_SCALE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

fn flaky() -> Faults {
    Faults {
        fail_rate: 0.2,
        drop_files_rate: 0.1,
        ..quick()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_under_faults_and_sigkill_lose_and_duplicate_nothing() {
    let _turn = HEAVY.lock().await;
    let db = PgDatabase::create();
    let mut c = cluster(&db.url, flaky(), flaky()).await;
    let n = cases();
    let accepted = Arc::new(AtomicUsize::new(0));
    let pusher = c.pusher("SCALE", n, Arc::clone(&accepted));

    // Kill one instance every three seconds, in turn, and start it again a second later.
    let mut kills = 0;
    while !pusher.is_finished() || kills < 4 {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let i = &mut c.instances[kills % 2];
        i.kill();
        kills += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
        i.start();
        if kills >= 60 {
            break;
        }
    }
    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), n, "every push is one case");
    for i in &c.instances {
        wait_healthy(&c.http, &i.url).await;
    }
    c.wait_completed(&ids, 600).await;
    c.assert_exactly_once(&ids);
    eprintln!("{n} cases, {kills} SIGKILLs: all completed, one record each, no overlap");
}

/// A PostgreSQL server of the test's own (initdb in a temporary directory), so stopping it
/// disturbs nothing else on the machine. Run as the `postgres` user when the test runs as root.
struct PrivatePg {
    dir: tempfile::TempDir,
    port: u16,
}

fn pg_bin(name: &str) -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .flatten()
        .map(|e| e.path())
        .collect();
    versions.sort();
    versions.last().expect("a PostgreSQL version").join("bin").join(name)
}

fn as_postgres(program: PathBuf, args: &[&str]) -> Command {
    let mut cmd = if current_uid() == 0 {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    cmd
}

fn current_uid() -> u32 {
    // The uid of this process, from /proc (no libc dependency for one number).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|u| u.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

impl PrivatePg {
    async fn start() -> PrivatePg {
        let dir = tempfile::tempdir().unwrap();
        let port = listener().await.local_addr().unwrap().port();
        if current_uid() == 0 {
            Command::new("chown")
                .args(["-R", "postgres", dir.path().to_str().unwrap()])
                .status()
                .unwrap();
        }
        let data = dir.path().join("data");
        let ok = as_postgres(
            pg_bin("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
        )
        .status()
        .unwrap();
        assert!(ok.success(), "initdb failed");
        let pg = PrivatePg { dir, port };
        pg.ctl("start");
        pg
    }

    fn ctl(&self, action: &str) {
        let data = self.dir.path().join("data");
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log");
        let ok = as_postgres(
            pg_bin("pg_ctl"),
            &[
                action,
                "-D",
                data.to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-m",
                "fast",
                "-w",
            ],
        )
        .status()
        .unwrap();
        assert!(ok.success(), "pg_ctl {action} failed");
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let _ = as_postgres(
            pg_bin("pg_ctl"),
            &[
                "stop",
                "-D",
                self.dir.path().join("data").to_str().unwrap(),
                "-m",
                "immediate",
            ],
        )
        .status();
    }
}

/// Polls `/readyz` until it answers `status` (or `tries` × 100 ms pass); the last answer.
async fn wait_ready(http: &reqwest::Client, url: &str, status: u16, tries: usize) -> Option<u16> {
    let mut seen = None;
    for _ in 0..tries {
        seen = http
            .get(format!("{url}/readyz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        if seen == Some(status) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_under_load_gateways_report_not_ready_then_finish_the_work() {
    let _turn = HEAVY.lock().await;
    let pg = PrivatePg::start().await;
    let c = cluster(&pg.url(), quick(), quick()).await;
    let n = cases() / 5;
    let accepted = Arc::new(AtomicUsize::new(0));
    let pusher = c.pusher("PGDOWN", n, Arc::clone(&accepted));
    while accepted.load(Ordering::SeqCst) < n / 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    pg.ctl("stop");
    for i in &c.instances {
        let seen = wait_ready(&c.http, &i.url, 503, 50).await;
        assert_eq!(
            seen,
            Some(503),
            "an instance must report not-ready while its store is down"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    pg.ctl("start");
    for i in &c.instances {
        let seen = wait_ready(&c.http, &i.url, 200, 300).await;
        assert_eq!(seen, Some(200), "an instance must become ready again by itself");
    }

    let ids = pusher.await.unwrap();
    assert_eq!(ids.len(), n);
    c.wait_completed(&ids, 600).await;
    c.assert_exactly_once(&ids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_act_on_every_deadline_transition_once() {
    let db = PgDatabase::create();
    let clock = clock_at("2026-11-23T09:00:00");
    let mut silent = Faults::default();
    silent.decide.completed = 0;
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: silent,
        clock: clock.clone(),
        store_url: Some(db.url.clone()),
        ..Opts::default()
    })
    .await;
    // A second instance on the same database and clock: two sweepers, two notifiers.
    let config = Config::load_with_env(stack.dir.path(), std::iter::empty()).unwrap();
    let second = App::with_listener(config, listener().await, clock.clone())
        .await
        .unwrap()
        .spawn();

    let mut cases = Vec::new();
    for i in 0..20 {
        let code = format!("TWICE-{i:02}");
        let (mut m, files) = case_with_code(&code);
        m["received_at"] = "2026-11-23T09:00:00+07:00".into();
        m["birth_registration"]["registered_on"] = "2026-11-23".into();
        m["child"]["date_of_birth"] = "2026-10-20".into();
        let a = stack.push(ONESTOP_A, &m, &files).await;
        assert_eq!(a.status, 201, "{}", a.body);
        cases.push((code, a.body["case_id"].as_str().unwrap().to_string()));
    }
    for (_, id) in &cases {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while leg(&stack.get_case(id).await, "insurance")["state"] != "delivered" {
            assert!(
                tokio::time::Instant::now() < deadline,
                "insurance leg of {id} not delivered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Past every deadline at once; both instances' sweepers race for each transition.
    clock.set(vn("2026-12-04T17:05:00"));
    for (code, id) in &cases {
        let subject = format!("[QUÁ HẠN] Hồ sơ {code} — cấp thẻ BHYT");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !stack.mails().iter().any(|m| m.subject == subject) {
            assert!(tokio::time::Instant::now() < deadline, "no overdue warning for {code}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The case's own deadline is a transition of its own, acted on after the legs' in the
        // same sweep: its apology may follow the leg's warning by a moment on a busy machine.
        loop {
            let apology = stack
                .http
                .get(format!("{}/api/v1/cases/{id}/apology", stack.url))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap();
            if apology.status() == 200 {
                break;
            }
            assert_eq!(
                apology.status(),
                404,
                "{code}: {}",
                apology.text().await.unwrap_or_default()
            );
            assert!(
                tokio::time::Instant::now() < deadline,
                "the overdue case {code} has no apology drafted"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // many more sweeps by both instances

    for (code, id) in &cases {
        let events = second.store.events(id).await.unwrap();
        let mut seen = HashMap::new();
        for e in events.iter().filter(|e| e.kind == "clock") {
            *seen.entry((e.leg_id.clone(), e.to_state.clone())).or_insert(0) += 1;
        }
        assert!(!seen.is_empty(), "{code} had clock transitions");
        for (transition, n) in &seen {
            assert_eq!(*n, 1, "{code}: transition {transition:?} acted on {n} times");
        }
        let subject = format!("[QUÁ HẠN] Hồ sơ {code} — cấp thẻ BHYT");
        let sent = stack.mails().iter().filter(|m| m.subject == subject).count();
        assert_eq!(sent, 1, "{code}: one overdue warning, whichever instance sent it");
    }
    second.stop().await;
}
