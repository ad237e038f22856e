//! The black-box test harness: simulators and a gateway on free ports, talking real HTTP, with a
//! fresh SQLite file and attachment directory per test.

#![allow(dead_code)] // each test binary uses its own part of the harness

pub mod pki;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lienthong::clock::Clock;
use lienthong::config::Config;
use lienthong::{App, Running};
use lienthong_contract::notify_sim::{spawn_sms, Mail, Mails, Sms, SmtpSink};
use lienthong_contract::sim::{Faults, GatewayLink, SimHandle};
use lienthong_onestop::push::{describe_files, push_case, PushAnswer, PushFile};
use serde_json::Value;

pub const ONESTOP_A: &str = "test-onestop-token-commune-a-0001";
pub const ONESTOP_B: &str = "test-onestop-token-commune-b-0001";
pub const POLICE: &str = "test-police-token-0000000000001";
pub const INSURANCE: &str = "test-insurance-token-00000000001";
pub const ADMIN: &str = "test-admin-token-000000000000001";
pub const RESULT_SECRET: &str = "test-result-secret-000000000001";
pub const POLICE_SECRET: &str = "test-police-signing-secret-0001";
pub const INSURANCE_SECRET: &str = "test-insurance-signing-secret-1";
/// The SMS provider's token and signing secret (inbound messages), configured with `[notify.sms]`.
pub const SMS: &str = "test-sms-provider-token-0000001";
pub const SMS_SECRET: &str = "test-sms-provider-secret-000001";
/// The postal partner's token and signing secret (its reports on items).
pub const POSTAL: &str = "test-postal-partner-token-00001";
pub const POSTAL_SECRET: &str = "test-postal-partner-secret-0001";

/// The signing key of the system behind a test token.
pub fn secret_of(token: &str) -> Option<&'static str> {
    match token {
        ONESTOP_A | ONESTOP_B => Some(RESULT_SECRET),
        POLICE => Some(POLICE_SECRET),
        INSURANCE => Some(INSURANCE_SECRET),
        SMS => Some(SMS_SECRET),
        POSTAL => Some(POSTAL_SECRET),
        _ => None,
    }
}

/// The hex SHA-256 of a token, as gateway.toml lists it.
pub fn digest(token: &str) -> String {
    lienthong::store::credentials::token_digest(token)
}

/// Knobs of a test stack.
#[derive(Clone)]
pub struct Opts {
    pub police: Faults,
    pub insurance: Faults,
    pub onestop: Faults,
    pub max_attempts: u32,
    pub breaker_threshold: u32,
    pub request_timeout_ms: u64,
    pub clock: Clock,
    /// Start with no SMTP server listening (a relay that is down).
    pub smtp_down: bool,
    /// Extra keys of the `onestop-a` system (its limits), as TOML lines.
    pub onestop_a_extra: String,
    /// Extra keys of the `onestop-b` system (its limits), as TOML lines.
    pub onestop_b_extra: String,
    /// Extra keys of the `admin` system, as TOML lines.
    pub admin_extra: String,
    /// Extra top-level keys of gateway.toml, as TOML lines.
    pub gateway_extra: String,
    /// The store URL; `None` is a fresh SQLite file in the test's directory.
    pub store_url: Option<String>,
    /// An S3 bucket for attachments, as `(endpoint, bucket)`; `None` keeps them on disk.
    pub s3: Option<(String, String)>,
    /// How long a claimed delivery stays leased.
    pub lease_ms: u64,
    /// How long an open breaker stays open.
    pub breaker_open_ms: u64,
    /// How long a delivered leg waits for its decision before it is checked back (then doubling).
    pub check_back_after_ms: u64,
    /// Extra keys of the police and insurance systems (their limits), as TOML lines.
    pub agency_extra: String,
    /// Family SMS without diacritics (`notify.sms.unaccented`).
    pub sms_unaccented: bool,
    /// The regime new cases get (regimes.toml's `default`); the shipped default when `None`.
    pub regime: Option<&'static str>,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            police: Faults::default(),
            insurance: Faults::default(),
            onestop: Faults::default(),
            max_attempts: 10,
            breaker_threshold: 1000,
            request_timeout_ms: 3000,
            clock: Clock::system(),
            smtp_down: false,
            onestop_a_extra: String::new(),
            onestop_b_extra: String::new(),
            admin_extra: String::new(),
            gateway_extra: String::new(),
            store_url: None,
            s3: None,
            lease_ms: 60_000,
            breaker_open_ms: 200,
            check_back_after_ms: 3_600_000,
            agency_extra: String::new(),
            sms_unaccented: false,
            regime: None,
        }
    }
}

/// The local S3-compatible server scripts/test.sh starts (moto), if any.
pub fn s3_server() -> Option<String> {
    let s3 = std::env::var("LTTEST_S3").ok().filter(|s| !s.is_empty());
    if s3.is_none() && std::env::var_os("CI").is_some() && postgres_backend() {
        panic!("LTTEST_S3 is not set: run the suite with scripts/test.sh, which starts the S3 server");
    }
    s3
}

/// Creates a bucket of its own for one test on the S3 server.
pub async fn create_bucket(endpoint: &str) -> String {
    let bucket = format!("lt-test-{:016x}", fastrand::u64(..));
    let r = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the test S3 server");
    assert!(r.status().is_success(), "bucket not created: {}", r.status());
    bucket
}

/// The `[s3]` table of gateway.toml for a test bucket (the test server takes any credentials).
pub fn s3_table(endpoint: &str, bucket: &str) -> String {
    format!(
        "\n[s3]\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\naccess_key_id = \"test\"\nsecret_access_key = \"test\"\nallow_http = true\n"
    )
}

/// The backend the black-box suites run on: `LTTEST_BACKEND=postgres` runs them on PostgreSQL (a
/// fresh database per stack, see [`PgDatabase`]); anything else on SQLite. Test settings are
/// `LTTEST_*` because `LIENTHONG_*` variables would be read as configuration overrides by the
/// gateway processes the tests start.
pub fn postgres_backend() -> bool {
    std::env::var("LTTEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The server the PostgreSQL tests create their databases on.
pub fn postgres_server() -> String {
    std::env::var("LTTEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A PostgreSQL database of its own for one test, dropped (with its connections) when this is.
pub struct PgDatabase {
    pub url: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "lt_test_{}_{}_{:08x}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            fastrand::u32(..)
        );
        admin_sql(format!("CREATE DATABASE {name}"));
        PgDatabase {
            url: format!("{}/{name}", postgres_server()),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        admin_sql(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// Runs one statement on the server's `postgres` database, from a thread of its own (so it works
/// inside and outside a runtime, including from `Drop`).
fn admin_sql(sql: String) {
    let url = format!("{}/postgres", postgres_server());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .expect("the test PostgreSQL server");
            sqlx::query(&sql).execute(&mut conn).await.unwrap();
        });
    })
    .join()
    .unwrap();
}

/// An agency system that takes every dossier and never decides (its staff decide elsewhere,
/// or a test decides for it).
pub fn undecided() -> Faults {
    let mut f = Faults::default();
    f.decide.completed = 0;
    f
}

/// Faults that decide quickly: everything completed after 20 ms.
pub fn quick() -> Faults {
    let mut f = Faults::default();
    f.decide.after_ms = 20;
    f
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes a test configuration directory.
/// Where the gateway sends messages in tests.
pub struct NotifyTargets {
    pub sms_url: String,
    pub smtp: std::net::SocketAddr,
}

pub const ADMIN_EMAIL: &str = "quantri@lienthong.test";
pub const POLICE_EMAIL: &str = "congan@lienthong.test";
pub const INSURANCE_EMAIL: &str = "bhxh@lienthong.test";
pub const COMMUNE_EMAIL: &str = "motcua-a@lienthong.test";

#[allow(clippy::too_many_arguments)]
pub fn write_config(
    dir: &Path,
    listen: &str,
    police: &str,
    insurance: &str,
    onestop: &str,
    notify: Option<&NotifyTargets>,
    opts: &Opts,
) {
    let store = opts
        .store_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("store.db").display()));
    let att = dir.join("attachments");
    let gateway = format!(
        r#"
listen = "{listen}"
store_url = "{store}"
attachment_dir = "{att}"
attachment_max_bytes = 20971520
{gateway_extra}
{s3}

[delivery]
workers = 8
poll_interval_ms = 50
request_timeout_ms = {timeout}
lease_ms = {lease}
file_rounds = 3

[delivery.retry]
min_delay_ms = 20
max_delay_ms = 200
factor = 2.0
max_attempts = {attempts}
max_age_minutes = 60

[delivery.breaker]
failure_threshold = {breaker}
open_ms = {breaker_open}

[delivery.check_back]
residence_after_ms = {check_after}
insurance_after_ms = {check_after}
max_interval_ms = {check_max}
per_office_per_minute = 600
poll_interval_ms = 50

[deadlines]
sweep_interval_ms = 50
{notify}
[[systems]]
id = "onestop-a"
kind = "onestop"
token_sha256 = ["{d_onestop_a}"]
signing_secret = "{RESULT_SECRET}"
communes = ["22609"]
{a_extra}

[[systems]]
id = "onestop-b"
kind = "onestop"
token_sha256 = ["{d_onestop_b}"]
signing_secret = "{RESULT_SECRET}"
communes = ["22612"]
{b_extra}

[[systems]]
id = "police"
kind = "police"
token_sha256 = ["{d_police}"]
signing_secret = "{POLICE_SECRET}"
offices = ["CA-568"]
{agency_extra}

[[systems]]
id = "insurance"
kind = "insurance"
token_sha256 = ["{d_insurance}"]
signing_secret = "{INSURANCE_SECRET}"
offices = ["BHXH-5608"]
{agency_extra}

[[systems]]
id = "admin"
kind = "admin"
token_sha256 = ["{d_admin}"]
{admin_extra}

[[systems]]
id = "postal"
kind = "postal"
token_sha256 = ["{d_postal}"]
signing_secret = "{POSTAL_SECRET}"
{sms_system}
"#,
        att = att.display(),
        s3 = opts.s3.as_ref().map_or(String::new(), |(e, b)| s3_table(e, b)),
        a_extra = opts.onestop_a_extra,
        b_extra = opts.onestop_b_extra,
        admin_extra = opts.admin_extra,
        gateway_extra = opts.gateway_extra,
        d_onestop_a = digest(ONESTOP_A),
        d_onestop_b = digest(ONESTOP_B),
        d_police = digest(POLICE),
        d_insurance = digest(INSURANCE),
        d_admin = digest(ADMIN),
        d_postal = digest(POSTAL),
        timeout = opts.request_timeout_ms,
        lease = opts.lease_ms,
        attempts = opts.max_attempts,
        breaker = opts.breaker_threshold,
        breaker_open = opts.breaker_open_ms,
        check_after = opts.check_back_after_ms,
        check_max = opts.check_back_after_ms * 8,
        agency_extra = opts.agency_extra,
        notify = notify.map_or(String::new(), |n| format!(
            "\n[notify]\nadmin_emails = [\"{ADMIN_EMAIL}\"]\n\n[notify.retry]\nmin_delay_ms = 50\nmax_delay_ms = 300\nfactor = 2.0\nmax_attempts = 1000\nmax_age_minutes = 600\n\n\
             [notify.email]\nhost = \"{}\"\nport = {}\ntls = \"none\"\nfrom = \"Liên thông thử <lienthong@lienthong.test>\"\n\n\
             [notify.sms]\nurl = \"{}/sms\"\nunaccented = {}\n",
            n.smtp.ip(), n.smtp.port(), n.sms_url, opts.sms_unaccented
        )),
        sms_system = notify.map_or(String::new(), |_| format!(
            "[[systems]]\nid = \"sms\"\nkind = \"sms\"\ntoken_sha256 = [\"{}\"]\nsigning_secret = \"{SMS_SECRET}\"\n",
            digest(SMS)
        )),
    );
    let commune = |code: &str, system: &str| {
        format!(
            "[communes.\"{code}\"]\nname = \"Xã thử {code}\"\npolice_office = \"CA-568\"\ninsurance_office = \"BHXH-5608\"\nonestop_system = \"{system}\"\nonestop_result_url = \"{onestop}/onestop/results\"\nemails = [\"{COMMUNE_EMAIL}\"]\nhotline = \"0258 3820 000\"\n\n"
        )
    };
    let routes = format!(
        "[police_offices.\"CA-568\"]\nname = \"Công an huyện\"\nendpoint = \"{police}\"\nemails = [\"{POLICE_EMAIL}\"]\n\n[insurance_offices.\"BHXH-5608\"]\nname = \"BHXH huyện\"\nendpoint = \"{insurance}\"\nemails = [\"{INSURANCE_EMAIL}\"]\n\n{}{}",
        commune("22609", "onestop-a"),
        commune("22612", "onestop-b"),
    );
    std::fs::write(dir.join("gateway.toml"), gateway).unwrap();
    std::fs::write(dir.join("routes.toml"), routes).unwrap();
    std::fs::copy(repo().join("config/provinces.toml"), dir.join("provinces.toml")).unwrap();
    let regimes = std::fs::read_to_string(repo().join("config/regimes.toml")).unwrap();
    let regimes = match opts.regime {
        Some(name) => regimes.replacen("default = \"khanh-vinh-8d\"", &format!("default = \"{name}\""), 1),
        None => regimes,
    };
    std::fs::write(dir.join("regimes.toml"), regimes).unwrap();
    std::fs::create_dir_all(dir.join("calendar")).unwrap();
    for year in ["2025", "2026", "2027"] {
        let file = format!("calendar/{year}.toml");
        std::fs::copy(repo().join("config").join(&file), dir.join(&file)).unwrap();
    }
}

/// Simulators, a gateway and a client.
pub struct Stack {
    pub gateway: Option<Running>,
    pub url: String,
    pub police: SimHandle,
    pub insurance: SimHandle,
    pub onestop: SimHandle,
    pub sms: SimHandle,
    pub sms_log: Arc<Mutex<Vec<Sms>>>,
    /// The postal partner, reporting items at `/_sim/report`.
    pub postal: SimHandle,
    pub smtp: Option<SmtpSink>,
    pub smtp_addr: std::net::SocketAddr,
    pub mails: Mails,
    pub clock: Clock,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The stack's PostgreSQL database, when the suite runs on PostgreSQL.
    pub pg: Option<PgDatabase>,
}

pub async fn listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()
}

/// Starts the three simulators reporting to `gateway_url`.
pub async fn simulators(gateway_url: &str, opts: &Opts) -> (SimHandle, SimHandle, SimHandle) {
    let police = lienthong_police_residence::sim::spawn(
        listener().await,
        opts.police.clone(),
        1,
        Some(GatewayLink {
            url: gateway_url.to_string(),
            token: POLICE.to_string(),
            secret: POLICE_SECRET.to_string(),
            client: None,
        }),
    );
    let insurance = lienthong_social_insurance::sim::spawn(
        listener().await,
        opts.insurance.clone(),
        2,
        Some(GatewayLink {
            url: gateway_url.to_string(),
            token: INSURANCE.to_string(),
            secret: INSURANCE_SECRET.to_string(),
            client: None,
        }),
    );
    let onestop = lienthong_onestop::sim::spawn(listener().await, opts.onestop.clone(), 3, RESULT_SECRET.as_bytes());
    (police, insurance, onestop)
}

/// The whole stack in this process, the gateway built by the same `App` as `main`.
pub async fn spawn_stack(mut opts: Opts) -> Stack {
    let pg = (opts.store_url.is_none() && postgres_backend()).then(PgDatabase::create);
    if let Some(db) = &pg {
        opts.store_url = Some(db.url.clone());
        if let Some(endpoint) = s3_server() {
            let bucket = create_bucket(&endpoint).await;
            opts.s3 = Some((endpoint, bucket));
        }
    }
    let gw_listener = listener().await;
    let addr = gw_listener.local_addr().unwrap();
    let url = format!("http://{addr}");
    let (police, insurance, onestop) = simulators(&url, &opts).await;
    let mails: Mails = Arc::default();
    let inbound = lienthong_contract::sim::GatewayLink {
        url: url.clone(),
        token: SMS.into(),
        secret: SMS_SECRET.into(),
        client: None,
    };
    let (sms, sms_log) = spawn_sms(listener().await, Faults::default(), Arc::clone(&mails), Some(inbound));
    let smtp_listener = listener().await;
    let smtp_addr = smtp_listener.local_addr().unwrap();
    let smtp = if opts.smtp_down {
        None
    } else {
        Some(SmtpSink::start(smtp_listener, Arc::clone(&mails)))
    };
    let dir = tempfile::tempdir().unwrap();
    let targets = NotifyTargets {
        sms_url: sms.url(),
        smtp: smtp_addr,
    };
    write_config(
        dir.path(),
        &addr.to_string(),
        &police.url(),
        &insurance.url(),
        &onestop.url(),
        Some(&targets),
        &opts,
    );
    let config = Config::load_with_env(dir.path(), std::iter::empty()).unwrap();
    let gateway = App::with_listener(config, gw_listener, opts.clock.clone())
        .await
        .unwrap()
        .spawn();
    let postal = lienthong_contract::postal_sim::spawn_postal(
        listener().await,
        lienthong_contract::sim::GatewayLink {
            url: url.clone(),
            token: POSTAL.into(),
            secret: POSTAL_SECRET.into(),
            client: None,
        },
    );
    Stack {
        gateway: Some(gateway),
        url,
        police,
        insurance,
        onestop,
        sms,
        sms_log,
        postal,
        smtp,
        smtp_addr,
        mails,
        clock: opts.clock.clone(),
        dir,
        http: reqwest::Client::new(),
        pg,
    }
}

/// A fixture manifest received a minute ago (see [`lienthong::demo::freshen`]), with its files,
/// sizes and hashes filled in.
pub fn fixture(name: &str) -> (Value, Vec<PushFile>) {
    let fixtures = repo().join("fixtures");
    let mut f = lienthong::demo::load_fixtures(&fixtures.join("valid"), &fixtures.join("files"))
        .unwrap()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    lienthong::demo::freshen(&mut f.manifest, jiff::Timestamp::now());
    describe_files(&mut f.manifest, &f.files).unwrap();
    (f.manifest, f.files)
}

/// Extra system keys that lift a token's request budget, for benchmarks that push and poll as
/// fast as they can.
pub const UNLIMITED: &str = "rate_per_minute = 1000000\nburst = 100000";

/// Three PDF-looking attachments of about 1 MiB in all (random bytes, fixed seed), for the
/// benchmarks.
pub fn pdf_attachments(dir: &Path) -> Vec<PushFile> {
    let mut rng = fastrand::Rng::with_seed(42);
    [
        ("birth-registration-extract", 400_000usize),
        ("residence-declaration", 350_000),
        ("birth-certificate-medical", 298_576),
    ]
    .into_iter()
    .map(|(kind, size)| {
        let path = dir.join(format!("{kind}.pdf"));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend((bytes.len()..size).map(|_| rng.u8(..)));
        std::fs::write(&path, bytes).unwrap();
        PushFile {
            kind: kind.into(),
            path,
            media_type: "application/pdf".into(),
        }
    })
    .collect()
}

/// The first fixture under `code`, carrying `files` as its attachments.
pub fn manifest_for(code: &str, files: &[PushFile]) -> Value {
    let (mut m, _) = case_with_code(code);
    m["attachments"] = files
        .iter()
        .map(|f| serde_json::json!({"kind": f.kind, "file_name": format!("{}.pdf", f.kind), "media_type": "application/pdf"}))
        .collect();
    describe_files(&mut m, files).unwrap();
    m
}

/// The first valid fixture under a fresh receipt code.
pub fn case_with_code(code: &str) -> (Value, Vec<PushFile>) {
    let (mut m, files) = fixture("01-khanh-vinh-girl");
    m["receipt_code"] = code.into();
    (m, files)
}

impl Stack {
    /// Stops the gateway and starts a new one on the same address, store and clock.
    pub async fn restart_gateway(&mut self) {
        let old = self.gateway.take().expect("a running gateway");
        let addr = old.addr;
        old.stop().await;
        let config = Config::load_with_env(self.dir.path(), std::iter::empty()).unwrap();
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        self.gateway = Some(
            App::with_listener(config, listener, self.clock.clone())
                .await
                .unwrap()
                .spawn(),
        );
    }

    /// Starts the SMTP server (again) on its port.
    pub async fn start_smtp(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.smtp_addr).await.unwrap();
        self.smtp = Some(SmtpSink::start(listener, Arc::clone(&self.mails)));
    }

    /// GETs an API path with a token and reads the JSON answer (see [`get_ok_json`]).
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        get_ok_json(&self.http, &format!("{}{path}", self.url), token).await
    }

    /// POSTs JSON to an API path with a token, signed now with that system's key.
    pub async fn signed_post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        let mut req = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(token)
            .header("content-type", "application/json");
        if let Some(secret) = secret_of(token) {
            for (name, value) in lienthong_contract::signature::headers(secret.as_bytes(), "POST", path, &bytes) {
                req = req.header(name, value);
            }
        }
        req.body(bytes).send().await.unwrap()
    }

    /// POSTs JSON to an API path with a token (signed): the status and the JSON answer (null if none).
    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = self.signed_post(token, path, body).await;
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// GETs a path with optional headers (a session cookie, a bearer token): status and text.
    pub async fn get_text(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let (status, text) = self.get_text("/metrics", &[]).await;
        assert_eq!(status, 200, "{text}");
        text
    }

    /// Email received so far.
    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// SMS received so far.
    pub fn sms(&self) -> Vec<Sms> {
        self.sms_log.lock().unwrap().clone()
    }

    pub async fn push(&self, token: &str, manifest: &Value, files: &[PushFile]) -> PushAnswer {
        push_case(&self.http, &self.url, token, manifest, files).await.unwrap()
    }

    /// Pushes the first fixture under `code` as commune A and returns the new case id.
    pub async fn push_new(&self, code: &str) -> String {
        let (m, files) = case_with_code(code);
        let a = self.push(ONESTOP_A, &m, &files).await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["case_id"].as_str().unwrap().to_string()
    }

    pub async fn get_case(&self, id: &str) -> Value {
        get_case(&self.http, &self.url, id).await
    }

    /// Waits until the case's status is `status` (panics with the case after `secs`).
    pub async fn wait_status(&self, id: &str, status: &str, secs: u64) -> Value {
        wait_status(&self.http, &self.url, id, status, secs).await
    }
}

pub async fn get_case(http: &reqwest::Client, url: &str, id: &str) -> Value {
    get_ok_json(http, &format!("{url}/api/v1/cases/{id}"), ADMIN).await
}

/// GETs a JSON answer that must be a success. A 429 is waited out as its `Retry-After` says (the
/// behaviour the README asks of every client), so a slow machine makes a polling test slower,
/// never red; any other failure panics with the status and the body.
pub async fn get_ok_json(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let r = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = r.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS && tokio::time::Instant::now() < give_up {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait.clamp(1, 60))).await;
            continue;
        }
        let body = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "GET {url}: {status} {body}");
        return serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body}"));
    }
}

pub async fn wait_status(http: &reqwest::Client, url: &str, id: &str, status: &str, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = get_case(http, url, id).await;
        if c["status"] == status {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("case {id} did not reach {status}: {c:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The state of a named leg in a case JSON.
pub fn leg<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
}

/// Waits until a leg reaches `state`.
pub async fn wait_leg(stack: &Stack, id: &str, name: &str, state: &str, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = stack.get_case(id).await;
        if leg(&c, name)["state"] == state {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("leg {name} of {id} did not reach {state}: {c:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until a gateway started as a process answers `/healthz`.
pub async fn wait_healthy(http: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if http
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gateway did not come up");
}

/// Creates a web user with `role` and signs it in; the session cookie (`name=value`).
pub async fn sign_in(stack: &Stack, login: &str, role: lienthong::accounts::Role, scopes: &[&str]) -> String {
    let hash = lienthong::accounts::hash_password("mat-khau-thu-nghiem").unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let new = lienthong::store::users::NewUser {
        login,
        display_name: "Người thử nghiệm",
        password_hash: &hash,
        role,
        scopes: &scopes,
    };
    stack.gateway.as_ref().unwrap().store.create_user(&new).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/login", stack.url))
        .form(&[("login", login), ("password", "mat-khau-thu-nghiem")])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// Polls `probe` until it gives a value, failing the test after `secs` seconds.
pub async fn wait_for<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}
