//! A one-stop result endpoint: verifies the HMAC signature and refuses a replayed one (401
//! otherwise), dedupes on the idempotency key and keeps every result it accepted, with the hash
//! of each result document it received (in the result's request or sent alone); its faults can
//! drop or corrupt those files.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::sim::{self, answer, Faults, SimHandle, SimState};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use lienthong_contract::CaseResult;

use lienthong_contract::signature;

/// Where the simulator takes results.
pub const RESULTS_PATH: &str = "/onestop/results";

#[derive(Clone)]
struct St {
    sim: Arc<SimState>,
    secret: Arc<Vec<u8>>,
    /// Signatures already accepted (a simulator keeps them in memory; the gateway stores them).
    seen: Arc<Mutex<HashSet<String>>>,
}

/// Checks a signature over `body` (the JSON, or a lone file's SHA-256) and that it is new.
fn verified(st: &St, headers: &HeaderMap, method: &str, path: &str, body: &[u8]) -> Result<(), (StatusCode, String)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let presented = signature::Presented {
        timestamp: header(signature::TIMESTAMP),
        nonce: header(signature::NONCE),
        signature: header(signature::SIGNATURE),
    };
    if let Err(refusal) = signature::verify(&st.secret, method, path, body, presented, signature::unix_now()) {
        return Err((StatusCode::UNAUTHORIZED, refusal.to_string()));
    }
    let fresh = st
        .seen
        .lock()
        .expect("replay set")
        .insert(presented.signature.unwrap_or_default().to_string());
    if !fresh {
        return Err((StatusCode::UNAUTHORIZED, "replayed signature".into()));
    }
    Ok(())
}

/// Takes a result: signed JSON alone, or (with documents) a multipart request whose signed
/// `envelope` part lists each document by SHA-256 and whose file parts carry them.
async fn take(State(st): State<St>, headers: HeaderMap, request: Request) -> Response {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (body, files) = if multipart {
        let mp = match Multipart::from_request(request, &()).await {
            Ok(mp) => mp,
            Err(e) => return e.into_response(),
        };
        match sim::read_multipart(mp).await {
            Ok(r) => (r.envelope.into_bytes(), r.files),
            Err(r) => return r,
        }
    } else {
        match Bytes::from_request(request, &()).await {
            Ok(b) => (b.to_vec(), Vec::new()),
            Err(e) => return e.into_response(),
        }
    };
    if let Err(r) = verified(&st, &headers, "POST", RESULTS_PATH, &body) {
        return r.into_response();
    }
    let gate = match st.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let result: CaseResult = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let key = result.idempotency_key.clone();
    let view = serde_json::to_value(&result).unwrap_or_default();
    let drop_files = st
        .sim
        .open_envelope(&key, &result.case_id, "", result.documents.clone(), view);
    if !drop_files {
        for (kind, sha) in files {
            if result.documents.iter().any(|d| d.kind == kind) {
                st.sim.store_file(&key, &kind, sha, false);
            }
        }
    }
    let receipt = st.sim.receipt(&key).expect("just recorded");
    answer(gate, Json(receipt).into_response()).await
}

/// Takes one document sent alone, signed over its SHA-256.
async fn take_file(
    State(st): State<St>,
    Path((key, kind)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let sha = match sim::hash_body(body).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let path = format!("{RESULTS_PATH}/{key}/files/{kind}");
    if let Err(r) = verified(&st, &headers, "PUT", &path, &signature::file_body(&sha)) {
        return r.into_response();
    }
    let gate = match st.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    if !st.sim.store_file(&key, &kind, sha, true) {
        return (StatusCode::NOT_FOUND, "no such result").into_response();
    }
    let receipt = st.sim.receipt(&key).expect("record exists");
    answer(gate, Json(receipt).into_response()).await
}

async fn receipt_of(State(st): State<St>, Path(key): Path<String>) -> Response {
    match st.sim.receipt(&key) {
        Some(r) => Json(r).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Starts the simulator; the result URL to configure is `{url}/onestop/results`.
pub fn spawn(listener: impl Into<sim::SimListener>, faults: Faults, seed: u64, secret: &[u8]) -> SimHandle {
    let state = SimState::new("MC", faults, seed, None);
    let router = Router::new()
        .route(RESULTS_PATH, post(take))
        .route(&format!("{RESULTS_PATH}/{{key}}"), get(receipt_of))
        .route(&format!("{RESULTS_PATH}/{{key}}/files/{{kind}}"), put(take_file))
        .with_state(St {
            sim: Arc::clone(&state),
            secret: Arc::new(secret.to_vec()),
            seen: Arc::default(),
        });
    sim::spawn(listener, router, state)
}
