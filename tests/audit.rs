//! The tamper-evident audit trail: `lienthong audit verify` finds a row edited, a row deleted and
//! the end of a chain cut straight in the SQLite file; an untouched store verifies clean.

mod common;

use common::*;
use sqlx::Connection;

fn verify(dir: &std::path::Path) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lienthong"))
        .args(["--config", dir.to_str().unwrap(), "audit", "verify"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn editing_or_deleting_an_event_breaks_the_chain_and_verify_says_where() {
    let clock = lienthong::clock::Clock::adjustable();
    let mut stack = spawn_stack(Opts {
        police: quick(),
        insurance: quick(),
        clock: clock.clone(),
        ..Opts::default()
    })
    .await;
    let mut ids = Vec::new();
    for code in ["AUDIT-1", "AUDIT-2", "AUDIT-3"] {
        ids.push(stack.push_new(code).await);
    }
    for id in &ids {
        stack.wait_status(id, "completed", 20).await;
    }
    // The next day the sweeper anchors the day that ended.
    clock.set(clock.now() + jiff::SignedDuration::from_hours(24));
    let mut anchored = false;
    for _ in 0..100 {
        let out = verify(stack.dir.path()).1;
        if out.contains("daily anchors") && !out.contains(", 0 daily anchors") {
            anchored = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(anchored, "no daily anchor was written");
    stack.gateway.take().unwrap().stop().await;

    let (code, out) = verify(stack.dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("audit trail intact") && out.contains("in 3 cases"),
        "{out}"
    );

    // Someone with the file drops the append-only triggers, rewrites a reason and removes a row.
    let db = stack.dir.path().join("store.db");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let (edited_case, deleted_case) = (ids[0].clone(), ids[1].clone());
    let middle = |case: &str| format!("SELECT id FROM events WHERE case_id = '{case}' ORDER BY id LIMIT 1 OFFSET 2");
    let edited: i64 = sqlx::query_scalar(&middle(&edited_case))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let deleted: i64 = sqlx::query_scalar(&middle(&deleted_case))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let last_of_third: i64 = sqlx::query_scalar(&format!("SELECT MAX(id) FROM events WHERE case_id = '{}'", ids[2]))
        .fetch_one(&mut conn)
        .await
        .unwrap();
    for sql in [
        "DROP TRIGGER events_no_update".to_string(),
        "DROP TRIGGER events_no_delete".to_string(),
        format!("UPDATE events SET reason = 'nothing happened' WHERE id = {edited}"),
        format!("DELETE FROM events WHERE id = {deleted}"),
        // Cutting the end of a chain leaves a chain that links: only the anchor tells.
        format!("DELETE FROM events WHERE id = {last_of_third}"),
    ] {
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let (code, out) = verify(stack.dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("case {edited_case}: event {edited} was changed")),
        "{out}"
    );
    assert!(
        out.contains(&format!("case {deleted_case}: events removed between")),
        "{out}"
    );
    assert!(!out.contains(&ids[2]), "a chain cut at its end still links: {out}");
    assert!(out.contains("does not match"), "the daily anchor finds the cut: {out}");
    assert!(out.contains("2 of 3 cases have a broken audit trail; 1 of "), "{out}");
}
