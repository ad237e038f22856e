//! Result documents both ways (docs/result-documents.md), black box over real HTTP: each agency
//! attaches the document it issued to its signed decision; the return leg carries all of them to
//! the one-stop system, which drops and corrupts files, and the receipts prove every document
//! arrived exactly as issued. Wrong documents are refused whole and leave nothing behind. Runs on
//! SQLite and, with `LTTEST_BACKEND=postgres`, on PostgreSQL + S3.

mod common;

use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A document's bytes: a PDF whose content depends on `seed`.
fn pdf(seed: u64, size: usize) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((bytes.len()..size).map(|_| rng.u8(..)));
    bytes
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Posts a decision with documents as the agency's system does: the `decision` part (the
/// decision's fields and the documents' descriptions) signed, each document a part named by
/// its kind. `described` overrides the descriptions (to lie about a file).
async fn decide_with(
    stack: &Stack,
    token: &str,
    leg_id: &str,
    decision: Value,
    files: &[(&str, Vec<u8>)],
    described: Option<Value>,
) -> (u16, Value) {
    let path = format!("/api/v1/legs/{leg_id}/decision");
    let mut body = decision;
    body["documents"] = described.unwrap_or_else(|| {
        files
            .iter()
            .map(|(kind, bytes)| {
                json!({"kind": kind, "file_name": format!("{kind}.pdf"), "media_type": "application/pdf",
                       "size": bytes.len(), "sha256": sha(bytes)})
            })
            .collect()
    });
    let text = body.to_string();
    let secret = secret_of(token).unwrap();
    let mut form = reqwest::multipart::Form::new().part(
        "decision",
        reqwest::multipart::Part::text(text.clone())
            .mime_str("application/json")
            .unwrap(),
    );
    for (kind, bytes) in files {
        form = form.part(
            kind.to_string(),
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name(format!("{kind}.pdf"))
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    let mut req = stack.http.post(format!("{}{path}", stack.url)).bearer_auth(token);
    for (name, value) in lienthong_contract::signature::headers(secret.as_bytes(), "POST", &path, text.as_bytes()) {
        req = req.header(name, value);
    }
    let r = req.multipart(form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn leg_id(case: &Value, name: &str) -> String {
    leg(case, name)["leg_id"].as_str().unwrap().to_string()
}

fn residence_ok() -> Value {
    json!({"outcome": "completed", "registration_number": "TT-2026-000123", "registered_on": "2026-11-30"})
}

fn card_ok() -> Value {
    json!({"outcome": "completed", "social_insurance_number": "5626123456", "card_valid_from": "2026-11-03",
           "card_valid_to": "2032-10-19", "health_facility_code": "56001"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_document_reaches_the_commune_once_through_dropped_and_corrupted_files() {
    let mut onestop = quick();
    onestop.drop_files_next = 1;
    onestop.corrupt_next = 1;
    let stack = spawn_stack(Opts {
        police: undecided(),
        insurance: undecided(),
        onestop,
        ..Opts::default()
    })
    .await;
    let id = stack.push_new("DOC-0001").await;
    wait_leg(&stack, &id, "residence", "delivered", 20).await;
    let case = wait_leg(&stack, &id, "insurance", "delivered", 20).await;
    let (police, insurance) = (leg_id(&case, "residence"), leg_id(&case, "insurance"));
    let confirmation = pdf(1, 60_000);
    let card = pdf(2, 90_000);

    // Each agency's decision with the given files, described as they are unless `described`.
    let as_police = |files: Vec<(&'static str, Vec<u8>)>, described: Option<Value>| {
        let (stack, leg) = (&stack, police.clone());
        async move { decide_with(stack, POLICE, &leg, residence_ok(), &files, described).await }
    };
    let as_insurance = |files: Vec<(&'static str, Vec<u8>)>| {
        let (stack, leg) = (&stack, insurance.clone());
        async move { decide_with(stack, INSURANCE, &leg, card_ok(), &files, None).await }
    };
    let refused_at = |answer: (u16, Value)| (answer.0, error_paths(&answer.1));

    // Refused whole, nothing stored: a document this decision does not issue, a document whose
    // bytes are not the described ones, a file nobody described.
    let answer = as_police(vec![("insurance-card", card.clone())], None).await;
    assert_eq!(refused_at(answer), (422, vec!["documents[0].kind".to_string()]));
    let lie = json!([{"kind": "residence-confirmation", "file_name": "x.pdf", "media_type": "application/pdf",
                      "size": confirmation.len(), "sha256": sha(&card)}]);
    let answer = as_police(vec![("residence-confirmation", confirmation.clone())], Some(lie)).await;
    assert_eq!(refused_at(answer), (422, vec!["documents[0].sha256".to_string()]));
    let answer = as_police(vec![("residence-confirmation", confirmation.clone())], Some(json!([]))).await;
    assert_eq!(refused_at(answer), (422, vec!["residence-confirmation".to_string()]));
    let case = stack.get_case(&id).await;
    assert_eq!(
        leg(&case, "residence")["state"],
        "delivered",
        "no decision was recorded"
    );
    assert_eq!(case["documents"], json!([]), "no document was stored");

    // Both agencies decide with their documents.
    let (status, body) = as_police(vec![("residence-confirmation", confirmation.clone())], None).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = as_insurance(vec![("insurance-card", card.clone())]).await;
    assert_eq!(status, 200, "{body}");
    // The same decision again with the same document changes nothing; with another one it is refused.
    let (status, body) = as_insurance(vec![("insurance-card", card.clone())]).await;
    assert_eq!((status, &body["changed"]), (200, &json!(false)), "{body}");
    let (status, body) = as_insurance(vec![("insurance-card", pdf(3, 1_000))]).await;
    assert_eq!(status, 409, "{body}");

    // The commune's system dropped the files of the result, then stored one corrupted: each is
    // sent again alone until its receipt shows the issued hash.
    let case = stack.wait_status(&id, "completed", 20).await;
    let rec = stack.onestop.state.record_of(&id).unwrap();
    assert_eq!(rec.files["residence-confirmation"].to_string(), sha(&confirmation));
    assert_eq!(rec.files["insurance-card"].to_string(), sha(&card));
    assert_eq!(
        rec.file_puts, 3,
        "two files alone after the drop, the corrupted one once more"
    );
    assert_eq!(rec.envelope_posts, 1);
    let listed: Vec<&str> = rec.envelope["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["insurance-card", "residence-confirmation"]);
    let ret = leg(&case, "return");
    assert_eq!(ret["attempts"], 1, "{ret}");
    assert_eq!(ret["attempt_log"][0]["files_resent"], 3, "{ret}");

    // The case lists each document with its hash and the trail names it.
    let docs: Vec<(&str, &str, &str)> = case["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["leg"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
                d["sha256"].as_str().unwrap(),
            )
        })
        .collect();
    let (card_sha, confirmation_sha) = (sha(&card), sha(&confirmation));
    assert_eq!(
        docs,
        [
            ("insurance", "insurance-card", card_sha.as_str()),
            ("residence", "residence-confirmation", confirmation_sha.as_str())
        ]
    );
    assert!(case["events"]
        .to_string()
        .contains(&format!("insurance-card sha256:{card_sha}")));

    // Both results came digitised; a case whose agencies decided without documents does not.
    stack.police.state.set_faults(undecided());
    let plain = stack.push_new("DOC-0002").await;
    let c = wait_leg(&stack, &plain, "residence", "delivered", 20).await;
    let (status, body) = stack
        .post_json(
            POLICE,
            &format!("/api/v1/legs/{}/decision", leg_id(&c, "residence")),
            &residence_ok(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-01-01&to=2027-12-31")
        .await;
    let figures = |leg: &str| leg_figures(&report, leg);
    let (police, insurance) = (figures("residence"), figures("insurance"));
    assert_eq!(
        (&police["decided"], &police["decided_with_documents"]),
        (&json!(2), &json!(1)),
        "{police}"
    );
    assert_eq!(police["digitised_percent"], 50.0, "{police}");
    assert_eq!(insurance["digitised_percent"], 100.0, "{insurance}");
}
