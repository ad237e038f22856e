//! The certificates the gateway serves with and trusts, and when each expires (docs/alerts.md,
//! "Certificates"). The PEM files are read again at every alert round, so a renewed file clears
//! its warning without a restart.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::ServerConfig;
use tokio::sync::watch;

use crate::config::{Config, ServerTls};
use crate::delivery::{Adapters, Clients};

/// One certificate of a configured file.
#[derive(Debug, Clone, PartialEq)]
pub struct Expiry {
    /// What the file is for, and the certificate's place in it when it holds several:
    /// `gateway.cert`, `CA-568.ca#2`, `22609.onestop_cert`.
    pub label: String,
    pub path: PathBuf,
    /// The certificate's subject, for people.
    pub subject: String,
    pub not_after_ms: i64,
}

/// Every certificate file the configuration names, with what it is for.
pub fn watched(config: &Config) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Some(tls) = &config.gateway.tls {
        out.push(("gateway.cert".to_string(), tls.cert.clone()));
        if let Some(ca) = &tls.client_ca {
            out.push(("gateway.client_ca".to_string(), ca.clone()));
        }
    }
    let routes = &config.routes;
    let offices = routes.police_offices.iter().chain(&routes.insurance_offices);
    let systems = offices.map(|(code, o)| (code.to_string(), &o.tls)).chain(
        routes
            .communes
            .iter()
            .map(|(code, c)| (format!("{code}.onestop"), &c.onestop_tls)),
    );
    for (unit, tls) in systems {
        for (what, path) in [("ca", &tls.ca), ("cert", &tls.cert)] {
            if let Some(path) = path {
                out.push((format!("{unit}.{what}"), path.clone()));
            }
        }
    }
    out
}

/// The certificates of one PEM file; an error says why the file cannot be read.
pub fn read(label: &str, path: &Path) -> Result<Vec<Expiry>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect())
        .map_err(|e| e.to_string())?;
    let several = certs.len() > 1;
    certs
        .iter()
        .enumerate()
        .map(|(i, der)| {
            let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
            Ok(Expiry {
                label: if several {
                    format!("{label}#{}", i + 1)
                } else {
                    label.to_string()
                },
                path: path.to_path_buf(),
                subject: cert.subject().to_string(),
                not_after_ms: cert.validity().not_after.timestamp().saturating_mul(1000),
            })
        })
        .collect()
}

/// A configured certificate file that cannot be read or holds no certificate the gateway can
/// parse: the next reload or restart would fail on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub label: String,
    pub path: PathBuf,
    pub error: String,
}

/// What the configured certificate files hold, read now.
#[derive(Debug, Default)]
pub struct Survey {
    pub found: Vec<Expiry>,
    pub unreadable: Vec<Unreadable>,
}

/// Reads every configured certificate file.
pub fn survey(config: &Config) -> Survey {
    let mut out = Survey::default();
    for (label, path) in watched(config) {
        match read(&label, &path) {
            Ok(found) if !found.is_empty() => out.found.extend(found),
            Ok(_) => out.unreadable.push(Unreadable {
                label,
                path,
                error: "no certificate in the file".into(),
            }),
            Err(error) => out.unreadable.push(Unreadable { label, path, error }),
        }
    }
    out
}

/// Reads every certificate file again, on SIGHUP or from `/admin`: the server's own (when it
/// serves HTTPS) and the trust roots and client certificates towards each receiving system. All
/// are read before any is swapped, so a file that cannot be used changes nothing.
pub struct Reloader {
    config: Arc<Config>,
    served: Option<ServedCertificate>,
    clients: watch::Sender<Arc<Clients>>,
}

impl Reloader {
    /// Reads everything once, for the start.
    pub fn load(config: Arc<Config>) -> io::Result<Reloader> {
        let served = config.gateway.tls.as_ref().map(ServedCertificate::load).transpose()?;
        let clients = Adapters::clients(&config.routes)?;
        Ok(Reloader {
            config,
            served,
            clients: watch::channel(Arc::new(clients)).0,
        })
    }

    /// The server's own certificate, when it serves HTTPS.
    pub fn served(&self) -> Option<&ServedCertificate> {
        self.served.as_ref()
    }

    /// The clients towards the receiving systems, now and after each reload.
    pub fn clients(&self) -> watch::Receiver<Arc<Clients>> {
        self.clients.subscribe()
    }

    /// Reads every file again; on any problem nothing changes and the error says why.
    pub fn reload(&self) -> io::Result<()> {
        let clients = Adapters::clients(&self.config.routes)?;
        let server = match &self.served {
            Some(served) => Some((served, ServedCertificate::read(&served.files)?)),
            None => None,
        };
        if let Some((served, config)) = server {
            served.current.send_replace(config);
        }
        self.clients.send_replace(Arc::new(clients));
        Ok(())
    }
}

/// The gateway's own HTTPS setup, swapped in place when its files are read again (on SIGHUP or
/// from `/admin`): new connections get the renewed certificate, open ones keep theirs.
pub struct ServedCertificate {
    files: ServerTls,
    current: watch::Sender<Arc<ServerConfig>>,
}

impl ServedCertificate {
    fn load(files: &ServerTls) -> io::Result<ServedCertificate> {
        Ok(ServedCertificate {
            files: files.clone(),
            current: watch::channel(Self::read(files)?).0,
        })
    }

    fn read(files: &ServerTls) -> io::Result<Arc<ServerConfig>> {
        lienthong_contract::tls::server_config(&files.cert, &files.key, files.client_ca.as_deref())
    }

    /// What the server accepts connections with, now and after each reload.
    pub fn configs(&self) -> watch::Receiver<Arc<ServerConfig>> {
        self.current.subscribe()
    }
}
