//! The results' journey after the agencies decide (docs/family.md): the card sent and received,
//! the results posted and delivered (reported by the postal partner's simulator over signed
//! HTTP), or handed over at the desk; the case closes only when the family has them, and the
//! family hears of each step that matters.

mod common;

use common::*;
use lienthong::accounts::Role;
use serde_json::{json, Value};

async fn step(stack: &Stack, token: &str, id: &str, body: Value) -> (u16, Value) {
    stack
        .post_json(token, &format!("/api/v1/cases/{id}/journey"), &body)
        .await
}

async fn postal_report(stack: &Stack, body: Value) -> (u16, String) {
    let r = stack
        .http
        .post(format!("{}/_sim/report", stack.postal.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A case whose family asked for the results by post (the fixture from Khánh Bình, pushed by
/// commune A's system), under `code`.
async fn push_by_post(stack: &Stack, code: &str) -> String {
    let (mut m, files) = fixture("02-khanh-binh-no-father");
    m["commune_code"] = "22609".into();
    m["receipt_code"] = code.into();
    stack.push(ONESTOP_A, &m, &files).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn look_up(stack: &Stack, code: &str, digits: &str) -> Value {
    let r = stack
        .http
        .get(format!("{}/api/public/v1/status", stack.url))
        .query(&[("receipt_code", code), ("phone_last4", digits)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

fn quick_stack() -> Opts {
    Opts {
        police: quick(),
        insurance: quick(),
        ..Opts::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_post_the_case_closes_when_the_post_delivers() {
    let stack = spawn_stack(quick_stack()).await;
    let id = push_by_post(&stack, "POST-0001").await;

    // Nothing moves before the agencies decide.
    let (status, answer) = step(
        &stack,
        ONESTOP_A,
        &id,
        json!({"step": "posted", "tracking_number": "EB000000001VN"}),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    stack.wait_status(&id, "completed", 30).await;

    // The insurance office sends the card; the commune receives it and posts everything.
    let (status, answer) = step(
        &stack,
        INSURANCE,
        &id,
        json!({"step": "card_sent", "tracking_number": "CARD-0001"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = step(
        &stack,
        ONESTOP_A,
        &id,
        json!({"step": "card_sent", "tracking_number": "CARD-0002"}),
    )
    .await;
    assert_eq!(status, 403, "a commune does not send cards");
    assert_eq!(
        step(&stack, ONESTOP_A, &id, json!({"step": "card_received"})).await.0,
        200
    );
    let (status, answer) = step(
        &stack,
        ONESTOP_A,
        &id,
        json!({"step": "handed_over", "received_by": "Pi Năng Thị Lan", "id_checked": true}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("invalid_state")),
        "the family chose the post"
    );
    let (status, answer) = step(&stack, ONESTOP_A, &id, json!({"step": "posted"})).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(
        step(
            &stack,
            ONESTOP_A,
            &id,
            json!({"step": "posted", "tracking_number": "EB000000001VN"})
        )
        .await
        .0,
        200
    );
    let answer = look_up(&stack, "POST-0001", "7888").await;
    assert!(
        answer["results"].as_str().unwrap().contains("bưu chính chuyển"),
        "{answer}"
    );
    assert!(
        stack.get_case(&id).await["closed_at"].is_null(),
        "not closed while in the post"
    );

    // The postal partner reports delivery twice (at least once): one step, the case closed.
    let (status, body) = postal_report(
        &stack,
        json!({"tracking_number": "EB000000001VN", "outcome": "delivered", "times": 2}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let case = stack.get_case(&id).await;
    assert!(case["closed_at"].is_string(), "{case}");
    let delivered: Vec<&Value> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "journey" && e["to"] == "post_delivered")
        .collect();
    assert_eq!(delivered.len(), 1, "one delivery recorded: {case}");
    assert_eq!(delivered[0]["actor"], "system:postal");
    let answer = look_up(&stack, "POST-0001", "7888").await;
    assert!(
        answer["results"].as_str().unwrap().starts_with("Gia đình đã nhận"),
        "{answer}"
    );

    // Unknown items and unsigned reports change nothing.
    let (status, _) = postal_report(
        &stack,
        json!({"tracking_number": "EB999999999VN", "outcome": "delivered"}),
    )
    .await;
    assert_eq!(status, 404);
    let unsigned = stack
        .http
        .post(format!("{}/api/v1/postal/events", stack.url))
        .bearer_auth(POSTAL)
        .json(&json!({"tracking_number": "EB000000001VN", "outcome": "returned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);

    // The family heard of the result, the posting (with its number) and not of each internal step.
    let texts: Vec<String> = wait_for("the posting SMS", 10, || {
        let texts: Vec<String> = stack
            .sms()
            .into_iter()
            .filter(|s| s.text.contains("POST-0001"))
            .map(|s| s.text)
            .collect();
        texts.iter().any(|t| t.contains("EB000000001VN")).then_some(texts)
    })
    .await;
    assert!(
        texts.iter().any(|t| t.contains("gửi qua bưu chính đến địa chỉ")),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("Thẻ BHYT") && t.contains("đã về")),
        "by post, no 'come and collect the card': {texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_commune_the_officer_hands_over_after_checking_identity() {
    let stack = spawn_stack(quick_stack()).await;
    let id = stack.push_new("DESK-0001").await;
    stack.wait_status(&id, "completed", 30).await;
    let officer = sign_in(&stack, "canbo.traketqua", Role::CommuneOfficer, &["22609"]).await;

    let (status, page) = stack.get_text(&format!("/cases/{id}"), &[("cookie", &officer)]).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Trả kết quả cho gia đình") && page.contains("chờ gia đình đến nhận"),
        "{page}"
    );
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..at + page[at..].find('"').unwrap()].to_string();
    let post = |fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields);
        stack
            .http
            .post(format!("{}/cases/{id}/journey", stack.url))
            .header("cookie", &officer)
            .form(&form)
            .send()
    };
    // Without the identity check the hand-over is refused, and nothing is recorded.
    let r = post(vec![("step", "handed_over"), ("received_by", "Trần Thị Hồng")])
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(stack.get_case(&id).await["closed_at"].is_null());
    let r = post(vec![
        ("step", "handed_over"),
        ("received_by", "Trần Thị Hồng"),
        ("id_checked", "true"),
    ])
    .await
    .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let case = stack.get_case(&id).await;
    assert!(case["closed_at"].is_string(), "{case}");
    let (_, page) = stack.get_text(&format!("/cases/{id}"), &[("cookie", &officer)]).await;
    assert!(
        page.contains("Đã trao kết quả cho Trần Thị Hồng (đã kiểm tra giấy tờ tùy thân)"),
        "{page}"
    );
    let r = post(vec![
        ("step", "handed_over"),
        ("received_by", "Trần Thị Hồng"),
        ("id_checked", "true"),
    ])
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 200, "handing over again is no error");
    let handed: usize = stack.get_case(&id).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"] == "handed_over")
        .count();
    assert_eq!(handed, 1, "and changes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_returned_envelope_is_collected_at_the_desk() {
    let stack = spawn_stack(quick_stack()).await;
    let id = push_by_post(&stack, "POST-0002").await;
    stack.wait_status(&id, "completed", 30).await;
    assert_eq!(
        step(
            &stack,
            ONESTOP_A,
            &id,
            json!({"step": "posted", "tracking_number": "EB000000002VN"})
        )
        .await
        .0,
        200
    );
    let (status, _) = postal_report(
        &stack,
        json!({"tracking_number": "EB000000002VN", "outcome": "returned", "note": "Không có người nhận"}),
    )
    .await;
    assert_eq!(status, 200);
    let answer = look_up(&stack, "POST-0002", "7888").await;
    assert!(
        answer["results"].as_str().unwrap().contains("chưa giao được"),
        "{answer}"
    );
    let sms = wait_for("the returned SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("POST-0002") && s.text.contains("chưa giao được"))
    })
    .await;
    assert!(sms.text.contains("Xã thử 22609"), "{}", sms.text);
    // Another case cannot reuse the tracking number.
    let other = stack.push_new("DESK-0002").await;
    stack.wait_status(&other, "completed", 30).await;
    let (status, answer) = step(
        &stack,
        INSURANCE,
        &other,
        json!({"step": "card_sent", "tracking_number": "EB000000002VN"}),
    )
    .await;
    assert_eq!(status, 409, "{answer}");
    let (status, answer) = step(
        &stack,
        ONESTOP_A,
        &id,
        json!({"step": "handed_over", "received_by": "Pi Năng Thị Lan", "id_checked": true}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(stack.get_case(&id).await["closed_at"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncollected_results_are_listed_the_family_reminded_once_and_reported() {
    let clock = lienthong::clock::Clock::adjustable();
    let stack = spawn_stack(Opts {
        clock: clock.clone(),
        ..quick_stack()
    })
    .await;
    let waiting = stack.push_new("WAIT-0001").await;
    let handed = stack.push_new("WAIT-0002").await;
    let posted = push_by_post(&stack, "WAIT-0003").await;
    for id in [&waiting, &handed, &posted] {
        stack.wait_status(id, "completed", 30).await;
    }
    let ok = |(status, body): (u16, Value)| assert_eq!(status, 200, "{body}");
    ok(step(
        &stack,
        ONESTOP_A,
        &handed,
        json!({"step": "handed_over", "received_by": "Trần Thị Hồng", "id_checked": true}),
    )
    .await);
    ok(step(
        &stack,
        ONESTOP_A,
        &posted,
        json!({"step": "posted", "tracking_number": "EB000000003VN"}),
    )
    .await);

    // Ten calendar days later the result of WAIT-0001 has waited more than 5 working days.
    clock.set(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 10));
    let reminder = wait_for("the reminder to collect", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("WAIT-0001") && s.text.contains("mời đến nhận"))
    })
    .await;
    assert!(reminder.text.contains("Xã thử 22609"), "{}", reminder.text);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let reminders = |code: &str| {
        stack
            .sms()
            .iter()
            .filter(|s| s.text.contains(code) && s.text.contains("mời đến nhận"))
            .count()
    };
    assert_eq!(reminders("WAIT-0001"), 1, "one reminder, not one per sweep");
    assert_eq!(reminders("WAIT-0002"), 0, "handed over: nothing to collect");
    assert_eq!(
        reminders("WAIT-0003"),
        0,
        "in the post: nothing to collect at the commune"
    );

    let admin = sign_in(&stack, "quantri.nhan", lienthong::accounts::Role::Admin, &[]).await;
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &admin)]).await;
    let panel = &dashboard[dashboard.find("id=\"uncollected\"").unwrap()..];
    let panel = &panel[..panel.find("</table>").unwrap()];
    assert!(panel.contains("WAIT-0001") && panel.contains("Đã nhắc"), "{panel}");
    assert!(!panel.contains("WAIT-0002"), "{panel}");

    let report: Value = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-01-01&to=2027-12-31")
        .await;
    let total = &report["total"];
    assert_eq!(total["by_post"], 1, "{total}");
    assert_eq!(total["handed_over"], 1, "{total}");
    assert_eq!(total["waiting_for_family"], 2, "{total}");
    assert_eq!(total["median_working_days_to_family"], 0.0, "{total}");
}
