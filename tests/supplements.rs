//! Supplements that carry files (docs/supplements.md), black box over real HTTP: an agency asks
//! for a kind of paper, the one-stop system uploads it, and the agency's simulator receives
//! exactly that file through outages and dropped files; bad supplements are refused whole and
//! leave nothing behind. Runs on SQLite and, with `LTTEST_BACKEND=postgres`, on PostgreSQL + S3.

mod common;

use common::*;
use lienthong_onestop::push::{push_supplement, PushFile};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A PDF of `size` bytes whose content depends on `seed`.
fn pdf(dir: &std::path::Path, kind: &str, seed: u64, size: usize) -> (PushFile, String) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((bytes.len()..size).map(|_| rng.u8(..)));
    let path = dir.join(format!("{kind}-{seed}.pdf"));
    std::fs::write(&path, &bytes).unwrap();
    let sha = hex::encode(Sha256::digest(&bytes));
    let file = PushFile {
        kind: kind.into(),
        path,
        media_type: "application/pdf".into(),
    };
    (file, sha)
}

async fn supplement(stack: &Stack, token: &str, id: &str, note: &str, files: &[PushFile]) -> (u16, Value) {
    let a = push_supplement(&stack.http, &stack.url, token, id, note, files)
        .await
        .unwrap();
    (a.status, a.body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_asked_file_reaches_the_agency_once_through_outages_and_dropped_files() {
    let clock = clock_at("2026-11-23T09:00:00");
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: undecided(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    let id = stack.push_at("SUPF-0001", "2026-11-23T09:00:00").await;
    let case = wait_leg(&stack, &id, "insurance", "delivered", 20).await;
    let old_sha = stack.insurance.state.record_of(&id).unwrap().files["birth-registration-extract"].to_string();

    // The office asks, two days in, for a legible extract: as a kind, so the commune uploads it.
    clock.set(vn("2026-11-25T10:00:00"));
    let leg_id = leg(&case, "insurance")["leg_id"].as_str().unwrap().to_string();
    let ask = json!({"outcome": "needs_supplement", "missing": ["Bản rõ nét, có dấu"], "kinds": ["birth-registration-extract"]});
    let (status, body) = stack
        .post_json(INSURANCE, &format!("/api/v1/legs/{leg_id}/decision"), &ask)
        .await;
    assert_eq!(status, 200, "{body}");
    let case = stack.wait_status(&id, "needs_supplement", 10).await;
    assert_eq!(
        leg(&case, "insurance")["result"]["kinds"],
        json!(["birth-registration-extract"])
    );
    let sms = wait_for("the supplement SMS", 10, || {
        stack.sms().into_iter().find(|s| s.text.contains("cần bổ sung"))
    })
    .await;
    assert!(sms.text.contains("Trích lục khai sinh"), "{}", sms.text);

    let dir = tempfile::tempdir().unwrap();
    let (extract, new_sha) = pdf(dir.path(), "birth-registration-extract", 7, 120_000);
    let (proof, _) = pdf(dir.path(), "residence-proof", 8, 10_000);
    clock.set(vn("2026-11-30T09:00:00"));

    // Refused whole, nothing stored: a note without the asked file, a file not asked for, a file
    // whose bytes are not what its description says, another commune's system.
    let (status, body) = stack
        .post_json(
            ONESTOP_A,
            &format!("/api/v1/cases/{id}/supplement"),
            &json!({"note": "Đã nộp"}),
        )
        .await;
    assert_eq!((status, error_paths(&body)), (422, vec!["files".to_string()]), "{body}");
    let (status, body) = supplement(&stack, ONESTOP_A, &id, "Đã nộp", &[extract_copy(&extract), proof]).await;
    assert_eq!(
        (status, error_paths(&body)),
        (422, vec!["files[1].kind".to_string()]),
        "{body}"
    );
    let (bad, _) = pdf(dir.path(), "birth-registration-extract", 9, 50_000);
    let tampered = supplement_tampered(&stack, &id, &bad).await;
    assert_eq!(
        (tampered.0, error_paths(&tampered.1)),
        (422, vec!["files[0].sha256".to_string()]),
        "{}",
        tampered.1
    );
    let (status, body) = supplement(&stack, ONESTOP_B, &id, "Đã nộp", std::slice::from_ref(&extract)).await;
    assert_eq!(status, 403, "{body}");
    let case = stack.get_case(&id).await;
    assert_eq!(case["status"], "needs_supplement");
    assert!(
        !case["events"]
            .to_string()
            .contains("birth-registration-extract sha256:"),
        "no supplement was stored"
    );
    assert_eq!(case["supplement_files"], json!([]));
    assert_eq!(stack.insurance.state.record_of(&id).unwrap().envelope_posts, 1);

    // The office is down twice, then takes the envelope but drops its file.
    let mut faults = quick();
    faults.fail_next = 2;
    faults.drop_files_next = 1;
    stack.insurance.state.set_faults(faults);
    let (status, body) = supplement(&stack, ONESTOP_A, &id, "Đã nộp bản trích lục rõ nét", &[extract]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["appointment_date"], "2026-12-07",
        "5 working days were left on the case"
    );
    let case = stack.wait_status(&id, "completed", 20).await;

    let rec = stack.insurance.state.record_of(&id).unwrap();
    assert_eq!(
        rec.files["birth-registration-extract"].to_string(),
        new_sha,
        "the new file replaced {old_sha}"
    );
    assert_eq!(rec.file_puts, 1, "the dropped file was sent again alone, once");
    assert_eq!(rec.envelope_posts, 2, "one envelope after the supplement");
    assert_eq!(
        rec.envelope["BoSung"][0]["@GhiChu"], "Đã nộp bản trích lục rõ nét",
        "{}",
        rec.envelope
    );
    let others: Vec<&String> = rec
        .files
        .keys()
        .filter(|k| *k != "birth-registration-extract")
        .collect();
    assert_eq!(others.len(), 2, "the other attachments are still held: {others:?}");
    let ins = leg(&case, "insurance");
    let outcomes: Vec<&str> = ins["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["delivered", "retry", "retry", "delivered"], "{ins}");
    // The police never asked: its record never saw the file.
    let police = stack.police.state.record_of(&id).unwrap();
    assert_eq!(police.envelope_posts, 1);
    assert!(!police.files.values().any(|s| s.to_string() == new_sha));
    // The trail names the file by its hash.
    assert!(case["events"]
        .to_string()
        .contains(&format!("birth-registration-extract sha256:{new_sha}")));

    // The report counts the request, what was brought and how long the family took: asked on
    // Wednesday 25/11, brought on Monday 30/11, three working days later.
    let report = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-11-01&to=2026-11-30")
        .await;
    let figures = |leg: &str| leg_figures(&report, leg);
    let office = figures("insurance");
    assert_eq!(office["supplements_asked"], 1, "{office}");
    assert_eq!(office["supplements_brought"], 1, "{office}");
    assert_eq!(
        office["supplement_files_by_kind"],
        json!({"birth-registration-extract": 1}),
        "{office}"
    );
    assert_eq!(office["median_supplement_wait_working_days"], 3.0, "{office}");
    let police = figures("residence");
    assert_eq!(police["supplements_asked"], 0, "{police}");
    assert_eq!(police["median_supplement_wait_working_days"], Value::Null, "{police}");
}

/// A second handle on a file to push, for a request that sends the same file again.
fn extract_copy(f: &PushFile) -> PushFile {
    PushFile {
        kind: f.kind.clone(),
        path: f.path.clone(),
        media_type: f.media_type.clone(),
    }
}

/// A supplement whose file is described with another file's hash.
async fn supplement_tampered(stack: &Stack, id: &str, file: &PushFile) -> (u16, Value) {
    let bytes = std::fs::read(&file.path).unwrap();
    let described = json!({"note": "Đã nộp", "files": [{
        "kind": file.kind, "file_name": "x.pdf", "media_type": "application/pdf",
        "size": bytes.len(), "sha256": "0".repeat(64)
    }]});
    let form = reqwest::multipart::Form::new()
        .part(
            "supplement",
            reqwest::multipart::Part::text(described.to_string())
                .mime_str("application/json")
                .unwrap(),
        )
        .part(
            file.kind.clone(),
            reqwest::multipart::Part::bytes(bytes)
                .file_name("x.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = stack
        .http
        .post(format!("{}/api/v1/cases/{id}/supplement", stack.url))
        .bearer_auth(ONESTOP_A)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_case_not_waiting_and_a_kind_nobody_can_ask_for_are_refused() {
    let stack = spawn_stack(Opts::agencies(quick(), undecided())).await;
    let id = stack.push_new("SUPF-0002").await;
    let case = wait_leg(&stack, &id, "insurance", "delivered", 20).await;
    let dir = tempfile::tempdir().unwrap();
    let (extract, _) = pdf(dir.path(), "birth-registration-extract", 1, 1_000);
    let (status, body) = supplement(&stack, ONESTOP_A, &id, "Đã nộp", &[extract]).await;
    assert_eq!(status, 409, "nothing is waiting for the family: {body}");

    let leg_id = leg(&case, "insurance")["leg_id"].as_str().unwrap().to_string();
    let ask = json!({"outcome": "needs_supplement", "kinds": ["passport", "other", "other"]});
    let (status, body) = stack
        .post_json(INSURANCE, &format!("/api/v1/legs/{leg_id}/decision"), &ask)
        .await;
    assert_eq!(
        (status, error_paths(&body)),
        (422, vec!["kinds[0]".to_string(), "kinds[2]".to_string()]),
        "{body}"
    );
    let ask = json!({"outcome": "needs_supplement"});
    let (status, body) = stack
        .post_json(INSURANCE, &format!("/api/v1/legs/{leg_id}/decision"), &ask)
        .await;
    assert_eq!(
        (status, error_paths(&body)),
        (422, vec!["missing".to_string()]),
        "{body}"
    );
    assert_eq!(stack.get_case(&id).await["status"], "in_progress");
}
