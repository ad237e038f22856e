//! Prometheus metrics. The recorder is process-wide (the `metrics` facade has one global
//! recorder), so every app in a process shares it; gauges that describe the store are read from
//! the store at scrape time, so they are never stale.

use std::sync::OnceLock;

use axum::extract::State;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// The process's metrics handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("lienthong_delivery_latency_seconds".into()),
                    &[0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 86400.0],
                )
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (e.g. by an embedding program).
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> String {
    if let Ok((depth, dead)) = state.store.queue_stats().await {
        metrics::gauge!("lienthong_queue_depth").set(depth as f64);
        metrics::gauge!("lienthong_dead_legs").set(dead as f64);
    }
    state.metrics.render()
}
