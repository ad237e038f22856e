//! Families look up their case without an account, by receipt code and the last four digits of
//! their phone (docs/family.md): the answer says where the case is and nothing personal; a wrong
//! code and wrong digits look the same; guessing is throttled per address and per code.

mod common;

use common::*;
use serde_json::Value;

/// The fixture's applicant phone is 0905 123 456.
const DIGITS: &str = "3456";

async fn look_up(stack: &Stack, code: &str, digits: &str, from: &str) -> (u16, Option<String>, String) {
    let r = stack
        .http
        .get(format!("{}/api/public/v1/status", stack.url))
        .query(&[("receipt_code", code), ("phone_last4", digits)])
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap();
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    (r.status().as_u16(), retry, r.text().await.unwrap())
}

/// Nothing of the bundle that names or locates a person appears in `body`.
fn assert_nothing_personal(body: &str, manifest: &Value) {
    let personal = [
        &manifest["child"]["full_name"],
        &manifest["child"]["personal_id"],
        &manifest["mother"]["full_name"],
        &manifest["mother"]["personal_id"],
        &manifest["father"]["full_name"],
        &manifest["applicant"]["full_name"],
        &manifest["applicant"]["phone"],
        &manifest["residence"]["address"],
    ];
    for value in personal.into_iter().filter_map(Value::as_str) {
        assert!(!body.contains(value), "the answer carries {value:?}: {body}");
    }
}

fn public_stack_opts() -> Opts {
    Opts {
        police: quick(),
        insurance: quick(),
        gateway_extra: "public.client_ip_header = \"x-forwarded-for\"".into(),
        ..Opts::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_follows_its_case_and_learns_nothing_else() {
    let stack = spawn_stack(public_stack_opts()).await;
    let (manifest, files) = case_with_code("TRA-0001");
    let id = stack.push(ONESTOP_A, &manifest, &files).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, body) = look_up(&stack, "TRA-0001", DIGITS, "10.0.0.1").await;
    assert_eq!(status, 200, "{body}");
    assert_nothing_personal(&body, &manifest);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["receipt_code"], "TRA-0001");
    assert_eq!(answer["hotline"], "0258 3820 000");
    let procedures: Vec<&str> = answer["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["procedure"].as_str().unwrap())
        .collect();
    assert_eq!(procedures, ["birth_registration", "residence", "insurance"]);

    stack.wait_status(&id, "completed", 30).await;
    let (status, _, body) = look_up(&stack, "TRA-0001", DIGITS, "10.0.0.1").await;
    assert_eq!(status, 200, "{body}");
    assert_nothing_personal(&body, &manifest);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["status"], "completed");
    assert!(
        answer["steps"].as_array().unwrap().iter().all(|s| s["stage"] == "done"),
        "{answer}"
    );
    assert!(answer["results"].as_str().unwrap().contains("Xã thử 22609"), "{answer}");
    // The insurance office issued the card electronically too: usable at once.
    assert!(
        answer["steps"][2]["text"].as_str().unwrap().contains("VssID và VNeID"),
        "{answer}"
    );
    let result_sms = wait_for("the result SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("TRA-0001") && s.text.contains("đã có kết quả"))
    })
    .await;
    assert!(
        result_sms.text.contains("Thẻ BHYT điện tử dùng được ngay"),
        "{}",
        result_sms.text
    );

    // The page says the same in Vietnamese, dates as dd/mm/yyyy, and nothing personal.
    let (status, page) = stack
        .get_text(&format!("/tra-cuu?receipt_code=TRA-0001&phone_last4={DIGITS}"), &[])
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Đã có kết quả") && page.contains("Đường dây nóng"),
        "{page}"
    );
    let appointment = answer["appointment_date"].as_str().unwrap();
    let (y, rest) = appointment.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    assert!(page.contains(&format!("{d}/{m}/{y}")), "{page}");
    assert_nothing_personal(&page, &manifest);

    // The receipt's QR link opens the form with the code filled in, asking only for digits.
    let (status, page) = stack.get_text("/tra-cuu?receipt_code=TRA-0001", &[]).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("value=\"TRA-0001\"") && !page.contains("Đã có kết quả"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_codes_and_wrong_digits_look_alike_and_guessing_is_throttled() {
    let stack = spawn_stack(public_stack_opts()).await;
    stack.push_new("TRA-0002").await;

    let (s1, _, wrong_digits) = look_up(&stack, "TRA-0002", "0000", "10.0.0.2").await;
    let (s2, _, unknown_code) = look_up(&stack, "TRA-9999", DIGITS, "10.0.0.3").await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(wrong_digits, unknown_code, "the two failures must be indistinguishable");
    let (status, _, body) = look_up(&stack, "TRA-0002", "12a", "10.0.0.4").await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("phone_last4"), "{body}");

    // One address guessing: after its budget it is refused, even with the right digits.
    let mut refused = None;
    for n in 0..20 {
        let (status, retry, _) = look_up(&stack, &format!("TRA-{n:04}X"), DIGITS, "10.0.0.9").await;
        if status == 429 {
            refused = Some((n, retry));
            break;
        }
        assert_eq!(status, 404);
    }
    let (n, retry) = refused.expect("20 wrong tries from one address are throttled");
    assert!(n >= 5, "throttled after only {n} tries");
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    let (status, _, _) = look_up(&stack, "TRA-0002", DIGITS, "10.0.0.9").await;
    assert_eq!(status, 429);

    // Many addresses guessing one code: the code is throttled for everyone for a while.
    let mut code_refused = false;
    for n in 0..20 {
        let (status, _, _) = look_up(&stack, "TRA-0002", &format!("{:04}", 100 + n), &format!("10.1.0.{n}")).await;
        if status == 429 {
            code_refused = true;
            break;
        }
    }
    assert!(code_refused, "20 wrong digits for one code are throttled");
    let (status, _, _) = look_up(&stack, "TRA-0002", DIGITS, "10.2.0.1").await;
    assert_eq!(status, 429, "a throttled code answers no one");

    // The page refuses the same way.
    let (status, page) = stack
        .get_text("/tra-cuu?receipt_code=TRA-0002&phone_last4=3456", &[])
        .await;
    assert_eq!(status, 429, "{page}");
    assert!(page.contains("quá nhiều lần"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplement_request_reaches_the_family_as_what_to_bring() {
    let mut insurance = quick();
    insurance.decide.completed = 0;
    insurance.decide.needs_supplement = 1;
    let stack = spawn_stack(Opts {
        insurance,
        ..public_stack_opts()
    })
    .await;
    let id = stack.push_new("TRA-0003").await;
    let case = wait_leg(&stack, &id, "insurance", "needs_supplement", 30).await;
    let missing = leg(&case, "insurance")["result"]["missing"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, body) = look_up(&stack, "TRA-0003", DIGITS, "10.0.0.5").await;
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let step = &answer["steps"][2];
    assert_eq!(step["stage"], "needs_supplement", "{answer}");
    assert_eq!(step["missing"][0], missing.as_str());
    assert!(step["text"].as_str().unwrap().contains(&missing), "{step}");
}
