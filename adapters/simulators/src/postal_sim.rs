//! A postal partner's simulator: it reports what happened to the items it carries (delivered,
//! returned) to the gateway's `POST /api/v1/postal/events`, signed like every callback, and
//! keeps trying through a gateway that is down or busy, as a partner's system would.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::sim::{Faults, GatewayLink, SimHandle, SimState};

/// What the postal partner reports about one item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ItemReport {
    pub tracking_number: String,
    /// `delivered` or `returned`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A report to make, and how many times to send it (partners deliver at least once).
#[derive(Debug, Clone, Deserialize)]
struct Report {
    #[serde(flatten)]
    item: ItemReport,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

#[derive(Clone)]
struct PostalState {
    link: Arc<GatewayLink>,
    client: reqwest::Client,
}

/// `POST /_sim/report`: the item's fate is reported to the gateway (`times` times), each send
/// retried for up to a minute while the gateway is unreachable, answers 5xx or 429. Answers
/// with the gateway's last status and body.
async fn report(State(s): State<PostalState>, Json(r): Json<Report>) -> Response {
    let mut last = (StatusCode::BAD_GATEWAY, String::from("not sent"));
    for _ in 0..r.times.max(1) {
        last = send(&s, &r.item).await;
    }
    last.into_response()
}

async fn send(s: &PostalState, item: &ItemReport) -> (StatusCode, String) {
    let Ok(url) = reqwest::Url::parse(&format!("{}/api/v1/postal/events", s.link.url.trim_end_matches('/'))) else {
        return (StatusCode::CONFLICT, "the gateway URL is not a URL".into());
    };
    let body = serde_json::to_vec(item).unwrap_or_default();
    let client = s.link.client.as_ref().unwrap_or(&s.client);
    let give_up = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut wait = Duration::from_millis(100);
    loop {
        let mut req = client
            .post(url.clone())
            .bearer_auth(&s.link.token)
            .timeout(Duration::from_secs(10))
            .header("content-type", "application/json");
        for (name, value) in lienthong_contract::signature::headers(s.link.secret.as_bytes(), "POST", url.path(), &body)
        {
            req = req.header(name, value);
        }
        let answer = match req.body(body.clone()).send().await {
            Ok(r) => {
                let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => (
                StatusCode::BAD_GATEWAY,
                format!("gateway unreachable: {}", e.without_url()),
            ),
        };
        let retry = answer.0.is_server_error() || answer.0 == StatusCode::TOO_MANY_REQUESTS;
        if !retry || tokio::time::Instant::now() >= give_up {
            return answer;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}

/// Starts the postal partner: reports at `POST /_sim/report` (`{"tracking_number", "outcome",
/// "note"?, "times"?}`), forwarded to the gateway through `link`.
pub fn spawn_postal(listener: tokio::net::TcpListener, link: GatewayLink) -> SimHandle {
    let sim = SimState::new("POST", Faults::default(), 5, None);
    let router = Router::new()
        .route("/_sim/report", post(report))
        .with_state(PostalState {
            link: Arc::new(link),
            client: reqwest::Client::new(),
        });
    crate::sim::spawn(listener, router, sim)
}
