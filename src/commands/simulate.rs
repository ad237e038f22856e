//! `simulate police|insurance|onestop`: one simulator of a receiving system, for deployments and
//! manual tests (no configuration needed).

use std::path::PathBuf;
use std::process::ExitCode;

use lienthong_contract::sim::{Faults, GatewayLink, SimListener};
use lienthong_contract::tls;

/// Which system to simulate.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum System {
    Police,
    Insurance,
    Onestop,
}

/// How the simulator listens, misbehaves and reports.
pub struct Options {
    pub system: System,
    pub listen: std::net::SocketAddr,
    /// Faults as JSON.
    pub faults: String,
    pub seed: u64,
    pub gateway_url: Option<String>,
    pub token: Option<String>,
    pub secret: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
    pub gateway_ca: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// Runs the simulator until SIGINT or SIGTERM.
pub async fn run(o: Options) -> anyhow::Result<ExitCode> {
    let faults: Faults = serde_json::from_str(&o.faults)?;
    let server_tls = match o.tls_cert.as_deref().zip(o.tls_key.as_deref()) {
        Some((cert, key)) => Some(match &o.client_ca {
            Some(ca) => tls::server_config_requiring(cert, key, ca)?,
            None => tls::server_config(cert, key, None)?,
        }),
        None => None,
    };
    let listener = SimListener {
        listener: tokio::net::TcpListener::bind(o.listen).await?,
        tls: server_tls,
    };
    let client = match (&o.gateway_ca, &o.client_cert) {
        (None, None) => None,
        _ => Some(tls::client(
            o.gateway_ca.as_deref(),
            o.client_cert.as_deref().zip(o.client_key.as_deref()),
        )?),
    };
    let gateway = match (o.gateway_url, o.token, o.secret.clone()) {
        (Some(url), Some(token), Some(secret)) => Some(GatewayLink {
            url,
            token,
            secret,
            client,
        }),
        (None, _, _) => None,
        _ => anyhow::bail!("--gateway-url needs --token and --secret (decisions are signed)"),
    };
    let handle = match o.system {
        System::Police => lienthong_police_residence::sim::spawn(listener, faults, o.seed, gateway),
        System::Insurance => lienthong_social_insurance::sim::spawn(listener, faults, o.seed, gateway),
        System::Onestop => {
            let secret = o
                .secret
                .ok_or_else(|| anyhow::anyhow!("--secret is required for the one-stop simulator"))?;
            lienthong_onestop::sim::spawn(listener, faults, o.seed, secret.as_bytes())
        }
    };
    println!("simulator listening on {}", handle.url());
    super::shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}
