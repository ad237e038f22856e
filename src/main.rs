//! The `lienthong` command: serve, demo, migrate, check-config, simulate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lienthong::accounts::{check_new_user, hash_password, Role};
use lienthong::config::Config;
use lienthong::{store::Store, App};
use lienthong_contract::sim::Faults;

#[derive(Parser)]
#[command(
    name = "lienthong",
    version,
    about = "Cổng liên thông 3 thủ tục cho trẻ sơ sinh / 3-in-1 newborn interconnection gateway"
)]
struct Cli {
    /// The configuration directory (gateway.toml, routes.toml, provinces.toml).
    #[arg(long, global = true, default_value = "config", env = "LIENTHONG_CONFIG_DIR")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Runs the gateway until SIGINT/SIGTERM.
    Serve,
    /// Runs the gateway with the three simulators and demo cases.
    Demo {
        #[arg(long, default_value = "fixtures")]
        fixtures: PathBuf,
    },
    /// Creates or upgrades the store's schema, then exits. With --from and --to: copies a
    /// stopped embedded store (SQLite + attachment directory) into a new PostgreSQL database and
    /// the attachment store gateway.toml configures (bucket or directory), verifying every
    /// table's rows and every file's SHA-256 (exit 1 on any difference).
    Migrate {
        /// The old store, e.g. sqlite:///var/lib/lienthong/lienthong.db.
        #[arg(long, requires = "to")]
        from: Option<String>,
        /// The new store, e.g. postgres://lienthong@db/lienthong (an empty database).
        #[arg(long, requires = "from")]
        to: Option<String>,
        /// The old attachment directory.
        #[arg(long, default_value = "data/attachments", requires = "from")]
        from_attachments: PathBuf,
    },
    /// Checks the configuration and prints every problem with its file and key.
    CheckConfig,
    /// Checks the tamper-evident audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Manages the bearer tokens of the connected systems (stored as SHA-256 digests only).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Manages the people who sign in to the web pages.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Runs one simulator of a receiving system (for deployments and manual tests).
    Simulate {
        system: SimSystem,
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// Faults as JSON, e.g. '{"fail_next":3,"drop_files_rate":0.2}'.
        #[arg(long, default_value = "{}")]
        faults: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where decisions are reported (police and insurance).
        #[arg(long)]
        gateway_url: Option<String>,
        /// The system's token at the gateway.
        #[arg(long, env = "LIENTHONG_SIM_TOKEN")]
        token: Option<String>,
        /// The system's signing_secret: signs decisions (police, insurance), checks results (one-stop).
        #[arg(long, env = "LIENTHONG_SIM_SECRET")]
        secret: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM) and --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// With --tls-cert: accept only clients with a certificate from this CA (mutual TLS).
        #[arg(long, requires = "tls_cert")]
        client_ca: Option<PathBuf>,
        /// Trust only this CA for the gateway, and present --client-cert/--client-key to it.
        #[arg(long)]
        gateway_ca: Option<PathBuf>,
        #[arg(long, requires = "client_key")]
        client_cert: Option<PathBuf>,
        #[arg(long, requires = "client_cert")]
        client_key: Option<PathBuf>,
    },
}

/// `migrate --from --to`: the copy, then one line per table and the files, then the verdict.
async fn transfer_command(
    config: &Config,
    from: &str,
    to: &str,
    from_attachments: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let mut old = config.gateway.clone();
    old.attachment_dir = from_attachments.to_path_buf();
    old.s3 = None;
    let from_files = lienthong::blobs::Blobs::configured(&old)?;
    let to_files = lienthong::blobs::Blobs::configured(&config.gateway)?;
    let report = lienthong::transfer::transfer(from, to, &from_files, &to_files).await?;
    for t in &report.tables {
        let same = if t.source_sha256 == t.target_sha256 && t.rows == t.target_rows {
            "verified"
        } else {
            "DIFFERENT"
        };
        println!(
            "{:<18} {:>8} rows  sha256 {}  {same}",
            t.table,
            t.rows,
            &t.source_sha256[..16]
        );
    }
    println!(
        "{:<18} {:>8} files copied, {} read back with their SHA-256",
        "attachments", report.files, report.files_verified
    );
    if report.problems.is_empty() {
        println!("migration verified: every row and every file arrived");
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &report.problems {
            eprintln!("problem: {p}");
        }
        Ok(ExitCode::from(1))
    }
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walks every case's hash chain and reports the first broken link of each (exit 1).
    Verify,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Issues a new token for a system and prints it once; older tokens stay valid until revoked,
    /// so a system can switch over without a gap.
    Add {
        /// The system id from gateway.toml.
        #[arg(long)]
        system: String,
        /// A note for operators, e.g. "2026 rotation".
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Revokes a token by its id (`tk-…`); every gateway refuses it from the next request.
    Revoke { id: String },
    /// Lists every token issued (ids, systems, labels, dates; never the tokens).
    List,
}

#[derive(Subcommand)]
enum UserAction {
    /// Creates a user. The password is read from LIENTHONG_USER_PASSWORD, or the first line of
    /// standard input, so it never appears in the shell history.
    Add {
        #[arg(long)]
        login: String,
        /// The name shown on pages, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
        /// A commune code (officers) or an office code (agency staff); repeat for several.
        #[arg(long)]
        scope: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum SimSystem {
    Police,
    Insurance,
    Onestop,
}

fn load(dir: &std::path::Path) -> Result<Config, ExitCode> {
    Config::load(dir).map_err(|problems| {
        for p in &problems.0 {
            eprintln!("{p}");
        }
        eprintln!("{} problem(s) in {}", problems.0.len(), dir.display());
        ExitCode::from(1)
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::CheckConfig => Ok(match load(&cli.config) {
            Ok(_) => {
                println!("configuration OK: {}", cli.config.display());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            let store = Store::inspect(&config.gateway.store_url).await?;
            let trail = store.audit_trail().await?;
            let anchors = store.anchors().await?;
            store.close().await;
            let (cases, breaks) = lienthong::audit::verify(&trail);
            let bad_days = lienthong::audit::broken_anchors(&trail, &anchors);
            for day in &bad_days {
                println!("anchor of {day} does not match: events of that day or before were changed or removed");
            }
            for (case_id, b) in &breaks {
                match b {
                    lienthong::audit::Break::Edited { event_id } => {
                        println!("case {case_id}: event {event_id} was changed after it was written")
                    }
                    lienthong::audit::Break::Missing {
                        event_id,
                        after_event_id,
                    } => match after_event_id {
                        Some(after) => {
                            println!("case {case_id}: events removed between event {after} and event {event_id}")
                        }
                        None => println!("case {case_id}: events removed before event {event_id}"),
                    },
                }
            }
            if breaks.is_empty() && bad_days.is_empty() {
                println!(
                    "audit trail intact: {} events in {cases} cases, {} daily anchors",
                    trail.len(),
                    anchors.len()
                );
                Ok(ExitCode::SUCCESS)
            } else {
                println!(
                    "{} of {cases} cases have a broken audit trail; {} of {} daily anchors do not match",
                    breaks.len(),
                    bad_days.len(),
                    anchors.len()
                );
                Ok(ExitCode::from(1))
            }
        }
        Command::User {
            action:
                UserAction::Add {
                    login,
                    name,
                    role,
                    scope,
                },
        } => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            let password = match std::env::var("LIENTHONG_USER_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let problems = check_new_user(&config, role, &scope, &password);
            if !problems.is_empty() {
                for p in &problems {
                    eprintln!("{p}");
                }
                return Ok(ExitCode::from(1));
            }
            let store = Store::manage(&config.gateway.store_url, lienthong::clock::Clock::system()).await?;
            let hash = hash_password(&password).map_err(anyhow::Error::msg)?;
            let new = lienthong::store::users::NewUser {
                login: &login,
                display_name: &name,
                password_hash: &hash,
                role,
                scopes: &scope,
            };
            let created = store.create_user(&new).await;
            store.close().await;
            match created {
                Ok(_) => {
                    println!("user '{login}' created ({})", role.as_str());
                    Ok(ExitCode::SUCCESS)
                }
                Err(lienthong::store::StoreError::Duplicate) => {
                    eprintln!("a user '{login}' already exists");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Token { action } => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            let store = Store::manage(&config.gateway.store_url, lienthong::clock::Clock::system()).await?;
            let code = token_command(&config, &store, action).await;
            store.close().await;
            code
        }
        Command::Migrate {
            from,
            to,
            from_attachments,
        } => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            let (Some(from), Some(to)) = (from, to) else {
                Store::migrate(&config.gateway.store_url).await?;
                println!("store is up to date");
                return Ok(ExitCode::SUCCESS);
            };
            transfer_command(&config, &from, &to, &from_attachments).await
        }
        Command::Serve => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            let app = App::build(config).await?;
            tracing::info!(addr = %app.addr(), "lienthong listening");
            let running = app.spawn();
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.stop().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { fixtures } => {
            let Ok(config) = load(&cli.config) else {
                return Ok(ExitCode::from(1));
            };
            lienthong::demo::run(config, &fixtures).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Simulate {
            system,
            listen,
            faults,
            seed,
            gateway_url,
            token,
            secret,
            tls_cert,
            tls_key,
            client_ca,
            gateway_ca,
            client_cert,
            client_key,
        } => {
            let faults: Faults = serde_json::from_str(&faults)?;
            let tls = match tls_cert.zip(tls_key) {
                Some((cert, key)) => Some(match &client_ca {
                    Some(ca) => lienthong_contract::tls::server_config_requiring(&cert, &key, ca)?,
                    None => lienthong_contract::tls::server_config(&cert, &key, None)?,
                }),
                None => None,
            };
            let listener = lienthong_contract::sim::SimListener {
                listener: tokio::net::TcpListener::bind(listen).await?,
                tls,
            };
            let client = match (&gateway_ca, &client_cert) {
                (None, None) => None,
                _ => Some(lienthong_contract::tls::client(
                    gateway_ca.as_deref(),
                    client_cert.as_deref().zip(client_key.as_deref()),
                )?),
            };
            let gateway = match (gateway_url, token, secret.clone()) {
                (Some(url), Some(token), Some(secret)) => Some(lienthong_contract::sim::GatewayLink {
                    url,
                    token,
                    secret,
                    client,
                }),
                (None, _, _) => None,
                _ => anyhow::bail!("--gateway-url needs --token and --secret (decisions are signed)"),
            };
            let handle = match system {
                SimSystem::Police => lienthong_police_residence::sim::spawn(listener, faults, seed, gateway),
                SimSystem::Insurance => lienthong_social_insurance::sim::spawn(listener, faults, seed, gateway),
                SimSystem::Onestop => {
                    let secret =
                        secret.ok_or_else(|| anyhow::anyhow!("--secret is required for the one-stop simulator"))?;
                    lienthong_onestop::sim::spawn(listener, faults, seed, secret.as_bytes())
                }
            };
            println!("simulator listening on {}", handle.url());
            shutdown_signal().await;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn token_command(config: &Config, store: &Store, action: TokenAction) -> anyhow::Result<ExitCode> {
    match action {
        TokenAction::Add { system, label } => {
            if !config.gateway.systems.iter().any(|s| s.id == system) {
                eprintln!("no system '{system}' in gateway.toml");
                return Ok(ExitCode::from(1));
            }
            let (token, digest) = lienthong::store::credentials::new_token();
            let id = store.add_token(&system, &digest, &label).await?;
            println!("token {id} for '{system}' (shown once; store it in the system's secret store):");
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        TokenAction::Revoke { id } => {
            if store.revoke_token(&id).await? {
                println!("token {id} revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no active token {id}");
                Ok(ExitCode::from(1))
            }
        }
        TokenAction::List => {
            let day = |ms: i64| {
                jiff::Timestamp::from_millisecond(ms)
                    .map(|t| {
                        t.to_zoned(jiff::tz::TimeZone::system())
                            .strftime("%d/%m/%Y %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default()
            };
            for t in store.tokens().await? {
                let state = t
                    .revoked_at
                    .map_or("active".to_string(), |r| format!("revoked {}", day(r)));
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.system_id,
                    day(t.created_at),
                    state,
                    t.label
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    lienthong::telemetry::init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
