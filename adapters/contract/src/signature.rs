//! Signed callbacks between the gateway and the agency systems, both ways: the result the gateway
//! posts to a one-stop system and the decisions police and insurance systems post to the gateway.
//!
//! The signature is HMAC-SHA256 with the key shared with that system over
//! `v1\n<METHOD>\n<path and query>\n<unix seconds>\n<nonce>\n<body>`, sent as [`SIGNATURE`]
//! `v1=<hex>` with the seconds in [`TIMESTAMP`] and a random [`NONCE`]. A receiver refuses a
//! timestamp more than [`MAX_SKEW`] away from its own clock and a signature it has already
//! accepted (it keeps those for twice the window), so a captured request can be neither replayed
//! nor re-targeted at another path. A sender signs every attempt afresh; the nonce keeps two
//! honest retries of the same body within one second apart.
//!
//! Files are never signed byte by byte, so neither side holds one in memory: a multipart request
//! signs its JSON part, which describes each file by its SHA-256, and a file sent alone is signed
//! over the 64 hex digits of its SHA-256 in place of the body ([`file_body`]); the receiver hashes
//! what arrives and checks the signature over that.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE: &str = "x-lienthong-signature";
/// The header that carries the signing time, in Unix seconds.
pub const TIMESTAMP: &str = "x-lienthong-timestamp";
/// The header that carries the sender's random nonce.
pub const NONCE: &str = "x-lienthong-nonce";
/// How far a signing time may be from the receiver's clock, either way.
pub const MAX_SKEW: Duration = Duration::from_secs(300);

/// Why a signed request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the request is not signed")]
    Missing,
    #[error("the signature or timestamp is malformed")]
    Malformed,
    #[error("the signing time is more than 5 minutes away")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// What is signed besides the body: the request's method, path and query, time and nonce.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub timestamp: i64,
    pub nonce: &'a str,
}

fn mac(secret: &[u8], s: &Signed<'_>, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    let head = format!(
        "v1\n{}\n{}\n{}\n{}\n",
        s.method.to_ascii_uppercase(),
        s.path,
        s.timestamp,
        s.nonce
    );
    mac.update(head.as_bytes());
    mac.update(body);
    mac
}

/// The signature header value.
pub fn sign(secret: &[u8], signed: &Signed<'_>, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, signed, body).finalize().into_bytes()))
}

/// Now in Unix seconds, by the system clock (freshness is about real time, never a test clock).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The three headers to add to a request signed now.
pub fn headers(secret: &[u8], method: &str, path: &str, body: &[u8]) -> [(&'static str, String); 3] {
    let timestamp = unix_now();
    let nonce = format!("{:032x}", fastrand::u128(..));
    let signed = Signed {
        method,
        path,
        timestamp,
        nonce: &nonce,
    };
    let signature = sign(secret, &signed, body);
    [
        (TIMESTAMP, timestamp.to_string()),
        (NONCE, nonce),
        (SIGNATURE, signature),
    ]
}

/// What stands for a file's bytes in a signature: its SHA-256 as lowercase hex.
pub fn file_body(sha256: &str) -> Vec<u8> {
    sha256.to_ascii_lowercase().into_bytes()
}

/// The signing headers as a receiver reads them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Checks a request's signature in constant time and its timestamp against `now` (Unix seconds).
/// The caller must still refuse a signature it has seen before.
pub fn verify(
    secret: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
    presented: Presented<'_>,
    now: i64,
) -> Result<(), Refusal> {
    let (Some(ts), Some(nonce), Some(sig)) = (presented.timestamp, presented.nonce, presented.signature) else {
        return Err(Refusal::Missing);
    };
    if nonce.is_empty() || nonce.len() > 64 {
        return Err(Refusal::Malformed);
    }
    let ts: i64 = ts.trim().parse().map_err(|_| Refusal::Malformed)?;
    let sig = sig
        .trim()
        .strip_prefix("v1=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(Refusal::Malformed)?;
    if ts.abs_diff(now) > MAX_SKEW.as_secs() {
        return Err(Refusal::Stale);
    }
    let signed = Signed {
        method,
        path,
        timestamp: ts,
        nonce,
    };
    mac(secret, &signed, body)
        .verify_slice(&sig)
        .map_err(|_| Refusal::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_790_000_000;

    fn at(method: &'static str, path: &'static str, timestamp: i64) -> Signed<'static> {
        Signed {
            method,
            path,
            timestamp,
            nonce: "n1",
        }
    }

    fn check(secret: &[u8], method: &str, path: &str, body: &[u8], ts: i64, sig: &str) -> Result<(), Refusal> {
        let ts = ts.to_string();
        let presented = Presented {
            timestamp: Some(&ts),
            nonce: Some("n1"),
            signature: Some(sig),
        };
        verify(secret, method, path, body, presented, NOW)
    }

    #[test]
    fn a_signature_binds_key_method_path_time_and_body() {
        let s = sign(b"k", &at("POST", "/api/v1/legs/a/decision", NOW), b"body");
        assert_eq!(check(b"k", "POST", "/api/v1/legs/a/decision", b"body", NOW, &s), Ok(()));
        assert_eq!(check(b"k", "post", "/api/v1/legs/a/decision", b"body", NOW, &s), Ok(()));
        assert_eq!(
            check(b"x", "POST", "/api/v1/legs/a/decision", b"body", NOW, &s),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            check(b"k", "PUT", "/api/v1/legs/a/decision", b"body", NOW, &s),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            check(b"k", "POST", "/api/v1/legs/b/decision", b"body", NOW, &s),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            check(b"k", "POST", "/api/v1/legs/a/decision", b"body!", NOW, &s),
            Err(Refusal::Mismatch)
        );
        let later = sign(b"k", &at("POST", "/api/v1/legs/a/decision", NOW - 1), b"body");
        assert_eq!(
            check(b"k", "POST", "/api/v1/legs/a/decision", b"body", NOW, &later),
            Err(Refusal::Mismatch)
        );
    }

    #[test]
    fn old_future_missing_and_malformed_are_refused() {
        let old = NOW - 600;
        let s = sign(b"k", &at("POST", "/p", old), b"");
        assert_eq!(check(b"k", "POST", "/p", b"", old, &s), Err(Refusal::Stale));
        let future = NOW + 301;
        let s = sign(b"k", &at("POST", "/p", future), b"");
        assert_eq!(check(b"k", "POST", "/p", b"", future, &s), Err(Refusal::Stale));
        let edge = NOW - 300;
        let s = sign(b"k", &at("POST", "/p", edge), b"");
        assert_eq!(check(b"k", "POST", "/p", b"", edge, &s), Ok(()));
        let presented = |timestamp, nonce| Presented {
            timestamp,
            nonce,
            signature: Some(s.as_str()),
        };
        let ts = edge.to_string();
        assert_eq!(
            verify(b"k", "POST", "/p", b"", presented(None, Some("n1")), NOW),
            Err(Refusal::Missing)
        );
        assert_eq!(
            verify(b"k", "POST", "/p", b"", presented(Some(&ts), None), NOW),
            Err(Refusal::Missing)
        );
        assert_eq!(
            verify(b"k", "POST", "/p", b"", presented(Some("x"), Some("n1")), NOW),
            Err(Refusal::Malformed)
        );
        let other_nonce = Presented {
            timestamp: Some(&ts),
            nonce: Some("n2"),
            signature: Some(&s),
        };
        assert_eq!(
            verify(b"k", "POST", "/p", b"", other_nonce, NOW),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            check(b"k", "POST", "/p", b"", NOW, "sha256=00"),
            Err(Refusal::Malformed)
        );
        assert_eq!(check(b"k", "POST", "/p", b"", NOW, "v1=zz"), Err(Refusal::Malformed));
    }

    proptest! {
        #[test]
        fn any_changed_body_byte_is_refused(body in proptest::collection::vec(any::<u8>(), 1..200), pos in any::<proptest::sample::Index>(), flip in 1u8..=255) {
            let s = sign(b"secret", &at("POST", "/p", NOW), &body);
            prop_assert_eq!(check(b"secret", "POST", "/p", &body, NOW, &s), Ok(()));
            let mut changed = body.clone();
            let i = pos.index(changed.len());
            changed[i] ^= flip;
            prop_assert_eq!(check(b"secret", "POST", "/p", &changed, NOW, &s), Err(Refusal::Mismatch));
        }
    }
}
