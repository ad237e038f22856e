//! Bearer tokens of the agency systems, each scoped to its kind and its communes or offices.
//!
//! Tokens are kept only as SHA-256 digests in memory and looked up by digest, so the lookup time
//! says nothing about a token's characters and no token is ever logged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::config::{SystemConfig, SystemKind};

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    pub system_id: String,
    pub kind: SystemKind,
    pub communes: HashSet<String>,
    pub offices: HashSet<String>,
}

impl Caller {
    /// The actor name written in the audit trail.
    pub fn actor(&self) -> String {
        format!("system:{}", self.system_id)
    }
}

/// The token table.
pub struct Auth {
    by_digest: HashMap<[u8; 32], Arc<Caller>>,
}

impl Auth {
    /// Builds the table from configured systems.
    pub fn new(systems: &[SystemConfig]) -> Self {
        let by_digest = systems
            .iter()
            .map(|s| {
                (
                    Sha256::digest(s.token.expose().as_bytes()).into(),
                    Arc::new(Caller {
                        system_id: s.id.clone(),
                        kind: s.kind,
                        communes: s.communes.iter().cloned().collect(),
                        offices: s.offices.iter().cloned().collect(),
                    }),
                )
            })
            .collect();
        Auth { by_digest }
    }

    /// The caller behind an `Authorization: Bearer` header, or 401.
    pub fn caller(&self, headers: &HeaderMap) -> Result<Arc<Caller>, ApiError> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        self.by_digest.get(&digest).cloned().ok_or_else(ApiError::unauthorized)
    }
}
