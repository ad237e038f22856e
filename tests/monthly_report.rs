//! The monthly report (docs/accountability.md), black box: it reaches the leadership's address
//! at the real SMTP server of the tests once per month — across a restart and, on PostgreSQL
//! (`LTTEST_BACKEND=postgres`), two gateway instances on one store — with its summary, the CSV
//! and the Excel workbook attached.

mod common;

use std::time::Duration;

use common::*;
use lienthong::config::Config;
use lienthong::App;

const LEADERSHIP: &str = "lanhdao@khanhhoa.example.vn";

fn monthly(stack: &Stack, month: &str) -> Vec<lienthong_simulators::notify_sim::Mail> {
    let subject = format!("[BÁO CÁO THÁNG {month}]");
    stack
        .mails()
        .into_iter()
        .filter(|m| m.subject.starts_with(&subject))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_months_report_arrives_once_with_its_workbook() {
    let clock = clock_at("2026-11-20T09:00:00");
    let mut stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        clock: clock.clone(),
        gateway_extra: format!("[reports]\nmonthly_to = [\"{LEADERSHIP}\"]\n"),
        ..Opts::default()
    })
    .await;
    let id = stack.push_at("MONTH-1", "2026-11-20T09:00:00").await;
    stack.wait_status(&id, "completed", 20).await;

    // Mid-month nothing goes (not even last month's), nor on the 1st before 07:00.
    clock.set(vn("2026-12-01T06:30:00"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        stack.mails().iter().all(|m| !m.subject.starts_with("[BÁO CÁO")),
        "{:?}",
        stack.mails()
    );

    clock.set(vn("2026-12-01T07:05:00"));
    let mail = wait_for("November's report", 10, || {
        monthly(&stack, "11/2026").into_iter().next()
    })
    .await;
    assert_eq!(mail.to, [LEADERSHIP]);
    assert!(
        mail.body.contains("tháng 11/2026") && mail.body.contains("Tiếp nhận 1 hồ sơ"),
        "{}",
        mail.body
    );
    let names: Vec<&str> = mail.attachments.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["bao-cao-thang-2026-11.csv", "bao-cao-thang-2026-11.xlsx"]);
    let csv = String::from_utf8(mail.attachments[0].1.clone()).unwrap();
    assert!(csv.lines().any(|l| l.starts_with("tong,\"Tổng cộng\",1,")), "{csv}");
    let book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(mail.attachments[1].1.clone())).unwrap();
    assert_eq!(calamine::Reader::sheet_names(&book)[0], "Theo xa");

    // A restart, and on PostgreSQL (the store several processes share; an embedded SQLite store
    // has one) a second instance: still one report per month.
    stack.restart_gateway().await;
    let second = if postgres_backend() {
        let config = Config::load_with_env(stack.dir.path(), std::iter::empty()).unwrap();
        let app = App::with_listener(config, listener().await, clock.clone())
            .await
            .unwrap();
        Some(app.spawn())
    } else {
        None
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(monthly(&stack, "11/2026").len(), 1);

    clock.set(vn("2027-01-01T07:30:00"));
    wait_for("December's report", 10, || {
        monthly(&stack, "12/2026").into_iter().next()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(monthly(&stack, "12/2026").len(), 1, "one instance sent it");
    assert_eq!(monthly(&stack, "11/2026").len(), 1);
    if let Some(second) = second {
        second.stop().await;
    }
}
