//! TLS on every hop, with rustls: the server side the gateway and the simulators share (HTTPS,
//! optionally asking for client certificates) and the client side each connection to an agency
//! uses (that agency's CA bundle only, and our client certificate when mutual TLS is on).
//!
//! Certificates and keys are PEM files. A server that asks for client certificates still
//! accepts connections without one (officers' browsers have none); it tells the handlers which
//! connections proved a certificate from the configured CA through [`PeerCertificate`], and the
//! agency API refuses the others. A certificate from another CA fails the handshake itself.

use std::future::Future;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
/// The server configuration [`serve`] takes, re-exported so users need no rustls of their own.
pub use rustls::ServerConfig;
use tower::ServiceExt;

/// Set on every request of a TLS connection: the SHA-256 (hex) of the client's certificate when
/// it proved one signed by the configured client CA, so the gateway can also pin a certificate
/// to one system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate(pub Option<String>);

fn io_error(what: &str, path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("{what} {}: {e}", path.display()))
}

/// Every certificate of a PEM file (a chain, or a CA bundle).
pub fn load_certs(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| io_error("cannot read certificates", path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io_error("bad certificate in", path, e))?;
    if certs.is_empty() {
        return Err(io_error("no certificate in", path, "empty"));
    }
    Ok(certs)
}

/// The private key of a PEM file.
pub fn load_key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| io_error("cannot read the private key", path, e))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from a certificate chain and key; with `client_ca`, clients may present
/// a certificate, which must then chain to that CA.
pub fn server_config(cert: &Path, key: &Path, client_ca: Option<&Path>) -> io::Result<Arc<ServerConfig>> {
    build_server(cert, key, client_ca, false)
}

/// A server that accepts only clients with a certificate from `client_ca` (an agency's receiver
/// under mutual TLS, as the simulators play it).
pub fn server_config_requiring(cert: &Path, key: &Path, client_ca: &Path) -> io::Result<Arc<ServerConfig>> {
    build_server(cert, key, Some(client_ca), true)
}

fn build_server(cert: &Path, key: &Path, client_ca: Option<&Path>, require: bool) -> io::Result<Arc<ServerConfig>> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in load_certs(ca)? {
                roots.add(c).map_err(|e| io_error("bad CA certificate in", ca, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let verifier = if require {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            let verifier = verifier.build().map_err(|e| io_error("cannot use client CA", ca, e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(load_certs(cert)?, load_key(key)?)
        .map_err(|e| io_error("certificate and key do not match", cert, e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// An HTTP client for one agency: it trusts only `ca` (when given; the public web roots
/// otherwise) and presents `identity` (certificate chain and key, PEM) for mutual TLS. With a CA
/// or an identity it speaks HTTPS only, so nothing goes in clear by mistake.
pub fn client(ca: Option<&Path>, identity: Option<(&Path, &Path)>) -> io::Result<reqwest::Client> {
    let mut builder = crate::adapter::http_client_builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| io_error("cannot read", ca, e))?;
        builder = builder.tls_built_in_root_certs(false);
        for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| io_error("bad CA bundle", ca, e))? {
            builder = builder.add_root_certificate(cert);
        }
        builder = builder.https_only(true);
    }
    if let Some((cert, key)) = identity {
        let mut pem = std::fs::read(cert).map_err(|e| io_error("cannot read", cert, e))?;
        pem.extend(std::fs::read(key).map_err(|e| io_error("cannot read", key, e))?);
        let id = reqwest::Identity::from_pem(&pem).map_err(|e| io_error("bad client certificate", cert, e))?;
        builder = builder.identity(id).https_only(true);
    }
    builder.build().map_err(io::Error::other)
}

/// Serves `router` over TLS until `shutdown` resolves, then lets open requests finish. Each new
/// connection takes the configuration `configs` holds at that moment, so a renewed certificate
/// sent into it is served without a restart (open connections keep theirs).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    configs: tokio::sync::watch::Receiver<Arc<ServerConfig>>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&configs.borrow()));
        let (router, watcher) = (router.clone(), graceful.watcher());
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::info!(error = %e, "TLS handshake refused");
                    return;
                }
                Err(_) => return,
            };
            let leaf = stream.get_ref().1.peer_certificates().and_then(|c| c.first());
            let proved = PeerCertificate(leaf.map(|c| {
                use sha2::{Digest, Sha256};
                hex::encode(Sha256::digest(c.as_ref()))
            }));
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(proved.clone());
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(request)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("connections still open at shutdown"),
    }
}
