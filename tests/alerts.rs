//! Delivery-health alerts (docs/alerts.md), black box over real HTTP on a test clock: a receiving
//! system down for half an hour gives one "down" and one "recovered" message by email (the real
//! SMTP server of the tests) and by signed webhook, however many legs and attempts fail, with
//! two gateway processes on PostgreSQL. Runs on SQLite and, with `LTTEST_BACKEND=postgres`, on
//! PostgreSQL.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use common::*;
use lienthong::accounts::Role;
use lienthong::clock::Clock;
use lienthong::config::Config;
use lienthong::App;
use lienthong_simulators::sim::Faults;
use serde_json::Value;

const WEBHOOK_SECRET: &str = "webhook-secret-for-alert-tests";

type Received = Arc<Mutex<Vec<Value>>>;

/// A webhook receiver that checks each alert's signature and keeps its body.
async fn webhook_sink() -> (String, Received) {
    let received: Received = Arc::default();
    let keep = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hooks/alerts",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let keep = Arc::clone(&keep);
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                let presented = lienthong_contract::signature::Presented {
                    timestamp: header(lienthong_contract::signature::TIMESTAMP),
                    nonce: header(lienthong_contract::signature::NONCE),
                    signature: header(lienthong_contract::signature::SIGNATURE),
                };
                let verified = lienthong_contract::signature::verify(
                    WEBHOOK_SECRET.as_bytes(),
                    "POST",
                    "/hooks/alerts",
                    &body,
                    presented,
                    lienthong_contract::signature::unix_now(),
                );
                if verified.is_err() {
                    return axum::http::StatusCode::UNAUTHORIZED;
                }
                keep.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = listener().await;
    let url = format!("http://{}/hooks/alerts", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

/// The alert emails about the police office so far: (subject, body).
fn alert_mails(stack: &Stack) -> Vec<(String, String)> {
    stack
        .mails()
        .into_iter()
        .filter(|m| m.subject.contains("Cảnh báo") || m.subject.contains("cảnh báo"))
        .filter(|m| m.subject.contains("CA-568"))
        .map(|m| (m.subject, m.body))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_system_down_for_half_an_hour_alerts_once_when_it_starts_and_once_when_it_clears() {
    let (hook, received) = webhook_sink().await;
    let clock = Clock::adjustable();
    clock.set(vn("2026-11-23T09:00:00"));
    let down = Faults {
        fail_always: true,
        ..Faults::default()
    };
    let stack = spawn_stack(Opts {
        police: down,
        insurance: undecided(),
        clock: clock.clone(),
        max_attempts: 100_000,
        gateway_extra: format!(
            "[alerts]\nwebhook_url = \"{hook}\"\nwebhook_secret = \"{WEBHOOK_SECRET}\"\ninterval_ms = 100\noffice_down_minutes = 10\n"
        ),
        ..Opts::default()
    })
    .await;
    // On PostgreSQL a second process evaluates the same conditions and sends from the same outbox.
    let second = if postgres_backend() {
        let config = Config::load_with_env(stack.dir.path(), std::iter::empty()).unwrap();
        Some(
            App::with_listener(config, listener().await, clock.clone())
                .await
                .unwrap()
                .spawn(),
        )
    } else {
        None
    };
    let mut ids = Vec::new();
    for code in ["ALERT-0001", "ALERT-0002", "ALERT-0003"] {
        let (m, files) = case_at(code, "2026-11-23T08:30:00");
        let pushed = stack.push(ONESTOP_A, &m, &files).await;
        assert_eq!(pushed.status, 201, "{}", pushed.body);
        ids.push(pushed.body["case_id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let mut tries = 0;
        while leg(&stack.get_case(id).await, "residence")["attempts"]
            .as_i64()
            .unwrap_or(0)
            < 3
        {
            tries += 1;
            assert!(tries < 200, "the residence leg of {id} is not retried");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Failing for five minutes: not yet "down".
    clock.set(vn("2026-11-23T09:05:00"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(alert_mails(&stack).is_empty(), "{:?}", alert_mails(&stack));

    // Past ten minutes: one alert, by email and webhook, and on the dashboard.
    clock.set(vn("2026-11-23T09:11:00"));
    let start = wait_for("the down alert", 20, || alert_mails(&stack).into_iter().next()).await;
    assert!(
        start
            .0
            .starts_with("[Liên thông] Cảnh báo: Không chuyển được hồ sơ đến Công an huyện (CA-568)"),
        "{start:?}"
    );
    assert!(start.1.contains("23/11/2026 09:0"), "{}", start.1);
    let cookie = sign_in(&stack, "quantri", Role::Admin, &[]).await;
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    assert!(
        dashboard.contains("Không chuyển được hồ sơ đến Công an huyện"),
        "{dashboard}"
    );

    // Half an hour of failures more: nothing new.
    for minute in [15, 20, 25, 30, 35, 40] {
        clock.set(vn(&format!("2026-11-23T09:{minute}:00")));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(alert_mails(&stack).len(), 1, "{:?}", alert_mails(&stack));

    // The system comes back: the legs go through and one "recovered" message follows.
    stack.police.state.set_faults(undecided());
    for id in &ids {
        wait_leg(&stack, id, "residence", "delivered", 20).await;
    }
    let cleared = wait_for("the recovered alert", 20, || alert_mails(&stack).get(1).cloned()).await;
    assert!(
        cleared
            .0
            .starts_with("[Liên thông] Đã hết cảnh báo: Đã chuyển lại được hồ sơ đến Công an huyện (CA-568)"),
        "{cleared:?}"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(alert_mails(&stack).len(), 2, "{:?}", alert_mails(&stack));
    let hooks: Vec<Value> = received
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h["key"] == "office_down:CA-568")
        .cloned()
        .collect();
    let messages: Vec<&str> = hooks.iter().map(|h| h["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["start", "clear"], "{hooks:#?}");
    assert_eq!(hooks[0]["episode"], 1);
    assert_eq!(hooks[0]["unit"], "CA-568");
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    assert!(dashboard.contains("Không có cảnh báo."), "{dashboard}");
    if let Some(second) = second {
        second.stop().await;
    }
}
