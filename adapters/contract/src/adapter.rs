//! The adapter trait and the delivery receipt every receiver answers with.

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::bundle::AttachmentMeta;
use crate::message::Message;

/// A file's bytes, streamed so no adapter holds a whole attachment in memory.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// One attachment on its way out: what it claims to be and its bytes.
pub struct FileBody {
    pub meta: AttachmentMeta,
    pub body: ByteStream,
}

/// Where a receiving system is reached.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub base_url: String,
    pub timeout: Duration,
    /// The client for this system: its own trust roots and client certificate ([`crate::tls`]).
    pub http: reqwest::Client,
}

/// One file the receiver says it holds, by the hash of the bytes it actually received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    pub kind: String,
    pub sha256: crate::Sha256,
}

/// The receiver's account of a delivery: its own record id, every file it holds and, once it has
/// decided, its decision — the status a real system's record page shows. The decision is the same
/// JSON its decision callback carries (see [`crate::decision`]), so a decision whose callback was
/// lost can be fetched back and applied through the same validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub record_id: String,
    pub files: Vec<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<serde_json::Value>,
    /// The receiver needs to verify the dossier before deciding (the police under the 2024
    /// national procedure), which lengthens its legal budget.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verification: bool,
}

impl Receipt {
    /// The declared attachments the receiver does not hold with the right hash.
    pub fn missing<'a>(&self, declared: &'a [AttachmentMeta]) -> Vec<&'a AttachmentMeta> {
        declared
            .iter()
            .filter(|m| {
                !self
                    .files
                    .iter()
                    .any(|f| f.kind == m.kind && f.sha256.eq_ignore_ascii_case(&m.sha256))
            })
            .collect()
    }
}

/// Why a call failed, split by what the gateway should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// Timeouts, refused connections, 5xx, 408, 429: worth retrying later.
    #[error("transient: {0}")]
    Transient(String),
    /// The receiver refused the message itself (4xx): retrying the same bytes will not help.
    #[error("permanent: {0}")]
    Permanent(String),
}

impl AdapterError {
    /// Classifies a transport error: everything below HTTP is worth a retry.
    pub fn from_reqwest(e: reqwest::Error) -> Self {
        AdapterError::Transient(describe_reqwest(&e))
    }

    /// Classifies an HTTP status the receiver answered with. The receiver's text is kept only as
    /// [`redact`]ed: a real receiver may echo the child's id or a parent's name in it, and this
    /// message is logged and stored.
    pub fn from_status(status: reqwest::StatusCode, body: &str) -> Self {
        let msg = format!("HTTP {} answer {}", status.as_u16(), redact(body.trim()));
        if status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        {
            AdapterError::Transient(msg)
        } else {
            AdapterError::Permanent(msg)
        }
    }

    /// True when a later retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, AdapterError::Transient(_))
    }
}

fn describe_reqwest(e: &reqwest::Error) -> String {
    // The URL is ours (no personal data); the source chain explains the failure.
    let mut chain = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let tls = chain
        .iter()
        .find(|s| s.contains("certificate") || s.contains("tls") || s.contains("TLS") || s.contains("handshake"));
    if e.is_timeout() {
        "timed out".to_string()
    } else if let Some(tls) = tls {
        format!("TLS handshake failed: {tls}")
    } else if e.is_connect() {
        "connection refused or unreachable".to_string()
    } else {
        let mut msg = e.to_string();
        for s in chain {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        msg
    }
}

/// A receiving system's client. The gateway drives the protocol; the adapter only speaks.
#[async_trait]
pub trait Adapter: Send + Sync {
    /// The system this adapter speaks to, for logs and metrics.
    fn system(&self) -> &'static str;

    /// Sends the message with its files in one request; the receiver dedupes on the message's
    /// idempotency key and answers with what it holds.
    async fn submit(
        &self,
        endpoint: &Endpoint,
        message: &Message,
        files: Vec<FileBody>,
    ) -> Result<Receipt, AdapterError>;

    /// Re-sends one file alone for an envelope the receiver already has.
    async fn send_file(
        &self,
        endpoint: &Endpoint,
        idempotency_key: &str,
        file: FileBody,
    ) -> Result<Receipt, AdapterError>;

    /// Asks what the receiver holds for an envelope it already has, and its decision if it made
    /// one (the gateway's check-back of a decision whose callback never arrived).
    async fn receipt(&self, endpoint: &Endpoint, idempotency_key: &str) -> Result<Receipt, AdapterError>;

    /// Tells the receiver that the family withdrew the dossier, so it stops working on it.
    /// Done when the receiver holds no such envelope either (nothing to withdraw).
    async fn withdraw(&self, endpoint: &Endpoint, idempotency_key: &str, reason: &str) -> Result<(), AdapterError>;
}

/// Shared HTTP client settings for adapters: rustls, no proxies from the environment.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("a TLS backend is compiled in")
}

/// The settings every client to another system shares (no proxy from the environment, idle
/// connections closed after 30 s); [`crate::tls::client`] adds an agency's trust.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .pool_idle_timeout(Duration::from_secs(30))
}

/// Reads a response into a receipt-shaped value or the matching error.
pub async fn read_body(resp: reqwest::Response) -> Result<String, AdapterError> {
    let status = resp.status();
    let body = resp.text().await.map_err(AdapterError::from_reqwest)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(AdapterError::from_status(status, &body))
    }
}

/// A text that may carry personal data, reduced to its length and a short SHA-256, so an
/// operator can match it with the other system's logs without anyone reading it in ours.
pub fn redact(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    format!("[{} bytes, sha256 {}]", text.len(), &digest[..12])
}

/// Wraps a file for a multipart part or a request body without buffering it.
pub fn stream_body(body: ByteStream) -> reqwest::Body {
    reqwest::Body::wrap_stream(body)
}

/// A multipart part that streams a file, named by the caller.
fn file_part(file: FileBody) -> Result<reqwest::multipart::Part, AdapterError> {
    reqwest::multipart::Part::stream_with_length(stream_body(file.body), file.meta.size)
        .file_name(file.meta.file_name.clone())
        .mime_str(&file.meta.media_type)
        .map_err(|e| AdapterError::Permanent(format!("bad media type: {e}")))
}

/// `POST`s an envelope (its text in the receiver's format, of `media_type`) and its files, each
/// streamed as a part named by its kind, under an idempotency key, with any further `headers`
/// (a signature); returns the receipt's text.
pub async fn post_envelope(
    ep: &Endpoint,
    url: String,
    key: &str,
    (envelope, media_type): (String, &'static str),
    files: Vec<FileBody>,
    headers: Vec<(&'static str, String)>,
) -> Result<String, AdapterError> {
    let envelope = reqwest::multipart::Part::text(envelope)
        .mime_str(media_type)
        .map_err(|e| AdapterError::Permanent(format!("bad media type: {e}")))?;
    let mut form = reqwest::multipart::Form::new().part("envelope", envelope);
    for f in files {
        let kind = f.meta.kind.clone();
        form = form.part(kind, file_part(f)?);
    }
    let mut req = ep.http.post(url).timeout(ep.timeout).header("idempotency-key", key);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let resp = req.multipart(form).send().await.map_err(AdapterError::from_reqwest)?;
    read_body(resp).await
}

/// `PUT`s one file alone to `url` under an idempotency key, with any further `headers` (a
/// signature); returns the receipt's text.
pub async fn put_file(
    ep: &Endpoint,
    url: String,
    key: &str,
    file: FileBody,
    headers: Vec<(&'static str, String)>,
) -> Result<String, AdapterError> {
    let mut req = ep.http.put(url);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let resp = req
        .timeout(ep.timeout)
        .header("idempotency-key", key)
        .header("content-type", &file.meta.media_type)
        .header("content-length", file.meta.size)
        .body(stream_body(file.body))
        .send()
        .await
        .map_err(AdapterError::from_reqwest)?;
    read_body(resp).await
}

/// `GET`s a receipt's text.
/// Posts a withdrawal `{"reason"}` to `url`: 2xx, or 404 (the receiver never got the envelope),
/// is done; anything else is classified like every answer.
pub async fn post_withdrawal(ep: &Endpoint, url: String, key: &str, reason: &str) -> Result<(), AdapterError> {
    let resp = ep
        .http
        .post(url)
        .timeout(ep.timeout)
        .header("idempotency-key", key)
        .json(&serde_json::json!({ "reason": reason }))
        .send()
        .await
        .map_err(AdapterError::from_reqwest)?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(());
    }
    read_body(resp).await.map(|_| ())
}

pub async fn get_text(ep: &Endpoint, url: String) -> Result<String, AdapterError> {
    let resp = ep
        .http
        .get(url)
        .timeout(ep.timeout)
        .send()
        .await
        .map_err(AdapterError::from_reqwest)?;
    read_body(resp).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receivers_error_text_is_kept_only_as_a_hash() {
        let body = "Lỗi: công dân Nguyễn Văn An, số định danh 056326001234, SĐT 0905123456";
        let e = AdapterError::from_status(reqwest::StatusCode::BAD_GATEWAY, body);
        let text = e.to_string();
        assert!(text.starts_with("transient: HTTP 502 answer ["), "{text}");
        for secret in ["Nguyễn", "056326001234", "0905123456"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(redact(body), redact(body), "the same text gives the same hash");
        assert_ne!(redact(body), redact("other"));
        assert!(AdapterError::from_status(reqwest::StatusCode::BAD_REQUEST, body)
            .to_string()
            .starts_with("permanent:"));
    }
}
