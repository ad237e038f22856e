//! The `lienthong` command line: parsed here, each command run by its function in [`commands`].

use std::path::PathBuf;
use std::process::ExitCode;

mod commands;

use clap::{Parser, Subcommand};
use commands::simulate::System;
use lienthong::accounts::Role;

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
        system: System,
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

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dir = cli.config.as_path();
    match cli.command {
        Command::Serve => commands::serve(dir).await,
        Command::Demo { fixtures } => commands::demo(dir, &fixtures).await,
        Command::CheckConfig => commands::check_config(dir),
        Command::Migrate {
            from,
            to,
            from_attachments,
        } => commands::migrate::run(dir, from.zip(to), &from_attachments).await,
        Command::Audit {
            action: AuditAction::Verify,
        } => commands::audit::verify(dir).await,
        Command::User {
            action:
                UserAction::Add {
                    login,
                    name,
                    role,
                    scope,
                },
        } => commands::users::add(dir, &login, &name, role, &scope).await,
        Command::Token { action } => {
            let action = match action {
                TokenAction::Add { system, label } => commands::tokens::Action::Add { system, label },
                TokenAction::Revoke { id } => commands::tokens::Action::Revoke { id },
                TokenAction::List => commands::tokens::Action::List,
            };
            commands::tokens::run(dir, action).await
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
            commands::simulate::run(commands::simulate::Options {
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
            })
            .await
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    lienthong::telemetry::init();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(e) if e.is::<commands::ConfigRefused>() => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
