//! Delivers the combined result to a commune's one-stop endpoint.

use async_trait::async_trait;
use lienthong_contract::adapter::read_body;
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
        if !files.is_empty() {
            return Err(AdapterError::Permanent("results carry no files".into()));
        }
        let body = serde_json::to_vec(result).map_err(|e| AdapterError::Permanent(e.to_string()))?;
        let url =
            reqwest::Url::parse(&ep.base_url).map_err(|e| AdapterError::Permanent(format!("bad result URL: {e}")))?;
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let mut req = ep
            .http
            .post(url)
            .timeout(ep.timeout)
            .header("idempotency-key", &result.idempotency_key)
            .header("content-type", "application/json");
        for (name, value) in signature::headers(&self.secret, "POST", &path, &body) {
            req = req.header(name, value);
        }
        let resp = req.body(body).send().await.map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }

    async fn send_file(&self, _: &Endpoint, _: &str, _: FileBody) -> Result<Receipt, AdapterError> {
        Err(AdapterError::Permanent("results carry no files".into()))
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
