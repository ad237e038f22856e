//! Who is calling the agency API: bearer tokens, each scoped to its system's kind and its
//! communes or offices, with a request budget and a body limit per token.
//!
//! Tokens are stored only as SHA-256 digests ([`crate::store::credentials`]) and looked up on
//! every request, so a revoked token is refused at once; the lookup is by digest, so its time
//! says nothing about a token's characters, and no token is ever logged.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::AppState;
use lienthong_contract::tls::PeerCertificate;

use crate::config::{Secret, SystemConfig, SystemKind};
use crate::ratelimit::Limiter;
use crate::store::credentials::token_digest;
use crate::store::Store;

/// Who is calling: the system behind the token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub system_id: String,
    pub kind: SystemKind,
    pub communes: HashSet<lienthong_contract::CommuneCode>,
    pub offices: HashSet<lienthong_contract::OfficeCode>,
    /// The key its signed callbacks are checked with.
    pub signing_secret: Option<Secret>,
    rate_per_minute: u32,
    burst: u32,
    max_request_bytes: u64,
    /// Pinned client certificates (lowercase hex SHA-256); empty: any from the client CA.
    client_certs: HashSet<String>,
}

impl Caller {
    /// The actor name written in the audit trail.
    pub fn actor(&self) -> String {
        format!("system:{}", self.system_id)
    }
}

/// The configured systems and each token's request bucket.
pub struct Auth {
    systems: HashMap<String, Arc<Caller>>,
    limits: Limiter,
}

impl Auth {
    /// Builds the table from the configured systems; `max_request_bytes` is the gateway-wide limit.
    pub fn new(systems: &[SystemConfig], max_request_bytes: u64) -> Self {
        let systems = systems
            .iter()
            .map(|s| {
                let caller = Caller {
                    system_id: s.id.clone(),
                    kind: s.kind,
                    communes: s.communes.iter().cloned().collect(),
                    offices: s.offices.iter().cloned().collect(),
                    signing_secret: s.signing_secret.clone(),
                    rate_per_minute: s.rate_per_minute,
                    burst: s.burst(),
                    max_request_bytes: s.max_request_bytes.unwrap_or(max_request_bytes),
                    client_certs: s.client_cert_sha256.iter().map(|d| d.to_ascii_lowercase()).collect(),
                };
                (s.id.clone(), Arc::new(caller))
            })
            .collect();
        Auth {
            systems,
            limits: Limiter::default(),
        }
    }

    /// The caller behind an `Authorization: Bearer` header (401 when absent, unknown or
    /// revoked), charged one request (429 when its budget is spent).
    pub async fn admit(&self, store: &Store, headers: &HeaderMap) -> Result<Arc<Caller>, ApiError> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        let digest = token_digest(token);
        let (token_id, system_id) = store.token_owner(&digest).await?.ok_or_else(ApiError::unauthorized)?;
        let caller = self.systems.get(&system_id).ok_or_else(ApiError::unauthorized)?;
        let now = crate::clock::Clock::system().now_ms();
        self.limits
            .take(&token_id, now, caller.rate_per_minute, caller.burst)
            .map_err(|wait| ApiError::rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64))?;
        Ok(Arc::clone(caller))
    }
}

/// Middleware of the agency API: with mutual TLS on, refuses a connection that proved no client
/// certificate from the configured CA; admits the caller, refuses a body over its token's limit
/// (by `Content-Length` at once, otherwise at the first byte past it) and hands the caller to
/// the handler as an extension.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mutual = state.config.gateway.tls.as_ref().is_some_and(|t| t.client_ca.is_some());
    let presented = request.extensions().get::<PeerCertificate>().and_then(|p| p.0.clone());
    if mutual && presented.is_none() {
        return ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "client_certificate_required",
            "Hệ thống kết nối phải xuất trình chứng thư số (TLS hai chiều)",
        )
        .into_response();
    }
    let caller = match state.auth.admit(&state.store, request.headers()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if mutual && !caller.client_certs.is_empty() && !presented.is_some_and(|c| caller.client_certs.contains(&c)) {
        tracing::warn!(system = %caller.system_id, "client certificate of another system refused");
        return ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "client_certificate_mismatch",
            "Chứng thư số này không thuộc hệ thống của mã truy cập",
        )
        .into_response();
    }
    let limit = caller.max_request_bytes;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return ApiError::body_too_large(limit).into_response();
    }
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(caller);
    let body = Body::new(http_body_util::Limited::new(body, limit as usize));
    next.run(Request::from_parts(parts, body)).await
}
