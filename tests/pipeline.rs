//! A case pushed once reaches both agencies with every attachment, is decided, and the combined
//! result returns to the commune — also when receivers fail, time out or drop files.

mod common;

use common::*;
use lienthong_contract::signature;
use lienthong_simulators::sim::Faults;
use sha2::Digest;

#[tokio::test]
async fn a_valid_case_goes_all_the_way_and_the_result_returns_signed() {
    let s = spawn_stack(Opts::agencies(quick(), quick())).await;
    let (m, files) = case_with_code("HAPPY-1");
    let a = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["case_id"].as_str().unwrap().to_string();

    let c = s.wait_status(&id, "completed", 20).await;
    for name in ["residence", "insurance"] {
        let l = leg(&c, name);
        assert_eq!(l["state"], "completed");
        assert_eq!(l["attempts"], 1);
        assert!(l["delivered_at"].is_string());
    }
    let ins = &leg(&c, "insurance")["result"];
    assert_eq!(ins["social_insurance_number"].as_str().unwrap().len(), 10);
    assert_eq!(ins["health_facility_code"], "56018");
    assert!(leg(&c, "residence")["result"]["registration_number"].is_string());
    assert_eq!(leg(&c, "return")["state"], "delivered");

    // Each receiver holds one record with every file, confirmed by hash.
    for sim in [&s.police, &s.insurance] {
        let recs: Vec<_> = sim.state.records_of(&id);
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].files.len(), files.len());
        assert_eq!(recs[0].envelope_posts, 1);
    }
    // The insurance office got a generated declaration: the family filled no form.
    let rec = s.insurance.state.record_of(&id).unwrap();
    let decl = &rec.envelope["ToKhai"];
    assert_eq!(decl["HoTen"], "Nguyễn Ngọc Ánh");
    assert_eq!(decl["DoiTuong"], "TE");
    // Valid until the day before the sixth birthday (the fixture's child is born 10 days ago).
    let born: jiff::civil::Date = m["child"]["date_of_birth"].as_str().unwrap().parse().unwrap();
    let until = born
        .checked_add(jiff::Span::new().years(6))
        .unwrap()
        .yesterday()
        .unwrap();
    assert_eq!(decl["HanTheDen"], until.to_string());
    assert_eq!(decl["NguoiGiamHo"].as_array().unwrap().len(), 2);

    // The one-stop simulator accepts only correctly signed, fresh, never-seen results.
    let results = s.onestop.state.records();
    let r = results
        .iter()
        .find(|r| r.case_id == id)
        .expect("result delivered to the one-stop");
    assert_eq!(r.envelope["outcome"], "completed");
    assert_eq!(r.envelope["receipt_code"], "HAPPY-1");

    // The same case can be found by receipt code with the pushing system's token.
    let by_code = s.get_json(ONESTOP_A, "/api/v1/cases?receipt_code=HAPPY-1").await;
    assert_eq!(by_code["case_id"], id.as_str());
}

#[tokio::test]
async fn a_bad_signature_is_refused_by_the_one_stop() {
    let s = spawn_stack(Opts::default()).await;
    let post = |secret: &'static [u8]| {
        let url = format!("{}/onestop/results", s.onestop.url());
        let mut req = s.http.post(url).body("{}");
        for (name, value) in signature::headers(secret, "POST", "/onestop/results", b"{}") {
            req = req.header(name, value);
        }
        req
    };
    assert_eq!(post(b"wrong-secret").send().await.unwrap().status(), 401);
    let signed = post(RESULT_SECRET.as_bytes()).build().unwrap();
    let replay = signed.try_clone().unwrap();
    assert_eq!(
        s.http.execute(signed).await.unwrap().status(),
        400,
        "signed, then refused as no result"
    );
    assert_eq!(
        s.http.execute(replay).await.unwrap().status(),
        401,
        "the same signature again"
    );
}

#[tokio::test]
async fn dropped_files_are_resent_alone_and_the_receiver_holds_one_registration() {
    let police = Faults {
        drop_files_next: 1,
        ..quick()
    };
    let s = spawn_stack(Opts::agencies(police, quick())).await;
    let (m, files) = case_with_code("DROP-1");
    let id = s.push(ONESTOP_A, &m, &files).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = s.wait_status(&id, "completed", 20).await;
    assert_eq!(
        leg(&c, "residence")["attempts"],
        1,
        "re-sending files needs no new attempt"
    );
    let recs: Vec<_> = s.police.state.records_of(&id);
    assert_eq!(recs.len(), 1, "exactly one registration");
    assert_eq!(recs[0].envelope_posts, 1, "the envelope was not sent again");
    assert_eq!(recs[0].file_puts as usize, files.len(), "each file re-sent alone once");
    assert_eq!(recs[0].files.len(), files.len());
}

#[tokio::test]
async fn a_corrupted_file_is_resent_until_its_hash_matches() {
    let insurance = Faults {
        corrupt_next: 1,
        ..quick()
    };
    let s = spawn_stack(Opts::agencies(quick(), insurance)).await;
    let id = s.push_new("CORRUPT-1").await;
    s.wait_status(&id, "completed", 20).await;
    let rec = s.insurance.state.record_of(&id).unwrap();
    assert_eq!(rec.envelope_posts, 1);
    assert_eq!(rec.file_puts, 1, "only the corrupted file went again");
}

#[tokio::test]
async fn three_outages_then_success_takes_four_attempts() {
    let police = Faults {
        fail_next: 3,
        ..quick()
    };
    let s = spawn_stack(Opts::agencies(police, quick())).await;
    let id = s.push_new("RETRY-1").await;
    let c = s.wait_status(&id, "completed", 20).await;
    assert_eq!(leg(&c, "residence")["attempts"], 4);
    assert_eq!(leg(&c, "insurance")["attempts"], 1);
    let log: Vec<&str> = leg(&c, "residence")["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(log, ["retry", "retry", "retry", "delivered"]);
    // The audit trail records every move of the residence leg, who made it and why.
    let res_id = leg(&c, "residence")["leg_id"].as_str().unwrap();
    let moves: Vec<(&str, &str)> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["leg_id"] == res_id && !e["from"].is_null())
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(moves.first(), Some(&("queued", "delivering")));
    assert_eq!(moves.iter().filter(|m| **m == ("delivering", "queued")).count(), 3);
    // The receiver may decide as soon as it holds every file, before the gateway has read the
    // final receipt: the decision then lands on a leg still `delivering`.
    let last = moves.last().unwrap();
    assert!(matches!(last, ("delivered" | "delivering", "completed")), "{moves:?}");
    assert_eq!(s.police.state.records().iter().filter(|r| r.case_id == id).count(), 1);
}

#[tokio::test]
async fn a_time_out_is_retried_without_a_second_record() {
    let insurance = Faults {
        timeout_next: 1,
        ..quick()
    };
    let s = spawn_stack(Opts {
        police: quick(),
        insurance,
        request_timeout_ms: 500,
        ..Opts::default()
    })
    .await;
    let id = s.push_new("TIMEOUT-1").await;
    s.wait_status(&id, "completed", 20).await;
    let recs: Vec<_> = s.insurance.state.records_of(&id);
    assert_eq!(recs.len(), 1, "the idempotency key kept it to one card request");
}

#[tokio::test]
async fn a_receiver_that_always_fails_leaves_a_dead_leg_that_resend_revives() {
    let police = down();
    let s = spawn_stack(Opts {
        police,
        insurance: quick(),
        max_attempts: 3,
        ..Opts::default()
    })
    .await;
    let id = s.push_new("DEAD-1").await;
    let c = wait_leg(&s, &id, "residence", "dead", 20).await;
    let res = leg(&c, "residence");
    assert_eq!(res["attempts"], 3);
    // The simulator answers 503 before reading the body, so an attempt may also end with a
    // broken pipe while the files are still being written: both are transient failures.
    assert!(res["last_error"].is_string(), "{res}");
    // Which of the two it is depends on timing (a loaded machine saw three broken pipes), so
    // the log is checked for what does not: every attempt failed as transient, the last is dead.
    let log = res["attempt_log"].as_array().unwrap();
    let outcomes: Vec<&str> = log.iter().map(|a| a["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["retry", "retry", "dead"], "{res}");
    assert!(
        log.iter()
            .all(|a| a["error"].as_str().unwrap_or("").starts_with("transient: ")),
        "{res}"
    );
    assert_eq!(c["status"], "in_progress");

    let metrics = s.metrics().await;
    assert!(metrics.contains("lienthong_dead_legs 1"), "{metrics}");

    let leg_id = res["leg_id"].as_str().unwrap().to_string();
    let url = format!("{}/api/v1/legs/{leg_id}/resend", s.url);
    let refused = s.http.post(&url).bearer_auth(ONESTOP_A).send().await.unwrap();
    assert_eq!(refused.status(), 403, "only an administrator resends");

    s.police.state.set_faults(quick());
    let ok = s.http.post(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let c = s.wait_status(&id, "completed", 20).await;
    assert_eq!(leg(&c, "residence")["attempts"], 4);
    let again = s.http.post(&url).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(again.status(), 409, "a completed leg cannot be resent");
}

#[tokio::test]
async fn one_rejection_returns_the_case_as_rejected() {
    let mut police = quick();
    police.decide.completed = 0;
    police.decide.rejected = 1;
    let s = spawn_stack(Opts::agencies(police, quick())).await;
    let id = s.push_new("REJECT-1").await;
    let c = s.wait_status(&id, "rejected", 20).await;
    assert_eq!(leg(&c, "residence")["state"], "rejected");
    assert!(leg(&c, "residence")["result"]["reason"].is_string());
    let r = s.onestop.state.record_of(&id).unwrap();
    assert_eq!(r.envelope["outcome"], "rejected");
}

#[tokio::test]
async fn decisions_are_scoped_validated_and_idempotent() {
    let mut no_decision = Faults::default();
    no_decision.decide.completed = 0;
    let s = spawn_stack(Opts::agencies(no_decision.clone(), no_decision)).await;
    let id = s.push_new("DECIDE-1").await;
    let c = wait_leg(&s, &id, "insurance", "delivered", 20).await;
    let ins = leg(&c, "insurance")["leg_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/legs/{ins}/decision");
    let card = serde_json::json!({
        "outcome": "completed", "social_insurance_number": "5612345678",
        "card_valid_from": "2026-11-10", "card_valid_to": "2032-11-09", "health_facility_code": "56018"
    });
    let post = |token: &'static str, body: serde_json::Value| {
        let path = path.clone();
        let s = &s;
        async move { s.signed_post(token, &path, &body).await }
    };
    assert_eq!(
        post(POLICE, card.clone()).await.status(),
        403,
        "police cannot decide a card"
    );
    let bad = post(
        INSURANCE,
        serde_json::json!({"outcome": "completed", "social_insurance_number": "12",
        "card_valid_from": "2026-11-10", "card_valid_to": "2026-01-01", "health_facility_code": "56018"}),
    )
    .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    let paths: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["social_insurance_number", "card_valid_to"]);

    let first: serde_json::Value = post(INSURANCE, card.clone()).await.json().await.unwrap();
    assert_eq!(first["changed"], true);
    let repeat: serde_json::Value = post(INSURANCE, card.clone()).await.json().await.unwrap();
    assert_eq!(repeat["changed"], false, "a repeated callback changes nothing");
    let other = post(INSURANCE, serde_json::json!({"outcome": "rejected", "reason": "x"})).await;
    assert_eq!(other.status(), 409, "a decided leg keeps its decision");
    let c = s.get_case(&id).await;
    assert_eq!(leg(&c, "insurance")["result"]["social_insurance_number"], "5612345678");
}

#[tokio::test]
async fn attachments_sealed_at_rest_reach_the_receivers_intact() {
    let key = "5c".repeat(32);
    let s = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        gateway_extra: format!("attachment_key = \"{key}\""),
        ..Opts::default()
    })
    .await;
    let (m, files) = case_with_code("SEALED-1");
    let a = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.body["case_id"].as_str().unwrap().to_string();
    s.wait_status(&id, "completed", 20).await;

    // The receivers got the plaintext: the hashes they computed are the declared ones.
    let declared: std::collections::BTreeMap<String, String> = m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["kind"].as_str().unwrap().into(), a["sha256"].as_str().unwrap().into()))
        .collect();
    for sim in [&s.police, &s.insurance] {
        let rec = sim.state.record_of(&id).unwrap();
        let held: std::collections::BTreeMap<String, String> =
            rec.files.into_iter().map(|(k, v)| (k, v.to_string())).collect();
        assert_eq!(held, declared);
    }
    // At rest (on disk or in the bucket) every file is sealed: no plaintext, and the key opens
    // it to the right bytes.
    let blobs = &s.gateway.as_ref().unwrap().blobs;
    let stored: Vec<_> = blobs
        .raw_files()
        .await
        .unwrap()
        .into_iter()
        .filter(|(name, _)| name.contains("sha256/"))
        .collect();
    // The documents the agencies issued are sealed the same way, and reached the commune's
    // system as issued.
    let issued: Vec<String> = [&s.police, &s.insurance]
        .iter()
        .map(|sim| sim.state.record_of(&id).unwrap().issued.unwrap().1.to_string())
        .collect();
    let held = s.onestop.state.record_of(&id).unwrap().files;
    assert_eq!(
        held.values()
            .map(|v| v.to_string())
            .collect::<std::collections::BTreeSet<_>>(),
        issued.iter().cloned().collect()
    );
    assert_eq!(stored.len(), files.len() + issued.len());
    let key = lienthong::encryption::SealKey::from_hex(&key).unwrap();
    for (name, sealed) in stored {
        assert!(name.ends_with(".sealed"), "{name}");
        let plain = lienthong::encryption::open_all(&key, &sealed).unwrap();
        if issued.contains(&hex::encode(sha2::Sha256::digest(&plain))) {
            continue;
        }
        let original = files
            .iter()
            .map(|f| std::fs::read(&f.path).unwrap())
            .find(|b| *b == plain)
            .expect("opens to one of the pushed files");
        let probe = &original[..original.len().min(64)];
        assert!(!sealed.windows(probe.len()).any(|w| w == probe), "plaintext at rest");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_by_post_travel_with_the_card_request_and_show_on_the_receipt() {
    let s = spawn_stack(Opts::agencies(quick(), quick())).await;
    let (mut m, files) = fixture("02-khanh-binh-no-father");
    assert_eq!(m["result_delivery"]["method"], "by_post", "the fixture asks for post");
    m["commune_code"] = "22609".into();
    let pushed = s.push(ONESTOP_A, &m, &files).await;
    assert_eq!(pushed.status, 201, "{}", pushed.body);
    let id = pushed.body["case_id"].as_str().unwrap().to_string();
    s.wait_status(&id, "completed", 30).await;

    let rec = s.insurance.state.record_of(&id).unwrap();
    let post = &rec.envelope["ThongTinHoSo"]["NhanKetQuaQuaBuuChinh"];
    assert_eq!(post["@NguoiNhan"], "Pi Năng Thị Lan", "{}", rec.envelope);
    assert_eq!(post["@DiaChi"], "Thôn Suối Cá");
    assert_eq!(post["@MaTinh"], "56");

    let officer = sign_in(
        &s,
        "canbo.buudien",
        lienthong::accounts::Role::CommuneOfficer,
        &["22609"],
    )
    .await;
    let (status, receipt) = s
        .get_text(&format!("/cases/{id}/receipt"), &[("cookie", &officer)])
        .await;
    assert_eq!(status, 200);
    assert!(
        receipt.contains("Qua bưu chính: Pi Năng Thị Lan, Thôn Suối Cá"),
        "{receipt}"
    );

    // A case that names no delivery is collected at the commune, and its receipt says so.
    let (m2, files2) = case_with_code("POST-AT-COMMUNE");
    assert!(m2.get("result_delivery").is_none());
    let id2 = s.push(ONESTOP_A, &m2, &files2).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, receipt) = s
        .get_text(&format!("/cases/{id2}/receipt"), &[("cookie", &officer)])
        .await;
    assert!(receipt.contains("Tại bộ phận một cửa UBND xã"), "{receipt}");
}

#[tokio::test]
async fn dead_legs_are_resent_in_bulk_by_filter_longest_due_first_with_the_reason() {
    let police = down();
    let s = spawn_stack(Opts {
        police,
        insurance: quick(),
        max_attempts: 2,
        ..Opts::default()
    })
    .await;
    let mut legs = Vec::new();
    for code in ["BULK-1", "BULK-2", "BULK-3"] {
        let id = s.push_new(code).await;
        let c = wait_leg(&s, &id, "residence", "dead", 20).await;
        legs.push((id, leg(&c, "residence")["leg_id"].as_str().unwrap().to_string()));
    }
    let resends = |token: &'static str, body: serde_json::Value| {
        let s = &s;
        async move { s.post_json(token, "/api/v1/resends", &body).await }
    };
    let (status, _) = resends(ONESTOP_A, serde_json::json!({"reason": "x"})).await;
    assert_eq!(status, 403, "only an administrator resends");
    let (status, body) = resends(ADMIN, serde_json::json!({"leg": "nope"})).await;
    assert_eq!(
        (status, error_paths(&body)),
        (422, vec!["leg".to_string(), "reason".to_string()]),
        "{body}"
    );

    // A preview counts without touching; a filter that matches nothing takes nothing.
    let filter = serde_json::json!({"office_code": "CA-568", "leg": "residence", "error_contains": "transient", "preview": true});
    let (status, preview) = resends(ADMIN, filter).await;
    assert_eq!(
        (status, &preview["matched"], &preview["resent"]),
        (200, &serde_json::json!(3), &serde_json::json!(0))
    );
    let order: Vec<&str> = preview["legs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let pushed: Vec<&str> = legs.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(order, pushed, "the longest due first");
    assert_eq!(leg(&s.get_case(&legs[0].0).await, "residence")["state"], "dead");
    let (_, none) = resends(ADMIN, serde_json::json!({"office_code": "CA-000", "reason": "x"})).await;
    assert_eq!(none["matched"], 0);

    // From the administrator's page: the same selection previewed, then resent with a reason
    // while the police system is still down, so the three die again.
    let cookie = sign_in(&s, "quantri", lienthong::accounts::Role::Admin, &[]).await;
    let (status, page) = s
        .get_text(
            "/admin/resends?office_code=CA-568&leg=residence&error_contains=transient",
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<strong>3</strong> chuyển khớp"), "{page}");
    assert!(
        ["BULK-1", "BULK-2", "BULK-3"].iter().all(|c| page.contains(c)),
        "{page}"
    );
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let tried = "Thử lại sau khi Công an xã báo đã khởi động lại máy chủ";
    let posted = s
        .http
        .post(format!("{}/admin/resends", s.url))
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf),
            ("office_code", "CA-568"),
            ("leg", "residence"),
            ("error_contains", ""),
            ("dead_for_minutes", ""),
            ("reason", tried),
            ("pace_ms", "50"),
        ])
        .send()
        .await
        .unwrap();
    let done_page = posted.text().await.unwrap();
    assert!(
        done_page.contains("Đã đưa 3 chuyển vào hàng đợi gửi lại"),
        "{done_page}"
    );
    for (id, _) in &legs {
        // Dead again only after its fresh budget of two attempts is spent.
        let mut tries = 0;
        let c = loop {
            let c = s.get_case(id).await;
            let l = leg(&c, "residence");
            if l["state"] == "dead" && l["attempts"].as_i64().unwrap_or(0) >= 4 {
                break c;
            }
            tries += 1;
            assert!(tries < 200, "{c}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(
            c["events"].to_string().contains(&format!("bulk resend: {tried}")),
            "{c}"
        );
    }

    // The police system is back: all three go, paced, each with the operator's reason.
    s.police.state.set_faults(quick());
    let reason = "Công an xã đã khắc phục sự cố đường truyền";
    let (status, done) = resends(
        ADMIN,
        serde_json::json!({"office_code": "CA-568", "reason": reason, "pace_ms": 200}),
    )
    .await;
    assert_eq!((status, &done["resent"]), (200, &serde_json::json!(3)), "{done}");
    for (id, _) in &legs {
        let c = s.wait_status(id, "completed", 20).await;
        assert!(
            c["events"].to_string().contains(&format!("bulk resend: {reason}")),
            "{c}"
        );
    }
}
