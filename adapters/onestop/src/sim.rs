//! A one-stop result endpoint: verifies the HMAC signature (401 otherwise), dedupes on the
//! idempotency key and keeps every result it accepted.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lienthong_contract::sim::{self, answer, Faults, SimHandle, SimState};
use lienthong_contract::CaseResult;

use crate::signature;

/// Where the simulator takes results.
pub const RESULTS_PATH: &str = "/onestop/results";

#[derive(Clone)]
struct St {
    sim: Arc<SimState>,
    secret: Arc<Vec<u8>>,
}

async fn take(State(st): State<St>, headers: HeaderMap, body: Bytes) -> Response {
    let sig = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !signature::verify(&st.secret, &body, sig) {
        return (StatusCode::UNAUTHORIZED, "bad signature").into_response();
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
pub fn spawn(listener: tokio::net::TcpListener, faults: Faults, seed: u64, secret: &[u8]) -> SimHandle {
    let state = SimState::new("MC", faults, seed, None);
    let router = Router::new()
        .route(RESULTS_PATH, post(take))
        .route(&format!("{RESULTS_PATH}/{{key}}"), get(receipt_of))
        .with_state(St {
            sim: Arc::clone(&state),
            secret: Arc::new(secret.to_vec()),
        });
    sim::spawn(listener, router, state)
}
