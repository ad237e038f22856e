//! A test gateway's configuration directory, written from a [`GatewayConfig`].

use std::path::Path;

use super::{
    digest, repo, s3_table, Agencies, Opts, ADMIN, INSURANCE, INSURANCE_SECRET, ONESTOP_A, ONESTOP_B, POLICE,
    POLICE_SECRET, POSTAL, POSTAL_SECRET, RESULT_SECRET, SMS, SMS_SECRET,
};

/// Where the gateway sends messages in tests.
#[derive(Clone)]
pub struct NotifyTargets {
    pub sms_url: String,
    pub smtp: std::net::SocketAddr,
}

pub const ADMIN_EMAIL: &str = "quantri@lienthong.test";
pub const POLICE_EMAIL: &str = "congan@lienthong.test";
pub const INSURANCE_EMAIL: &str = "bhxh@lienthong.test";
pub const COMMUNE_EMAIL: &str = "motcua-a@lienthong.test";

/// What a test gateway's configuration names: where it listens, the systems it delivers to and,
/// when given, where it sends messages; everything else comes from [`Opts`].
pub struct GatewayConfig<'a> {
    pub listen: String,
    pub police: String,
    pub insurance: String,
    pub onestop: String,
    pub notify: Option<NotifyTargets>,
    pub opts: &'a Opts,
}

impl<'a> GatewayConfig<'a> {
    /// A gateway delivering to the given simulators.
    pub fn new(listen: impl Into<String>, agencies: &Agencies, opts: &'a Opts) -> Self {
        GatewayConfig {
            listen: listen.into(),
            police: agencies.police.url(),
            insurance: agencies.insurance.url(),
            onestop: agencies.onestop.url(),
            notify: None,
            opts,
        }
    }

    /// A valid configuration whose endpoints nobody answers.
    pub fn unreachable(listen: impl Into<String>, opts: &'a Opts) -> Self {
        GatewayConfig {
            listen: listen.into(),
            police: "http://127.0.0.1:9".into(),
            insurance: "http://127.0.0.1:9".into(),
            onestop: "http://127.0.0.1:9".into(),
            notify: None,
            opts,
        }
    }

    /// Messages go to this SMS provider and SMTP server.
    pub fn notify(mut self, targets: NotifyTargets) -> Self {
        self.notify = Some(targets);
        self
    }

    /// Writes gateway.toml, routes.toml and the calendar and regime files into `dir`.
    pub fn write(&self, dir: &Path) {
        write_config(dir, self);
    }
}

fn write_config(dir: &Path, c: &GatewayConfig<'_>) {
    let GatewayConfig {
        listen,
        police,
        insurance,
        onestop,
        opts,
        ..
    } = c;
    let notify = c.notify.as_ref();
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
