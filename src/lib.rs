//! # lienthong — the 3-in-1 newborn interconnection gateway
//!
//! A commune registers a birth and pushes ONE case; lienthong gets it to the police residence
//! system and the social-insurance office, proves every attachment arrived, and returns the
//! combined result to the commune.
//!
//! Read in this order:
//! - [`domain`]: the pure rules — bundle validation, personal ids, the leg state machine.
//! - [`intake`]: `POST /api/v1/cases`, streaming files to [`blobs`] and writing the case, its legs
//!   and their first deliveries in ONE transaction to the [`store`] (a transactional outbox).
//! - [`delivery`]: workers that own every delivery from then on — receipts by SHA-256, lone-file
//!   re-sends, backoff, circuit breakers, dead letters.
//! - [`deadline`]: the working calendar, regimes and due dates (pure), and the sweeper that acts
//!   once on each at-risk / overdue transition; [`notify`] turns the event trail into SMS and email.
//! - [`web`]: the HTTP API, auth, metrics, and the pages for people ([`web::pages`]). [`App`] wires
//!   it all; `main` and the tests both use it. [`clock::Clock`] is the one source of "now".
//!
//! Adapters for each receiving system and their simulators live in `adapters/*`.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod blobs;
pub mod certificates;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod decisions;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod encryption;
pub mod family;
pub mod fuzz;
pub mod intake;
pub mod journey;
pub mod notify;
pub mod ratelimit;
pub mod report;
pub mod retention;
pub mod routing;
pub mod store;
pub mod store_migration;
pub mod telemetry;
pub mod web;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clock::Clock;
use lienthong_contract::Adapter;
use tokio::sync::{watch, Notify};

use config::{Config, SystemKind};
use delivery::{Adapters, Deliverer};
use store::Store;
use web::AppState;

/// A built gateway, bound to its listener, not yet running.
pub struct App {
    listener: tokio::net::TcpListener,
    state: AppState,
    deliverer: Arc<Deliverer>,
    notifier: Arc<notify::Notifier>,
    /// The certificate files in use: HTTPS, when configured, and TLS towards receiving systems.
    certificates: Arc<certificates::Reloader>,
}

/// A running gateway.
pub struct Running {
    pub addr: SocketAddr,
    /// Whether it serves HTTPS.
    pub https: bool,
    pub store: Store,
    pub blobs: blobs::Blobs,
    shutdown: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    workers: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl App {
    /// Opens the store and attachment directory and binds the configured address.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let listener = tokio::net::TcpListener::bind(config.gateway.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.gateway.listen))?;
        Self::with_listener(config, listener, Clock::system()).await
    }

    /// Like [`App::build`] on an already bound listener and a given clock (tests bind port 0
    /// first and move time forward by working days).
    pub async fn with_listener(config: Config, listener: tokio::net::TcpListener, clock: Clock) -> anyhow::Result<App> {
        let store = Store::open(&config.gateway.store_url, clock)
            .await
            .context("cannot open the store")?;
        for system in &config.gateway.systems {
            for digest in &system.token_sha256 {
                store
                    .seed_token(&system.id, digest, "gateway.toml")
                    .await
                    .context("cannot record the configured tokens")?;
            }
        }
        let recoded = store
            .recode_communes(&config.routes.recodings())
            .await
            .context("cannot move the cases of retired commune codes")?;
        if recoded > 0 {
            tracing::info!(
                cases = recoded,
                "cases of retired commune codes moved to their successors"
            );
        }
        let blobs = blobs::Blobs::configured(&config.gateway)?;
        let onestop = config
            .gateway
            .systems
            .iter()
            .filter(|s| s.kind == SystemKind::Onestop)
            .filter_map(|s| {
                let secret = s.signing_secret.as_ref()?;
                let adapter: Arc<dyn Adapter> =
                    Arc::new(lienthong_onestop::OnestopAdapter::new(secret.expose().as_bytes()));
                Some((s.id.clone(), adapter))
            })
            .collect::<HashMap<_, _>>();
        let config = Arc::new(config);
        let certificates = Arc::new(certificates::Reloader::load(Arc::clone(&config)).context("cannot set up TLS")?);
        let adapters = Adapters {
            police: Arc::new(lienthong_police_residence::PoliceResidenceAdapter),
            insurance: Arc::new(lienthong_social_insurance::SocialInsuranceAdapter),
            onestop,
            clients: certificates.clients(),
            default_client: lienthong_contract::adapter::http_client(),
        };
        let wake = Arc::new(Notify::new());
        let deliverer = Arc::new(Deliverer::new(
            store.clone(),
            blobs.clone(),
            adapters,
            Arc::clone(&config),
            Arc::clone(&wake),
        ));
        let notifier = Arc::new(notify::Notifier::new(Arc::clone(&config), store.clone())?);
        let state = AppState {
            auth: Arc::new(web::auth::Auth::new(
                &config.gateway.systems,
                web::body_limit(&config.gateway),
            )),
            config,
            store,
            blobs,
            wake,
            metrics: web::metrics::handle(),
            logins: Arc::default(),
            lookups: Arc::default(),
            kept_uploads: Arc::default(),
            standing: Arc::default(),
            certificates: Arc::clone(&certificates),
        };
        Ok(App {
            listener,
            state,
            deliverer,
            notifier,
            certificates,
        })
    }

    /// Every route, over this app's state, for driving it without a socket (the fuzzers).
    pub fn router(&self) -> axum::Router {
        web::router(self.state.clone())
    }

    /// The store, e.g. to issue a token before serving.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// Starts serving HTTP and delivering.
    pub fn spawn(self) -> Running {
        let addr = self.addr();
        let (tx, rx) = watch::channel(false);
        let router = web::router(self.state.clone());
        let tls = self.certificates.served().map(|s| s.configs());
        let mut server_rx = rx.clone();
        let server = tokio::spawn(async move {
            let stop = async move {
                let _ = server_rx.wait_for(|s| *s).await;
            };
            match tls {
                Some(tls) => lienthong_contract::tls::serve(self.listener, router, tls, stop).await,
                None => {
                    if let Err(e) = axum::serve(
                        self.listener,
                        router.into_make_service_with_connect_info::<SocketAddr>(),
                    )
                    .with_graceful_shutdown(stop)
                    .await
                    {
                        tracing::error!(error = %e, "HTTP server stopped");
                    }
                }
            }
        });
        let sweeper = deadline::sweeper::Sweeper::new(Arc::clone(&self.state.config), self.state.store.clone());
        let mut background = vec![
            tokio::spawn(sweeper.run(rx.clone())),
            tokio::spawn(Arc::clone(&self.notifier).run(rx.clone())),
            tokio::spawn(
                retention::Purger::new(
                    Arc::clone(&self.state.config),
                    self.state.store.clone(),
                    self.state.blobs.clone(),
                )
                .run(rx.clone()),
            ),
            tokio::spawn(alerts::Alerts::new(Arc::clone(&self.state.config), self.state.store.clone()).run(rx.clone())),
        ];
        background.push(tokio::spawn(reload_on_hangup(
            Arc::clone(&self.certificates),
            rx.clone(),
        )));
        if let Some(monthly) =
            report::monthly::MonthlyReports::configured(Arc::clone(&self.state.config), self.state.store.clone())
        {
            background.push(tokio::spawn(monthly.run(rx.clone())));
        }
        let workers = tokio::spawn(Arc::clone(&self.deliverer).run(rx));
        Running {
            addr,
            https: self.certificates.served().is_some(),
            store: self.state.store,
            blobs: self.state.blobs,
            shutdown: tx,
            server,
            workers,
            background,
        }
    }
}

impl Running {
    /// The base URL of the API.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting requests, lets in-flight deliveries finish and closes the store.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.workers.await;
        for task in self.background {
            let _ = task.await;
        }
        self.store.close().await;
    }
}

/// Reads every certificate file again on each SIGHUP (docs/security.md, "Renewing
/// certificates"), until shutdown.
async fn reload_on_hangup(certificates: Arc<certificates::Reloader>, mut shutdown: watch::Receiver<bool>) {
    let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP: certificates reload from /admin only");
            return;
        }
    };
    loop {
        tokio::select! {
            Some(()) = hangups.recv() => match certificates.reload() {
                Ok(()) => tracing::info!("certificates reloaded"),
                Err(e) => tracing::error!(error = %e, "certificates not reloaded; those in use stay"),
            },
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}
