//! Trust between agencies over the real HTTP API: tokens rotated with overlap and revoked at
//! once (through the `lienthong token` command, beside the live gateway), signed decision
//! callbacks that cannot be replayed (even after a restart) or sent late, and per-token limits.

mod common;

use std::process::Command;

use common::*;
use lienthong_contract::signature;
use lienthong_simulators::sim::Faults;
use serde_json::{json, Value};

fn lienthong(stack: &Stack, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .arg("--config")
        .arg(stack.dir.path())
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Posts the insurance system's decision with the given signing headers.
async fn send(
    stack: &Stack,
    path: &str,
    body: &[u8],
    headers: Vec<(&'static str, String)>,
) -> reqwest::Result<reqwest::Response> {
    let mut req = stack
        .http
        .post(format!("{}{path}", stack.url))
        .bearer_auth(INSURANCE)
        .header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.body(body.to_vec()).send().await
}

async fn status_with(stack: &Stack, token: &str, path: &str) -> u16 {
    stack
        .http
        .get(format!("{}{path}", stack.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_rotated_with_overlap_and_refused_at_once_after_revoke() {
    let stack = spawn_stack(Opts::default()).await;
    let id = stack.push_new("ROTATE-1").await;
    let path = format!("/api/v1/cases/{id}");

    let (code, out, err) = lienthong(
        &stack,
        &["token", "add", "--system", "onestop-a", "--label", "rotation"],
    );
    assert_eq!(code, 0, "{out}{err}");
    let new_token = out.lines().last().unwrap().trim().to_string();
    assert!(new_token.starts_with("lt_") && new_token.len() == 67, "{out}");

    // Overlap: both the old and the new token work.
    assert_eq!(status_with(&stack, ONESTOP_A, &path).await, 200);
    assert_eq!(status_with(&stack, &new_token, &path).await, 200);

    // The store holds digests only.
    // Read by a child process: closing a file this process opened would drop the POSIX locks the
    // in-process gateway's SQLite holds on it, and the next CLI run would then delete the WAL
    // under the gateway's feet (it would never see another process's commit again).
    let raw = |name: &str| {
        std::process::Command::new("cat")
            .arg(stack.dir.path().join(name))
            .output()
            .unwrap()
            .stdout
    };
    let (db, wal) = (raw("store.db"), raw("store.db-wal"));
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(new_token.len()).any(|w| w == new_token.as_bytes()));
    }

    let (_, list, _) = lienthong(&stack, &["token", "list"]);
    let old_id = lienthong::store::credentials::token_id(&digest(ONESTOP_A));
    assert!(list.contains(&old_id) && list.contains("rotation"), "{list}");
    assert!(!list.contains(&new_token), "a listing never shows a token");

    let (code, out, err) = lienthong(&stack, &["token", "revoke", &old_id]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        status_with(&stack, ONESTOP_A, &path).await,
        401,
        "revoked: refused at once"
    );
    assert_eq!(status_with(&stack, &new_token, &path).await, 200);
    let (code, _, _) = lienthong(&stack, &["token", "revoke", &old_id]);
    assert_eq!(code, 1, "revoking twice says so");
    let (code, _, err) = lienthong(&stack, &["token", "add", "--system", "nobody"]);
    assert_eq!(code, 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_late_decisions_are_refused_and_change_nothing() {
    let silent = Faults {
        decide: lienthong_simulators::sim::DecideMix {
            completed: 0,
            ..Default::default()
        },
        ..Faults::default()
    };
    let mut stack = spawn_stack(Opts::agencies(silent.clone(), silent)).await;
    let id = stack.push_new("REPLAY-1").await;
    let case = wait_leg(&stack, &id, "insurance", "delivered", 20).await;
    let leg_id = leg(&case, "insurance")["leg_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/legs/{leg_id}/decision");
    let card = serde_json::to_vec(&json!({
        "outcome": "completed", "social_insurance_number": "5612345678",
        "card_valid_from": "2026-11-10", "card_valid_to": "2032-11-09", "health_facility_code": "56018"
    }))
    .unwrap();
    let error_code = |v: Value| v["error"]["code"].as_str().unwrap_or_default().to_string();

    // Unsigned, wrongly signed, and signed 10 minutes ago: refused, nothing recorded.
    let unsigned = send(&stack, &path, &card, Vec::new()).await.unwrap();
    assert_eq!(unsigned.status(), 401);
    assert_eq!(error_code(unsigned.json().await.unwrap()), "bad_signature");
    let wrong = signature::headers(b"not-the-insurance-secret", "POST", &path, &card).to_vec();
    assert_eq!(send(&stack, &path, &card, wrong).await.unwrap().status(), 401);
    let old = signature::unix_now() - 600;
    let nonce = "0123456789abcdef".to_string();
    let signed = signature::Signed {
        method: "POST",
        path: &path,
        timestamp: old,
        nonce: &nonce,
    };
    let late = vec![
        (signature::TIMESTAMP, old.to_string()),
        (signature::NONCE, nonce.clone()),
        (
            signature::SIGNATURE,
            signature::sign(INSURANCE_SECRET.as_bytes(), &signed, &card),
        ),
    ];
    let refused = send(&stack, &path, &card, late).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.text().await.unwrap().contains("5 phút"));
    let c = stack.get_case(&id).await;
    assert_eq!(
        leg(&c, "insurance")["state"],
        "delivered",
        "refused callbacks change nothing"
    );

    // The genuine callback is accepted once; the same bytes again are a replay.
    let genuine = signature::headers(INSURANCE_SECRET.as_bytes(), "POST", &path, &card).to_vec();
    assert_eq!(send(&stack, &path, &card, genuine.clone()).await.unwrap().status(), 200);
    let replay = send(&stack, &path, &card, genuine.clone()).await.unwrap();
    assert_eq!(replay.status(), 401);
    assert!(replay.text().await.unwrap().contains("đã được dùng"));

    // A signature for one leg does not decide another (the path is signed).
    let other = leg(&c, "residence")["leg_id"].as_str().unwrap().to_string();
    let moved = stack
        .http
        .post(format!("{}/api/v1/legs/{other}/decision", stack.url))
        .bearer_auth(POLICE)
        .header("content-type", "application/json");
    let moved = signature::headers(POLICE_SECRET.as_bytes(), "POST", &path, &card)
        .into_iter()
        .fold(moved, |r, (n, v)| r.header(n, v));
    assert_eq!(moved.body(card.clone()).send().await.unwrap().status(), 401);

    // The replay store survives a restart.
    stack.restart_gateway().await;
    assert_eq!(send(&stack, &path, &card, genuine).await.unwrap().status(), 401);
    let events = stack.get_case(&id).await["events"].clone();
    let decided = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["leg_id"] == leg_id.as_str() && e["to"] == "completed")
        .count();
    assert_eq!(decided, 1, "one decision recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_its_budget_gets_429_with_retry_after_and_big_bodies_413() {
    let stack = spawn_stack(Opts {
        onestop_b_extra: "rate_per_minute = 6\nburst = 3\nmax_request_bytes = 4096".into(),
        ..Opts::default()
    })
    .await;
    let path = "/api/v1/cases?receipt_code=NONE";
    for _ in 0..3 {
        assert_eq!(status_with(&stack, ONESTOP_B, path).await, 404);
    }
    let limited = stack
        .http
        .get(format!("{}{path}", stack.url))
        .bearer_auth(ONESTOP_B)
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "Retry-After {wait}");
    // Another system's token has its own budget.
    assert_eq!(status_with(&stack, ONESTOP_A, path).await, 404);

    let (m, files) = case_with_code("BIG-1");
    let mut m = m;
    m["commune_code"] = "22612".into();
    let other = Stack::push(&stack, ONESTOP_A, &m, &files).await;
    assert_eq!(other.status, 403, "{}", other.body);
    tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    let big = stack.push(ONESTOP_B, &m, &files).await;
    assert_eq!(big.status, 413, "{}", big.body);
    assert_eq!(big.body["error"]["code"], "too_large");
}

fn stored_files(stack: &Stack) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |d| {
            d.map(|e| e.unwrap().path())
                .map(|p| if p.is_dir() { count(&p) } else { 1 })
                .sum()
        })
    }
    count(&stack.dir.path().join("attachments/sha256"))
}

fn retention_events(case: &Value) -> usize {
    case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "retention")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_cases_lose_their_file_bytes_after_the_retention_period_but_keep_hashes() {
    let clock = lienthong::clock::Clock::adjustable();
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        clock: clock.clone(),
        gateway_extra: "\n[retention]\nattachment_days = 30\n".into(),
        ..Opts::default()
    })
    .await;
    let done = stack.push_new("KEEP-1").await;
    stack.wait_status(&done, "completed", 20).await;
    assert_eq!(
        stored_files(&stack),
        5,
        "three attachments and the two documents the agencies issued"
    );

    // A second case with the same files is still running when the first one expires.
    stack.police.state.set_faults(down());
    let running = stack.push_new("KEEP-2").await;
    wait_leg(&stack, &running, "insurance", "completed", 20).await;
    assert_eq!(stored_files(&stack), 6, "and the second case's card");
    clock.set(clock.now() + jiff::SignedDuration::from_hours(31 * 24));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while retention_events(&stack.get_case(&done).await) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "no purge recorded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        stored_files(&stack),
        4,
        "the first case's own documents go; the attachments the running case shares stay"
    );
    assert_eq!(retention_events(&stack.get_case(&running).await), 0);

    // Once that case ends (here the family withdraws it: a withdrawn case is finished too) and
    // its own period passes, the bytes go; hashes and trail stay.
    let (status, body) = stack
        .post_json(
            ONESTOP_A,
            &format!("/api/v1/cases/{running}/withdraw"),
            &json!({"reason": "Gia đình rút hồ sơ"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    stack.wait_status(&running, "withdrawn", 30).await;
    clock.set(clock.now() + jiff::SignedDuration::from_hours(31 * 24));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while stored_files(&stack) > 0 {
        assert!(tokio::time::Instant::now() < deadline, "bytes not purged");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let case = stack.get_case(&running).await;
    assert_eq!(retention_events(&case), 1, "recorded once");
    assert_eq!(case["attachments"].as_array().unwrap().len(), 3, "the hashes stay");
    assert!(case["attachments"][0]["sha256"].as_str().unwrap().len() == 64);
    assert_eq!(retention_events(&stack.get_case(&done).await), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guessing_on_the_sign_in_page_is_throttled_per_login() {
    let stack = spawn_stack(Opts::default()).await;
    let attempt = |login: &'static str| {
        stack
            .http
            .post(format!("{}/login", stack.url))
            .form(&[("login", login), ("password", "doan-mat-khau")])
            .send()
    };
    for _ in 0..10 {
        assert_eq!(attempt("quantri").await.unwrap().status(), 401);
    }
    let throttled = attempt("quantri").await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert!(throttled.headers().contains_key("retry-after"));
    assert!(throttled.text().await.unwrap().contains("quá nhiều lần"));
    assert_eq!(
        attempt("canbo.xa").await.unwrap().status(),
        401,
        "another login is not throttled"
    );
}
