//! Reading cases over HTTP and waiting for them, as a client of the API would.

use std::time::Duration;

use serde_json::Value;

use super::{Stack, ADMIN};

pub async fn get_case(http: &reqwest::Client, url: &str, id: &str) -> Value {
    get_ok_json(http, &format!("{url}/api/v1/cases/{id}"), ADMIN).await
}

/// GETs a JSON answer that must be a success. A 429 is waited out as its `Retry-After` says (the
/// behaviour the README asks of every client), so a slow machine makes a polling test slower,
/// never red; any other failure panics with the status and the body.
pub async fn get_ok_json(http: &reqwest::Client, url: &str, token: &str) -> Value {
    get_json(http, url, Some(token)).await
}

/// [`get_ok_json`] without a token: the public look-up and the API description.
pub async fn get_public_json(http: &reqwest::Client, url: &str) -> Value {
    get_json(http, url, None).await
}

async fn get_json(http: &reqwest::Client, url: &str, token: Option<&str>) -> Value {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let mut request = http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = r.status();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS && tokio::time::Instant::now() < give_up {
            let wait = r
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            tokio::time::sleep(Duration::from_secs(wait.clamp(1, 60))).await;
            continue;
        }
        let body = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "GET {url}: {status} {body}");
        return serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: not JSON ({e}): {body}"));
    }
}

pub async fn wait_status(http: &reqwest::Client, url: &str, id: &str, status: &str, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = get_case(http, url, id).await;
        if c["status"] == status {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("case {id} did not reach {status}: {c:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The state of a named leg in a case JSON.
pub fn leg<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["legs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap()
}

/// Waits until a leg reaches `state`.
pub async fn wait_leg(stack: &Stack, id: &str, name: &str, state: &str, secs: u64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = stack.get_case(id).await;
        if leg(&c, name)["state"] == state {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("leg {name} of {id} did not reach {state}: {c:#}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until a gateway started as a process answers `/healthz`.
pub async fn wait_healthy(http: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if http
            .get(format!("{url}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gateway did not come up");
}

/// Creates a web user with `role` and signs it in; the session cookie (`name=value`).
pub async fn sign_in(stack: &Stack, login: &str, role: lienthong::accounts::Role, scopes: &[&str]) -> String {
    let hash = lienthong::accounts::hash_password("mat-khau-thu-nghiem").unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let new = lienthong::store::users::NewUser {
        login,
        display_name: "Người thử nghiệm",
        password_hash: &hash,
        role,
        scopes: &scopes,
    };
    stack.gateway.as_ref().unwrap().store.create_user(&new).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/login", stack.url))
        .form(&[("login", login), ("password", "mat-khau-thu-nghiem")])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

/// Polls `probe` until it gives a value, failing the test after `secs` seconds.
pub async fn wait_for<T>(what: &str, secs: u64, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The JSON paths of an API error's problems, in order.
pub fn error_paths(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .map(|d| d.iter().map(|p| p["path"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}
