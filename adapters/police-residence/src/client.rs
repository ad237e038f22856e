//! The gateway's client for the police residence system.

use async_trait::async_trait;
use lienthong_contract::adapter::{get_text, post_envelope, post_withdrawal, put_file};
use lienthong_contract::{Adapter, AdapterError, Endpoint, FileBody, Message, Receipt};

use crate::wire::Registration;

const COLLECTION: &str = "/api/residence/registrations";

/// Speaks JSON to the police residence registration system.
#[derive(Default)]
pub struct PoliceResidenceAdapter;

fn parse_receipt(body: &str) -> Result<Receipt, AdapterError> {
    serde_json::from_str(body).map_err(|e| AdapterError::Permanent(format!("unreadable receipt: {e}")))
}

fn url(ep: &Endpoint, rest: &str) -> String {
    format!("{}{COLLECTION}{rest}", ep.base_url.trim_end_matches('/'))
}

#[async_trait]
impl Adapter for PoliceResidenceAdapter {
    fn system(&self) -> &'static str {
        "police-residence"
    }

    async fn submit(&self, ep: &Endpoint, message: &Message, files: Vec<FileBody>) -> Result<Receipt, AdapterError> {
        let Message::Case(env) = message else {
            return Err(AdapterError::Permanent("the police system only takes cases".into()));
        };
        let reg = Registration::from_envelope(env);
        let json = serde_json::to_string(&reg).map_err(|e| AdapterError::Permanent(e.to_string()))?;
        let envelope = (json, "application/json");
        parse_receipt(&post_envelope(ep, url(ep, ""), &env.idempotency_key, envelope, files, Vec::new()).await?)
    }

    async fn send_file(&self, ep: &Endpoint, key: &str, file: FileBody) -> Result<Receipt, AdapterError> {
        let url = url(ep, &format!("/{key}/files/{}", file.meta.kind));
        parse_receipt(&put_file(ep, url, key, file, Vec::new()).await?)
    }

    async fn receipt(&self, ep: &Endpoint, key: &str) -> Result<Receipt, AdapterError> {
        parse_receipt(&get_text(ep, url(ep, &format!("/{key}"))).await?)
    }

    async fn withdraw(&self, ep: &Endpoint, key: &str, reason: &str) -> Result<(), AdapterError> {
        post_withdrawal(ep, url(ep, &format!("/{key}/withdrawal")), key, reason).await
    }
}
