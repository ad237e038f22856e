//! Personal data stays out of the logs: the real `lienthong` binary runs the demo's cases at the
//! most verbose log level (every crate, `trace`), through receivers that fail and drop files, an
//! SMS provider that fails, decisions both ways and messages to the families; afterwards the log
//! must not contain any child's or parent's personal id, name, phone number, address or email.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use lienthong_simulators::notify_sim::{spawn_sms, Mails, SmtpSink};
use lienthong_simulators::sim::{DecideMix, Faults};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

/// Every personal value of a bundle: ids, names, phones, emails, addresses.
fn personal_values(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let personal = ["personal_id", "full_name", "phone", "email", "address"].contains(&k.as_str());
                match v {
                    Value::String(s) if personal => out.push(s.clone()),
                    _ => personal_values(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| personal_values(i, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_run_logs_no_personal_data_at_any_level() {
    let port = listener().await.local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let opts = Opts {
        police: Faults {
            drop_files_rate: 0.3,
            fail_next: 2,
            ..quick()
        },
        insurance: Faults {
            fail_rate: 0.2,
            decide: DecideMix {
                completed: 2,
                rejected: 1,
                needs_supplement: 0,
                after_ms: 20,
            },
            ..Faults::default()
        },
        max_attempts: 50,
        ..Opts::default()
    };
    let agencies = simulators(&url, &opts).await;
    let mails: Mails = Arc::default();
    let sms_faults = Faults {
        fail_next: 2,
        ..Faults::default()
    };
    let (sms, sms_log) = spawn_sms(listener().await, sms_faults, Arc::clone(&mails), None);
    let smtp_listener = listener().await;
    let smtp_addr = smtp_listener.local_addr().unwrap();
    let _smtp = SmtpSink::start(smtp_listener, Arc::clone(&mails));
    let dir = tempfile::tempdir().unwrap();
    let targets = NotifyTargets {
        sms_url: sms.url(),
        smtp: smtp_addr,
    };
    GatewayConfig::new(format!("127.0.0.1:{port}"), &agencies, &opts)
        .notify(targets)
        .write(dir.path());
    let log_path = dir.path().join("gateway.log");
    let mut child = serve_process(dir.path(), Some(&log_path), &[("LIENTHONG_LOG", "trace".as_ref())]);
    let http = reqwest::Client::new();
    wait_healthy(&http, &url).await;

    let mut secrets = Vec::new();
    let mut ids = Vec::new();
    for (i, name) in ["01-khanh-vinh-girl", "02-khanh-binh-no-father", "03-song-cau-boy"]
        .into_iter()
        .enumerate()
    {
        let (mut m, files) = fixture(name);
        personal_values(&m, &mut secrets);
        if m["commune_code"] != "22612" {
            m["commune_code"] = "22609".into();
            m["residence"]["commune_code"] = "22609".into();
        }
        let token = if m["commune_code"] == "22612" {
            ONESTOP_B
        } else {
            ONESTOP_A
        };
        for round in 0..2 {
            m["receipt_code"] = format!("PRIV-{i}-{round}").into();
            let a = lienthong_onestop::push::push_case(&http, &url, token, &m, &files)
                .await
                .unwrap();
            assert_eq!(a.status, 201, "{}", a.body);
            ids.push(a.body["case_id"].as_str().unwrap().to_string());
        }
        // A refused push: the validation answer names the fields, the log must not.
        let mut bad = m.clone();
        bad["receipt_code"] = format!("PRIV-BAD-{i}").into();
        bad["child"]["personal_id"] = "056326".into();
        let refused = lienthong_onestop::push::push_case(&http, &url, token, &bad, &files)
            .await
            .unwrap();
        assert_eq!(refused.status, 422);
    }
    for id in &ids {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let c = get_case(&http, &url, id).await;
            if c["status"] == "completed" || c["status"] == "rejected" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "case did not finish: {c:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // The families' messages went out (their phone numbers passed through the gateway).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sms_log.lock().unwrap().len() < 2 * ids.len() {
        assert!(tokio::time::Instant::now() < deadline, "messages not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in sms_log.lock().unwrap().iter() {
        secrets.push(s.to.clone());
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.lines().count() > 1000, "trace logging was on");
    assert!(log.contains("case received") && log.contains("delivery attempt failed"));
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 12, "{secrets:?}");
    for secret in &secrets {
        for form in [secret.nfc().collect::<String>(), secret.nfd().collect::<String>()] {
            if let Some(at) = log.find(&form) {
                let line = log[..at].lines().count();
                panic!("personal data '{form}' in the log at line {line}");
            }
        }
    }
    let digits: Vec<&String> = secrets
        .iter()
        .filter(|s| s.chars().all(|c| c.is_ascii_digit() || c == '+'))
        .collect();
    assert!(!digits.is_empty());
}
