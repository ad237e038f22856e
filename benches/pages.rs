//! `cargo bench --bench pages`: how fast the web pages answer on a big store.
//!
//! Seeds 100,000 cases (300,000 legs, 100,000 events) straight into the gateway's SQLite file,
//! then times the administrator's dashboard and filtered case lists over real HTTP with a signed-in
//! session. Baseline measured in the same run: `GET /healthz` (the HTTP round trip alone).
//! Prints a Markdown table for docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use lienthong::accounts::Role;
use sqlx::Connection;

const CASES: i64 = 100_000;
const RUNS: usize = 30;

async fn seed(stack: &Stack, template_case: &str) {
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
            CASE WHEN i % 10 = 0 THEN 'in_progress' WHEN i % 37 = 0 THEN 'rejected' ELSE 'completed' END,
            ?2 - i * 60000, t.content_sha256, t.bundle, ?2 - i * 60000, ?2 - i * 60000, t.regime, t.regime_json,
            t.receipt_day, t.due_day, ?2 - i * 60000 + 8 * ?3, ?2 - i * 60000 + 7 * ?3, t.appointment_day, 0, 'on_track'
         FROM n, (SELECT * FROM cases WHERE id = ?4) t",
    )
    .bind(CASES)
    .bind(now)
    .bind(day)
    .bind(template_case)
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

async fn time(stack: &Stack, cookie: &str, path: &str, must_contain: &str) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let r = stack
            .http
            .get(format!("{}{path}", stack.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let body = r.text().await.unwrap();
        samples.push(start.elapsed());
        assert!(body.contains(must_contain), "{path} lacks '{must_contain}'");
    }
    samples.sort();
    (samples[RUNS / 2], samples[RUNS * 95 / 100])
}

#[tokio::main]
async fn main() {
    let stack = spawn_stack(Opts::default()).await;
    let template = stack.push_new("SEED-TEMPLATE").await;
    let started = Instant::now();
    seed(&stack, &template).await;
    let seeded = started.elapsed();
    let admin = sign_in(&stack, "bench.admin", Role::Admin, &[]).await;
    let officer = sign_in(&stack, "bench.officer", Role::CommuneOfficer, &["22609"]).await;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (base_med, base_p95) = time(&stack, &admin, "/healthz", "ok").await;
    let pages = [
        ("dashboard `/admin`", &admin, "/admin", "Bảng điều khiển"),
        (
            "case list, overdue in progress (admin)",
            &admin,
            "/cases?status=in_progress&clock=overdue",
            "SEED-",
        ),
        (
            "case list, one commune, at risk (officer)",
            &officer,
            "/cases?clock=at_risk",
            "hồ sơ",
        ),
        (
            "case list, by code (officer)",
            &officer,
            "/cases?code=SEED-000010",
            "SEED-000010",
        ),
        (
            "case page with timeline (admin)",
            &admin,
            "/cases/00000000-0000-7000-8000-000000000010",
            "SEED-000010",
        ),
    ];
    println!("\n100,000 cases seeded in {:.1} s\n", seeded.as_secs_f64());
    println!("| page | median | p95 | baseline `/healthz` median | ratio (median) |");
    println!("|---|---|---|---|---|");
    for (name, cookie, path, needle) in pages {
        let (med, p95) = time(&stack, cookie, path, needle).await;
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.2} ms (p95 {:.2}) | {:.0}× |",
            ms(med),
            ms(p95),
            ms(base_med),
            ms(base_p95),
            ms(med) / ms(base_med)
        );
    }
}
