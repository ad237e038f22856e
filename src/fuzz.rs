//! Entry points of the fuzzers: the `cargo fuzz` targets in `fuzz/` and their short proptest runs
//! in the test suite (`tests/fuzz_short.rs`) call these with arbitrary bytes. Each panics only on
//! a real bug: a crash of a parser, or an answer that breaks the parser's own promises.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use crate::domain::bundle::{content_hash, parse, CommuneStanding, Rules};

/// The manifest parser and validator: any JSON gives a bundle whose hash is stable, or problems
/// that each name a field and say what is wrong.
pub fn manifest(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let now = jiff::Timestamp::from_second(1_795_400_000).expect("a fixed instant");
    let rules = Rules {
        now,
        max_attachment_bytes: 20 * 1024 * 1024,
        is_province: &|code| code.len() == 3 && code.starts_with('0'),
        commune: &|code| match code {
            "22609" => CommuneStanding::Routed,
            "22600" => CommuneStanding::Retired {
                successor: "22609".into(),
                since: jiff::civil::date(2025, 7, 1),
            },
            _ => CommuneStanding::Unknown,
        },
    };
    match parse(&value, &rules) {
        Ok(bundle) => assert_eq!(content_hash(&bundle).ok(), content_hash(&bundle).ok()),
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal lists its problems");
            assert!(problems.iter().all(|p| !p.message.is_empty() && !p.code.is_empty()));
        }
    }
}

/// The social-insurance XML parser: card requests and receipts from arbitrary text.
pub fn insurance_xml(data: &[u8]) {
    use lienthong_social_insurance::wire::{from_xml, CardRequest, XmlReceipt};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = from_xml::<CardRequest>(text) {
        let again = lienthong_social_insurance::wire::to_xml(&request).expect("a parsed request serializes");
        assert!(
            from_xml::<CardRequest>(&again).is_ok(),
            "a request survives a round trip"
        );
    }
    let _ = from_xml::<XmlReceipt>(text);
}

/// The boundary [`multipart`] frames its bodies with.
pub const BOUNDARY: &str = "lienthong-fuzz-boundary";

/// Multipart intake through the real router: arbitrary bytes as the body of a push never get a
/// 5xx (a refusal is 4xx; the rare valid body is accepted).
pub async fn multipart(router: &Router, token: &str, data: &[u8]) -> StatusCode {
    let request = Request::post("/api/v1/cases")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(data.to_vec()))
        .expect("a valid request");
    let status = router.clone().oneshot(request).await.expect("infallible").status();
    assert!(!status.is_server_error(), "intake answered {status}");
    status
}
