//! The web pages answer failures as the API does: the same status and stable code for the same
//! failure, on a Vietnamese page (not a 500 for everything).

mod common;

use common::*;
use lienthong::accounts::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_refuse_with_the_apis_status_and_code() {
    let stack = spawn_stack(Opts::agencies(quick(), quick())).await;
    let id = stack.push_new("PAGE-0001").await;
    let case = stack.wait_status(&id, "completed", 20).await;
    let leg_id = leg(&case, "residence")["leg_id"].as_str().unwrap().to_string();
    let admin = sign_in(&stack, "quantri.trang", Role::Admin, &[]).await;

    // No such case: 404 with the API's code, in Vietnamese.
    let (status, body) = stack
        .get_text("/cases/01900000-0000-7000-8000-000000000000", &[("cookie", &admin)])
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("Không có hồ sơ này.") && body.contains("Mã lỗi: not_found"),
        "{body}"
    );

    // Resending a leg that is not dead: 409 invalid_state, on the page as in the API.
    let (_, dashboard) = stack.get_text("/admin", &[("cookie", &admin)]).await;
    let at = dashboard.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &dashboard[at..at + dashboard[at..].find('"').unwrap()];
    let r = stack
        .http
        .post(format!("{}/admin/legs/{leg_id}/resend", stack.url))
        .header("cookie", &admin)
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("Mã lỗi: invalid_state"), "{body}");
    let (status, api) = stack
        .post_json(ADMIN, &format!("/api/v1/legs/{leg_id}/resend"), &serde_json::json!({}))
        .await;
    assert_eq!(
        (status, api["error"]["code"].as_str()),
        (409, Some("invalid_state")),
        "{api}"
    );

    // Agency staff opening a leg that does not exist: 404, not 500.
    let police = sign_in(&stack, "congan.trang", Role::PoliceStaff, &["CA-568"]).await;
    let (status, body) = stack.get_text("/legs/no-such-leg", &[("cookie", &police)]).await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_case_has_a_written_answer_and_the_family_is_told() {
    let mut police = quick();
    police.decide.completed = 0;
    police.decide.rejected = 1;
    let stack = spawn_stack(Opts::agencies(police, quick())).await;
    let refused = stack.push_new("REFUSE-0001").await;
    let case = stack.wait_status(&refused, "rejected", 30).await;
    let reason = leg(&case, "residence")["result"]["reason"]
        .as_str()
        .unwrap()
        .to_string();
    let officer = sign_in(&stack, "canbo.tuchoi", Role::CommuneOfficer, &["22609"]).await;

    let (status, page) = stack
        .get_text(&format!("/cases/{refused}"), &[("cookie", &officer)])
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("/cases/{refused}/refusal")),
        "the case page links the letter"
    );
    let (status, letter) = stack
        .get_text(&format!("/cases/{refused}/refusal"), &[("cookie", &officer)])
        .await;
    assert_eq!(status, 200, "{letter}");
    for words in [
        "VĂN BẢN TRẢ LỜI",
        "REFUSE-0001",
        reason.as_str(),
        "Luật Khiếu nại",
        "0258 3820 000",
        "Đăng ký thường trú",
    ] {
        assert!(letter.contains(words), "the letter lacks {words:?}: {letter}");
    }

    let sms = wait_for("the refusal SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("REFUSE-0001") && s.text.contains("không được giải quyết"))
    })
    .await;
    assert!(sms.text.contains("văn bản trả lời"), "{}", sms.text);

    // A case that was not refused has no such letter.
    let police_ok = quick();
    stack.police.state.set_faults(police_ok);
    let granted = stack.push_new("REFUSE-0002").await;
    stack.wait_status(&granted, "completed", 30).await;
    let (status, _) = stack
        .get_text(&format!("/cases/{granted}/refusal"), &[("cookie", &officer)])
        .await;
    assert_eq!(status, 404);
}
