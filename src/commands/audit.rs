//! `audit verify`: walks every case's hash chain and the daily anchors (read-only).

use std::path::Path;
use std::process::ExitCode;

use lienthong::audit::{self, Break};
use lienthong::store::Store;

/// Prints the first broken link of each case and every anchor that no longer matches; exit 1
/// when there is any.
pub async fn verify(dir: &Path) -> anyhow::Result<ExitCode> {
    let config = super::load(dir)?;
    let store = Store::inspect(&config.gateway.store_url).await?;
    let trail = store.audit_trail().await?;
    let anchors = store.anchors().await?;
    store.close().await;
    let (cases, breaks) = audit::verify(&trail);
    let bad_days = audit::broken_anchors(&trail, &anchors);
    for day in &bad_days {
        println!("anchor of {day} does not match: events of that day or before were changed or removed");
    }
    for (case_id, b) in &breaks {
        match b {
            Break::Edited { event_id } => println!("case {case_id}: event {event_id} was changed after it was written"),
            Break::Missing {
                event_id,
                after_event_id: Some(after),
            } => println!("case {case_id}: events removed between event {after} and event {event_id}"),
            Break::Missing {
                event_id,
                after_event_id: None,
            } => println!("case {case_id}: events removed before event {event_id}"),
        }
    }
    if breaks.is_empty() && bad_days.is_empty() {
        println!(
            "audit trail intact: {} events in {cases} cases, {} daily anchors",
            trail.len(),
            anchors.len()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{} of {cases} cases have a broken audit trail; {} of {} daily anchors do not match",
            breaks.len(),
            bad_days.len(),
            anchors.len()
        );
        Ok(ExitCode::from(1))
    }
}
