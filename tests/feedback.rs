//! The family rates the service once through its link, can complain from the same page, and
//! the commune answers by a due date; officers record paper ratings; the report counts it all
//! (docs/family.md).

mod common;

use common::*;
use lienthong::accounts::Role;
use serde_json::{json, Value};

async fn hand_over(stack: &Stack, id: &str) {
    let (status, body) = stack
        .post_json(
            ONESTOP_A,
            &format!("/api/v1/cases/{id}/journey"),
            &json!({"step": "handed_over", "received_by": "Trần Thị Hồng", "id_checked": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn post_form(stack: &Stack, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> (u16, String) {
    let mut req = stack.http.post(format!("{}{path}", stack.url)).form(form);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn csrf_of(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_rating_per_link_complaints_answered_and_counted() {
    let clock = lienthong::clock::Clock::adjustable();
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    let rated = stack.push_new("RATE-0001").await;
    let paper = stack.push_new("RATE-0002").await;
    for id in [&rated, &paper] {
        stack.wait_status(id, "completed", 30).await;
    }
    hand_over(&stack, &rated).await;

    // One SMS with an unguessable link.
    let sms = wait_for("the rating SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("RATE-0001") && s.text.contains("/dg/"))
    })
    .await;
    let token: String = sms.text[sms.text.find("/dg/").unwrap() + 4..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 32, "{}", sms.text);
    let path = format!("/dg/{token}");
    let (status, page) = stack.get_text(&path, &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("RATE-0001") && page.contains("Rất hài lòng"), "{page}");

    let (status, page) = post_form(&stack, &path, None, &[("score", "5"), ("comment", "Cán bộ nhiệt tình")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Cảm ơn ông/bà đã đánh giá"), "{page}");
    let (status, _) = post_form(&stack, &path, None, &[("score", "1")]).await;
    assert_eq!(status, 410, "a link rates once");
    let guessed = format!("/dg/{}", "0".repeat(32));
    assert_eq!(post_form(&stack, &guessed, None, &[("score", "5")]).await.0, 404);
    let (_, page) = stack.get_text(&path, &[]).await;
    assert!(
        page.contains("đã được đánh giá") && !page.contains("name=\"score\""),
        "{page}"
    );

    // A complaint from the same page reaches the commune with a due date, and is answered.
    let (status, page) = post_form(&stack, &format!("{path}/phan-anh"), None, &[("body", "Chờ lâu ở quầy")]).await;
    assert_eq!(status, 200, "{page}");
    // Three weeks later it is past its 10 working days: the dashboard counts it overdue.
    clock.set(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 21));
    let admin = sign_in(&stack, "quantri.phananh", Role::Admin, &[]).await;
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &admin)]).await;
    assert!(dashboard.contains("id=\"complaints-overdue\">1<"), "{dashboard}");
    let officer = sign_in(&stack, "canbo.phananh", Role::CommuneOfficer, &["22609"]).await;
    let (_, list) = stack.get_text("/complaints", &[("cookie", &officer)]).await;
    assert!(list.contains("Chờ lâu ở quầy") && list.contains("RATE-0001"), "{list}");
    let other = sign_in(&stack, "canbo.xakhac", Role::CommuneOfficer, &["22612"]).await;
    let (_, list_b) = stack.get_text("/complaints", &[("cookie", &other)]).await;
    assert!(!list_b.contains("Chờ lâu ở quầy"), "another commune does not see it");
    let id_at = list.find("/complaints/").unwrap() + 12;
    let complaint_id: String = list[id_at..].chars().take_while(char::is_ascii_digit).collect();
    let (status, _) = post_form(
        &stack,
        &format!("/complaints/{complaint_id}/answer"),
        Some(&officer),
        &[("csrf", &csrf_of(&list)), ("answer", "Xã đã bố trí thêm cán bộ")],
    )
    .await;
    assert_eq!(status, 200);
    let answer = wait_for("the answer by SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("Xã đã bố trí thêm cán bộ"))
    })
    .await;
    assert!(answer.text.contains("RATE-0001"), "{}", answer.text);
    let (status, _) = post_form(
        &stack,
        &format!("/complaints/{complaint_id}/answer"),
        Some(&officer),
        &[("csrf", &csrf_of(&list)), ("answer", "Lần nữa")],
    )
    .await;
    assert_eq!(status, 409, "a complaint is answered once");

    // An officer records a paper rating for a case handed over at the counter, once.
    hand_over(&stack, &paper).await;
    let (_, case_page) = stack
        .get_text(&format!("/cases/{paper}"), &[("cookie", &officer)])
        .await;
    let form = [
        ("csrf", csrf_of(&case_page)),
        ("score", "3".into()),
        ("channel", "paper".into()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        post_form(&stack, &format!("/cases/{paper}/rating"), Some(&officer), &form)
            .await
            .0,
        200
    );
    assert_eq!(
        post_form(&stack, &format!("/cases/{paper}/rating"), Some(&officer), &form)
            .await
            .0,
        409
    );

    let report: Value = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-01-01&to=2027-12-31")
        .await;
    let f = &report["feedback"];
    assert_eq!(f["ratings"], 2, "{f}");
    assert_eq!(f["average_score"], 4.0, "{f}");
    assert_eq!(f["satisfied_percent"], 50.0, "{f}");
    assert_eq!(f["complaints"], 1, "{f}");
    assert_eq!(f["complaints_open"], 0, "{f}");
    assert_eq!(f["complaints_answered_on_time"], 0, "answered after its due date: {f}");
}
