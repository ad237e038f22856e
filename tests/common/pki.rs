//! Certificate authorities and certificates made at test time (rcgen): nothing checked in.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// A test CA whose certificate is written to `<dir>/<name>-ca.pem`.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: PathBuf,
}

/// A certificate and its key, as PEM files.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// SHA-256 (hex) of the DER certificate, as `client_cert_sha256` pins it.
    pub sha256: String,
}

impl Ca {
    pub fn new(dir: &Path, name: &str) -> Ca {
        Ca::ending(dir, name, None)
    }

    /// A test CA whose certificate ends on `(year, month, day)` at midnight UTC (rcgen's default
    /// otherwise: far in the future).
    pub fn ending(dir: &Path, name: &str, end: Option<(i32, u8, u8)>) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        if let Some((y, m, d)) = end {
            params.not_after = rcgen::date_time_ymd(y, m, d);
        }
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("{name} test CA"));
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let pem = dir.join(format!("{name}-ca.pem"));
        std::fs::write(&pem, issuer.pem()).unwrap();
        Ca { issuer, pem }
    }

    /// A certificate for `localhost` and 127.0.0.1, good for servers and clients.
    pub fn issue(&self, dir: &Path, name: &str) -> Issued {
        let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let issued = Issued {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}-key.pem")),
            sha256: lienthong::store::credentials::token_digest_bytes(cert.der()),
        };
        std::fs::write(&issued.cert, cert.pem()).unwrap();
        std::fs::write(&issued.key, key.serialize_pem()).unwrap();
        issued
    }
}
