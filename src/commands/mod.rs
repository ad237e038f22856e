//! One function per `lienthong` command; `main` parses the command line and calls one. Every
//! command that needs the configuration loads it with [`load`], which prints every problem and
//! makes the process exit 1.

pub mod audit;
pub mod migrate;
pub mod simulate;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::process::ExitCode;

use lienthong::config::Config;
use lienthong::App;

/// The configuration was refused; its problems were printed.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has problems")]
pub struct ConfigRefused;

/// Loads the configuration, printing every problem with its file and key.
pub fn load(dir: &Path) -> anyhow::Result<Config> {
    Config::load(dir).map_err(|problems| {
        for p in &problems.0 {
            eprintln!("{p}");
        }
        eprintln!("{} problem(s) in {}", problems.0.len(), dir.display());
        anyhow::Error::new(ConfigRefused)
    })
}

/// `check-config`.
pub fn check_config(dir: &Path) -> anyhow::Result<ExitCode> {
    load(dir)?;
    println!("configuration OK: {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `serve`: the gateway until SIGINT or SIGTERM, then a graceful stop.
pub async fn serve(dir: &Path) -> anyhow::Result<ExitCode> {
    let app = App::build(load(dir)?).await?;
    tracing::info!(addr = %app.addr(), "lienthong listening");
    let running = app.spawn();
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// `demo`: the gateway, the simulators and the demo cases.
pub async fn demo(dir: &Path, fixtures: &Path) -> anyhow::Result<ExitCode> {
    lienthong::demo::run(load(dir)?, fixtures).await?;
    Ok(ExitCode::SUCCESS)
}

/// Waits for SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
