//! Fixture cases and attachment files to push.

use std::path::Path;

use lienthong_onestop::push::{describe_files, PushFile};
use serde_json::Value;

use super::repo;

/// A fixture manifest received a minute ago (see [`lienthong::demo::freshen`]), with its files,
/// sizes and hashes filled in.
pub fn fixture(name: &str) -> (Value, Vec<PushFile>) {
    let fixtures = repo().join("fixtures");
    let mut f = lienthong::demo::load_fixtures(&fixtures.join("valid"), &fixtures.join("files"))
        .unwrap()
        .into_iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"));
    lienthong::demo::freshen(&mut f.manifest, jiff::Timestamp::now());
    describe_files(&mut f.manifest, &f.files).unwrap();
    (f.manifest, f.files)
}

/// Extra system keys that lift a token's request budget, for benchmarks that push and poll as
/// fast as they can.
pub const UNLIMITED: &str = "rate_per_minute = 1000000\nburst = 100000";

/// Three PDF-looking attachments of about 1 MiB in all (random bytes, fixed seed), for the
/// benchmarks.
pub fn pdf_attachments(dir: &Path) -> Vec<PushFile> {
    let mut rng = fastrand::Rng::with_seed(42);
    [
        ("birth-registration-extract", 400_000usize),
        ("residence-declaration", 350_000),
        ("birth-certificate-medical", 298_576),
    ]
    .into_iter()
    .map(|(kind, size)| {
        let path = dir.join(format!("{kind}.pdf"));
        let mut bytes = b"%PDF-1.4\n".to_vec();
        bytes.extend((bytes.len()..size).map(|_| rng.u8(..)));
        std::fs::write(&path, bytes).unwrap();
        PushFile {
            kind: kind.into(),
            path,
            media_type: "application/pdf".into(),
        }
    })
    .collect()
}

/// The first fixture under `code`, carrying `files` as its attachments.
pub fn manifest_for(code: &str, files: &[PushFile]) -> Value {
    let (mut m, _) = case_with_code(code);
    m["attachments"] = files
        .iter()
        .map(|f| serde_json::json!({"kind": f.kind, "file_name": format!("{}.pdf", f.kind), "media_type": "application/pdf"}))
        .collect();
    describe_files(&mut m, files).unwrap();
    m
}

/// The first valid fixture under a fresh receipt code.
pub fn case_with_code(code: &str) -> (Value, Vec<PushFile>) {
    let (mut m, files) = fixture("01-khanh-vinh-girl");
    m["receipt_code"] = code.into();
    (m, files)
}

/// A local Vietnamese time, `YYYY-MM-DDTHH:MM:SS`.
pub fn vn(s: &str) -> jiff::Timestamp {
    format!("{s}+07:00").parse().unwrap()
}

/// A test clock that reads the local (UTC+7) time `s` now, and runs on from there.
pub fn clock_at(s: &str) -> lienthong::clock::Clock {
    let clock = lienthong::clock::Clock::adjustable();
    clock.set(vn(s));
    clock
}

/// The first fixture under `code`, handed in at a local time `received` (the birth registered
/// that day, the child born on 20/10/2026).
pub fn case_at(code: &str, received: &str) -> (Value, Vec<PushFile>) {
    let (mut m, files) = case_with_code(code);
    m["received_at"] = format!("{received}+07:00").into();
    m["birth_registration"]["registered_on"] = received[..10].into();
    m["child"]["date_of_birth"] = "2026-10-20".into();
    (m, files)
}
