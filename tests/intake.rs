//! Intake: every invalid bundle is refused with every problem's path and leaves nothing behind;
//! repeats are idempotent; tokens are scoped; oversized files are refused early.

mod common;

use common::*;
use lienthong_onestop::push::{describe_files, PushFile};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

/// RFC 7386 JSON merge patch.
fn merge(target: &mut Value, patch: &Value) {
    if let Value::Object(p) = patch {
        if !target.is_object() {
            *target = Value::Object(Default::default());
        }
        let t = target.as_object_mut().unwrap();
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    } else {
        *target = patch.clone();
    }
}

/// Everything the store and the attachment directory hold, to prove a refusal left nothing.
async fn snapshot(s: &Stack) -> (i64, Vec<String>) {
    let g = s.gateway.as_ref().unwrap();
    let cases = g.store.case_counts().await.unwrap().iter().map(|(_, n)| n).sum();
    (cases, g.blobs.list_files().await.unwrap())
}

#[tokio::test]
async fn every_invalid_fixture_is_refused_with_every_expected_path_and_nothing_stored() {
    let s = spawn_stack(Opts::default()).await;
    // One stored case first, so "unchanged" is checked against a non-empty store.
    // It runs to its end first: the documents the agencies issue with their decisions are
    // stored too, and must not be mistaken for a refused push's leftovers.
    let (m, files) = case_with_code("BASELINE-1");
    let pushed = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(pushed.status, 201);
    s.wait_status(pushed.body["case_id"].as_str().unwrap(), "completed", 20)
        .await;
    let before = snapshot(&s).await;

    let dir = repo().join("fixtures/invalid");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    assert!(names.len() >= 15, "at least 15 invalid bundles");
    for path in names {
        let spec: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let base: Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("fixtures").join(spec["base"].as_str().unwrap())).unwrap(),
        )
        .unwrap();
        let mut manifest = base;
        merge(&mut manifest, &spec["patch"]);
        let files_dir = repo().join("fixtures/files");
        let files: Vec<PushFile> = match spec.get("files") {
            Some(f) => f
                .as_object()
                .unwrap()
                .iter()
                .map(|(kind, name)| PushFile {
                    kind: kind.clone(),
                    path: files_dir.join(name.as_str().unwrap()),
                    media_type: "application/octet-stream".into(),
                })
                .collect(),
            None => manifest["attachments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| PushFile {
                    kind: a["kind"].as_str().unwrap().into(),
                    path: files_dir.join(a["file_name"].as_str().unwrap()),
                    media_type: "application/octet-stream".into(),
                })
                .collect(),
        };
        describe_files(&mut manifest, &files).unwrap();
        let a = s.push(ONESTOP_A, &manifest, &files).await;
        let name = path.file_name().unwrap().to_string_lossy();
        assert_eq!(
            a.status as u64,
            spec["expect"]["status"].as_u64().unwrap(),
            "{name}: {}",
            a.body
        );
        let got: Vec<&str> = a.body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        for want in spec["expect"]["paths"].as_array().unwrap() {
            assert!(
                got.contains(&want.as_str().unwrap()),
                "{name}: expected path {want} in {got:?}"
            );
        }
        if let Some(code) = spec["expect"].get("code") {
            assert_eq!(&a.body["error"]["code"], code, "{name}");
        }
        for f in a.body["error"]["fields"].as_array().unwrap() {
            assert!(
                !f["message"].as_str().unwrap().is_empty(),
                "{name}: every problem has a message"
            );
        }
        assert_eq!(
            snapshot(&s).await,
            before,
            "{name}: a refused push left something behind"
        );
    }
}

#[tokio::test]
async fn the_same_bundle_twice_is_one_case_and_changed_content_is_a_conflict() {
    let s = spawn_stack(Opts::default()).await;
    let (m, files) = case_with_code("REPEAT-1");
    let first = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(first.status, 201);
    let again = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["case_id"], first.body["case_id"]);

    // The same names in NFD are the same case.
    let mut nfd = m.clone();
    nfd["child"]["full_name"] = m["child"]["full_name"]
        .as_str()
        .unwrap()
        .nfd()
        .collect::<String>()
        .into();
    assert_ne!(nfd["child"]["full_name"], m["child"]["full_name"]);
    let nfd_answer = s.push(ONESTOP_A, &nfd, &files).await;
    assert_eq!(nfd_answer.status, 200, "{}", nfd_answer.body);
    assert_eq!(nfd_answer.body["case_id"], first.body["case_id"]);

    let before = snapshot(&s).await;
    let mut changed = m.clone();
    changed["child"]["full_name"] = "Nguyễn Ngọc Bích".into();
    let conflict = s.push(ONESTOP_A, &changed, &files).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.body["error"]["code"], "conflict");
    assert_eq!(snapshot(&s).await, before);
    let id = first.body["case_id"].as_str().unwrap();
    let stored = s.gateway.as_ref().unwrap().store.case(id).await.unwrap().unwrap();
    assert!(
        stored.bundle_json.contains("Nguyễn Ngọc Ánh"),
        "the stored case is unchanged"
    );
    assert_eq!(snapshot(&s).await.0, 1);
}

#[tokio::test]
async fn tokens_are_required_and_scoped() {
    let s = spawn_stack(Opts::default()).await;
    let (m, files) = case_with_code("AUTH-1");
    let before = snapshot(&s).await;
    let url = format!("{}/api/v1/cases", s.url);
    let none = s.http.post(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(s.push("not-a-real-token-at-all", &m, &files).await.status, 401);
    let foreign = s.push(ONESTOP_B, &m, &files).await;
    assert_eq!(foreign.status, 403, "commune B's system pushing commune A's case");
    assert_eq!(
        s.push(POLICE, &m, &files).await.status,
        403,
        "a receiving system cannot push"
    );
    assert_eq!(s.push(INSURANCE, &m, &files).await.status, 403);
    assert_eq!(snapshot(&s).await, before);

    let id = s.push(ONESTOP_A, &m, &files).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let read = |token: &'static str| {
        let (http, url) = (s.http.clone(), format!("{}/api/v1/cases/{id}", s.url));
        async move { http.get(url).bearer_auth(token).send().await.unwrap().status() }
    };
    assert_eq!(read(ONESTOP_A).await, 200);
    assert_eq!(read(ONESTOP_B).await, 403, "another commune's case");
    assert_eq!(read(ADMIN).await, 200);
}

#[tokio::test]
async fn a_file_past_the_limit_is_refused_with_413_and_nothing_kept() {
    let s = spawn_stack(Opts::default()).await;
    let before = snapshot(&s).await;
    let (mut m, mut files) = case_with_code("BIG-1");
    let big = s.dir.path().join("big.pdf");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&big).unwrap();
        f.write_all(b"%PDF-1.4\n").unwrap();
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..25 {
            f.write_all(&chunk).unwrap();
        }
    }
    files[0].path = big;
    for a in m["attachments"].as_array_mut().unwrap() {
        a.as_object_mut().unwrap().remove("size");
        a.as_object_mut().unwrap().remove("sha256");
    }
    describe_files(&mut m, &files).unwrap();
    let a = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(a.status, 413, "{}", a.body);
    assert_eq!(a.body["error"]["code"], "too_large");
    assert_eq!(snapshot(&s).await, before);
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let s = spawn_stack(Opts::default()).await;
    let get = |p: &str| s.http.get(format!("{}{p}", s.url)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    let (m, files) = case_with_code("METRICS-1");
    s.push(ONESTOP_A, &m, &files).await;
    let text = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(text.contains("lienthong_cases_received_total"), "{text}");
    assert!(text.contains("lienthong_queue_depth"));
}
