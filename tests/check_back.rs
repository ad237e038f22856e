//! No decision is lost (docs/reconciliation.md), black-box over real HTTP: a decision whose
//! callback never arrived is fetched back from the agency's status and applied once, exactly as
//! a callback; a late callback with the same decision changes nothing and another one is refused;
//! an office that is down is left alone while its breaker is open; decisions answered 429 are
//! reported again after `Retry-After`; the dashboard lists legs still waiting for a decision.
//! Runs on SQLite, and on PostgreSQL + S3 with `LTTEST_BACKEND=postgres` (scripts/test.sh).

mod common;

use std::time::Duration;

use common::*;
use lienthong::accounts::Role;
use lienthong_simulators::sim::Faults;
use serde_json::{json, Value};

/// Quick decisions, the first N of them made but never reported.
fn losing(n: u32) -> Faults {
    let mut f = quick();
    f.drop_decisions_next = n;
    f
}

/// Events of a leg that moved it to `to`.
fn moves_to<'a>(case: &'a Value, leg_name: &str, to: &str) -> Vec<&'a Value> {
    let id = leg(case, leg_name)["leg_id"].clone();
    case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "state" && e["leg_id"] == id && e["to"] == to)
        .collect()
}

/// The value of a counter in the Prometheus text, summed over the lines matching every label.
async fn counter(stack: &Stack, name: &str, labels: &[&str]) -> f64 {
    stack
        .metrics()
        .await
        .lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_decision_is_checked_back_once_and_a_late_callback_changes_nothing() {
    let stack = spawn_stack(Opts {
        police: losing(1),
        insurance: quick(),
        check_back_after_ms: 300,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("CHK-0001").await;
    let case = stack.wait_status(&id, "completed", 30).await;

    // The police system decided, its callback was lost; the gateway read the decision back.
    let record = stack.police.state.record_of(&id).unwrap();
    assert!(!record.decision_delivered, "the callback was dropped by the fault");
    assert!(record.status_queries >= 1, "{record:?}");
    let completed = moves_to(&case, "residence", "completed");
    assert_eq!(completed.len(), 1, "one decision event: {case:#}");
    assert_eq!(completed[0]["actor"], "check-back:police", "{case:#}");
    let insurance = moves_to(&case, "insurance", "completed");
    assert_eq!(
        insurance[0]["actor"], "system:insurance",
        "a callback that arrived stays one"
    );
    let decision = record.decision.clone().unwrap();
    assert_eq!(
        leg(&case, "residence")["result"],
        decision,
        "the decision as the agency made it"
    );
    assert!(
        case["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "check_back" && e["to"] == "recovered"),
        "the timeline says it came by check-back: {case:#}"
    );

    // The callback arrives after all: the same decision is a no-op, another one a conflict.
    let leg_id = leg(&case, "residence")["leg_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/legs/{leg_id}/decision");
    let (status, answer) = stack.post_json(POLICE, &path, &decision).await;
    assert_eq!((status, answer["changed"].clone()), (200, json!(false)), "{answer}");
    let other = json!({"outcome": "rejected", "reason": "Sai địa chỉ"});
    let (status, answer) = stack.post_json(POLICE, &path, &other).await;
    assert_eq!(status, 409, "{answer}");
    let after = stack.get_case(&id).await;
    assert_eq!(moves_to(&after, "residence", "completed").len(), 1, "{after:#}");
    assert_eq!(after["status"], "completed");
    assert!(counter(&stack, "lienthong_decisions_recovered_total", &["leg=\"residence\""]).await >= 1.0);
    assert!(counter(&stack, "lienthong_check_backs_total", &["outcome=\"recovered\""]).await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_outcome_lost_on_both_legs_is_recovered() {
    // Each agency loses every callback; rejections and supplement requests come back too.
    let mut police = losing(u32::MAX);
    police.decide.completed = 0;
    police.decide.rejected = 1;
    let mut insurance = losing(u32::MAX);
    insurance.decide.completed = 0;
    insurance.decide.needs_supplement = 1;
    let stack = spawn_stack(Opts {
        police,
        insurance,
        check_back_after_ms: 200,
        ..Opts::default()
    })
    .await;
    let a = stack.push_new("CHK-0101").await;
    stack.wait_status(&a, "rejected", 30).await;
    let case = wait_leg(&stack, &a, "insurance", "needs_supplement", 30).await;
    assert_eq!(
        moves_to(&case, "residence", "rejected")[0]["actor"],
        "check-back:police"
    );
    let ins = leg(&case, "insurance");
    assert_eq!(
        moves_to(&case, "insurance", "needs_supplement")[0]["actor"],
        "check-back:insurance"
    );
    assert_eq!(ins["result"]["missing"], json!(["Trích lục khai sinh bản rõ nét"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_office_that_is_down_is_not_checked_back_until_its_breaker_closes() {
    let stack = spawn_stack(Opts {
        police: losing(1),
        insurance: quick(),
        check_back_after_ms: 1_000,
        breaker_threshold: 1,
        breaker_open_ms: 5_000,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("CHK-0201").await;
    wait_leg(&stack, &id, "residence", "delivered", 20).await;
    // The police system goes down right after it decided (and lost the callback).
    let mut down = stack.police.state.faults();
    down.fail_always = true;
    stack.police.state.set_faults(down.clone());
    let start = tokio::time::Instant::now();
    let first = loop {
        let n = stack.police.state.status_queries();
        if n > 0 {
            break n;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no check-back was made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The failed check opened the breaker: no further check while it is open, although the
    // leg's next check (2 s later) falls inside that time.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    assert_eq!(
        stack.police.state.status_queries(),
        first,
        "checked while the breaker was open"
    );
    let case = stack.get_case(&id).await;
    assert_eq!(leg(&case, "residence")["state"], "delivered");
    assert!(counter(&stack, "lienthong_check_backs_total", &["outcome=\"deferred\""]).await >= 1.0);
    // Back up: the breaker's trial is a check, which recovers the decision.
    down.fail_always = false;
    stack.police.state.set_faults(down);
    let case = stack.wait_status(&id, "completed", 30).await;
    assert_eq!(
        moves_to(&case, "residence", "completed")[0]["actor"],
        "check-back:police"
    );
    let findings: Vec<&str> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "check_back")
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["unreachable", "recovered"], "{case:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn decisions_answered_429_are_reported_again_after_retry_after() {
    // A police token with a budget far below the burst of decisions: most callbacks meet 429.
    // Check-back is far away, so only the simulator's own retries can complete the cases.
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        agency_extra: "rate_per_minute = 120\nburst = 2".into(),
        ..Opts::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(stack.push_new(&format!("CHK-03{i:02}")).await);
    }
    for id in &ids {
        stack.wait_status(id, "completed", 60).await;
    }
    for r in stack.police.state.records() {
        assert!(
            r.decision_delivered,
            "every decision reached the gateway by callback: {r:?}"
        );
        assert_eq!(r.status_queries, 0, "no check-back was needed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_dashboard_lists_legs_the_agency_has_not_decided() {
    let mut silent = quick();
    silent.decide.completed = 0;
    let stack = spawn_stack(Opts {
        police: silent,
        insurance: quick(),
        check_back_after_ms: 200,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("CHK-0401").await;
    wait_leg(&stack, &id, "residence", "delivered", 20).await;
    let start = tokio::time::Instant::now();
    while stack.police.state.status_queries() < 2 {
        assert!(start.elapsed() < Duration::from_secs(10), "no check-back was made");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cookie = sign_in(&stack, "quantri.thu", Role::Admin, &[]).await;
    let (_, page) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
    let table = &page[page.find("id=\"undecided\"").expect("the undecided table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains("CHK-0401"), "{table}");
    assert!(table.contains("Đăng ký thường trú (Công an)"), "{table}");
    assert!(table.contains("Cơ quan chưa có quyết định"), "{table}");
    assert!(
        !table.contains("Cấp thẻ BHYT"),
        "the decided insurance leg is not listed: {table}"
    );
    let tile = &page[page.find("id=\"undecided-total\">").unwrap() + 21..];
    assert!(tile.starts_with("1<"), "{}", &tile[..20]);
    let (_, case_page) = stack.get_text(&format!("/cases/{id}"), &[("cookie", &cookie)]).await;
    assert!(
        case_page.contains("tra soát với hệ thống cơ quan — Cơ quan chưa có quyết định"),
        "{case_page}"
    );
}
