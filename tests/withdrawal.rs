//! A family withdraws its dossier (docs/family.md): the case stops, and each agency holding it
//! is told through a delivery of its own — exactly once, through failures of the agency.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_case_reaches_each_agency_once_through_faults() {
    let stack = spawn_stack(Opts::agencies(undecided(), undecided())).await;
    let id = stack.push_new("RUT-0001").await;
    wait_leg(&stack, &id, "residence", "delivered", 30).await;
    wait_leg(&stack, &id, "insurance", "delivered", 30).await;

    // The agencies fail the next requests: the withdrawals are retried.
    let mut failing = undecided();
    failing.fail_next = 2;
    stack.police.state.set_faults(failing.clone());
    stack.insurance.state.set_faults(failing);

    let path = format!("/api/v1/cases/{id}/withdraw");
    let (status, body) = stack.post_json(ONESTOP_A, &path, &json!({"reason": " "})).await;
    assert_eq!(status, 422, "a reason is required: {body}");
    let (status, body) = stack
        .post_json(ONESTOP_B, &path, &json!({"reason": "Gia đình chuyển nơi ở"}))
        .await;
    assert_eq!(status, 403, "another commune's system: {body}");
    let (status, body) = stack
        .post_json(ONESTOP_A, &path, &json!({"reason": "Gia đình chuyển nơi ở"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agencies_told"], 2, "{body}");
    assert_eq!(body["status"], "withdrawn");

    let delivered = |case: &Value| {
        case["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "withdrawal" && e["to"] == "delivered")
            .count()
    };
    let mut case = stack.get_case(&id).await;
    for _ in 0..200 {
        if delivered(&case) == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        case = stack.get_case(&id).await;
    }
    assert_eq!(delivered(&case), 2, "{case}");
    assert_eq!(case["status"], "withdrawn");
    for sim in [&stack.police, &stack.insurance] {
        let rec = sim.state.record_of(&id).unwrap();
        assert_eq!(rec.withdrawals, 1, "each agency is told exactly once");
    }

    let (status, _) = stack.post_json(ONESTOP_A, &path, &json!({"reason": "Lần nữa"})).await;
    assert_eq!(status, 409, "a withdrawn case cannot be withdrawn again");
    let url = format!(
        "{}/api/public/v1/status?receipt_code=RUT-0001&phone_last4=3456",
        stack.url
    );
    let answer = get_public_json(&stack.http, &url).await;
    assert_eq!(answer["status"], "withdrawn", "{answer}");
    let report: Value = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-01-01&to=2027-12-31")
        .await;
    assert_eq!(report["total"]["withdrawn"], 1, "{}", report["total"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_an_agency_keeps_refusing_is_dead_lettered_for_the_operator() {
    let stack = spawn_stack(Opts {
        police: undecided(),
        insurance: undecided(),
        max_attempts: 2,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("RUT-0002").await;
    wait_leg(&stack, &id, "residence", "delivered", 30).await;
    wait_leg(&stack, &id, "insurance", "delivered", 30).await;
    let mut down = undecided();
    down.fail_always = true;
    stack.police.state.set_faults(down);
    let (status, body) = stack
        .post_json(
            ONESTOP_A,
            &format!("/api/v1/cases/{id}/withdraw"),
            &json!({"reason": "Gia đình đổi ý"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let admin = sign_in(&stack, "quantri.rut", lienthong::accounts::Role::Admin, &[]).await;
    let dead = wait_for_text(&stack, &admin, "id=\"withdrawals-dead\">1<").await;
    assert!(dead.contains("thông báo rút hồ sơ không gửi được"), "{dead}");
    let rec = stack.insurance.state.record_of(&id).unwrap();
    assert_eq!(rec.withdrawals, 1, "the other agency was told regardless");
}

/// The dashboard once it contains `needle`.
async fn wait_for_text(stack: &Stack, cookie: &str, needle: &str) -> String {
    for _ in 0..100 {
        let (_, page) = stack.get_text("/admin", &[("cookie", cookie)]).await;
        if page.contains(needle) {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the dashboard never showed {needle}");
}
