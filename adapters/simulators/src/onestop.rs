//! A one-stop result endpoint: verifies the HMAC signature and refuses a replayed one (401
//! otherwise), dedupes on the idempotency key and keeps every result it accepted.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::sim::{self, answer, Faults, SimHandle, SimState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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

async fn take(State(st): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let presented = signature::Presented {
        timestamp: header(signature::TIMESTAMP),
        nonce: header(signature::NONCE),
        signature: header(signature::SIGNATURE),
    };
    if let Err(refusal) = signature::verify(
        &st.secret,
        "POST",
        RESULTS_PATH,
        &body,
        presented,
        signature::unix_now(),
    ) {
        return (StatusCode::UNAUTHORIZED, refusal.to_string()).into_response();
    }
    let fresh = st
        .seen
        .lock()
        .expect("replay set")
        .insert(presented.signature.unwrap_or_default().to_string());
    if !fresh {
        return (StatusCode::UNAUTHORIZED, "replayed signature").into_response();
    }
    let gate = match st.sim.gate().await {
        Ok(g) => g,
        Err(r) => return r,
    };
    let result: CaseResult = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let view = serde_json::to_value(&result).unwrap_or_default();
    st.sim
        .open_envelope(&result.idempotency_key, &result.case_id, "", Vec::new(), view);
    let receipt = st.sim.receipt(&result.idempotency_key).expect("just recorded");
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
        .with_state(St {
            sim: Arc::clone(&state),
            secret: Arc::new(secret.to_vec()),
            seen: Arc::default(),
        });
    sim::spawn(listener, router, state)
}
