//! `simulate police|insurance|onestop`: one simulator of a receiving system, for deployments and
//! manual tests (no configuration needed).

use std::path::PathBuf;
use std::process::ExitCode;

use lienthong_contract::tls;
use lienthong_simulators::sim::{Faults, GatewayLink, SimListener};

/// Which system to simulate.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum System {
    Police,
    Insurance,
    Onestop,
}

/// How the simulator listens, misbehaves and reports.
#[derive(clap::Args)]
pub struct Options {
    #[arg(value_enum)]
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
        System::Police => lienthong_simulators::police::spawn(listener, faults, o.seed, gateway),
        System::Insurance => lienthong_simulators::insurance::spawn(listener, faults, o.seed, gateway),
        System::Onestop => {
            let secret = o
                .secret
                .ok_or_else(|| anyhow::anyhow!("--secret is required for the one-stop simulator"))?;
            lienthong_simulators::onestop::spawn(listener, faults, o.seed, secret.as_bytes())
        }
    };
    println!("simulator listening on {}", handle.url());
    super::shutdown_signal().await;
    Ok(ExitCode::SUCCESS)
}
