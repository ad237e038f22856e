//! The conformance kit: every adapter, run against its simulator, must pass [`check`].
//!
//! It proves the properties the gateway relies on: a submit answers with a receipt listing every
//! file by hash; a repeated submit is deduplicated by the idempotency key; an envelope whose files
//! were dropped can be completed by re-sending the files alone; an outage is a transient error;
//! and, for systems that decide on cases, the receipt query carries no decision before one is
//! made and afterwards exactly the decision the system made (what the gateway's check-back relies
//! on when a decision callback was lost).

use lienthong_contract::adapter::{Adapter, AdapterError, Endpoint, FileBody};
use lienthong_contract::bundle::AttachmentMeta;
use lienthong_contract::message::Message;
use lienthong_contract::samples::{file_body, Sample};

use crate::sim::{Faults, SimHandle};

fn bodies(sample: &Sample) -> Vec<FileBody> {
    sample.files.iter().map(|(m, b)| file_body(m, b)).collect()
}

fn metas(sample: &Sample) -> Vec<AttachmentMeta> {
    sample.files.iter().map(|(m, _)| m.clone()).collect()
}

/// Runs every conformance check; the error names the first property that does not hold.
/// `endpoint` is the URL the gateway would be configured with for this simulator.
pub async fn check(
    adapter: &dyn Adapter,
    sim: &SimHandle,
    endpoint: &str,
    make: impl Fn(&str) -> Sample,
) -> Result<(), String> {
    let ep = Endpoint {
        base_url: endpoint.to_string(),
        timeout: std::time::Duration::from_secs(5),
        http: lienthong_contract::adapter::http_client(),
    };
    sim.state.set_faults(Faults {
        decide: crate::sim::DecideMix {
            completed: 0,
            ..Default::default()
        },
        ..Faults::default()
    });
    let no_decisions = sim.state.faults();

    // 1. A submit with every file is confirmed file by file.
    let a = make("conformance-a");
    let r1 = adapter
        .submit(&ep, &a.message, bodies(&a))
        .await
        .map_err(|e| format!("submit failed: {e}"))?;
    let declared = metas(&a);
    let missing = r1.missing(&declared);
    if !missing.is_empty() {
        return Err(format!("receipt lacks {} file(s) that were sent", missing.len()));
    }

    // 2. The same key again is the same record, not a second one.
    let r2 = adapter
        .submit(&ep, &a.message, bodies(&a))
        .await
        .map_err(|e| format!("repeated submit failed: {e}"))?;
    if r2.record_id != r1.record_id {
        return Err("a repeated submit created a second record".into());
    }
    let held = sim.state.records().iter().filter(|r| r.key == "conformance-a").count();
    if held != 1 {
        return Err(format!("simulator holds {held} records for one key"));
    }
    let again = adapter
        .receipt(&ep, "conformance-a")
        .await
        .map_err(|e| format!("receipt query failed: {e}"))?;
    if again != r2 {
        return Err("the receipt query disagrees with the submit's receipt".into());
    }
    if again.decision.is_some() {
        return Err("the receipt carries a decision the system never made".into());
    }

    // 3. Dropped files are re-sent alone until the receipt lists them all.
    if !a.files.is_empty() {
        sim.state.set_faults(Faults {
            drop_files_next: 1,
            ..no_decisions.clone()
        });
        let b = make("conformance-b");
        let r = adapter
            .submit(&ep, &b.message, bodies(&b))
            .await
            .map_err(|e| format!("submit with dropped files failed: {e}"))?;
        let declared = metas(&b);
        if r.missing(&declared).len() != b.files.len() {
            return Err("the dropped-files fault was not visible in the receipt".into());
        }
        let mut last = r;
        for (meta, bytes) in &b.files {
            last = adapter
                .send_file(&ep, "conformance-b", file_body(meta, bytes))
                .await
                .map_err(|e| format!("file re-send failed: {e}"))?;
        }
        if !last.missing(&declared).is_empty() {
            return Err("files re-sent alone are still missing from the receipt".into());
        }
        let rec = sim
            .state
            .records()
            .into_iter()
            .find(|r| r.key == "conformance-b")
            .ok_or("no record for the re-sent envelope")?;
        if rec.envelope_posts != 1 || rec.file_puts as usize != b.files.len() {
            return Err(format!(
                "expected 1 envelope and {} lone files, saw {} and {}",
                b.files.len(),
                rec.envelope_posts,
                rec.file_puts
            ));
        }
    }

    // 4. An outage is transient, so the gateway will retry.
    sim.state.set_faults(Faults {
        fail_next: 1,
        ..no_decisions.clone()
    });
    let c = make("conformance-c");
    match adapter.submit(&ep, &c.message, bodies(&c)).await {
        Err(AdapterError::Transient(_)) => {}
        other => return Err(format!("a 503 was not a transient error: {other:?}")),
    }

    // 5. Check-back: every decision the system makes is read back, as made, from its status.
    if matches!(a.message, Message::Case(_)) {
        check_back(adapter, sim, &ep, &make, &no_decisions).await?;
    }
    sim.state.set_faults(Faults::default());
    Ok(())
}

/// Each outcome in turn: the system decides (its callback lost), and the receipt query answers
/// with the very decision it made, whatever its wire format.
async fn check_back(
    adapter: &dyn Adapter,
    sim: &SimHandle,
    ep: &Endpoint,
    make: &impl Fn(&str) -> Sample,
    quiet: &Faults,
) -> Result<(), String> {
    let mixes = [(1, 0, 0), (0, 1, 0), (0, 0, 1)];
    for (i, (completed, rejected, needs_supplement)) in mixes.into_iter().enumerate() {
        sim.state.set_faults(Faults {
            decide: crate::sim::DecideMix {
                completed,
                rejected,
                needs_supplement,
                after_ms: 0,
            },
            drop_decisions_rate: 1.0,
            ..quiet.clone()
        });
        let key = format!("conformance-check-back-{i}");
        let d = make(&key);
        adapter
            .submit(ep, &d.message, bodies(&d))
            .await
            .map_err(|e| format!("submit for check-back failed: {e}"))?;
        let made = sim
            .state
            .records()
            .into_iter()
            .find(|r| r.key == key)
            .and_then(|r| r.decision)
            .ok_or("the simulator made no decision on a complete record")?;
        let read = adapter
            .receipt(ep, &key)
            .await
            .map_err(|e| format!("receipt query for check-back failed: {e}"))?;
        match read.decision {
            Some(got) if got == made => {}
            Some(got) => return Err(format!("check-back read {got} where the system decided {made}")),
            None => return Err(format!("check-back found no decision where the system decided {made}")),
        }
    }
    Ok(())
}
