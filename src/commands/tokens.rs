//! `token add|revoke|list`: the bearer tokens of the connected systems (digests only are stored).

use std::path::Path;
use std::process::ExitCode;

use lienthong::clock::Clock;
use lienthong::store::Store;

/// What to do with tokens.
pub enum Action {
    Add { system: String, label: String },
    Revoke { id: String },
    List,
}

/// Runs one token action on the store, safely beside a live gateway.
pub async fn run(dir: &Path, action: Action) -> anyhow::Result<ExitCode> {
    let config = super::load(dir)?;
    let store = Store::manage(&config.gateway.store_url, Clock::system()).await?;
    let code = act(&config, &store, action).await;
    store.close().await;
    code
}

async fn act(config: &lienthong::config::Config, store: &Store, action: Action) -> anyhow::Result<ExitCode> {
    match action {
        Action::Add { system, label } => {
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
        Action::Revoke { id } => {
            if store.revoke_token(&id).await? {
                println!("token {id} revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no active token {id}");
                Ok(ExitCode::from(1))
            }
        }
        Action::List => {
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
