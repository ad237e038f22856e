//! Delivery-health alerts (docs/alerts.md), black box over real HTTP on a test clock: a receiving
//! system down for half an hour gives one "down" and one "recovered" message by email (the real
//! SMTP server of the tests) and by signed webhook, however many legs and attempts fail, with
//! two gateway processes on PostgreSQL (`LTTEST_BACKEND=postgres`), one on SQLite.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use common::pki::Ca;
use common::*;
use lienthong::accounts::Role;
use lienthong::config::Config;
use lienthong::App;
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
    let clock = clock_at("2026-11-23T09:00:00");
    let down = down();
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
        ids.push(stack.push_at(code, "2026-11-23T08:30:00").await);
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

    // The system comes back: the legs go through and one "recovered" message follows. The clock
    // moves past the delivery lease too: its jumps above may have made a lease look expired
    // while its attempt ran, and the second process then waits that lease out.
    stack.police.state.set_faults(undecided());
    clock.set(vn("2026-11-23T09:42:00"));
    for id in &ids {
        wait_leg(&stack, id, "residence", "delivered", 20).await;
    }
    // Gone for a minute (`clear_minutes`): cleared.
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(vn("2026-11-23T09:44:00"));
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

/// The residence legs of `ids` as (state, attempts).
async fn residence_legs(stack: &Stack, ids: &[String]) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for id in ids {
        let case = stack.get_case(id).await;
        let l = leg(&case, "residence");
        out.push((
            l["state"].as_str().unwrap().to_string(),
            l["attempts"].as_i64().unwrap(),
        ));
    }
    out
}

/// How many of the residence legs of `ids` were delivered, once that number stops changing.
async fn delivered(stack: &Stack, ids: &[String], at_least: usize) -> usize {
    for _ in 0..100 {
        let n = residence_legs(stack, ids)
            .await
            .iter()
            .filter(|(s, _)| s == "delivered")
            .count();
        if n >= at_least {
            tokio::time::sleep(Duration::from_millis(500)).await;
            return residence_legs(stack, ids)
                .await
                .iter()
                .filter(|(s, _)| s == "delivered")
                .count();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {at_least} residence legs delivered: {:?}",
        residence_legs(stack, ids).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paused_office_queues_quietly_and_drains_at_its_pace_when_resumed() {
    let clock = clock_at("2026-11-23T09:00:00");
    let mut stack = spawn_stack(Opts {
        police: down(),
        insurance: undecided(),
        clock: clock.clone(),
        max_attempts: 100_000,
        gateway_extra: "[alerts]\ninterval_ms = 100\noffice_down_minutes = 10\n".into(),
        ..Opts::default()
    })
    .await;
    let mut ids = Vec::new();
    for code in ["PAUSE-0001", "PAUSE-0002", "PAUSE-0003", "PAUSE-0004"] {
        ids.push(stack.push_at(code, "2026-11-23T08:30:00").await);
    }
    for tries in 0.. {
        if residence_legs(&stack, &ids).await.iter().all(|(_, n)| *n >= 2) {
            break;
        }
        assert!(tries < 200, "{:?}", residence_legs(&stack, &ids).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The police office is configured to take at most one delivery a minute.
    let routes = std::fs::read_to_string(stack.dir.path().join("routes.toml")).unwrap();
    let routes = routes.replacen(
        "name = \"Công an huyện\"\n",
        "name = \"Công an huyện\"\nmax_per_minute = 1\n",
        1,
    );
    std::fs::write(stack.dir.path().join("routes.toml"), routes).unwrap();
    stack.restart_gateway().await;

    // The administrator pauses the office (its system is being upgraded).
    let cookie = sign_in(&stack, "quantri", Role::Admin, &[]).await;
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    let at = dashboard.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = dashboard[at..at + dashboard[at..].find('"').unwrap()].to_string();
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let (stack, cookie) = (&stack, cookie.clone());
        async move {
            let no_redirect = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let r = no_redirect
                .post(format!("{}{path}", stack.url))
                .header("cookie", cookie)
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        }
    };
    let reason = "Công an xã nâng cấp máy chủ cư trú";
    post(
        "/admin/pauses",
        vec![
            ("csrf", csrf.clone()),
            ("office_code", "CA-568".into()),
            ("reason", reason.into()),
            ("until", String::new()),
        ],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let before = residence_legs(&stack, &ids).await;

    // Half an hour paused: no attempt, no alert, and the dashboard says who paused it and why.
    for minute in [10, 20, 30] {
        clock.set(vn(&format!("2026-11-23T09:{minute}:00")));
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(residence_legs(&stack, &ids).await, before, "no attempt while paused");
    assert!(alert_mails(&stack).is_empty(), "{:?}", alert_mails(&stack));
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    assert!(
        dashboard.contains(reason) && dashboard.contains("user:quantri"),
        "{dashboard}"
    );

    // The system is back and the office resumed: its backlog drains at one delivery a minute
    // (the test moves the clock a minute at a time).
    stack.police.state.set_faults(undecided());
    post(
        "/admin/pauses/resume",
        vec![("csrf", csrf), ("office_code", "CA-568".into())],
    )
    .await;
    assert_eq!(delivered(&stack, &ids, 1).await, 1);
    for (at, n) in [("09:31:01", 2), ("09:32:02", 3), ("09:33:03", 4)] {
        clock.set(vn(&format!("2026-11-23T{at}")));
        assert_eq!(delivered(&stack, &ids, n).await, n);
    }
    assert!(alert_mails(&stack).is_empty(), "{:?}", alert_mails(&stack));
}

/// The certificate alert emails so far that start or clear a warning (reminders, at most one per
/// `remind_minutes`, left out): subjects.
fn certificate_mails(stack: &Stack) -> Vec<String> {
    stack
        .mails()
        .into_iter()
        .map(|m| m.subject)
        .filter(|s| s.contains("Chứng thư số BHXH-5608.ca") && !s.contains("Nhắc lại"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_certificate_warns_once_a_month_and_once_a_week_before_it_ends_and_clears_when_replaced() {
    let (hook, received) = webhook_sink().await;
    let clock = clock_at("2026-11-01T09:00:00");
    let mut stack = spawn_stack(Opts {
        clock: clock.clone(),
        gateway_extra: format!(
            "[alerts]\nwebhook_url = \"{hook}\"\nwebhook_secret = \"{WEBHOOK_SECRET}\"\ninterval_ms = 100\n"
        ),
        ..Opts::default()
    })
    .await;
    // The insurance office's system is reached over HTTPS and trusted through a CA that ends on
    // 05/12/2026 (no case is pushed: only the certificate matters here).
    let ca = Ca::ending(stack.dir.path(), "bhxh", Some((2026, 12, 5)));
    std::fs::write(
        stack.dir.path().join("routes.override.toml"),
        format!(
            "[insurance_offices.\"BHXH-5608\"]\nendpoint = \"https://127.0.0.1:9\"\n\n[insurance_offices.\"BHXH-5608\".tls]\nca = \"{}\"\n",
            ca.pem.display()
        ),
    )
    .unwrap();
    stack.restart_gateway().await;

    // 34 days left: nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(certificate_mails(&stack).is_empty(), "{:?}", certificate_mails(&stack));

    // 24 days left: the month's warning, once.
    clock.set(vn("2026-11-10T09:00:00"));
    let month = wait_for("the 30-day warning", 20, || {
        certificate_mails(&stack).into_iter().next()
    })
    .await;
    assert!(month.contains("hết hạn ngày 05/12/2026 07:00, còn 24 ngày"), "{month}");
    // 4 days left: the week's warning, once, however many rounds pass.
    clock.set(vn("2026-11-30T09:00:00"));
    wait_for("the 7-day warning", 20, || certificate_mails(&stack).get(1).cloned()).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = certificate_mails(&stack);
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert!(mails[1].contains("còn 4 ngày"), "{mails:?}");
    let cookie = sign_in(&stack, "quantri", Role::Admin, &[]).await;
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    assert!(dashboard.contains("Chứng thư số BHXH-5608.ca"), "{dashboard}");

    // The file is replaced by a renewed certificate: both warnings clear without a restart.
    let renewed = Ca::ending(stack.dir.path(), "renewed", Some((2028, 12, 5)));
    std::fs::copy(&renewed.pem, &ca.pem).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    clock.set(vn("2026-11-30T09:02:00"));
    wait_for("both clears", 20, || certificate_mails(&stack).get(3).cloned()).await;
    let mails = certificate_mails(&stack);
    assert!(mails[2..].iter().all(|m| m.contains("đã được thay")), "{mails:?}");
    let hooks = || -> Vec<String> {
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|h| h["unit"] == "BHXH-5608.ca" && h["message"] != "reminder")
            .map(|h| format!("{} {}", h["key"].as_str().unwrap(), h["message"].as_str().unwrap()))
            .collect()
    };
    wait_for("four webhooks", 20, || (hooks().len() >= 4).then_some(())).await;
    let mut hooks = hooks();
    hooks[2..].sort();
    assert_eq!(
        hooks,
        [
            "certificate_30d:BHXH-5608.ca start",
            "certificate_7d:BHXH-5608.ca start",
            "certificate_30d:BHXH-5608.ca clear",
            "certificate_7d:BHXH-5608.ca clear"
        ]
    );

    // A file damaged in place is an alert of its own: the next reload or restart would fail on it.
    std::fs::write(&ca.pem, "not a certificate").unwrap();
    let damaged = wait_for("the unreadable file's alert", 20, || {
        stack
            .mails()
            .into_iter()
            .map(|m| m.subject)
            .find(|s| s.contains("Không đọc được tệp chứng thư số BHXH-5608.ca"))
    })
    .await;
    assert!(damaged.starts_with("[Liên thông] Cảnh báo:"), "{damaged}");
}
