//! The web pages answer failures as the API does: the same status and stable code for the same
//! failure, on a Vietnamese page (not a 500 for everything).

mod common;

use common::*;
use lienthong::accounts::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_refuse_with_the_apis_status_and_code() {
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        ..Opts::default()
    })
    .await;
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
