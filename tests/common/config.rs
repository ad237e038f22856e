//! A test gateway's configuration directory, written from a [`GatewayConfig`].

use std::path::Path;

use super::{
    digest, repo, s3_table, secret_of, Agencies, Opts, ADMIN, INSURANCE, ONESTOP_A, ONESTOP_B, POLICE, POSTAL, SMS,
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

/// One `[[systems]]` table: the kind is the id's first word, the secret the token's own.
fn system(id: &str, token: &str, scope: &str, extra: &str) -> String {
    let kind = id.split('-').next().unwrap_or(id);
    let secret = secret_of(token).map_or(String::new(), |s| format!("signing_secret = \"{s}\"\n"));
    format!(
        "[[systems]]\nid = \"{id}\"\nkind = \"{kind}\"\ntoken_sha256 = [\"{}\"]\n{secret}{scope}\n{extra}\n\n",
        digest(token)
    )
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
{systems}
{sms_system}
"#,
        att = att.display(),
        s3 = opts.s3.as_ref().map_or(String::new(), |(e, b)| s3_table(e, b)),
        systems = [
            system("onestop-a", ONESTOP_A, "communes = [\"22609\"]", &opts.onestop_a_extra),
            system("onestop-b", ONESTOP_B, "communes = [\"22612\"]", &opts.onestop_b_extra),
            system("police", POLICE, "offices = [\"CA-568\"]", &opts.agency_extra),
            system("insurance", INSURANCE, "offices = [\"BHXH-5608\"]", &opts.agency_extra),
            system("admin", ADMIN, "", &opts.admin_extra),
            system("postal", POSTAL, "", ""),
        ]
        .concat(),
        gateway_extra = opts.gateway_extra,
        timeout = opts.request_timeout_ms,
        lease = opts.lease_ms,
        attempts = opts.max_attempts,
        breaker = opts.breaker_threshold,
        breaker_open = opts.breaker_open_ms,
        check_after = opts.check_back_after_ms,
        check_max = opts.check_back_after_ms * 8,
        notify = notify.map_or(String::new(), |n| format!(
            "\n[notify]\nadmin_emails = [\"{ADMIN_EMAIL}\"]\n\n[notify.retry]\nmin_delay_ms = 50\nmax_delay_ms = 300\nfactor = 2.0\nmax_attempts = 1000\nmax_age_minutes = 600\n\n\
             [notify.email]\nhost = \"{}\"\nport = {}\ntls = \"none\"\nfrom = \"Liên thông thử <lienthong@lienthong.test>\"\n\n\
             [notify.sms]\nurl = \"{}/sms\"\nunaccented = {}\n",
            n.smtp.ip(), n.smtp.port(), n.sms_url, opts.sms_unaccented
        )),
        sms_system = notify.map_or(String::new(), |_| system("sms", SMS, "", "")),
    );
    let commune = |code: &str, system: &str| {
        format!(
            "[communes.\"{code}\"]\nname = \"Xã thử {code}\"\npolice_office = \"CA-568\"\ninsurance_office = \"BHXH-5608\"\nonestop_system = \"{system}\"\nonestop_result_url = \"{onestop}/onestop/results\"\nemails = [\"{COMMUNE_EMAIL}\"]\nhotline = \"0258 3820 000\"\n\n"
        )
    };
    let routes = format!(
        "[police_offices.\"CA-568\"]\nname = \"Công an huyện\"\nendpoint = \"{police}\"\nemails = [\"{POLICE_EMAIL}\"]\n\n[insurance_offices.\"BHXH-5608\"]\nname = \"BHXH huyện\"\nendpoint = \"{insurance}\"\nemails = [\"{INSURANCE_EMAIL}\"]\n\n{}{}{}",
        commune("22609", "onestop-a"),
        commune("22612", "onestop-b"),
        "[areas.\"thu\"]\nname = \"Khu vực thử\"\ncommunes = [\"22609\", \"22612\"]\n",
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
