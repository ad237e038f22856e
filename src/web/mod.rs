//! The HTTP surface: the agency API under `/api/v1`, health, readiness and metrics.

pub mod api;
pub mod auth;
pub mod bodies;
pub mod deadlines;
pub mod error;
pub mod journey;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod path_ids;
pub mod public;
pub mod push;
pub mod resends;
pub mod sms_inbound;
pub mod supplement;
pub mod withdrawal;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

use crate::blobs::Blobs;
use crate::config::Config;
use crate::store::Store;
use auth::Auth;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub blobs: Blobs,
    pub auth: Arc<Auth>,
    /// Wakes the delivery workers when new work is written.
    pub wake: Arc<Notify>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Sign-in attempts per login name (guessing passwords is throttled).
    pub logins: Arc<crate::ratelimit::Limiter>,
    /// Failed status look-ups per client address and per receipt code (docs/family.md).
    pub lookups: Arc<crate::ratelimit::Limiter>,
    /// Files of refused case forms, kept for the corrected form (web::pages::kept).
    pub kept_uploads: Arc<pages::kept::KeptUploads>,
    /// The dashboard's accountability panel, computed at most every few minutes.
    pub standing: Arc<pages::standing::StandingCache>,
    /// The certificate files in use: `/admin` reads them again.
    pub certificates: Arc<crate::certificates::Reloader>,
}

/// The largest request body by default: five attachment kinds at the file limit, plus the
/// manifest and multipart framing (each file part is also limited on its own while it streams).
pub fn body_limit(gateway: &crate::config::GatewayConfig) -> u64 {
    gateway.attachment_max_bytes.saturating_mul(5) + 2 * 1024 * 1024
}

/// Every route of the gateway.
pub fn router(state: AppState) -> Router {
    let body_limit = body_limit(&state.config.gateway) as usize;
    let agency_api = Router::new()
        .route("/api/v1/cases", post(api::push_case).get(api::find_cases))
        .route("/api/v1/cases/{case_id}", get(api::get_case))
        .route("/api/v1/cases/{case_id}/supplement", post(supplement::supplement))
        .route("/api/v1/cases/{case_id}/apology", get(deadlines::apology))
        .route(
            "/api/v1/cases/{case_id}/apology/confirm",
            post(deadlines::confirm_apology),
        )
        .route("/api/v1/cases/{case_id}/apology/print", get(deadlines::print_apology))
        .route("/api/v1/reports", get(deadlines::reports))
        .route("/api/v1/deadlines", get(deadlines::overview))
        .route("/api/v1/legs/{leg_id}/decision", post(api::decide))
        .route("/api/v1/legs/{leg_id}/resend", post(api::resend))
        .route("/api/v1/resends", post(api::bulk_resend))
        .route("/api/v1/sms/inbound", post(sms_inbound::inbound))
        .route("/api/v1/cases/{case_id}/journey", post(journey::record))
        .route("/api/v1/cases/{case_id}/withdraw", post(withdrawal::withdraw))
        .route("/api/v1/postal/events", post(journey::postal_event))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::guard))
        .layer(axum::middleware::from_fn(error::json_errors));
    Router::new()
        .merge(agency_api)
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(api::ready))
        .route("/api/public/v1/status", get(public::status_api))
        .route("/tra-cuu", get(public::status_page))
        .route("/metrics", get(metrics::render))
        .merge(pages::router())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
