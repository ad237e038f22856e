//! The checks across keys and files that types alone cannot express: URLs, codes, references
//! between routes and systems, TLS files, limits.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::problem::{Problem, Problems};
use super::schema::*;

fn is_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn five_digits(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
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

/// Adds every problem of the loaded files to `p`.
pub(super) fn check(g: &GatewayConfig, r: &RoutesConfig, provinces: &BTreeMap<String, String>, p: &mut Problems) {
    const GW: &str = "gateway.toml";
    check_emails(&g.reports.monthly_to, "reports.monthly_to", GW, p);
    check_emails(&g.alerts.emails, "alerts.emails", GW, p);
    if !g.alerts.emails.is_empty() && g.notify.email.is_none() {
        p.push(GW, "alerts.emails", "alerts by email need [notify.email] to send them");
    }
    if let Some(url) = &g.alerts.webhook_url {
        if !is_url(url) {
            p.push(GW, "alerts.webhook_url", "must be an http(s) URL");
        }
        if g.alerts.webhook_secret.as_ref().is_none_or(|k| k.expose().len() < 16) {
            p.push(
                GW,
                "alerts.webhook_secret",
                "a webhook needs a webhook_secret of at least 16 characters to sign its alerts",
            );
        }
    }
    if g.alerts.interval_ms < 50 {
        p.push(GW, "alerts.interval_ms", "at least 50 milliseconds");
    }
    if !(1..=28).contains(&g.reports.send_day) {
        p.push(GW, "reports.send_day", "a day from 1 to 28 (every month has it)");
    }
    if g.reports.send_hour > 23 {
        p.push(GW, "reports.send_hour", "an hour from 0 to 23");
    }
    if !g.reports.monthly_to.is_empty() && g.notify.email.is_none() {
        p.push(
            GW,
            "reports.monthly_to",
            "the monthly report needs [notify.email] to send it",
        );
    }
    for (key, v) in [
        ("targets.unit_late_percent", g.targets.unit_late_percent),
        ("targets.officer_late_percent", g.targets.officer_late_percent),
        ("targets.province_late_percent", g.targets.province_late_percent),
    ] {
        if !(0.0..=100.0).contains(&v) {
            p.push(GW, key, "a percentage from 0 to 100");
        }
    }
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
    let public = &g.public;
    if public.url.as_deref().is_some_and(|u| !is_url(u)) {
        p.push(GW, "public.url", "must be an http(s) URL");
    }
    if public.failed_lookups_burst == 0 {
        p.push(GW, "public.failed_lookups_burst", "must be at least 1");
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
                "every system but admin needs a signing_secret of at least 16 characters",
            );
        }
        if lienthong_contract::OfficeCode::parse(&s.id).is_err() {
            p.push(
                GW,
                key("id"),
                "a system id is 1-32 characters: A-Z, a-z, 0-9, '.', '-', '_' (a one-stop system's id names the return leg's office)",
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
            SystemKind::Sms if g.notify.sms.is_none() => {
                p.push(
                    GW,
                    key("kind"),
                    "an SMS system's messages are answered by SMS: configure [notify.sms]",
                );
            }
            SystemKind::Admin | SystemKind::Sms | SystemKind::Postal => {}
        }
    }
    for (code, o) in r.police_offices.iter().chain(r.insurance_offices.iter()) {
        if !is_url(&o.endpoint) {
            p.push(RT, format!("offices.{code}.endpoint"), "must be an http(s) URL");
        }
        check_emails(&o.emails, &format!("offices.{code}.emails"), RT, p);
        check_client_tls(&o.tls, &o.endpoint, &format!("offices.{code}.tls"), p);
        for (i, w) in o.maintenance.iter().enumerate() {
            if let Err(e) = crate::delivery::windows::Window::parse(w) {
                p.push(RT, format!("offices.{code}.maintenance[{i}]"), e);
            }
        }
        if o.max_per_minute == Some(0) {
            p.push(
                RT,
                format!("offices.{code}.max_per_minute"),
                "at least 1 (or leave it out)",
            );
        }
    }
    if let Some(key) = &g.attachment_key {
        if let Err(e) = crate::encryption::SealKey::from_hex(key.expose()) {
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
    for (key, area) in &r.areas {
        if area.name.trim().is_empty() {
            p.push("routes.toml", format!("areas.{key}.name"), "an area needs a name");
        }
        for (i, c) in area.communes.iter().enumerate() {
            if !r.communes.contains_key(c) {
                p.push(
                    "routes.toml",
                    format!("areas.{key}.communes[{i}]"),
                    format!("commune '{c}' is not in routes.toml"),
                );
            }
        }
    }
    for (code, retired) in &r.retired_communes {
        let key = format!("retired_communes.{code}");
        if r.communes.contains_key(code) {
            p.push(RT, &key, "a retired commune code cannot also be routed");
        }
        if !r.communes.contains_key(&retired.successor) {
            p.push(
                RT,
                format!("{key}.successor"),
                format!("successor '{}' is not a routed commune", retired.successor),
            );
        }
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
