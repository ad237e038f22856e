//! The gateway's client for the social-insurance office.

use async_trait::async_trait;
use lienthong_contract::adapter::{http_client, read_body, stream_body};
use lienthong_contract::{Adapter, AdapterError, Endpoint, FileBody, Message, Receipt};
use reqwest::multipart::{Form, Part};

use crate::wire::{from_xml, to_xml, CardRequest, XmlReceipt};

const COLLECTION: &str = "/bhxh/the-bhyt/ho-so";

/// Speaks XML to the social-insurance card system.
pub struct SocialInsuranceAdapter {
    http: reqwest::Client,
}

impl Default for SocialInsuranceAdapter {
    fn default() -> Self {
        SocialInsuranceAdapter { http: http_client() }
    }
}

fn parse_receipt(body: &str) -> Result<Receipt, AdapterError> {
    from_xml::<XmlReceipt>(body)
        .map(Receipt::from)
        .map_err(|e| AdapterError::Permanent(format!("unreadable receipt: {e}")))
}

fn url(ep: &Endpoint, rest: &str) -> String {
    format!("{}{COLLECTION}{rest}", ep.base_url.trim_end_matches('/'))
}

#[async_trait]
impl Adapter for SocialInsuranceAdapter {
    fn system(&self) -> &'static str {
        "social-insurance"
    }

    async fn submit(&self, ep: &Endpoint, message: &Message, files: Vec<FileBody>) -> Result<Receipt, AdapterError> {
        let Message::Case(env) = message else {
            return Err(AdapterError::Permanent("the insurance system only takes cases".into()));
        };
        let xml = to_xml(&CardRequest::from_envelope(env)).map_err(|e| AdapterError::Permanent(e.to_string()))?;
        let mut form = Form::new().part(
            "envelope",
            Part::text(xml).mime_str("application/xml").expect("static media type"),
        );
        for f in files {
            let part = Part::stream_with_length(stream_body(f.body), f.meta.size)
                .file_name(f.meta.file_name.clone())
                .mime_str(&f.meta.media_type)
                .map_err(|e| AdapterError::Permanent(format!("bad media type: {e}")))?;
            form = form.part(f.meta.kind.clone(), part);
        }
        let resp = self
            .http
            .post(url(ep, ""))
            .timeout(ep.timeout)
            .header("idempotency-key", &env.idempotency_key)
            .multipart(form)
            .send()
            .await
            .map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }

    async fn send_file(&self, ep: &Endpoint, key: &str, file: FileBody) -> Result<Receipt, AdapterError> {
        let resp = self
            .http
            .put(url(ep, &format!("/{key}/tep/{}", file.meta.kind)))
            .timeout(ep.timeout)
            .header("idempotency-key", key)
            .header("content-type", &file.meta.media_type)
            .header("content-length", file.meta.size)
            .body(stream_body(file.body))
            .send()
            .await
            .map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }

    async fn receipt(&self, ep: &Endpoint, key: &str) -> Result<Receipt, AdapterError> {
        let resp = self
            .http
            .get(url(ep, &format!("/{key}")))
            .timeout(ep.timeout)
            .send()
            .await
            .map_err(AdapterError::from_reqwest)?;
        parse_receipt(&read_body(resp).await?)
    }
}
