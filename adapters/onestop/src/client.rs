//! Delivers the combined result to a commune's one-stop endpoint.

use async_trait::async_trait;
use lienthong_contract::adapter::{post_envelope, put_file, read_body};
use lienthong_contract::{Adapter, AdapterError, Endpoint, FileBody, Message, Receipt};

use lienthong_contract::signature;

/// Posts signed JSON results; the endpoint URL is the commune's configured result URL.
pub struct OnestopAdapter {
    secret: Vec<u8>,
}

impl OnestopAdapter {
    /// An adapter signing with the one-stop system's shared secret.
    pub fn new(secret: &[u8]) -> Self {
        OnestopAdapter {
            secret: secret.to_vec(),
        }
    }
}

impl OnestopAdapter {
    /// The URL under the result endpoint (`rest` appended to its path) and the path and query
    /// a signature covers.
    fn target(&self, base: &str, rest: &str) -> Result<(String, String), AdapterError> {
        let mut url = reqwest::Url::parse(base).map_err(|e| AdapterError::Permanent(format!("bad result URL: {e}")))?;
        if !rest.is_empty() {
            let joined = format!("{}{rest}", url.path().trim_end_matches('/'));
            url.set_path(&joined);
        }
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Ok((url.to_string(), path))
    }
}

fn parse_receipt(body: &str) -> Result<Receipt, AdapterError> {
    serde_json::from_str(body).map_err(|e| AdapterError::Permanent(format!("unreadable answer: {e}")))
}

#[async_trait]
impl Adapter for OnestopAdapter {
    fn system(&self) -> &'static str {
        "onestop"
    }

    async fn submit(&self, ep: &Endpoint, message: &Message, files: Vec<FileBody>) -> Result<Receipt, AdapterError> {
        let Message::Result(result) = message else {
            return Err(AdapterError::Permanent(
                "the one-stop endpoint only takes results".into(),
            ));
        };
        let body = serde_json::to_vec(result).map_err(|e| AdapterError::Permanent(e.to_string()))?;
        let (url, path) = self.target(&ep.base_url, "")?;
        let signed = signature::headers(&self.secret, "POST", &path, &body).to_vec();
        if !files.is_empty() {
            // The signed JSON names each file by its SHA-256; the files stream as parts.
            let text = String::from_utf8(body).map_err(|e| AdapterError::Permanent(e.to_string()))?;
            let envelope = (text, "application/json");
            let receipt = post_envelope(ep, url, &result.idempotency_key, envelope, files, signed).await?;
            return parse_receipt(&receipt);
        }
        let mut req = ep
            .http
            .post(url)
            .timeout(ep.timeout)
            .header("idempotency-key", &result.idempotency_key)
            .header("content-type", "application/json");
        for (name, value) in signed {
            req = req.header(name, value);
        }
        let resp = req.body(body).send().await.map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }

    async fn send_file(&self, ep: &Endpoint, key: &str, file: FileBody) -> Result<Receipt, AdapterError> {
        let (url, path) = self.target(&ep.base_url, &format!("/{key}/files/{}", file.meta.kind))?;
        let body = signature::file_body(&file.meta.sha256);
        let signed = signature::headers(&self.secret, "PUT", &path, &body).to_vec();
        parse_receipt(&put_file(ep, url, key, file, signed).await?)
    }

    async fn withdraw(&self, _: &Endpoint, _: &str, _: &str) -> Result<(), AdapterError> {
        Err(AdapterError::Permanent(
            "a one-stop system withdraws its own dossiers".into(),
        ))
    }

    async fn receipt(&self, ep: &Endpoint, key: &str) -> Result<Receipt, AdapterError> {
        let resp = ep
            .http
            .get(format!("{}/{key}", ep.base_url.trim_end_matches('/')))
            .timeout(ep.timeout)
            .send()
            .await
            .map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }
}
