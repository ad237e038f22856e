//! The `lienthong` command line: parsed here, each command run by its function in [`commands`].

use std::path::PathBuf;
use std::process::ExitCode;

mod commands;

use clap::{Parser, Subcommand};
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
    Simulate(commands::simulate::Options),
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
        Command::Simulate(options) => commands::simulate::run(options).await,
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
