//! Short fuzzing runs inside the test suite, through the same entry points as the `cargo fuzz`
//! targets in `fuzz/` (`lienthong::fuzz`): proptest feeds the manifest parser, the
//! social-insurance XML parser and the multipart intake with random and mutated inputs.

mod common;

use common::*;
use lienthong::config::Config;
use lienthong::App;
use proptest::prelude::*;
use serde_json::Value;

/// A valid manifest with one leaf replaced, removed or retyped.
fn mutated_manifest() -> impl Strategy<Value = Vec<u8>> {
    let (m, _) = fixture("01-khanh-vinh-girl");
    let leaves = {
        fn walk(v: &Value, path: String, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => o.iter().for_each(|(k, v)| walk(v, format!("{path}/{k}"), out)),
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .for_each(|(i, v)| walk(v, format!("{path}/{i}"), out)),
                _ => out.push(path),
            }
        }
        let mut out = Vec::new();
        walk(&m, String::new(), &mut out);
        out
    };
    let replacement = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
        "[0-9]{0,14}".prop_map(Value::from),
        Just(serde_json::json!({})),
        Just(serde_json::json!([])),
    ];
    (proptest::sample::select(leaves), replacement, any::<bool>()).prop_map(move |(path, value, remove)| {
        let mut m = m.clone();
        if remove {
            let (parent, key) = path.rsplit_once('/').unwrap();
            match m.pointer_mut(parent) {
                Some(Value::Object(o)) => {
                    o.remove(key);
                }
                Some(other) => *other = value,
                None => {}
            }
        } else if let Some(slot) = m.pointer_mut(&path) {
            *slot = value;
        }
        serde_json::to_vec(&m).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn manifest_parser_survives_random_and_mutated_input(
        data in prop_oneof![proptest::collection::vec(any::<u8>(), 0..512), mutated_manifest()]
    ) {
        lienthong::fuzz::manifest(&data);
    }

    #[test]
    fn insurance_xml_parser_survives_random_input(
        text in prop_oneof![
            "\\PC{0,300}",
            "<CardRequest>(<[A-Za-z]{1,12}>[^<]{0,20}</[A-Za-z]{1,12}>){0,8}</CardRequest>",
            "<Receipt><RecordId>[^<]{0,12}</RecordId>(<File kind=\"[a-z-]{0,12}\" sha256=\"[0-9a-f]{0,64}\"/>){0,3}</Receipt>",
        ]
    ) {
        lienthong::fuzz::insurance_xml(text.as_bytes());
    }
}

/// A well-formed multipart push of the first fixture.
fn valid_body() -> Vec<u8> {
    let (m, files) = case_with_code("FUZZ-0");
    let b = lienthong::fuzz::BOUNDARY;
    let mut body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"manifest\"\r\nContent-Type: application/json\r\n\r\n{}\r\n",
        serde_json::to_string(&m).unwrap()
    )
    .into_bytes();
    for f in &files {
        body.extend(
            format!(
                "--{b}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"f\"\r\nContent-Type: {}\r\n\r\n",
                f.kind, f.media_type
            )
            .bytes(),
        );
        body.extend(std::fs::read(&f.path).unwrap());
        body.extend(b"\r\n");
    }
    body.extend(format!("--{b}--\r\n").bytes());
    body
}

#[test]
fn multipart_intake_never_fails_with_a_server_error() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let router = rt.block_on(async {
        GatewayConfig::unreachable("127.0.0.1:0", &Opts::default()).write(dir.path());
        let config = Config::load_with_env(dir.path(), std::iter::empty()).unwrap();
        let app = App::with_listener(config, listener().await, lienthong::clock::Clock::system())
            .await
            .unwrap();
        app.router()
    });
    let valid = valid_body();
    assert_eq!(
        rt.block_on(lienthong::fuzz::multipart(&router, ONESTOP_A, &valid)),
        201,
        "the unmutated body is a valid push"
    );
    let edits = proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>(), 0u8..3), 1..8);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 150,
        ..ProptestConfig::default()
    });
    runner
        .run(&edits, |edits| {
            let mut body = valid.clone();
            for (at, byte, op) in edits {
                if body.is_empty() {
                    break;
                }
                let i = at.index(body.len());
                match op {
                    0 => body[i] = byte,
                    1 => body.truncate(i),
                    _ => body.insert(i, byte),
                }
            }
            rt.block_on(lienthong::fuzz::multipart(&router, ONESTOP_A, &body));
            Ok(())
        })
        .unwrap();
}
