//! `cargo bench --bench pages`: how fast the web pages and the year's report answer on a big store.
//!
//! Seeds a year of a large province — 1,000,000 cases by default (`LIENTHONG_BENCH_CASES`), three
//! legs and one event each, one case in twenty still running, each with its own receipt and due
//! day — straight into the gateway's SQLite file, then times the administrator's dashboard,
//! filtered case lists, a case page and the report of the year over all units, over real HTTP. Baseline measured in the same run: `GET /healthz`
//! (the HTTP round trip alone). Prints a Markdown table for docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use lienthong::accounts::Role;
use sqlx::Connection;

const RUNS: usize = 30;
const YEAR_MS: i64 = 365 * 86_400_000;

fn cases() -> i64 {
    std::env::var("LIENTHONG_BENCH_CASES").map_or(1_000_000, |v| v.parse().expect("a number of cases"))
}

async fn seed(stack: &Stack, template_case: &str, cases: i64) {
    let db = stack.dir.path().join("store.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    let day = 86_400_000i64;
    let mut tx = conn.begin().await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO cases (id, source, receipt_code, commune_code, status, received_at, content_sha256, bundle,
            created_at, updated_at, regime, regime_json, receipt_day, due_day, due_at, at_risk_at, appointment_day,
            calendar_missing, clock_acted)
         SELECT printf('00000000-0000-7000-8000-%012d', i), 'onestop-a', printf('SEED-%06d', i), CASE i % 2 WHEN 0 THEN '22609' ELSE '22612' END,
            CASE WHEN i % 20 = 0 THEN 'in_progress' WHEN i % 37 = 0 THEN 'rejected' ELSE 'completed' END,
            ?2 - i * ?5, t.content_sha256, t.bundle, ?2 - i * ?5, ?2 - i * ?5, t.regime, t.regime_json,
            date((?2 - i * ?5) / 1000, 'unixepoch', '+7 hours'), date((?2 - i * ?5) / 1000 + 8 * 86400, 'unixepoch', '+7 hours'),
            ?2 - i * ?5 + 8 * ?3, ?2 - i * ?5 + 7 * ?3, date((?2 - i * ?5) / 1000 + 8 * 86400, 'unixepoch', '+7 hours'), 0, 'on_track'
         FROM n, (SELECT * FROM cases WHERE id = ?4) t",
    )
    .bind(cases)
    .bind(now)
    .bind(day)
    .bind(template_case)
    .bind(YEAR_MS / cases)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO legs (id, case_id, name, state, office_code, endpoint, attempts, updated_at, delivered_at, completed_at,
            due_day, due_at, at_risk_at, last_error)
         SELECT printf('00000000-0000-7000-%04d-%s', k.n, substr(c.id, 25)), c.id, k.name,
            CASE WHEN c.status != 'in_progress' THEN 'completed'
                 WHEN k.name = 'return' THEN 'waiting'
                 WHEN k.name = 'residence' AND CAST(substr(c.id, 25) AS INTEGER) % 500 = 0 THEN 'dead'
                 WHEN k.name = 'residence' THEN 'completed' ELSE 'delivered' END,
            CASE k.name WHEN 'residence' THEN 'CA-568' WHEN 'insurance' THEN 'BHXH-5608' ELSE c.commune_code END,
            'http://127.0.0.1:9', 1, c.created_at, c.created_at + 1000, NULL, c.due_day, c.due_at, c.at_risk_at,
            CASE WHEN k.name = 'residence' AND CAST(substr(c.id, 25) AS INTEGER) % 500 = 0 THEN 'transient: HTTP 503' END
         FROM cases c, (SELECT 'residence' AS name, 9001 AS n UNION ALL SELECT 'insurance', 9002 UNION ALL SELECT 'return', 9003) k
         WHERE c.id LIKE '00000000-0000-7000-8000-%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO events (case_id, at, actor, to_state, reason, kind)
         SELECT id, created_at, 'system:onestop-a', 'in_progress', 'case received', 'state' FROM cases WHERE id LIKE '00000000-0000-7000-8000-%'",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// How a page is asked for: with a session cookie, or with an API token.
enum Auth<'a> {
    Cookie(&'a str),
    Token(&'a str),
}

/// One request's time.
async fn once(stack: &Stack, auth: &Auth<'_>, path: &str, must_contain: &str) -> Duration {
    let start = Instant::now();
    let request = stack.http.get(format!("{}{path}", stack.url));
    let request = match auth {
        Auth::Cookie(c) => request.header("cookie", *c),
        Auth::Token(t) => request.bearer_auth(t),
    };
    let r = request.send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    let body = r.text().await.unwrap();
    let took = start.elapsed();
    assert!(body.contains(must_contain), "{path} lacks '{must_contain}'");
    took
}

/// The median and p95 of `runs` requests.
async fn time(stack: &Stack, auth: &Auth<'_>, path: &str, must_contain: &str, runs: usize) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for _ in 0..runs {
        samples.push(once(stack, auth, path, must_contain).await);
    }
    samples.sort();
    (samples[runs / 2], samples[(runs * 95 / 100).min(runs - 1)])
}

#[tokio::main]
async fn main() {
    let cases = cases();
    let stack = spawn_stack(Opts::default()).await;
    let template = stack.push_new("SEED-TEMPLATE").await;
    let started = Instant::now();
    seed(&stack, &template, cases).await;
    let seeded = started.elapsed();
    let admin = sign_in(&stack, "bench.admin", Role::Admin, &[]).await;
    let officer = sign_in(&stack, "bench.officer", Role::CommuneOfficer, &["22609"]).await;
    let (admin, officer) = (Auth::Cookie(&admin), Auth::Cookie(&officer));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (base_med, base_p95) = time(&stack, &admin, "/healthz", "ok", RUNS).await;
    let row = |name: &str, (med, p95): (Duration, Duration)| {
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2} ms (p95 {:.2}) | {:.0}× |",
            ms(med),
            ms(p95),
            ms(base_med),
            ms(base_p95),
            ms(med) / ms(base_med)
        );
    };
    println!("\n{cases} cases seeded in {:.1} s\n", seeded.as_secs_f64());
    println!("| page | median | p95 | baseline `/healthz` median | ratio (median) |");
    println!("|---|---|---|---|---|");
    // The dashboard's first request starts computing its accountability panel (the year's
    // report) in the background; it never waits for it.
    let cold = once(&stack, &admin, "/admin", "Bảng điều khiển").await;
    row("dashboard `/admin`, first request (starts the panel)", (cold, cold));
    let today = lienthong::deadline::Calendar::local_day(jiff::Timestamp::now());
    let year = format!(
        "/api/v1/reports?from={}&to={today}",
        today.checked_sub(jiff::Span::new().days(364)).unwrap()
    );
    // The year's report, the same computation the panel waits for (it has finished after these).
    let token = Auth::Token(ADMIN);
    row(
        "report of the year, all units (API, JSON)",
        time(&stack, &token, &year, "\"communes\"", 3).await,
    );
    let pages = [
        ("dashboard `/admin`", &admin, "/admin", "Bảng điều khiển", RUNS),
        (
            "case list, overdue in progress (admin)",
            &admin,
            "/cases?status=in_progress&clock=overdue",
            "SEED-",
            RUNS,
        ),
        (
            "case list, one commune, at risk (officer)",
            &officer,
            "/cases?clock=at_risk",
            "hồ sơ",
            RUNS,
        ),
        (
            "case list, by code (officer)",
            &officer,
            "/cases?code=SEED-000010",
            "SEED-000010",
            RUNS,
        ),
        (
            "case page with timeline (admin)",
            &admin,
            "/cases/00000000-0000-7000-8000-000000000010",
            "SEED-000010",
            RUNS,
        ),
    ];
    for (name, auth, path, needle, runs) in pages {
        row(name, time(&stack, auth, path, needle, runs).await);
    }
}
