//! The web pages in a real browser: headless Chromium driven over WebDriver (chromedriver, both
//! from Debian, installed by scripts/test.sh). Each role signs in and does its job; screenshots of
//! the main pages are saved under target/screenshots/.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use lienthong::accounts::{hash_password, Role};
use lienthong::store::users::NewUser;
use lienthong_simulators::sim::Faults;
use serde_json::{json, Value};
use sha2::Digest;

const PASSWORD: &str = "mat-khau-thu-nghiem-1";

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver must be installed (scripts/test.sh installs Debian's chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Driver {
        child,
        url,
        _profile: tempfile::tempdir().unwrap(),
    }
}

async fn browser(d: &Driver) -> Client {
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=en-US",
                     format!("--user-data-dir={}", d._profile.path().display())]
        }
    });
    // WebDriver on loopback is plain HTTP: no TLS stack needed.
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&d.url)
        .await
        .expect("a WebDriver session")
}

async fn add_user(stack: &Stack, login: &str, role: Role, scopes: &[&str]) {
    let hash = hash_password(PASSWORD).unwrap();
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    let new = NewUser {
        login,
        display_name: "Người thử",
        password_hash: &hash,
        role,
        scopes: &scopes,
    };
    stack.gateway.as_ref().unwrap().store.create_user(&new).await.unwrap();
}

async fn click(c: &Client, at: Locator<'_>) {
    c.find(at).await.unwrap().click().await.unwrap();
}

async fn type_into(c: &Client, at: Locator<'_>, text: &str) {
    c.find(at).await.unwrap().send_keys(text).await.unwrap();
}

async fn submit_login(c: &Client, base: &str, login: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    type_into(c, Locator::Id("login"), login).await;
    type_into(c, Locator::Id("password"), password).await;
    click(c, Locator::Css("form button[type=submit]")).await;
}

async fn sign_in(c: &Client, base: &str, login: &str) {
    submit_login(c, base, login, PASSWORD).await;
    wait_text(c, "Đăng xuất").await;
}

async fn sign_out(c: &Client) {
    click(c, Locator::Css("form.who button")).await;
    wait_text(c, "Đăng nhập").await;
}

/// The visible text of the page (empty while it is being replaced).
async fn body(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(b) => b.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn wait_text(c: &Client, text: &str) {
    for _ in 0..100 {
        if body(c).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("page never showed '{text}':\n{}", body(c).await);
}

async fn screenshot(c: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), c.screenshot().await.unwrap()).unwrap();
}

/// Sets a form field by name (dates and selects too) as a person would end up with.
async fn set(c: &Client, name: &str, value: &str) {
    c.execute(
        "const e = document.querySelector(`[name=\"${arguments[0]}\"]`); \
         if (e.type === 'checkbox') { e.checked = arguments[1] === 'true'; } else { e.value = arguments[1]; }",
        vec![json!(name), json!(value)],
    )
    .await
    .unwrap();
}

async fn value(c: &Client, name: &str) -> String {
    c.find(Locator::Css(&format!("[name=\"{name}\"]")))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

fn fixture_file(name: &str) -> String {
    repo().join("fixtures/files").join(name).display().to_string()
}

async fn choose_files(c: &Client) {
    for (kind, file) in [
        ("birth-registration-extract", "trich-luc-khai-sinh.pdf"),
        ("residence-declaration", "to-khai-cu-tru.pdf"),
    ] {
        c.find(Locator::Css(&format!("input[type=file][name=\"{kind}\"]")))
            .await
            .unwrap()
            .send_keys(&fixture_file(file))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_role_does_its_job_in_a_real_browser() {
    let mut insurance = Faults::default();
    insurance.decide.completed = 0; // the staff decides through the inbox
    let stack = spawn_stack(Opts {
        police: down(),
        insurance,
        max_attempts: 2,
        ..Opts::default()
    })
    .await;
    add_user(&stack, "canbo.a", Role::CommuneOfficer, &["22609"]).await;
    add_user(&stack, "canbo.b", Role::CommuneOfficer, &["22612"]).await;
    add_user(&stack, "bhxh", Role::InsuranceStaff, &["BHXH-5608"]).await;
    add_user(&stack, "congan", Role::PoliceStaff, &["CA-568"]).await;
    add_user(&stack, "quantri", Role::Admin, &[]).await;
    let d = driver().await;
    let c = browser(&d).await;
    let base = stack.url.clone();

    // A wrong password is refused.
    submit_login(&c, &base, "canbo.a", "sai-mat-khau").await;
    wait_text(&c, "Sai tên đăng nhập hoặc mật khẩu").await;

    // The commune officer pushes a case through the form with two mistakes.
    sign_in(&c, &base, "canbo.a").await;
    c.goto(&format!("{base}/cases/new")).await.unwrap();
    // Keyboard: Tab walks the form in reading order, every field has a label.
    c.execute("document.getElementById('f-receipt_code').focus()", vec![])
        .await
        .unwrap();
    let mut order = Vec::new();
    for _ in 0..4 {
        let name: Value = c.execute("return document.activeElement.name", vec![]).await.unwrap();
        order.push(name.as_str().unwrap_or_default().to_string());
        c.active_element().await.unwrap().send_keys("\u{e004}").await.unwrap();
    }
    assert_eq!(order, ["receipt_code", "commune_code", "channel", "child.full_name"]);
    let unlabeled: Value = c
        .execute(
            "return [...document.querySelectorAll('form.case-form input:not([type=hidden]), form.case-form select')]\
             .filter(e => !document.querySelector(`label[for=\"${e.id}\"]`)).length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unlabeled, json!(0), "every field has a label");
    let (m, _) = case_with_code("WEB-0001");
    // Dates are typed dd/mm/yyyy, whatever the browser's locale (this one is en-US).
    let today = jiff::Timestamp::now()
        .to_zoned(lienthong_contract::vn_tz())
        .date()
        .strftime("%d/%m/%Y")
        .to_string();
    let fields = [
        ("receipt_code", "WEB-0001".to_string()),
        ("child.full_name", m["child"]["full_name"].as_str().unwrap().to_string()),
        ("child.sex", "female".into()),
        ("child.date_of_birth", "01/01/2030".into()), // mistake 1: born after the receipt
        ("child.personal_id", "05632600123".into()),  // mistake 2: 11 digits
        ("birth_registration.number", "125".into()),
        ("birth_registration.book", "01/2026".into()),
        ("birth_registration.registered_on", today.clone()),
        (
            "mother.full_name",
            m["mother"]["full_name"].as_str().unwrap().to_string(),
        ),
        (
            "mother.personal_id",
            m["mother"]["personal_id"].as_str().unwrap().to_string(),
        ),
        (
            "residence.address",
            m["residence"]["address"].as_str().unwrap().to_string(),
        ),
        ("residence.commune_code", "22609".into()),
        ("insurance.health_facility_code", "56018".into()),
        (
            "applicant.full_name",
            m["applicant"]["full_name"].as_str().unwrap().to_string(),
        ),
        ("applicant.phone", "0905123456".into()),
    ];
    for (name, v) in &fields {
        set(&c, name, v).await;
    }
    choose_files(&c).await;
    click(&c, Locator::Css("form.case-form button[type=submit]")).await;
    wait_text(&c, "chưa được lưu").await;
    let dob_error = c
        .find(Locator::Css("[id=\"e-child.date_of_birth\"]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let id_error = c
        .find(Locator::Css("[id=\"e-child.personal_id\"]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !dob_error.is_empty() && !id_error.is_empty(),
        "both errors next to their fields"
    );
    assert_eq!(
        value(&c, "child.full_name").await,
        fields[1].1,
        "what was typed is kept"
    );
    assert_eq!(value(&c, "applicant.phone").await, "0905123456");
    assert_eq!(
        value(&c, "child.date_of_birth").await,
        "01/01/2030",
        "the day as typed, dd/mm/yyyy"
    );
    let dob = c.find(Locator::Id("f-child.date_of_birth")).await.unwrap();
    assert_eq!(
        dob.attr("type").await.unwrap().as_deref(),
        Some("text"),
        "not the browser's mm/dd/yyyy picker"
    );
    assert_eq!(dob.attr("placeholder").await.unwrap().as_deref(), Some("dd/mm/yyyy"));
    screenshot(&c, "form-errors").await;
    let bearer = format!("Bearer {ADMIN}");
    let (status, answer) = stack
        .get_text("/api/v1/cases?receipt_code=WEB-0001", &[("authorization", &bearer)])
        .await;
    assert_eq!(status, 404, "nothing stored: {answer}");

    let born: jiff::civil::Date = m["child"]["date_of_birth"].as_str().unwrap().parse().unwrap();
    set(&c, "child.date_of_birth", &born.strftime("%d/%m/%Y").to_string()).await;
    set(&c, "child.personal_id", m["child"]["personal_id"].as_str().unwrap()).await;
    set(&c, "birth_registration.registered_on", &today).await;
    // The files chosen before the error were kept: the officer does not choose them again.
    let kept = body(&c).await;
    assert!(kept.contains("Đã giữ tệp"), "{kept}");
    click(&c, Locator::Css("form.case-form button[type=submit]")).await;
    wait_text(&c, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ").await;
    let receipt = body(&c).await;
    assert!(
        receipt.contains("WEB-0001") && receipt.contains("Ngày hẹn trả kết quả"),
        "{receipt}"
    );
    assert!(
        receipt.contains("Quét mã để tra cứu hồ sơ") && receipt.contains("Đường dây nóng: 0258 3820 000"),
        "the receipt carries the look-up QR code and the hotline: {receipt}"
    );
    let qr = c.find(Locator::Css(".lookup-qr svg")).await.unwrap();
    assert!(
        qr.rectangle().await.unwrap().2 >= 100.0,
        "the QR code is drawn large enough to scan"
    );
    c.set_window_size(1366, 1100).await.unwrap();
    screenshot(&c, "receipt").await;
    c.set_window_size(1366, 768).await.unwrap();
    let url = c.current_url().await.unwrap();
    let case_id = url
        .path()
        .trim_start_matches("/cases/")
        .trim_end_matches("/receipt")
        .to_string();

    // The family follows the receipt's link on a small phone, without an account.
    let link = format!("{base}/tra-cuu?receipt_code=WEB-0001");
    assert!(receipt.contains(&link), "the receipt prints {link}");
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&link).await.unwrap();
    type_into(&c, Locator::Id("phone_last4"), "3456").await;
    click(&c, Locator::Css("form.lookup-form button[type=submit]")).await;
    wait_text(&c, "Ngày hẹn trả kết quả").await;
    let answer = body(&c).await;
    assert!(
        answer.contains("WEB-0001") && answer.contains("Đăng ký thường trú") && !answer.contains("Đăng xuất"),
        "{answer}"
    );
    assert!(
        !answer.contains(m["applicant"]["full_name"].as_str().unwrap()),
        "no names on the public page: {answer}"
    );
    screenshot(&c, "lookup").await;
    c.set_window_size(1366, 768).await.unwrap();
    let case = stack.get_case(&case_id).await;
    assert_eq!(case["receipt_code"], "WEB-0001");
    assert!(
        case["events"][0]["actor"].as_str().unwrap().contains("canbo.a"),
        "the officer is in the trail"
    );
    c.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    wait_text(&c, "Diễn biến").await;
    screenshot(&c, "case").await;
    sign_out(&c).await;

    // Another commune's officer cannot open it by URL, nor see it listed.
    sign_in(&c, &base, "canbo.b").await;
    c.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    wait_text(&c, "không được xem hồ sơ đó").await;
    c.goto(&format!("{base}/cases")).await.unwrap();
    assert!(!body(&c).await.contains("WEB-0001"));
    sign_out(&c).await;

    // Insurance staff issue the card from their inbox.
    wait_leg(&stack, &case_id, "insurance", "delivered", 20).await;
    sign_in(&c, &base, "bhxh").await;
    wait_text(&c, "WEB-0001").await;
    screenshot(&c, "inbox").await;
    click(&c, Locator::LinkText("WEB-0001")).await;
    wait_text(&c, "Đã cấp thẻ BHYT").await;
    set(&c, "social_insurance_number", "5626123456").await;
    // With the card issued as a PDF, uploaded on the same form.
    let card_pdf = stack.dir.path().join("the-bhyt.pdf");
    let mut card_bytes = b"%PDF-1.4\n".to_vec();
    card_bytes.extend((0..30_000u32).map(|i| (i % 253) as u8));
    std::fs::write(&card_pdf, &card_bytes).unwrap();
    let card_sha = hex::encode(sha2::Sha256::digest(&card_bytes));
    type_into(&c, Locator::Id("d-insurance-card"), card_pdf.to_str().unwrap()).await;
    click(&c, Locator::Css(".decisions form:first-of-type button[type=submit]")).await;
    wait_text(&c, "Hồ sơ đề nghị cấp thẻ BHYT").await;
    let case = wait_leg(&stack, &case_id, "insurance", "completed", 10).await;
    assert_eq!(
        leg(&case, "insurance")["result"]["social_insurance_number"],
        "5626123456"
    );
    sign_out(&c).await;

    // Police staff sign in to an empty inbox (their system is down: nothing delivered).
    sign_in(&c, &base, "congan").await;
    wait_text(&c, "Hồ sơ đề nghị đăng ký thường trú").await;
    sign_out(&c).await;

    // The administrator sees the dead leg, and resends it once the police system is back.
    wait_leg(&stack, &case_id, "residence", "dead", 20).await;
    sign_in(&c, &base, "quantri").await;
    wait_text(&c, "Gửi thất bại, cần xử lý").await;
    screenshot(&c, "dashboard").await;
    // A second dead transfer the police office confirms it got by hand: resolved with a reason.
    let other = stack.push_new("WEB-0002").await;
    let other_case = wait_leg(&stack, &other, "residence", "dead", 20).await;
    let other_leg = leg(&other_case, "residence")["leg_id"].as_str().unwrap().to_string();
    c.goto(&format!("{base}/admin")).await.unwrap();
    wait_text(&c, "WEB-0002").await;
    type_into(
        &c,
        Locator::Id(&format!("why-{other_leg}")),
        "Công an huyện xác nhận đã nhận hồ sơ giấy",
    )
    .await;
    click(
        &c,
        Locator::Css(&format!("form[action='/admin/legs/{other_leg}/resolve'] button")),
    )
    .await;
    wait_text(&c, "Bảng điều khiển").await;
    let other_case = wait_leg(&stack, &other, "residence", "delivered", 10).await;
    let resolved = other_case["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(resolved["actor"], "user:quantri");
    assert!(
        resolved["reason"]
            .as_str()
            .unwrap()
            .contains("xác nhận đã nhận hồ sơ giấy"),
        "{resolved}"
    );

    // The police system is back: resend the first one and see it delivered.
    stack.police.state.set_faults(quick());
    let first_leg = leg(&stack.get_case(&case_id).await, "residence")["leg_id"]
        .as_str()
        .unwrap()
        .to_string();
    click(
        &c,
        Locator::Css(&format!("form[action='/admin/legs/{first_leg}/resend'] button")),
    )
    .await;
    wait_text(&c, "Bảng điều khiển").await;
    stack.wait_status(&case_id, "completed", 20).await;
    c.goto(&format!("{base}/admin")).await.unwrap();
    wait_text(&c, "Chuyển đang gặp lỗi").await;
    assert!(
        !body(&c).await.contains("Gửi thất bại, cần xử lý"),
        "no dead transfer left"
    );
    c.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    wait_text(&c, "Đã có kết quả").await;
    wait_text(&c, "Mã số BHXH 5626123456").await;
    // The card went back to the commune's system as issued, and prints with its hash.
    let held = stack.onestop.state.record_of(&case_id).unwrap();
    assert_eq!(held.files["insurance-card"].to_string(), card_sha);
    c.goto(&format!("{base}/cases/{case_id}/results")).await.unwrap();
    wait_text(&c, "KẾT QUẢ GIẢI QUYẾT HỒ SƠ LIÊN THÔNG").await;
    wait_text(&c, "Thẻ bảo hiểm y tế: the-bhyt.pdf").await;
    wait_text(&c, &card_sha).await;
    screenshot(&c, "results").await;
    c.goto(&format!("{base}/cases/{case_id}")).await.unwrap();
    // The family collects the results at the desk: handed over in the browser, the case closes.
    wait_text(&c, "chờ gia đình đến nhận").await;
    type_into(&c, Locator::Id("received_by"), "Trần Thị Hồng").await;
    click(&c, Locator::Css("input[name=id_checked]")).await;
    click(&c, Locator::Css("form[action$='/journey'] button[type=submit]")).await;
    wait_text(&c, "Đã trao kết quả cho Trần Thị Hồng (đã kiểm tra giấy tờ tùy thân)").await;
    wait_text(&c, "hồ sơ đã đóng").await;
    assert!(stack.get_case(&case_id).await["closed_at"].is_string());
    let trail = stack.get_case(&case_id).await["events"].to_string();
    assert!(
        trail.contains("user:quantri"),
        "the resend is in the audit trail with the user"
    );
    c.goto(&format!("{base}/admin/audit?code=WEB-0001")).await.unwrap();
    wait_text(&c, "user:quantri").await;
    c.goto(&format!("{base}/reports")).await.unwrap();
    wait_text(&c, "Tỷ lệ trễ hạn theo xã").await;
    // The administrator sees each office and each officer who decided (the inbox user).
    wait_text(&c, "Theo cơ quan giải quyết").await;
    wait_text(&c, "Theo cán bộ giải quyết").await;
    wait_text(&c, "user:bhxh").await;
    screenshot(&c, "reports").await;
    // A commune officer sees the offices' figures, never an officer's.
    sign_out(&c).await;
    sign_in(&c, &base, "canbo.a").await;
    c.goto(&format!("{base}/reports")).await.unwrap();
    wait_text(&c, "Theo cơ quan giải quyết").await;
    let page = body(&c).await;
    assert!(!page.contains("Theo cán bộ") && !page.contains("user:bhxh"), "{page}");
    sign_out(&c).await;
    sign_in(&c, &base, "quantri").await;

    // On a phone the pages fit the width: wide tables scroll inside themselves.
    c.set_window_size(390, 844).await.unwrap();
    for page in ["/admin", "/cases", &format!("/cases/{case_id}")] {
        c.goto(&format!("{base}{page}")).await.unwrap();
        wait_text(&c, "Đăng xuất").await;
        let fits: Value = c
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth + 1",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fits, json!(true), "{page} is wider than a phone");
    }
    screenshot(&c, "phone-case").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn officers_record_a_supplement_and_confirm_an_apology_from_the_case_page() {
    let clock = lienthong::clock::Clock::adjustable();
    clock.set(vn("2026-11-23T09:00:00"));
    let mut silent = Faults::default();
    silent.decide.completed = 0;
    let stack = spawn_stack(Opts {
        police: quick(),
        insurance: silent,
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    add_user(&stack, "canbo.a", Role::CommuneOfficer, &["22609"]).await;
    add_user(&stack, "bhxh", Role::InsuranceStaff, &["BHXH-5608"]).await;
    let (mut m, files) = case_with_code("WEB-SUP-1");
    m["received_at"] = "2026-11-23T09:00:00+07:00".into();
    m["birth_registration"]["registered_on"] = "2026-11-23".into();
    let id = stack.push(ONESTOP_A, &m, &files).await.body["case_id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_leg(&stack, &id, "insurance", "delivered", 20).await;
    let d = driver().await;
    let c = browser(&d).await;
    let base = stack.url.clone();

    // Insurance staff ask for a supplement from the inbox.
    sign_in(&c, &base, "bhxh").await;
    click(&c, Locator::LinkText("WEB-SUP-1")).await;
    wait_text(&c, "Yêu cầu bổ sung").await;
    type_into(&c, Locator::Id("s-missing"), "Bản chính có dấu của bệnh viện").await;
    click(&c, Locator::Id("k-birth-certificate-medical")).await;
    click(&c, Locator::Css("form:has(#s-missing) button")).await;
    let case = stack.wait_status(&id, "needs_supplement", 10).await;
    assert_eq!(
        leg(&case, "insurance")["result"]["kinds"],
        json!(["birth-certificate-medical"])
    );
    sign_out(&c).await;

    // The family comes back with the paper; the officer scans it and uploads it on the case page.
    clock.set(vn("2026-11-26T09:00:00"));
    let scan = stack.dir.path().join("giay-chung-sinh-ban-chinh.pdf");
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..40_000u32).map(|i| (i % 251) as u8));
    std::fs::write(&scan, &bytes).unwrap();
    let scan_sha = hex::encode(sha2::Sha256::digest(&bytes));
    sign_in(&c, &base, "canbo.a").await;
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    wait_text(&c, "Gia đình đã nộp giấy tờ bổ sung").await;
    type_into(&c, Locator::Id("note"), "Đã nộp giấy chứng sinh bản chính").await;
    type_into(&c, Locator::Id("sf-birth-certificate-medical"), scan.to_str().unwrap()).await;
    click(&c, Locator::Css("form[action$='/supplement'] button")).await;
    let case = wait_leg(&stack, &id, "insurance", "delivered", 10).await;
    assert_eq!(case["status"], "in_progress");
    assert!(case["events"].to_string().contains("user:canbo.a"));
    let rec = stack.insurance.state.record_of(&id).unwrap();
    assert_eq!(
        rec.files["birth-certificate-medical"].to_string(),
        scan_sha,
        "the agency holds the scan"
    );
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    wait_text(&c, "bổ sung lần 1").await;
    wait_text(&c, &scan_sha).await;

    // Nobody decides; the case goes overdue and the officer confirms a new date.
    let due = case["deadline"]["due_date"].as_str().unwrap().to_string();
    clock.set(vn(&format!("{due}T17:30:00")));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while stack.get_case(&id).await["apology"].is_null() {
        assert!(tokio::time::Instant::now() < deadline, "no apology drafted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sign_in(&c, &base, "canbo.a").await;
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    wait_text(&c, "xác nhận ngày hẹn mới").await;
    c.goto(&format!("{base}/cases/{id}/apology")).await.unwrap();
    wait_text(&c, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ").await;
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    wait_text(&c, "xác nhận ngày hẹn mới").await;
    click(&c, Locator::Css("form[action$='/apology'] button")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if stack
            .sms()
            .iter()
            .any(|s| s.text.contains("xin lỗi") && s.text.contains("WEB-SUP-1"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the family got no apology: {:?}",
            stack.sms()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let case = stack.get_case(&id).await;
    assert_eq!(case["apology"]["status"], "confirmed");
    assert_eq!(case["apology"]["confirmed_by"], "user:canbo.a");
    c.close().await.unwrap();
}

/// What `fetch` answers for a form POST from the signed-in page, with the page's own CSRF token:
/// the request the page would send if it offered the button.
async fn post_status(c: &Client, path: &str, fields: &[(&str, &str)]) -> u64 {
    let fields: serde_json::Map<String, Value> = fields.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    let status: Value = c
        .execute(
            "const [path, fields] = arguments;
             const body = new URLSearchParams(fields);
             body.set('csrf', document.querySelector('input[name=csrf]').value);
             return fetch(path, {method: 'POST', body}).then(r => r.status);",
            vec![json!(path), Value::Object(fields)],
        )
        .await
        .unwrap();
    status.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_auditor_only_reads_and_an_operator_resends_but_cannot_cancel() {
    let stack = spawn_stack(Opts {
        police: down(),
        insurance: quick(),
        max_attempts: 2,
        ..Opts::default()
    })
    .await;
    add_user(&stack, "thanhtra", Role::Auditor, &[]).await;
    add_user(&stack, "vanhanh", Role::Operator, &[]).await;
    let id = stack.push_new("ROLE-0001").await;
    let case = wait_leg(&stack, &id, "residence", "dead", 20).await;
    let leg_id = leg(&case, "residence")["leg_id"].as_str().unwrap().to_string();
    let resend = format!("/admin/legs/{leg_id}/resend");
    let d = driver().await;
    let c = browser(&d).await;
    let base = stack.url.clone();

    // The auditor lands on the dashboard and sees the dead transfer, the case, its trail and
    // the reports — and is offered no button that changes anything.
    sign_in(&c, &base, "thanhtra").await;
    wait_text(&c, "Gửi thất bại, cần xử lý").await;
    wait_text(&c, "ROLE-0001").await;
    let forms: Value = c
        .execute(
            "return [...document.querySelectorAll('main form[method=post]')].map(f => f.getAttribute('action'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(forms, json!([]), "no form that writes on an auditor's dashboard");
    assert!(!body(&c).await.contains("Hủy hồ sơ"));
    // Asked anyway, every write is refused; the leg stays dead.
    assert_eq!(post_status(&c, &resend, &[]).await, 403);
    assert_eq!(
        post_status(&c, "/admin/pauses", &[("office_code", "CA-568"), ("reason", "x")]).await,
        403
    );
    assert_eq!(
        post_status(&c, "/admin/cancel", &[("code", "ROLE-0001"), ("reason", "x")]).await,
        403
    );
    assert_eq!(leg(&stack.get_case(&id).await, "residence")["state"], "dead");
    c.goto(&format!("{base}/cases/{id}")).await.unwrap();
    wait_text(&c, "ROLE-0001").await;
    c.goto(&format!("{base}/admin/audit?code=ROLE-0001")).await.unwrap();
    wait_text(&c, "gateway").await;
    c.goto(&format!("{base}/reports")).await.unwrap();
    wait_text(&c, "Theo cơ quan giải quyết").await;
    sign_out(&c).await;

    // The operator resends the dead transfer once the police system is back, but is offered no
    // cancel and is refused one.
    sign_in(&c, &base, "vanhanh").await;
    wait_text(&c, "Gửi thất bại, cần xử lý").await;
    assert!(!body(&c).await.contains("Hủy hồ sơ"), "no cancel form for an operator");
    assert_eq!(
        post_status(&c, "/admin/cancel", &[("code", "ROLE-0001"), ("reason", "x")]).await,
        403
    );
    stack.police.state.set_faults(quick());
    click(&c, Locator::Css(&format!("form[action='{resend}'] button"))).await;
    wait_text(&c, "Bảng điều khiển").await;
    stack.wait_status(&id, "completed", 20).await;
    let trail = stack.get_case(&id).await["events"].to_string();
    assert!(
        trail.contains("user:vanhanh"),
        "the resend is audited with the operator"
    );
    assert!(!trail.contains("user:thanhtra"), "the auditor changed nothing");
    c.close().await.unwrap();
}

/// Clicks the button of the form whose action ends with `action_end` in the `#users` row of
/// `login`.
async fn user_action(c: &Client, login: &str, action_end: &str) {
    c.execute(
        "const [login, end] = arguments;
         const row = [...document.querySelectorAll('#users tbody tr')].find(r => r.cells[0].textContent === login);
         row.querySelector(`form[action$='${end}'] button`).click();",
        vec![json!(login), json!(action_end)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reset_link_works_once_and_people_change_their_own_password() {
    let stack = spawn_stack(Opts::default()).await;
    add_user(&stack, "quantri", Role::Admin, &[]).await;
    add_user(&stack, "canbo.a", Role::CommuneOfficer, &["22609"]).await;
    let d = driver().await;
    let c = browser(&d).await;
    let base = stack.url.clone();

    // The administrator issues a reset link for the officer; it is shown once.
    sign_in(&c, &base, "quantri").await;
    click(&c, Locator::LinkText("Người dùng")).await;
    wait_text(&c, "Nhật ký tài khoản").await;
    user_action(&c, "canbo.a", "/reset").await;
    wait_text(&c, "chỉ hiện một lần").await;
    let link = c.find(Locator::Id("reset-link")).await.unwrap().text().await.unwrap();
    let path = &link[link.find("/password/reset/").expect("a reset link")..];
    sign_out(&c).await;

    // The link sets a new password once: a mismatch is refused, the second use is refused.
    let new_password = "mat-khau-moi-2026";
    c.goto(&format!("{base}{path}")).await.unwrap();
    type_into(&c, Locator::Id("new"), new_password).await;
    type_into(&c, Locator::Id("again"), "mat-khau-khac-2026").await;
    click(&c, Locator::Css("form button[type=submit]")).await;
    wait_text(&c, "Hai lần nhập mật khẩu mới không khớp.").await;
    type_into(&c, Locator::Id("new"), new_password).await;
    type_into(&c, Locator::Id("again"), new_password).await;
    click(&c, Locator::Css("form button[type=submit]")).await;
    wait_text(&c, "Đã đặt mật khẩu mới cho tài khoản canbo.a").await;
    c.goto(&format!("{base}{path}")).await.unwrap();
    wait_text(&c, "đã được dùng hoặc đã hết hạn").await;

    // The old password no longer works; the new one does.
    submit_login(&c, &base, "canbo.a", PASSWORD).await;
    wait_text(&c, "Sai tên đăng nhập hoặc mật khẩu").await;
    submit_login(&c, &base, "canbo.a", new_password).await;
    wait_text(&c, "Đăng xuất").await;

    // The officer changes their own password: the current one is asked for.
    click(&c, Locator::LinkText("Đổi mật khẩu")).await;
    let own = "mat-khau-cua-toi-2026";
    type_into(&c, Locator::Id("current"), "khong-phai-mat-khau").await;
    type_into(&c, Locator::Id("new"), own).await;
    type_into(&c, Locator::Id("again"), own).await;
    click(&c, Locator::Css("main form button[type=submit]")).await;
    wait_text(&c, "Mật khẩu hiện tại không đúng.").await;
    type_into(&c, Locator::Id("current"), new_password).await;
    type_into(&c, Locator::Id("new"), own).await;
    type_into(&c, Locator::Id("again"), own).await;
    click(&c, Locator::Css("main form button[type=submit]")).await;
    wait_text(&c, "Đã đổi mật khẩu.").await;
    sign_out(&c).await;
    submit_login(&c, &base, "canbo.a", own).await;
    wait_text(&c, "Đăng xuất").await;
    sign_out(&c).await;

    // The administrator creates an auditor in the browser (a wrong login and scope first:
    // refused with every problem), and makes the officer an operator; then disables the officer,
    // who can no longer sign in. Every change is listed.
    sign_in(&c, &base, "quantri").await;
    c.goto(&format!("{base}/admin/users")).await.unwrap();
    type_into(&c, Locator::Id("new-login"), "Thanh Tra").await;
    type_into(&c, Locator::Id("new-name"), "Đoàn Thanh Tra").await;
    c.execute("document.getElementById('new-role').value = 'auditor'", vec![])
        .await
        .unwrap();
    type_into(&c, Locator::Id("new-scopes"), "22609").await;
    click(&c, Locator::Css("#new-user button")).await;
    wait_text(&c, "Tên đăng nhập gồm 3–64 ký tự").await;
    wait_text(&c, "Vai trò này xem toàn bộ, không nhận phạm vi (“22609”).").await;
    type_into(&c, Locator::Id("new-login"), "thanhtra").await;
    type_into(&c, Locator::Id("new-name"), "Đoàn Thanh Tra").await;
    c.execute("document.getElementById('new-role').value = 'auditor'", vec![])
        .await
        .unwrap();
    click(&c, Locator::Css("#new-user button")).await;
    wait_text(&c, "Liên kết đặt mật khẩu cho thanhtra").await;
    let users = c.find(Locator::Id("users")).await.unwrap().text().await.unwrap();
    assert!(
        users.contains("thanhtra Đoàn Thanh Tra Thanh tra, kiểm tra (chỉ xem)"),
        "{users}"
    );
    c.execute(
        "const row = [...document.querySelectorAll('#users tbody tr')].find(r => r.cells[0].textContent === 'canbo.a');
         row.querySelector('select[name=role]').value = 'operator';
         row.querySelector('input[name=scopes]').value = '';
         row.querySelector('form[action$=\"/role\"]').submit();",
        vec![],
    )
    .await
    .unwrap();
    wait_text(&c, "Cán bộ vận hành").await;
    user_action(&c, "canbo.a", "/disable").await;
    wait_text(&c, "Đã khóa").await;
    let changes = c
        .find(Locator::Id("account-changes"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "thanhtra user:quantri tạo tài khoản",
        "canbo.a user:quantri đổi vai trò, phạm vi",
        "canbo.a user:quantri khóa tài khoản",
        "canbo.a user:canbo.a tự đổi mật khẩu",
        "canbo.a user:canbo.a đặt mật khẩu qua liên kết",
        "canbo.a user:quantri cấp liên kết đặt lại mật khẩu",
    ] {
        assert!(changes.contains(line), "{line} in:\n{changes}");
    }
    sign_out(&c).await;
    submit_login(&c, &base, "canbo.a", own).await;
    wait_text(&c, "Sai tên đăng nhập hoặc mật khẩu").await;
    c.close().await.unwrap();
}
