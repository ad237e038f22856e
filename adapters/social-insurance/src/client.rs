//! The gateway's client for the social-insurance office.

use async_trait::async_trait;
use lienthong_contract::adapter::{get_text, post_envelope, post_withdrawal, put_file};
use lienthong_contract::{Adapter, AdapterError, Endpoint, FileBody, Message, Receipt};

use crate::wire::{from_xml, to_xml, CardRequest, XmlReceipt};

const COLLECTION: &str = "/bhxh/the-bhyt/ho-so";

/// Speaks XML to the social-insurance card system.
#[derive(Default)]
pub struct SocialInsuranceAdapter;

fn parse_receipt(body: &str) -> Result<Receipt, AdapterError> {
    let xml = from_xml::<XmlReceipt>(body).map_err(|e| AdapterError::Permanent(format!("unreadable receipt: {e}")))?;
    Receipt::try_from(xml).map_err(|e| AdapterError::Permanent(format!("unreadable receipt: {e}")))
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
        let envelope = (xml, "application/xml");
        parse_receipt(&post_envelope(ep, url(ep, ""), &env.idempotency_key, envelope, files, Vec::new()).await?)
    }

    async fn send_file(&self, ep: &Endpoint, key: &str, file: FileBody) -> Result<Receipt, AdapterError> {
        let url = url(ep, &format!("/{key}/tep/{}", file.meta.kind));
        parse_receipt(&put_file(ep, url, key, file, Vec::new()).await?)
    }

    async fn receipt(&self, ep: &Endpoint, key: &str) -> Result<Receipt, AdapterError> {
        parse_receipt(&get_text(ep, url(ep, &format!("/{key}"))).await?)
    }

    async fn withdraw(&self, ep: &Endpoint, key: &str, reason: &str) -> Result<(), AdapterError> {
        post_withdrawal(ep, url(ep, &format!("/{key}/rut-ho-so")), key, reason).await
    }
}
