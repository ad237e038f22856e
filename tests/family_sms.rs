//! SMS a family can afford and can answer (docs/family.md): `TRACUU <code>` texted to the
//! provider's number is answered only to the phone the case was registered with; unsigned
//! inbound messages change nothing; the unaccented mode sends GSM-7 in at most two segments.

mod common;

use std::time::Duration;

use common::*;
use lienthong_simulators::notify_sim::Inbound;
use serde_json::{json, Value};

/// A family texts the SMS simulator's number; the answer is the simulator's (the gateway's).
async fn text_in(stack: &Stack, from: &str, text: &str, id: &str) -> (u16, String) {
    let r = stack
        .http
        .post(format!("{}/_sim/inbound", stack.sms.url()))
        .json(&Inbound {
            from: from.into(),
            text: text.into(),
            message_id: Some(id.into()),
        })
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The look-up replies sent to `phone` (not the case's own progress messages), once there is one.
async fn replies_to(stack: &Stack, phone: &str) -> Vec<String> {
    wait_for("a reply", 10, || {
        let got: Vec<String> = stack
            .sms()
            .into_iter()
            .filter(|s| s.to == phone && !s.text.contains("đã tiếp nhận") && !s.text.contains("đã có kết quả."))
            .map(|s| s.text)
            .collect();
        (!got.is_empty()).then_some(got)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracuu_answers_the_registered_phone_only() {
    let stack = spawn_stack(Opts::agencies(quick(), quick())).await;
    let id = stack.push_new("SMS-0001").await;
    stack.wait_status(&id, "completed", 30).await;

    // From the registered phone, written as a family would: the status comes back.
    let (status, body) = text_in(&stack, "+84905123456", "tra cứu sms-0001", "m-1").await;
    assert_eq!(status, 200, "{body}");
    let reply = &replies_to(&stack, "0905123456").await[0];
    assert!(reply.contains("SMS-0001") && reply.contains("Đã có kết quả"), "{reply}");

    // The provider forwards the same message again: one reply, not two.
    let (status, body) = text_in(&stack, "+84905123456", "tra cứu sms-0001", "m-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["reply_queued"], false);

    // From another phone: a reply that says nothing about the case.
    let (status, _) = text_in(&stack, "0912000111", "TRACUU SMS-0001", "m-2").await;
    assert_eq!(status, 200);
    let other = &replies_to(&stack, "0912000111").await[0];
    assert!(
        !other.contains("SMS-0001") && other.contains("Không tìm thấy"),
        "{other}"
    );
    let (_, _) = text_in(&stack, "0912000222", "TRACUU NO-SUCH-CODE", "m-3").await;
    let unknown = &replies_to(&stack, "0912000222").await[0];
    assert_eq!(unknown, other, "an unknown code and another phone get the same reply");

    // Unsigned, or signed with another key: refused, and nothing is queued.
    let before = stack.sms().len();
    let unsigned = stack
        .http
        .post(format!("{}/api/v1/sms/inbound", stack.url))
        .bearer_auth(SMS)
        .json(&json!({"from": "0905123456", "text": "TRACUU SMS-0001"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let (status, answer) = stack
        .post_json(
            POLICE,
            "/api/v1/sms/inbound",
            &json!({"from": "0905123456", "text": "TRACUU SMS-0001"}),
        )
        .await;
    assert_eq!(
        status, 403,
        "an agency's token cannot speak for the SMS provider: {answer}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(stack.sms().len(), before, "a refused message sends nothing");

    // Bad input lists every problem.
    let (status, answer) = stack
        .post_json(SMS, "/api/v1/sms/inbound", &json!({"from": "12", "text": " "}))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["fields"].as_array().unwrap().len(), 2, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unaccented_family_sms_are_gsm7_in_two_segments_and_counted() {
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        sms_unaccented: true,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("SMS-0002").await;
    stack.wait_status(&id, "completed", 30).await;
    let family: Vec<String> = wait_for("the received and result SMS", 10, || {
        let got: Vec<String> = stack.sms().into_iter().map(|s| s.text).collect();
        (got.len() >= 2).then_some(got)
    })
    .await;
    for text in &family {
        let cost = lienthong::notify::sms_text::cost(text);
        assert_eq!(cost.encoding, lienthong::notify::sms_text::Encoding::Gsm7, "{text}");
        assert!(cost.segments <= 2, "{text}");
    }
    assert!(
        family.iter().any(|t| t.contains("da tiep nhan ho so SMS-0002")),
        "{family:?}"
    );
    // The email keeps the Vietnamese text.
    let mail = wait_for("the received email", 10, || {
        stack.mails().into_iter().find(|m| m.subject.contains("SMS-0002"))
    })
    .await;
    assert!(mail.body.contains("đã tiếp nhận"), "{}", mail.body);
    let metrics = stack.metrics().await;
    assert!(
        metrics.contains("lienthong_sms_segments_total{encoding=\"gsm7\"}"),
        "{metrics}"
    );
}
