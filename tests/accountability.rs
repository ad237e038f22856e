//! Accountability (docs/accountability.md), black box over real HTTP on a test clock: each
//! agency leg's decision is graded against the leg's own deadline per office and per officer,
//! with the targets units and officers are rated by; officers' figures are for administrators
//! only. Runs on SQLite and, with `LTTEST_BACKEND=postgres`, on PostgreSQL.

mod common;

use common::*;
use lienthong::accounts::Role;
use lienthong::clock::Clock;
use lienthong_onestop::push::PushFile;
use serde_json::{json, Value};

fn residence(officer: Option<&str>) -> Value {
    let mut d = json!({"outcome": "completed", "registration_number": "TT-2026-000123", "registered_on": "2026-11-24"});
    if let Some(o) = officer {
        d["officer"] = o.into();
    }
    d
}

fn card() -> Value {
    json!({"outcome": "completed", "social_insurance_number": "5626123456", "card_valid_from": "2026-10-20",
           "card_valid_to": "2032-10-19", "health_facility_code": "56001"})
}

fn unit<'a>(list: &'a Value, leg: &str, unit: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|u| u["leg"] == leg && u["unit"] == unit)
        .unwrap_or_else(|| panic!("no {leg} unit {unit} in {list:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offices_and_officers_are_graded_against_each_legs_own_deadline() {
    let clock = clock_at("2026-11-23T09:00:00");
    let stack = spawn_stack(Opts {
        police: undecided(),
        insurance: undecided(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    let mut cases = Vec::new();
    for code in ["ACC-0001", "ACC-0002", "ACC-0003"] {
        let id = stack.push_at(code, "2026-11-23T09:00:00").await;
        wait_leg(&stack, &id, "residence", "delivered", 20).await;
        cases.push(wait_leg(&stack, &id, "insurance", "delivered", 20).await);
    }
    let leg_id = |i: usize, name: &str| leg(&cases[i], name)["leg_id"].as_str().unwrap().to_string();
    let decide = |token: &'static str, leg: String, body: Value| {
        let stack = &stack;
        async move {
            let (status, answer) = stack
                .post_json(token, &format!("/api/v1/legs/{leg}/decision"), &body)
                .await;
            assert_eq!(status, 200, "{answer}");
        }
    };

    // An officer identifier must be an identifier, not a name.
    let (status, body) = stack
        .post_json(
            POLICE,
            &format!("/api/v1/legs/{}/decision", leg_id(0, "residence")),
            &residence(Some("Nguyễn Văn An")),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["path"], "officer", "{body}");

    // The next day: officer An registers the first child, the insurance office issues its card.
    clock.set(vn("2026-11-24T10:00:00"));
    decide(POLICE, leg_id(0, "residence"), residence(Some("ca.an"))).await;
    decide(INSURANCE, leg_id(0, "insurance"), card()).await;

    // An hour past the residence leg's own deadline, officer Bình registers the second child;
    // the third residence leg (now past due) and two insurance legs are still open.
    let due: jiff::Timestamp = leg(&cases[1], "residence")["due_at"].as_str().unwrap().parse().unwrap();
    clock.set(due + jiff::SignedDuration::from_hours(1));
    decide(POLICE, leg_id(1, "residence"), residence(Some("ca.binh"))).await;

    let report = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-11-01&to=2026-11-30")
        .await;
    let police = unit(&report["offices"], "residence", "CA-568");
    assert_eq!(
        (
            &police["received"],
            &police["decided_early"],
            &police["decided_late"],
            &police["open_past_due"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(1)),
        "{police}"
    );
    assert_eq!(police["late_rate_percent"], 50.0, "{police}");
    assert_eq!(
        (&police["over_target"], &police["late_over_target_by"]),
        (&json!(true), &json!(1)),
        "{police}"
    );
    // The insurance legs have a longer budget of their own: still within it.
    let insurance = unit(&report["offices"], "insurance", "BHXH-5608");
    assert_eq!(
        (
            &insurance["decided_early"],
            &insurance["open_within_due"],
            &insurance["open_past_due"]
        ),
        (&json!(1), &json!(2), &json!(0)),
        "{insurance}"
    );
    assert_eq!(insurance["over_target"], false, "{insurance}");

    let officers = &report["officers"];
    let an = unit(officers, "residence", "police:ca.an");
    assert_eq!(
        (&an["decided_early"], &an["over_target"]),
        (&json!(1), &json!(false)),
        "{an}"
    );
    let binh = unit(officers, "residence", "police:ca.binh");
    assert_eq!(
        (
            &binh["decided_late"],
            &binh["late_rate_percent"],
            &binh["late_over_target_by"]
        ),
        (&json!(1), &json!(100.0), &json!(1)),
        "{binh}"
    );
    assert_eq!(unit(officers, "insurance", "unknown")["decided_early"], 1);

    // A commune's system sees its offices' figures but no officer.
    let own = stack
        .get_json(ONESTOP_A, "/api/v1/reports?from=2026-11-01&to=2026-11-30")
        .await;
    assert!(own.get("officers").is_none(), "{own:#}");
    assert_eq!(unit(&own["offices"], "residence", "CA-568")["decided_late"], 1);
    let csv = |token: &'static str, query: &'static str| {
        let stack = &stack;
        async move {
            let r = stack
                .http
                .get(format!(
                    "{}/api/v1/reports?from=2026-11-01&to=2026-11-30&format=csv&{query}",
                    stack.url
                ))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = csv(ONESTOP_A, "group_by=officer").await;
    assert_eq!(status, 403, "{body}");

    // The same figures as CSV, per office and per officer; the area rolls its communes up.
    let (status, offices) = csv(ADMIN, "group_by=office").await;
    assert_eq!(status, 200);
    assert!(
        offices
            .lines()
            .any(|l| l == "residence,\"CA-568\",3,1,0,1,0,1,50,5,1,1"),
        "{offices}"
    );
    let (_, officers) = csv(ADMIN, "group_by=officer").await;
    assert!(
        officers
            .lines()
            .any(|l| l == "residence,\"police:ca.binh\",1,0,0,1,0,0,100,5,1,1"),
        "{officers}"
    );
    let area = report["areas"].as_array().unwrap();
    assert_eq!(area.len(), 1);
    assert_eq!(
        (&area[0]["commune_code"], &area[0]["received"]),
        (&json!("thu"), &json!(3))
    );
    let (_, by_area) = csv(ADMIN, "group_by=area").await;
    assert!(
        by_area.lines().any(|l| l.starts_with("thu,\"Khu vực thử\",3,")),
        "{by_area}"
    );
    let only = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-11-01&to=2026-11-30&area=thu")
        .await;
    assert_eq!(only["total"]["received"], 3);

    // The workbook, read back: one sheet per table, numbers as numbers, the same figures.
    let sheets = workbook(&stack, ADMIN).await;
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Theo xa", "Theo khu vuc", "Theo co quan", "Theo can bo"]);
    let office = sheets[2]
        .1
        .iter()
        .find(|r| r[1] == "CA-568")
        .expect("the police office's row");
    assert_eq!(
        office[2..],
        ["3", "1", "0", "1", "0", "1", "50", "5", "1", "1"],
        "{office:?}"
    );
    let total = sheets[0].1.iter().find(|r| r[0] == "tong").expect("the total row");
    assert_eq!(total[2], "3", "{total:?}");
    let commune_sheets = workbook(&stack, ONESTOP_A).await;
    assert!(
        commune_sheets.iter().all(|(n, _)| n != "Theo can bo"),
        "no officer for a commune"
    );

    // In the browser: the police staff see their office and its officers, never the insurance
    // office nor the communes' table; the insurance staff the reverse; a commune officer sees
    // the offices but no officer.
    let page = |login: &'static str, role: Role, scope: &'static str| {
        let stack = &stack;
        async move {
            let cookie = sign_in(stack, login, role, &[scope]).await;
            let (status, page) = stack
                .get_text("/reports?from=2026-11-01&to=2026-11-30", &[("cookie", &cookie)])
                .await;
            assert_eq!(status, 200, "{page}");
            page
        }
    };
    let police_page = page("congan.xa", Role::PoliceStaff, "CA-568").await;
    assert!(police_page.contains("CA-568") && police_page.contains("police:ca.binh"));
    assert!(!police_page.contains("BHXH-5608") && !police_page.contains("Tổng cộng"));
    let insurance_page = page("bhxh.xa", Role::InsuranceStaff, "BHXH-5608").await;
    assert!(insurance_page.contains("BHXH-5608") && insurance_page.contains("unknown"));
    assert!(!insurance_page.contains("CA-568") && !insurance_page.contains("ca.an"));
    let commune_page = page("canbo.xa", Role::CommuneOfficer, "22609").await;
    assert!(commune_page.contains("CA-568") && !commune_page.contains("ca.an"));

    // The administrator's dashboard flags the police office over its target, by how many, and
    // not the insurance office.
    let panel = dashboard_table(&stack, "over-target").await;
    assert!(
        panel.contains("<tr><td>Công an huyện (đăng ký thường trú)</td><td>50%</td><td>5%</td><td>1</td></tr>"),
        "{panel}"
    );
    assert!(!panel.contains("BHXH"), "{panel}");
}

/// The HTML of the administrator's dashboard table with this id, once the panel it belongs to
/// is computed (in the background, after the first request).
async fn dashboard_table(stack: &Stack, id: &str) -> String {
    let cookie = sign_in(stack, "quantri", Role::Admin, &[]).await;
    let open = format!("<table id=\"{id}\">");
    for _ in 0..100 {
        let (status, page) = stack.get_text("/admin", &[("cookie", &cookie)]).await;
        assert_eq!(status, 200, "{page}");
        if let Some(start) = page.find(&open) {
            let end = start + page[start..].find("</table>").unwrap();
            return page[start..end].to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the dashboard never showed the table {id}");
}

/// The report's workbook as `token` downloads it: each sheet's name and its rows as text.
async fn workbook(stack: &Stack, token: &str) -> Vec<(String, Vec<Vec<String>>)> {
    use calamine::{Reader, Xlsx};
    let r = stack
        .http
        .get(format!(
            "{}/api/v1/reports?from=2026-11-01&to=2026-11-30&format=xlsx",
            stack.url
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap().to_vec();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let rows = range
                .rows()
                .map(|row| row.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_communes_own_step_is_timed_and_late_batches_are_flagged() {
    let clock = Clock::adjustable();
    let stack = spawn_stack(Opts {
        police: undecided(),
        insurance: undecided(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    // Handed in by the family at `received`, pushed by the commune at `pushed`. The district
    // regime gives the commune its first day (the receipt day counts as day 1).
    // Handed in at `received` (in person unless a channel is named), pushed at `pushed`.
    let push = |code: &'static str, received: &'static str, pushed: &'static str, channel: Option<&'static str>| {
        let (clock, stack) = (clock.clone(), &stack);
        async move {
            clock.set(vn(pushed));
            let (mut m, files) = case_at(code, received);
            if let Some(c) = channel {
                m["channel"] = c.into();
            }
            let a = stack.push(ONESTOP_A, &m, &files).await;
            assert_eq!(a.status, 201, "{}", a.body);
        }
    };
    push("STEP-1", "2026-11-23T09:00:00", "2026-11-23T10:00:00", None).await; // day 1: on time
    push("STEP-2", "2026-11-23T09:00:00", "2026-11-25T14:00:00", Some("online")).await; // day 3: late...
    push("STEP-3", "2026-11-23T09:30:00", "2026-11-25T14:10:00", Some("online")).await; // ...and batched
    push("STEP-4", "2026-11-24T09:00:00", "2026-11-26T09:00:00", Some("by_post")).await; // day 3: late, alone

    let report = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-11-01&to=2026-11-30")
        .await;
    let commune = report["communes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["commune_code"] == "22609")
        .unwrap();
    assert_eq!(
        (
            &commune["pushed_late"],
            &commune["pushed_late_in_batches"],
            &commune["median_working_days_to_push"]
        ),
        (&json!(3), &json!(2), &json!(3.0)),
        "{commune:#}"
    );
    assert_eq!(report["total"]["pushed_late_in_batches"], 2);

    // The channel split, in JSON and in the CSV's named columns.
    let split = ["received_in_person", "received_online", "received_by_post"].map(|k| commune[k].clone());
    assert_eq!(split, [json!(1), json!(2), json!(1)], "{commune:#}");
    let csv = stack
        .http
        .get(format!(
            "{}/api/v1/reports?from=2026-11-01&to=2026-11-30&format=csv",
            stack.url
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.find(|l| l.starts_with("22609,")).unwrap().split(',').collect();
    let cell = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        ["tiep_nhan_truc_tiep", "tiep_nhan_truc_tuyen", "tiep_nhan_qua_buu_chinh"].map(cell),
        ["1", "2", "1"],
        "{csv}"
    );

    // The dashboard flags the commune's late pushes and the batch.
    let panel = dashboard_table(&stack, "late-pushes").await;
    assert!(
        panel.contains("<tr><td>Xã thử 22609</td><td>4</td><td>3</td><td>2</td></tr>"),
        "{panel}"
    );
}

/// A case of commune 22612 handed in at a local time `received`, the child born weeks before.
fn merged_case(code: &str, received: &str) -> (Value, Vec<PushFile>) {
    let (mut m, files) = case_at(code, received);
    m["commune_code"] = "22612".into();
    m["child"]["date_of_birth"] = "2026-06-01".into();
    (m, files)
}

/// Rewrites the test configuration as if 22612 had merged into 22609 on 01/07/2026.
fn merge_22612_into_22609(dir: &std::path::Path) {
    let routes = std::fs::read_to_string(dir.join("routes.toml")).unwrap();
    let start = routes.find("[communes.\"22612\"]").unwrap();
    let end = start + routes[start..].find("\n\n").unwrap() + 2;
    let routes = format!(
        "{}{}[retired_communes.\"22612\"]\nname = \"Xã thử 22612\"\nsuccessor = \"22609\"\nsince = \"2026-07-01\"\n",
        &routes[..start],
        &routes[end..]
    )
    .replace("communes = [\"22609\", \"22612\"]", "communes = [\"22609\"]");
    std::fs::write(dir.join("routes.toml"), routes).unwrap();
    let gateway = std::fs::read_to_string(dir.join("gateway.toml")).unwrap();
    std::fs::write(
        dir.join("gateway.toml"),
        gateway.replace("communes = [\"22612\"]", "communes = [\"22609\"]"),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merger_moves_cases_in_flight_and_reports_onto_the_successor() {
    let clock = clock_at("2026-06-29T09:00:00");
    let mut stack = spawn_stack(Opts {
        police: undecided(),
        insurance: undecided(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    let (m, files) = merged_case("MERGE-0001", "2026-06-29T08:00:00");
    let a = stack.push(ONESTOP_B, &m, &files).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let first = a.body["case_id"].as_str().unwrap().to_string();
    wait_leg(&stack, &first, "residence", "delivered", 20).await;
    let in_flight = wait_leg(&stack, &first, "insurance", "delivered", 20).await;

    // The merger takes effect: 22612 is retired into 22609 and the gateway restarts twice (the
    // move is made once).
    merge_22612_into_22609(stack.dir.path());
    stack.restart_gateway().await;
    stack.restart_gateway().await;
    let case = stack.get_json(ONESTOP_B, &format!("/api/v1/cases/{first}")).await;
    assert_eq!(case["commune_code"], "22609", "{case:#}");
    let moves: Vec<&Value> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "commune_recoded")
        .collect();
    assert_eq!(moves.len(), 1, "{case:#}");
    assert_eq!(moves[0]["reason"], "22612 → 22609", "{case:#}");

    // The case in flight is decided as before and its result goes back to the commune.
    clock.set(vn("2026-06-30T10:00:00"));
    for (token, name, body) in [(POLICE, "residence", residence(None)), (INSURANCE, "insurance", card())] {
        let leg = leg(&in_flight, name)["leg_id"].as_str().unwrap().to_string();
        let (status, answer) = stack
            .post_json(token, &format!("/api/v1/legs/{leg}/decision"), &body)
            .await;
        assert_eq!(status, 200, "{answer}");
    }
    wait_leg(&stack, &first, "return", "delivered", 20).await;

    // A dossier handed in before the merger may still come under the old code...
    let (m, files) = merged_case("MERGE-0002", "2026-06-30T08:00:00");
    let b = stack.push(ONESTOP_B, &m, &files).await;
    assert_eq!(b.status, 201, "{}", b.body);
    let second = b.body["case_id"].as_str().unwrap();
    assert_eq!(stack.get_case(second).await["commune_code"], "22609");
    // ...one handed in from the merger's day on is refused with the new code named.
    clock.set(vn("2026-07-01T10:00:00"));
    let (m, files) = merged_case("MERGE-0003", "2026-07-01T08:00:00");
    let c = stack.push(ONESTOP_B, &m, &files).await;
    assert_eq!(c.status, 422, "{}", c.body);
    let problem = &c.body["error"]["fields"][0];
    assert_eq!(problem["path"], "commune_code", "{}", c.body);
    assert_eq!(problem["code"], "retired_commune", "{}", c.body);
    let message = problem["message"].as_str().unwrap();
    assert!(message.contains("22609") && message.contains("01/07/2026"), "{message}");

    // A report over the change counts both cases under the successor, in its area too.
    let report = stack
        .get_json(ADMIN, "/api/v1/reports?from=2026-06-01&to=2026-07-31")
        .await;
    let communes = report["communes"].as_array().unwrap();
    assert_eq!(communes.len(), 1, "{report:#}");
    assert_eq!(communes[0]["commune_code"], "22609", "{report:#}");
    assert_eq!(communes[0]["received"], 2, "{report:#}");
    let finished = ["completed_early", "completed_on_time", "completed_late"]
        .iter()
        .map(|k| communes[0][k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(finished, 1, "{report:#}");
    assert_eq!(report["areas"][0]["received"], 2, "{report:#}");
}
