//! The 2024 national flow (docs/deadlines.md): when the police's acknowledgement asks to verify
//! the dossier, the residence leg and the appointment take the longer budget of decree 63/2024,
//! once, the family is told once, and the case page says why.

mod common;

use common::*;
use lienthong_simulators::sim::Faults;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_request_moves_the_appointment_by_two_working_days() {
    let clock = clock_at("2026-08-27T10:00:00");
    let mut police = Faults::default();
    police.decide.completed = 0; // the police verify before deciding
    police.verify_next = 1;
    let stack = spawn_stack(Opts {
        police,
        insurance: quick(),
        clock: clock.clone(),
        regime: Some("nd63-2024"),
        ..Opts::default()
    })
    .await;
    let (mut m, files) = case_with_code("XM-0001");
    m["received_at"] = "2026-08-27T10:00:00+07:00".into();
    m["birth_registration"]["registered_on"] = "2026-08-27".into();
    m["child"]["date_of_birth"] = "2026-08-01".into();
    let pushed = stack.push(ONESTOP_A, &m, &files).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    // Counted from Fri 28/8; Mon 31/8, Tue 1/9 and Wed 2/9 are off: day 3 is Fri 4/9.
    assert_eq!(pushed.body["appointment_date"], "2026-09-04");
    let id = pushed.body["case_id"].as_str().unwrap().to_string();

    let case = wait_leg(&stack, &id, "residence", "delivered", 20).await;
    let mut case = case;
    for _ in 0..100 {
        if case["appointment_date"] == "2026-09-08" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        case = stack.get_case(&id).await;
    }
    // Two more working days: Mon 7/9 and Tue 8/9; the residence leg gets its 5 days too.
    assert_eq!(case["appointment_date"], "2026-09-08", "{case}");
    assert_eq!(leg(&case, "residence")["due_at"], "2026-09-08T17:00:00+07:00", "{case}");
    assert_eq!(
        leg(&case, "insurance")["due_at"],
        "2026-09-03T17:00:00+07:00",
        "the insurance leg keeps its budget"
    );

    let sms = wait_for("the verification SMS", 10, || {
        stack
            .sms()
            .into_iter()
            .find(|s| s.text.contains("XM-0001") && s.text.contains("xác minh"))
    })
    .await;
    assert!(sms.text.contains("08/09/2026"), "{}", sms.text);

    // A later delivery of the same leg (a re-send) does not extend again.
    let verifications = stack.get_case(&id).await["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "verification")
        .count();
    assert_eq!(verifications, 1);
    let officer = sign_in(
        &stack,
        "canbo.xacminh",
        lienthong::accounts::Role::CommuneOfficer,
        &["22609"],
    )
    .await;
    let (_, page) = stack.get_text(&format!("/cases/{id}"), &[("cookie", &officer)]).await;
    assert!(
        page.contains("Công an yêu cầu xác minh") && page.contains("08/09/2026"),
        "{page}"
    );
}
