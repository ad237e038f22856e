//! The published contract: `/api/v1/openapi.json` is OpenAPI 3.1, documents every agency
//! endpoint with its error answers, and — run by schemathesis (installed from PyPI by
//! scripts/test.sh, which sets `SCHEMATHESIS`) against a live gateway holding a real case — no
//! request gets a 5xx and every answer matches the document.

mod common;

use std::process::Command;

use common::*;

const OPERATIONS: [(&str, &str); 16] = [
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases"),
    ("get", "/api/v1/cases/{case_id}"),
    ("post", "/api/v1/cases/{case_id}/supplement"),
    ("get", "/api/v1/cases/{case_id}/apology"),
    ("post", "/api/v1/cases/{case_id}/apology/confirm"),
    ("get", "/api/v1/cases/{case_id}/apology/print"),
    ("get", "/api/v1/reports"),
    ("get", "/api/v1/deadlines"),
    ("post", "/api/v1/legs/{leg_id}/decision"),
    ("post", "/api/v1/legs/{leg_id}/resend"),
    ("post", "/api/v1/resends"),
    ("post", "/api/v1/sms/inbound"),
    ("post", "/api/v1/cases/{case_id}/journey"),
    ("post", "/api/v1/postal/events"),
    ("post", "/api/v1/cases/{case_id}/withdraw"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_is_published_and_the_gateway_keeps_it() {
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        admin_extra: "rate_per_minute = 100000\nburst = 10000".into(),
        gateway_extra: "public.failed_lookups_burst = 100000".into(),
        ..Opts::default()
    })
    .await;
    let doc = get_public_json(&stack.http, &format!("{}/api/v1/openapi.json", stack.url)).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    for (method, path) in OPERATIONS {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        for status in ["401", "429"] {
            assert!(op["responses"][status].is_object(), "{method} {path} lacks {status}");
        }
        assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{method} {path}");
    }
    // The families' look-up needs no token, and says so.
    let public = &doc["paths"]["/api/public/v1/status"]["get"];
    assert!(public["responses"]["429"].is_object(), "{public}");
    assert!(public["responses"]["401"].is_null(), "{public}");
    assert!(
        public["security"][0].as_object().is_some_and(|s| s.is_empty()),
        "{public}"
    );
    assert_eq!(
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum::<usize>(),
        OPERATIONS.len() + 1,
        "every documented operation is listed here"
    );

    let Ok(schemathesis) = std::env::var("SCHEMATHESIS") else {
        assert!(
            std::env::var("CI").is_err(),
            "SCHEMATHESIS is not set: run the suite with scripts/test.sh, which installs it"
        );
        eprintln!("NOT RUN: schemathesis (set SCHEMATHESIS, as scripts/test.sh does)");
        return;
    };
    let id = stack.push_new("OPENAPI-1").await;
    let case = stack.wait_status(&id, "completed", 30).await;
    let leg_id = leg(&case, "insurance")["leg_id"].as_str().unwrap().to_string();
    let config = stack.dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!("[parameters]\ncase_id = \"{id}\"\nleg_id = \"{leg_id}\"\nreceipt_code = \"OPENAPI-1\"\n"),
    )
    .unwrap();
    let url = format!("{}/api/v1/openapi.json", stack.url);
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";
    let out = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis)
            .arg("--config-file")
            .arg(&config)
            .args([
                "run",
                &url,
                "--checks",
                checks,
                "--max-examples",
                "30",
                "--workers",
                "2",
                "--seed",
                "1",
            ])
            .args(["-H", &format!("Authorization: Bearer {ADMIN}")])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{report}");
    assert!(out.status.success(), "schemathesis found problems:\n{report}");
    assert!(report.contains("passed"), "{report}");
    assert!(!report.contains("Rate limited"), "{report}");
}
