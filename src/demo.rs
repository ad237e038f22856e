//! `lienthong demo`: the gateway and the three simulators in one process, loaded with the demo
//! cases from `fixtures/valid/`, until Ctrl-C.
//!
//! The simulators bind the addresses the demo `routes.toml` points at, with some faults on (the
//! police system drops files now and then and has short outages; the insurance system fails its
//! first requests), so the demo shows retries and lone-file re-sends at work.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use lienthong_onestop::push::{describe_files, push_case, PushFile};
use lienthong_simulators::notify_sim::{spawn_sms, Mails, SmtpSink};
use lienthong_simulators::sim::{DecideMix, Faults, GatewayLink, SimHandle};

use crate::accounts::{hash_password, Role};
use crate::config::{Config, SystemKind};
use crate::store::credentials::token_digest;
use crate::store::users::NewUser;

/// The password of every demo user (printed by the demo; never use in production).
const DEMO_PASSWORD: &str = "demo-matkhau-2026";
use crate::App;

/// A fixture case: its manifest and the files it declares, found next to it.
pub struct Fixture {
    pub name: String,
    pub manifest: serde_json::Value,
    pub files: Vec<PushFile>,
}

/// Moves a fixture's dates so that it was received a minute before `now`: the receipt instant,
/// and the birth and its registration by as many days, with the birth year in the child's
/// personal id (digits 5–6) following. Fixtures stay valid and on time whatever day they are
/// pushed — a child born "10 days ago" never turns six, a deadline never passes before the push.
pub fn freshen(manifest: &mut serde_json::Value, now: jiff::Timestamp) {
    use jiff::civil::Date;
    let tz = lienthong_contract::vn_tz();
    let Some(received) = manifest["received_at"]
        .as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
    else {
        return;
    };
    let at = (now - jiff::SignedDuration::from_secs(60)).to_zoned(tz.clone());
    let days = (at.date() - received.to_zoned(tz).date()).get_days();
    manifest["received_at"] = at.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string().into();
    let shift = |v: &mut serde_json::Value| -> Option<Date> {
        let d: Date = v.as_str()?.parse().ok()?;
        let moved = d.checked_add(jiff::Span::new().days(days)).ok()?;
        *v = moved.to_string().into();
        Some(moved)
    };
    shift(&mut manifest["birth_registration"]["registered_on"]);
    if let Some(born) = shift(&mut manifest["child"]["date_of_birth"]) {
        if let Some(id) = manifest["child"]["personal_id"].as_str().filter(|id| id.len() == 12) {
            let yy = format!("{:02}", born.year().rem_euclid(100));
            manifest["child"]["personal_id"] = format!("{}{yy}{}", &id[..4], &id[6..]).into();
        }
    }
}

/// Loads `dir/*.json` manifests; each attachment's file is `files_dir/<file_name>`.
pub fn load_fixtures(dir: &Path, files_dir: &Path) -> anyhow::Result<Vec<Fixture>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&p)?)?;
            let files = manifest["attachments"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|att| PushFile {
                            kind: att["kind"].as_str().unwrap_or_default().to_string(),
                            path: files_dir.join(att["file_name"].as_str().unwrap_or_default()),
                            media_type: att["media_type"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Fixture { name, manifest, files })
        })
        .collect()
}

fn addr_of(url: &str) -> anyhow::Result<SocketAddr> {
    let u = reqwest::Url::parse(url)?;
    let host = u.host_str().context("endpoint without host")?;
    let port = u.port_or_known_default().context("endpoint without port")?;
    format!("{host}:{port}")
        .parse()
        .with_context(|| format!("demo endpoints must be IP:port, got {url}"))
}

/// Where the demo's postal partner listens (beside the other simulators, 7101-7105).
const POSTAL_SIM: &str = "http://127.0.0.1:7106";

/// The DEMO token of a system: predictable so the README can show it, stored (as a digest) by
/// the demo only. A real deployment issues tokens with `lienthong token add`.
fn demo_token(system_id: &str) -> String {
    format!("demo-token-{system_id}")
}

/// The link a simulated agency of `kind` reports decisions through.
fn link_of(config: &Config, kind: SystemKind, gateway_url: &str) -> anyhow::Result<GatewayLink> {
    let system = config
        .gateway
        .systems
        .iter()
        .find(|s| s.kind == kind)
        .with_context(|| format!("the demo config needs a {kind:?} system"))?;
    Ok(GatewayLink {
        url: gateway_url.to_string(),
        token: demo_token(&system.id),
        secret: system
            .signing_secret
            .as_ref()
            .with_context(|| format!("the {kind:?} system has no signing_secret"))?
            .expose()
            .to_string(),
        client: None,
    })
}

async fn bind(url: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = addr_of(url)?;
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot bind simulator at {addr}"))
}

/// Runs the demo until Ctrl-C.
pub async fn run(config: Config, fixtures: &Path) -> anyhow::Result<()> {
    let Some(route) = config.routes.communes.values().next().cloned() else {
        bail!("routes.toml has no commune");
    };
    let gateway_url = format!("http://{}", config.gateway.listen);
    let police_url = &config.routes.police_offices[&route.police_office].endpoint;
    let insurance_url = &config.routes.insurance_offices[&route.insurance_office].endpoint;
    let onestop = config
        .gateway
        .systems
        .iter()
        .find(|s| s.id == route.onestop_system)
        .context("the first commune's one-stop system is missing")?
        .clone();
    let secret = onestop
        .signing_secret
        .clone()
        .context("the one-stop system has no signing_secret")?;
    let decide = |after_ms| DecideMix {
        completed: 8,
        rejected: 1,
        needs_supplement: 1,
        after_ms,
    };
    let sims: Vec<SimHandle> = vec![
        lienthong_simulators::police::spawn(
            bind(police_url).await?,
            Faults {
                drop_files_rate: 0.3,
                fail_rate: 0.1,
                decide: decide(3000),
                ..Faults::default()
            },
            7,
            Some(link_of(&config, SystemKind::Police, &gateway_url)?),
        ),
        lienthong_simulators::insurance::spawn(
            bind(insurance_url).await?,
            Faults {
                fail_next: 2,
                decide: decide(5000),
                ..Faults::default()
            },
            11,
            Some(link_of(&config, SystemKind::Insurance, &gateway_url)?),
        ),
        lienthong_simulators::onestop::spawn(
            bind(&route.onestop_result_url).await?,
            Faults::default(),
            13,
            secret.expose().as_bytes(),
        ),
    ];
    let mails: Mails = Arc::default();
    let sms_sim = match &config.gateway.notify.sms {
        Some(sms) => {
            let inbound = link_of(&config, SystemKind::Sms, &gateway_url).ok();
            Some(spawn_sms(bind(&sms.url).await?, Faults::default(), Arc::clone(&mails), inbound).0)
        }
        None => None,
    };
    // The postal partner's simulator, when the configuration has a postal system.
    let postal = match link_of(&config, SystemKind::Postal, &gateway_url) {
        Ok(link) => Some(lienthong_simulators::postal_sim::spawn_postal(
            bind(POSTAL_SIM).await?,
            link,
        )),
        Err(_) => None,
    };
    let smtp = match &config.gateway.notify.email {
        Some(e) => {
            let addr = format!("{}:{}", e.host, e.port);
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("cannot bind the SMTP simulator at {addr}"))?;
            Some(SmtpSink::start(listener, Arc::clone(&mails)))
        }
        None => None,
    };
    let admin = config
        .gateway
        .systems
        .iter()
        .find(|s| s.kind == SystemKind::Admin)
        .map(|s| demo_token(&s.id))
        .context("the demo config needs an admin system")?;
    let systems: Vec<String> = config.gateway.systems.iter().map(|s| s.id.clone()).collect();
    let onestop_token = demo_token(&onestop.id);
    let police_office = route.police_office.to_string();
    let insurance_office = route.insurance_office.to_string();
    let communes: Vec<String> = config.routes.communes.keys().map(ToString::to_string).collect();
    let app = App::build(config).await?.spawn();
    for id in &systems {
        app.store.seed_token(id, &token_digest(&demo_token(id)), "demo").await?;
    }
    let people = [
        (
            "canbo.xa",
            "Nguyễn Thị Lan (một cửa xã)",
            Role::CommuneOfficer,
            communes,
        ),
        (
            "canbo.bhxh",
            "Trần Văn Minh (BHXH cơ sở)",
            Role::InsuranceStaff,
            vec![insurance_office],
        ),
        (
            "canbo.congan",
            "Lê Văn Hùng (Công an xã)",
            Role::PoliceStaff,
            vec![police_office],
        ),
        ("quantri", "Phạm Thu Hà (quản trị)", Role::Admin, Vec::new()),
    ];
    let hash = hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    for (login, name, role, scopes) in &people {
        let new = NewUser {
            login,
            display_name: name,
            password_hash: &hash,
            role: *role,
            scopes,
        };
        match app.store.create_user(&new).await {
            Ok(_) | Err(crate::store::StoreError::Duplicate) => {}
            Err(e) => return Err(e.into()),
        }
    }

    let http = reqwest::Client::new();
    let stamp = jiff::Timestamp::now();
    let mut pushed = Vec::new();
    for mut f in load_fixtures(&fixtures.join("valid"), &fixtures.join("files"))? {
        let code = f.manifest["receipt_code"].as_str().unwrap_or("DEMO").to_string();
        f.manifest["receipt_code"] = format!("{code}-{}", stamp.strftime("%H%M%S")).into();
        freshen(&mut f.manifest, stamp);
        describe_files(&mut f.manifest, &f.files)?;
        let answer = push_case(&http, &app.url(), &onestop_token, &f.manifest, &f.files).await?;
        pushed.push((
            f.name,
            answer.status,
            answer.body["case_id"].as_str().unwrap_or("-").to_string(),
        ));
    }

    println!("\nlienthong demo — cổng liên thông đang chạy / gateway running");
    println!("  API:        {}/api/v1", app.url());
    println!("  metrics:    {}/metrics", app.url());
    println!(
        "  simulators: police {} · insurance {} · one-stop {}",
        sims[0].url(),
        sims[1].url(),
        sims[2].url()
    );
    if let Some(sms) = &sms_sim {
        println!(
            "  messages:   SMS sent {}/_sim/sms · email sent {}/_sim/emails{}",
            sms.url(),
            sms.url(),
            smtp.as_ref()
                .map_or(String::new(), |s| format!(" (SMTP at {})", s.addr))
        );
    }
    println!(
        "  web pages:  {}/login — password of every demo user: {DEMO_PASSWORD}",
        app.url()
    );
    for (login, _, role, _) in &people {
        println!("              {login} ({})", role.label());
    }
    println!("  tokens:     one-stop ({}) = {onestop_token} (DEMO)", onestop.id);
    println!("              admin = {admin}");
    println!("  demo cases pushed:");
    for (name, status, id) in &pushed {
        println!("    {name}: HTTP {status}, case {id}");
    }
    println!(
        "\n  follow a case:  curl -s -H 'Authorization: Bearer {}' {}/api/v1/cases/<case_id>",
        &onestop_token,
        app.url()
    );
    println!(
        "  push one more:  (cd fixtures && curl -s -H 'Authorization: Bearer {}' -F manifest=@curl/manifest.json \
         -F birth-registration-extract=@files/trich-luc-khai-sinh.pdf -F residence-declaration=@files/to-khai-cu-tru.pdf \
         {}/api/v1/cases)",
        &onestop_token,
        app.url()
    );
    println!(
        "  family look-up (no account): {}/tra-cuu — the receipt code and the last 4 digits of the applicant's phone",
        app.url()
    );
    if let Some(sms) = &sms_sim {
        println!(
            "  family SMS look-up:  curl -s {}/_sim/inbound -H 'content-type: application/json' \
             -d '{{\"from\": \"0905123456\", \"text\": \"TRACUU <receipt code>\"}}'",
            sms.url()
        );
    }
    if let Some(p) = &postal {
        println!(
            "  postal partner:      curl -s {}/_sim/report -H 'content-type: application/json' \
             -d '{{\"tracking_number\": \"<số hiệu bưu gửi>\", \"outcome\": \"delivered\"}}'",
            p.url()
        );
    }
    println!("\n  Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    app.stop().await;
    drop(sims);
    drop(sms_sim);
    drop(postal);
    drop(smtp);
    Ok(())
}
