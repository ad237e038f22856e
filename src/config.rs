//! Configuration: `config/gateway.toml`, `config/routes.toml` and `config/provinces.toml`.
//!
//! `LIENTHONG_*` environment variables override keys of `gateway.toml`: the name after the prefix
//! is the key path in lower case with `__` between levels, e.g. `LIENTHONG_LISTEN`,
//! `LIENTHONG_STORE_URL`, `LIENTHONG_DELIVERY__RETRY__MAX_ATTEMPTS`. Values are read as TOML
//! scalars (numbers, booleans) and fall back to strings. Relative paths are relative to the
//! working directory. [`Config::load`] reports EVERY problem with its file and key.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::deadline::files::{load_calendar, load_regimes, Regimes};
use crate::deadline::Calendar;

/// A token or key that never prints.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret value, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// `gateway.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    #[serde(default = "default_store_url")]
    pub store_url: String,
    #[serde(default = "default_attachment_dir")]
    pub attachment_dir: PathBuf,
    #[serde(default = "default_max_bytes")]
    pub attachment_max_bytes: u64,
    /// 64 hex digits: attachments are then sealed at rest (XChaCha20-Poly1305). Best given as
    /// `LIENTHONG_ATTACHMENT_KEY` from a secret store; losing it loses the sealed files.
    pub attachment_key: Option<Secret>,
    /// Attachments in an S3-compatible bucket instead of `attachment_dir` (which then only
    /// spools uploads): the shape for several gateway processes.
    pub s3: Option<S3Config>,
    #[serde(default)]
    pub delivery: DeliveryConfig,
    #[serde(default)]
    pub systems: Vec<SystemConfig>,
    #[serde(default)]
    pub deadlines: DeadlinesConfig,
    #[serde(default)]
    pub notify: NotifyConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    /// HTTPS: without it the gateway speaks plain HTTP, which is allowed only on a loopback
    /// address or with `plain_http = true` (e.g. behind a TLS-terminating proxy on the same host).
    pub tls: Option<ServerTls>,
    #[serde(default)]
    pub plain_http: bool,
}

/// An S3-compatible bucket (AWS S3, MinIO, Ceph, a cloud provider's object storage). The
/// credentials are best given as `LIENTHONG_S3__ACCESS_KEY_ID` / `LIENTHONG_S3__SECRET_ACCESS_KEY`;
/// without them the standard `AWS_*` variables are used. The bucket must exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// e.g. `https://s3.example.vn`; None is AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    /// Allows an `http://` endpoint (a bucket on the same host or private network).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl S3Config {
    /// The bucket as an object store (no request is made yet).
    pub fn object_store(&self) -> Result<std::sync::Arc<dyn object_store::ObjectStore>, object_store::Error> {
        let mut b = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_allow_http(self.allow_http);
        if let Some(endpoint) = &self.endpoint {
            b = b.with_endpoint(endpoint).with_virtual_hosted_style_request(false);
        }
        if let Some(id) = &self.access_key_id {
            b = b.with_access_key_id(id);
        }
        if let Some(secret) = &self.secret_access_key {
            b = b.with_secret_access_key(secret.expose());
        }
        Ok(std::sync::Arc::new(b.build()?))
    }
}

/// How long personal files are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days after a case ended (completed, rejected or cancelled, and unchanged since) after which
    /// its attachment bytes are deleted; the hashes and the audit trail stay. None keeps them.
    pub attachment_days: Option<u32>,
}

/// The gateway's own certificate, and the CA whose client certificates agency systems must
/// present on the agency API (mutual TLS) when set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// How the gateway connects to one system over TLS: the CA bundle it trusts for that system
/// (instead of the public web roots) and our client certificate for mutual TLS.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl ClientTls {
    /// The HTTP client for this system.
    pub fn client(&self) -> std::io::Result<reqwest::Client> {
        let identity = self.cert.as_deref().zip(self.key.as_deref());
        lienthong_contract::tls::client(self.ca.as_deref(), identity)
    }
}

/// Office hours and the sweeper; the calendar and regimes are files of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeadlinesConfig {
    /// A dossier received at or after this local time counts from the next working day.
    pub cutoff: jiff::civil::Time,
    /// A deadline ends at this local time.
    pub close_of_business: jiff::civil::Time,
    /// How often the sweeper looks for clocks that changed state.
    pub sweep_interval_ms: u64,
}

impl Default for DeadlinesConfig {
    fn default() -> Self {
        DeadlinesConfig {
            cutoff: jiff::civil::Time::constant(15, 0, 0, 0),
            close_of_business: jiff::civil::Time::constant(17, 0, 0, 0),
            sweep_interval_ms: 30_000,
        }
    }
}

/// Messages to families, offices and administrators. A channel without its table is off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Administrators warned of every clock at risk or overdue.
    pub admin_emails: Vec<String>,
    pub email: Option<EmailConfig>,
    pub sms: Option<SmsConfig>,
    pub retry: RetryConfig,
}

/// How email leaves: an SMTP relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub host: String,
    pub port: u16,
    /// `none` (a relay on loopback only), `starttls` or `tls` (both rustls).
    #[serde(default = "default_tls")]
    pub tls: EmailTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The sender, e.g. `Liên thông Khánh Vĩnh <lienthong@khanhvinh.gov.vn>`.
    pub from: String,
}

fn default_tls() -> EmailTls {
    EmailTls::Starttls
}

/// Transport security towards the SMTP relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailTls {
    None,
    Starttls,
    Tls,
}

/// An HTTP SMS provider: `template` is the JSON body with `{to}` and `{text}` placeholders,
/// replaced by JSON strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    pub url: String,
    /// Sent as a bearer token.
    pub token: Option<Secret>,
    #[serde(default = "default_sms_template")]
    pub template: String,
}

fn default_sms_template() -> String {
    r#"{"to": {to}, "text": {text}}"#.into()
}

fn default_store_url() -> String {
    "sqlite://data/lienthong.db".into()
}
fn default_attachment_dir() -> PathBuf {
    PathBuf::from("data/attachments")
}
fn default_max_bytes() -> u64 {
    20 * 1024 * 1024
}

/// How deliveries are worked and retried.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Deliveries in flight at once.
    pub workers: usize,
    /// How often the outbox is polled when nothing wakes the workers.
    pub poll_interval_ms: u64,
    /// Time-out of one request to a receiving system.
    pub request_timeout_ms: u64,
    /// How long a claimed delivery stays reserved before another worker may take it.
    pub lease_ms: u64,
    /// Rounds of lone-file re-sends within one attempt before it counts as failed.
    pub file_rounds: u32,
    pub retry: RetryConfig,
    pub breaker: BreakerConfig,
    pub check_back: CheckBackConfig,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            workers: 8,
            poll_interval_ms: 500,
            request_timeout_ms: 30_000,
            lease_ms: 300_000,
            file_rounds: 3,
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            check_back: CheckBackConfig::default(),
        }
    }
}

/// When a delivered leg whose decision has not arrived is checked back with its agency
/// (docs/reconciliation.md): first `*_after_ms` after delivery, then at doubling intervals up to
/// `max_interval_ms`; at most `per_office_per_minute` checks to one office.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckBackConfig {
    pub residence_after_ms: u64,
    pub insurance_after_ms: u64,
    pub max_interval_ms: u64,
    pub per_office_per_minute: u32,
    /// How often due check-backs are looked for.
    pub poll_interval_ms: u64,
}

impl Default for CheckBackConfig {
    fn default() -> Self {
        CheckBackConfig {
            residence_after_ms: 30 * 60_000,
            insurance_after_ms: 30 * 60_000,
            max_interval_ms: 4 * 3_600_000,
            per_office_per_minute: 30,
            poll_interval_ms: 5_000,
        }
    }
}

impl CheckBackConfig {
    /// How long a leg of `kind` waits for its decision before the first check.
    pub fn after_ms(&self, kind: lienthong_contract::LegKind) -> u64 {
        match kind {
            lienthong_contract::LegKind::Insurance => self.insurance_after_ms,
            _ => self.residence_after_ms,
        }
    }
}

/// Exponential backoff with jitter; a leg is dead when either limit is reached.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    pub min_delay_ms: u64,
    pub max_delay_ms: u64,
    pub factor: f32,
    pub max_attempts: u32,
    pub max_age_minutes: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            min_delay_ms: 2_000,
            max_delay_ms: 600_000,
            factor: 2.0,
            max_attempts: 15,
            max_age_minutes: 48 * 60,
        }
    }
}

/// Per-endpoint circuit breaker.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker stays open before one trial request.
    pub open_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            open_ms: 30_000,
        }
    }
}

/// The kind of an agency system, which decides what its token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemKind {
    /// A commune one-stop system: pushes cases of its communes, reads them, receives results.
    Onestop,
    /// A police residence system: decides residence legs of its offices.
    Police,
    /// A social-insurance system: decides insurance legs of its offices.
    Insurance,
    /// An operator: reads everything, resends dead legs.
    Admin,
}

/// One connected system. Its bearer tokens live in the store as SHA-256 digests only
/// (`lienthong token add|revoke|list`), so several can be active while one is rotated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    pub id: String,
    pub kind: SystemKind,
    /// Hex SHA-256 digests of tokens issued outside the gateway (e.g. by a secrets manager).
    /// They are copied into the store at start-up, where `lienthong token revoke` retires them
    /// for good (a revoked digest is never re-activated by a restart).
    #[serde(default)]
    pub token_sha256: Vec<String>,
    #[serde(default)]
    pub communes: Vec<String>,
    #[serde(default)]
    pub offices: Vec<String>,
    /// HMAC-SHA256 key shared with the system: signs the results sent to a one-stop system and
    /// checks the decisions a police or insurance system sends (see `lienthong_contract::signature`).
    pub signing_secret: Option<Secret>,
    /// Requests per minute each of the system's tokens may make (answered 429 beyond).
    #[serde(default = "default_rate_per_minute")]
    pub rate_per_minute: u32,
    /// Requests a token may make at once after a quiet period; by default sized by the system's
    /// kind (see [`SystemConfig::burst`]).
    #[serde(default)]
    pub burst: Option<u32>,
    /// The largest request body a token may send; none means the gateway-wide limit.
    pub max_request_bytes: Option<u64>,
    /// Under mutual TLS, the SHA-256 (hex, of the DER certificate) of the client certificates
    /// this system may present; empty: any certificate from the client CA. Several allow a
    /// certificate to be renewed with overlap.
    #[serde(default)]
    pub client_cert_sha256: Vec<String>,
}

fn default_rate_per_minute() -> u32 {
    600
}
/// The default burst of a police or insurance system's token: the decisions a large office
/// makes in a day, arriving at once when its system or the gateway comes back after an outage
/// (sizing in docs/reconciliation.md).
pub const AGENCY_BURST: u32 = 600;
/// The default burst of any other system's token.
pub const DEFAULT_BURST: u32 = 60;

impl SystemConfig {
    /// Requests a token of this system may make at once: as configured, else by kind.
    pub fn burst(&self) -> u32 {
        self.burst.unwrap_or(match self.kind {
            SystemKind::Police | SystemKind::Insurance => AGENCY_BURST,
            SystemKind::Onestop | SystemKind::Admin => DEFAULT_BURST,
        })
    }
}

/// `routes.toml`: where each commune's legs go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesConfig {
    #[serde(default)]
    pub police_offices: BTreeMap<String, OfficeConfig>,
    #[serde(default)]
    pub insurance_offices: BTreeMap<String, OfficeConfig>,
    #[serde(default)]
    pub communes: BTreeMap<String, CommuneRoute>,
}

/// A receiving office.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficeConfig {
    pub name: String,
    pub endpoint: String,
    /// Where warnings about legs this office holds go.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Trust and client certificate towards this office's system.
    #[serde(default)]
    pub tls: ClientTls,
}

/// A commune and the offices that serve it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommuneRoute {
    pub name: String,
    pub police_office: String,
    pub insurance_office: String,
    pub onestop_system: String,
    pub onestop_result_url: String,
    /// The commune officers warned about the commune's cases and asked to confirm apologies.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Trust and client certificate towards the one-stop result endpoint.
    #[serde(default)]
    pub onestop_tls: ClientTls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvincesFile {
    provinces: BTreeMap<String, String>,
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub dir: PathBuf,
    pub gateway: GatewayConfig,
    pub routes: RoutesConfig,
    /// Province codes of the personal id (province-codes.md), code → name.
    pub provinces: BTreeMap<String, String>,
    /// The working calendar from `calendar/<year>.toml`.
    pub calendar: Calendar,
    /// The deadline regimes from `regimes.toml`.
    pub regimes: Regimes,
}

/// One configuration problem, located by file and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.key, self.message)
    }
}

/// Every problem found in a configuration directory.
#[derive(Debug, thiserror::Error)]
#[error("{} configuration problem(s)", .0.len())]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    fn push(&mut self, file: &str, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            file: file.into(),
            key: key.into(),
            message: message.into(),
        });
    }
}

fn read_toml(dir: &Path, file: &str, problems: &mut Problems) -> Option<toml::Table> {
    let path = dir.join(file);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(file, "-", format!("cannot read {}: {e}", path.display()));
            return None;
        }
    };
    match text.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            problems.push(file, "-", e.message().to_string());
            None
        }
    }
}

fn typed<T: serde::de::DeserializeOwned>(table: toml::Table, file: &str, problems: &mut Problems) -> Option<T> {
    match T::deserialize(toml::Value::Table(table)) {
        Ok(v) => Some(v),
        Err(e) => {
            problems.push(file, "-", e.message().to_string());
            None
        }
    }
}

/// `LIENTHONG_*` variables that are read elsewhere, not keys of `gateway.toml`.
const NOT_CONFIG: [&str; 6] = [
    "LOG",
    "LOG_FORMAT",
    "CONFIG_DIR",
    "USER_PASSWORD",
    "SIM_TOKEN",
    "SIM_SECRET",
];

/// Applies `LIENTHONG_*` overrides to the raw gateway table.
pub fn apply_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) {
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix("LIENTHONG_") else {
            continue;
        };
        if rest.is_empty() || NOT_CONFIG.contains(&rest) {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
        let parsed = format!("v = {value}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(value));
        let mut at = &mut *table;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                at.insert(key.clone(), parsed.clone());
            } else {
                let next = at
                    .entry(key.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !next.is_table() {
                    *next = toml::Value::Table(toml::Table::new());
                }
                at = next.as_table_mut().expect("just made a table");
            }
        }
    }
}

fn is_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn five_digits(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

impl Config {
    /// Loads and checks `dir`, with environment overrides from the process.
    pub fn load(dir: &Path) -> Result<Config, Problems> {
        Self::load_with_env(dir, std::env::vars())
    }

    /// Loads and checks `dir` with the given environment (tests pass their own).
    pub fn load_with_env(dir: &Path, env: impl Iterator<Item = (String, String)>) -> Result<Config, Problems> {
        let mut problems = Problems(Vec::new());
        let gateway = read_toml(dir, "gateway.toml", &mut problems).and_then(|mut t| {
            apply_env(&mut t, env);
            typed::<GatewayConfig>(t, "gateway.toml", &mut problems)
        });
        let routes = read_toml(dir, "routes.toml", &mut problems)
            .and_then(|t| typed::<RoutesConfig>(t, "routes.toml", &mut problems));
        let provinces = read_toml(dir, "provinces.toml", &mut problems)
            .and_then(|t| typed::<ProvincesFile>(t, "provinces.toml", &mut problems));
        let defaults = DeadlinesConfig::default();
        let hours = gateway.as_ref().map_or(&defaults, |g| &g.deadlines);
        let calendar = load_calendar(
            &dir.join("calendar"),
            hours.cutoff,
            hours.close_of_business,
            &mut problems.0,
        );
        let regimes = load_regimes(&dir.join("regimes.toml"), &mut problems.0);
        if let (Some(g), Some(r), Some(p)) = (&gateway, &routes, &provinces) {
            check(g, r, &p.provinces, &mut problems);
        }
        match (gateway, routes, provinces, regimes) {
            (Some(gateway), Some(routes), Some(p), Some(regimes)) if problems.0.is_empty() => Ok(Config {
                dir: dir.to_path_buf(),
                gateway,
                routes,
                provinces: p.provinces,
                calendar,
                regimes,
            }),
            _ => Err(problems),
        }
    }

    /// The request time-out for receiving systems.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.gateway.delivery.request_timeout_ms)
    }
}

fn check_client_tls(tls: &ClientTls, endpoint: &str, key: &str, p: &mut Problems) {
    const RT: &str = "routes.toml";
    if tls.cert.is_some() != tls.key.is_some() {
        p.push(RT, key, "cert and key go together");
    }
    if (tls.ca.is_some() || tls.cert.is_some()) && !endpoint.starts_with("https://") {
        p.push(RT, key, "TLS settings need an https:// endpoint");
    }
    if let Err(e) = tls.client() {
        p.push(RT, key, e.to_string());
    }
}

fn check_emails(emails: &[String], key: &str, file: &str, p: &mut Problems) {
    for (i, e) in emails.iter().enumerate() {
        if e.parse::<lettre::Address>().is_err() {
            p.push(file, format!("{key}[{i}]"), format!("'{e}' is not an email address"));
        }
    }
}

fn check(g: &GatewayConfig, r: &RoutesConfig, provinces: &BTreeMap<String, String>, p: &mut Problems) {
    const GW: &str = "gateway.toml";
    const RT: &str = "routes.toml";
    if crate::store::dialect::Dialect::of_url(&g.store_url).is_none() {
        p.push(
            GW,
            "store_url",
            "must be sqlite://PATH or postgres://USER@HOST/DATABASE",
        );
    }
    if let Some(s3) = &g.s3 {
        if let Err(e) = s3.object_store() {
            p.push(GW, "s3", e.to_string());
        }
        if s3.endpoint.as_deref().is_some_and(|e| e.starts_with("http://")) && !s3.allow_http {
            p.push(GW, "s3.endpoint", "an http:// endpoint needs allow_http = true");
        }
    }
    if g.attachment_max_bytes == 0 {
        p.push(GW, "attachment_max_bytes", "must be at least 1");
    }
    let d = &g.delivery;
    if d.workers == 0 {
        p.push(GW, "delivery.workers", "must be at least 1");
    }
    if d.retry.min_delay_ms > d.retry.max_delay_ms {
        p.push(GW, "delivery.retry.min_delay_ms", "must not exceed max_delay_ms");
    }
    if d.retry.max_attempts == 0 {
        p.push(GW, "delivery.retry.max_attempts", "must be at least 1");
    }
    if d.retry.factor < 1.0 {
        p.push(GW, "delivery.retry.factor", "must be at least 1.0");
    }
    if g.deadlines.cutoff > g.deadlines.close_of_business {
        p.push(GW, "deadlines.cutoff", "must not be after close_of_business");
    }
    if g.deadlines.sweep_interval_ms == 0 {
        p.push(GW, "deadlines.sweep_interval_ms", "must be at least 1");
    }
    if let Some(sms) = &g.notify.sms {
        if !is_url(&sms.url) {
            p.push(GW, "notify.sms.url", "must be an http(s) URL");
        }
        if !(sms.template.contains("{to}") && sms.template.contains("{text}")) {
            p.push(GW, "notify.sms.template", "must contain {to} and {text}");
        }
    }
    if let Some(email) = &g.notify.email {
        if email.from.parse::<lettre::message::Mailbox>().is_err() {
            p.push(
                GW,
                "notify.email.from",
                "must be a mailbox like 'Tên <dia.chi@mien.vn>'",
            );
        }
        if email.username.is_some() != email.password.is_some() {
            p.push(GW, "notify.email.username", "username and password go together");
        }
    }
    for (i, e) in g.notify.admin_emails.iter().enumerate() {
        if e.parse::<lettre::Address>().is_err() {
            p.push(
                GW,
                format!("notify.admin_emails[{i}]"),
                format!("'{e}' is not an email address"),
            );
        }
    }
    if d.breaker.failure_threshold == 0 {
        p.push(GW, "delivery.breaker.failure_threshold", "must be at least 1");
    }
    let cb = &d.check_back;
    for (k, v) in [
        ("residence_after_ms", cb.residence_after_ms),
        ("insurance_after_ms", cb.insurance_after_ms),
        ("poll_interval_ms", cb.poll_interval_ms),
    ] {
        if v == 0 {
            p.push(GW, format!("delivery.check_back.{k}"), "must be at least 1");
        }
    }
    if cb.max_interval_ms < cb.residence_after_ms.max(cb.insurance_after_ms) {
        p.push(
            GW,
            "delivery.check_back.max_interval_ms",
            "must not be shorter than the first wait of either leg",
        );
    }
    if cb.per_office_per_minute == 0 {
        p.push(GW, "delivery.check_back.per_office_per_minute", "must be at least 1");
    }
    let mut ids = HashSet::new();
    let mut tokens = HashMap::new();
    for (i, s) in g.systems.iter().enumerate() {
        let key = |k: &str| format!("systems[{i}].{k}");
        if !ids.insert(s.id.as_str()) {
            p.push(GW, key("id"), format!("duplicate system id '{}'", s.id));
        }
        for (j, digest) in s.token_sha256.iter().enumerate() {
            if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                p.push(
                    GW,
                    key(&format!("token_sha256[{j}]")),
                    "must be 64 hex digits (a SHA-256)",
                );
            }
            if let Some(other) = tokens.insert(digest.to_ascii_lowercase(), s.id.as_str()) {
                p.push(
                    GW,
                    key(&format!("token_sha256[{j}]")),
                    format!("same token as system '{other}'"),
                );
            }
        }
        for (j, digest) in s.client_cert_sha256.iter().enumerate() {
            if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                p.push(
                    GW,
                    key(&format!("client_cert_sha256[{j}]")),
                    "must be 64 hex digits (a SHA-256)",
                );
            }
        }
        if s.rate_per_minute == 0 || s.burst() == 0 {
            p.push(
                GW,
                key("rate_per_minute"),
                "rate_per_minute and burst must be at least 1",
            );
        }
        if s.kind != SystemKind::Admin && s.signing_secret.as_ref().is_none_or(|k| k.expose().len() < 16) {
            p.push(
                GW,
                key("signing_secret"),
                "one-stop, police and insurance systems need a signing_secret of at least 16 characters",
            );
        }
        match s.kind {
            SystemKind::Onestop => {
                for c in &s.communes {
                    if !r.communes.contains_key(c) {
                        p.push(GW, key("communes"), format!("commune '{c}' is not in routes.toml"));
                    }
                }
            }
            SystemKind::Police | SystemKind::Insurance => {
                let offices = if s.kind == SystemKind::Police {
                    &r.police_offices
                } else {
                    &r.insurance_offices
                };
                for o in &s.offices {
                    if !offices.contains_key(o) {
                        p.push(GW, key("offices"), format!("office '{o}' is not in routes.toml"));
                    }
                }
            }
            SystemKind::Admin => {}
        }
    }
    for (code, o) in r.police_offices.iter().chain(r.insurance_offices.iter()) {
        if !is_url(&o.endpoint) {
            p.push(RT, format!("offices.{code}.endpoint"), "must be an http(s) URL");
        }
        check_emails(&o.emails, &format!("offices.{code}.emails"), RT, p);
        check_client_tls(&o.tls, &o.endpoint, &format!("offices.{code}.tls"), p);
    }
    if let Some(key) = &g.attachment_key {
        if let Err(e) = crate::sealing::SealKey::from_hex(key.expose()) {
            p.push(GW, "attachment_key", e);
        }
    }
    if let Some(tls) = &g.tls {
        if let Err(e) = lienthong_contract::tls::server_config(&tls.cert, &tls.key, tls.client_ca.as_deref()) {
            p.push(GW, "tls", e.to_string());
        }
    } else if !g.plain_http && !g.listen.ip().is_loopback() {
        p.push(
            GW,
            "listen",
            "plain HTTP on a non-loopback address: configure [tls] cert and key, or set plain_http = true behind a TLS proxy",
        );
    }
    for (code, c) in &r.communes {
        let key = |k: &str| format!("communes.{code}.{k}");
        check_client_tls(&c.onestop_tls, &c.onestop_result_url, &key("onestop_tls"), p);
        if !five_digits(code) {
            p.push(RT, format!("communes.{code}"), "a commune code is exactly 5 digits");
        }
        if !r.police_offices.contains_key(&c.police_office) {
            p.push(
                RT,
                key("police_office"),
                format!("no police office '{}'", c.police_office),
            );
        }
        if !r.insurance_offices.contains_key(&c.insurance_office) {
            p.push(
                RT,
                key("insurance_office"),
                format!("no insurance office '{}'", c.insurance_office),
            );
        }
        match g.systems.iter().find(|s| s.id == c.onestop_system) {
            Some(s) if s.kind == SystemKind::Onestop => {}
            _ => p.push(
                RT,
                key("onestop_system"),
                format!("no one-stop system '{}' in gateway.toml", c.onestop_system),
            ),
        }
        if !is_url(&c.onestop_result_url) {
            p.push(RT, key("onestop_result_url"), "must be an http(s) URL");
        }
        check_emails(&c.emails, &key("emails"), RT, p);
    }
    for code in provinces.keys() {
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            p.0.push(Problem {
                file: "provinces.toml".into(),
                key: format!("provinces.{code}"),
                message: "a province code is exactly 3 digits".into(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_nested_keys_with_typed_values() {
        let mut t: toml::Table = "listen = '127.0.0.1:1'\n[delivery]\nworkers = 2".parse().unwrap();
        apply_env(
            &mut t,
            [
                ("LIENTHONG_LISTEN".to_string(), "0.0.0.0:9".to_string()),
                ("LIENTHONG_DELIVERY__WORKERS".to_string(), "16".to_string()),
                ("LIENTHONG_DELIVERY__RETRY__FACTOR".to_string(), "3.5".to_string()),
                ("OTHER".to_string(), "x".to_string()),
            ]
            .into_iter(),
        );
        assert_eq!(t["listen"].as_str(), Some("0.0.0.0:9"));
        assert_eq!(t["delivery"]["workers"].as_integer(), Some(16));
        assert_eq!(t["delivery"]["retry"]["factor"].as_float(), Some(3.5));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret("hunter2hunter2hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
