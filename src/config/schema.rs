//! The configuration's schema: what `gateway.toml` and `routes.toml` may say, with defaults.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use lienthong_contract::{CommuneCode, OfficeCode};
use serde::Deserialize;

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
    #[serde(default)]
    pub targets: TargetsConfig,
    #[serde(default)]
    pub reports: ReportsConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub public: PublicConfig,
    /// HTTPS: without it the gateway speaks plain HTTP, which is allowed only on a loopback
    /// address or with `plain_http = true` (e.g. behind a TLS-terminating proxy on the same host).
    pub tls: Option<ServerTls>,
    #[serde(default)]
    pub plain_http: bool,
}

impl GatewayConfig {
    /// The address families open: `public.url`, else the listen address (fine on a single
    /// office network, wrong behind a proxy: set `public.url` there).
    pub fn public_url(&self) -> String {
        match &self.public.url {
            Some(url) => url.clone(),
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                format!("{scheme}://{}", self.listen)
            }
        }
    }
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

/// The late rates units and officers are graded by (docs/accountability.md): a unit with this
/// share of late dossiers or more loses its ranking; an officer over theirs cannot be rated
/// "completed well"; the province sets itself a lower target.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetsConfig {
    /// Percent of late dossiers at which an agency office or a commune is over target.
    pub unit_late_percent: f64,
    /// Percent of late dossiers above which an officer is over target.
    pub officer_late_percent: f64,
    /// The whole deployment's own target, in percent.
    pub province_late_percent: f64,
    /// The period the targets are judged over: the dashboard's panel counts from its first day.
    pub period: TargetPeriod,
}

/// The period late-rate targets apply to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetPeriod {
    /// The calendar year, as emulation rankings and officers' ratings are.
    #[default]
    Year,
    /// The calendar month, as the monthly report is.
    Month,
}

impl TargetPeriod {
    /// The first day of the period `today` falls in.
    pub fn start(self, today: jiff::civil::Date) -> jiff::civil::Date {
        match self {
            TargetPeriod::Year => today.first_of_year(),
            TargetPeriod::Month => today.first_of_month(),
        }
    }
}

impl Default for TargetsConfig {
    fn default() -> Self {
        TargetsConfig {
            unit_late_percent: 5.0,
            officer_late_percent: 5.0,
            province_late_percent: 2.0,
            period: TargetPeriod::Year,
        }
    }
}

/// Delivery-health alerts (docs/alerts.md): each condition alerts once when it starts and once
/// when it clears, whatever the number of gateway processes.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Who receives alerts by email; empty: `notify.admin_emails`.
    pub emails: Vec<String>,
    /// Where a signed JSON copy of each alert is posted.
    pub webhook_url: Option<String>,
    /// The webhook's HMAC-SHA256 key, as callbacks are signed (at least 16 characters).
    pub webhook_secret: Option<Secret>,
    /// How often the conditions are evaluated.
    pub interval_ms: u64,
    /// A receiving system is down once deliveries to it have failed, with none succeeding, this long.
    pub office_down_minutes: u32,
    /// A receiving system's queue alerts when deeper than this for `queue_minutes`.
    pub queue_depth: u32,
    pub queue_minutes: u32,
    /// Messages to families and staff due but unsent, for `notify_backlog_minutes`.
    pub notify_backlog: u32,
    pub notify_backlog_minutes: u32,
    /// An alert still active is repeated this often; 0 never repeats it.
    pub remind_minutes: u32,
    /// A condition must be gone this long before its alert clears.
    pub clear_minutes: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            emails: Vec::new(),
            webhook_url: None,
            webhook_secret: None,
            interval_ms: 30_000,
            office_down_minutes: 10,
            queue_depth: 200,
            queue_minutes: 15,
            notify_backlog: 200,
            notify_backlog_minutes: 15,
            remind_minutes: 240,
            clear_minutes: 1,
        }
    }
}

/// The monthly report emailed to the leadership (docs/accountability.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportsConfig {
    /// Who receives it; none sends nothing.
    pub monthly_to: Vec<String>,
    /// The day of the month it leaves for the month before (1–28), and from which local hour.
    pub send_day: u8,
    pub send_hour: u8,
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            monthly_to: Vec::new(),
            send_day: 1,
            send_hour: 7,
        }
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

/// What families reach without an account: the status look-up (docs/family.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicConfig {
    /// The address families open, printed in the receipt's QR code (e.g.
    /// `https://lienthong.example.gov.vn`); without it the code links to the listen address.
    pub url: Option<String>,
    /// Failed look-ups a client address (and, separately, a receipt code) may make at once...
    pub failed_lookups_burst: u32,
    /// ...and how many more it earns per minute after that.
    pub failed_lookups_per_minute: u32,
    /// A header holding the client's address, set by a reverse proxy in front of the gateway
    /// (e.g. `x-forwarded-for`, first entry). Without one the peer address of the connection
    /// is used; never set it when clients reach the gateway directly (they could forge it).
    pub client_ip_header: Option<String>,
    /// Working days a result may wait at the commune before the dashboard lists it and the
    /// family gets one reminder SMS to collect it.
    pub collect_within_working_days: u32,
    /// Working days the commune has to answer a family's complaint.
    pub complaint_working_days: u32,
}

impl Default for PublicConfig {
    fn default() -> Self {
        PublicConfig {
            url: None,
            failed_lookups_burst: 10,
            failed_lookups_per_minute: 1,
            client_ip_header: None,
            collect_within_working_days: 5,
            complaint_working_days: 10,
        }
    }
}

impl PublicConfig {
    /// Results that reached the commune before this instant waited too long: the start of the
    /// working day `collect_within_working_days` working days before `today`.
    pub fn collect_overdue_before(&self, cal: &crate::deadline::Calendar, today: jiff::civil::Date) -> i64 {
        let day = cal.sub_working_days(today, self.collect_within_working_days);
        day.to_zoned(lienthong_contract::vn_tz())
            .map_or(0, |z| z.timestamp().as_millisecond())
    }
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
    /// Send family SMS without diacritics (GSM-7, as brandname SMS commonly is): 160 characters
    /// a segment instead of 70, and every family SMS cut to fit two segments. Email keeps the
    /// full Vietnamese text.
    #[serde(default)]
    pub unaccented: bool,
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
    /// An SMS provider: forwards the messages families send to the gateway's number (the
    /// `TRACUU` look-up, docs/family.md), signed like callbacks.
    Sms,
    /// A postal partner: reports the items it delivered or brought back (docs/family.md).
    Postal,
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
    pub communes: Vec<CommuneCode>,
    #[serde(default)]
    pub offices: Vec<OfficeCode>,
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
            SystemKind::Onestop | SystemKind::Admin | SystemKind::Sms | SystemKind::Postal => DEFAULT_BURST,
        })
    }
}

/// `routes.toml`: where each commune's legs go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesConfig {
    #[serde(default)]
    pub police_offices: BTreeMap<OfficeCode, OfficeConfig>,
    #[serde(default)]
    pub insurance_offices: BTreeMap<OfficeCode, OfficeConfig>,
    #[serde(default)]
    pub communes: BTreeMap<CommuneCode, CommuneRoute>,
    /// Groups of communes reports roll up (docs/accountability.md): a former district, a
    /// regional insurance office's territory. The whole deployment is always one.
    #[serde(default)]
    pub areas: BTreeMap<String, AreaConfig>,
    /// Commune codes a merger retired, each with the commune that took it over
    /// (docs/accountability.md, "Communes merged and recoded").
    #[serde(default)]
    pub retired_communes: BTreeMap<CommuneCode, RetiredCommune>,
}

/// A commune code that no longer exists, and who carries its cases now.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredCommune {
    /// The commune's name before the merger, for the pages that show an old case.
    pub name: String,
    /// The routed commune that took it over.
    pub successor: CommuneCode,
    /// The first day the old code was no longer valid: dossiers received before it may still
    /// arrive under the old code; from it on, they are refused with the new code named.
    pub since: jiff::civil::Date,
}

impl RoutesConfig {
    /// The routed commune that answers for `code` today: itself, or the successor of a retired code.
    pub fn current(&self, code: &str) -> Option<(&CommuneCode, &CommuneRoute)> {
        if let Some((k, c)) = self.communes.get_key_value(code) {
            return Some((k, c));
        }
        let retired = self.retired_communes.get(code)?;
        self.communes.get_key_value(retired.successor.as_str())
    }

    /// Each retired code with its successor, for recoding stored cases at start-up.
    pub fn recodings(&self) -> Vec<(String, String)> {
        self.retired_communes
            .iter()
            .map(|(old, r)| (old.to_string(), r.successor.to_string()))
            .collect()
    }
}

/// A group of communes reported together.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaConfig {
    pub name: String,
    pub communes: Vec<CommuneCode>,
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
    /// Daily windows in local time when the office's system is off, e.g. `["22:00-06:00"]`:
    /// its deliveries wait quietly, no attempt is made and no alert raised (docs/operations.md).
    #[serde(default)]
    pub maintenance: Vec<String>,
    /// At most this many deliveries a minute go to the office (a backlog after a pause or an
    /// outage drains at this rate); none: as fast as the workers go.
    pub max_per_minute: Option<u32>,
}

impl OfficeConfig {
    /// The maintenance windows (checked when the configuration loads).
    pub fn windows(&self) -> Vec<crate::delivery::windows::Window> {
        self.maintenance
            .iter()
            .filter_map(|w| crate::delivery::windows::Window::parse(w).ok())
            .collect()
    }
}

/// A commune and the offices that serve it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommuneRoute {
    pub name: String,
    pub police_office: OfficeCode,
    pub insurance_office: OfficeCode,
    pub onestop_system: String,
    pub onestop_result_url: String,
    /// The commune officers warned about the commune's cases and asked to confirm apologies.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Trust and client certificate towards the one-stop result endpoint.
    #[serde(default)]
    pub onestop_tls: ClientTls,
    /// The number families call, printed on the receipt and given with every look-up.
    pub hotline: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProvincesFile {
    pub(super) provinces: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret("hunter2hunter2hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
