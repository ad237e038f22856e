//! The conformance kit: every adapter, run against its simulator, must pass [`check`].
//!
//! It proves the properties the gateway relies on: a submit answers with a receipt listing every
//! file by hash; a repeated submit is deduplicated by the idempotency key; an envelope whose files
//! were dropped can be completed by re-sending the files alone; an outage is a transient error.

use bytes::Bytes;

use crate::adapter::{Adapter, AdapterError, ByteStream, Endpoint, FileBody};
use crate::bundle::AttachmentMeta;
use crate::message::Message;
use crate::sim::{Faults, SimHandle};

/// A message and the bytes of its attachments, built fresh for a given idempotency key.
pub struct Sample {
    pub message: Message,
    pub files: Vec<(AttachmentMeta, Bytes)>,
}

/// Streams in-memory test bytes as an adapter expects them.
pub fn file_body(meta: &AttachmentMeta, bytes: &Bytes) -> FileBody {
    let chunks: Vec<std::io::Result<Bytes>> = bytes
        .chunks(16 * 1024)
        .map(|c| Ok(bytes.slice_ref(c)))
        .collect();
    let body: ByteStream = Box::pin(futures_util::stream::iter(chunks));
    FileBody {
        meta: meta.clone(),
        body,
    }
}

fn bodies(sample: &Sample) -> Vec<FileBody> {
    sample.files.iter().map(|(m, b)| file_body(m, b)).collect()
}

fn metas(sample: &Sample) -> Vec<AttachmentMeta> {
    sample.files.iter().map(|(m, _)| m.clone()).collect()
}

/// Runs every conformance check; the error names the first property that does not hold.
pub async fn check(
    adapter: &dyn Adapter,
    sim: &SimHandle,
    make: impl Fn(&str) -> Sample,
) -> Result<(), String> {
    let ep = Endpoint {
        base_url: sim.url(),
        timeout: std::time::Duration::from_secs(5),
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
    let held = sim
        .state
        .records()
        .iter()
        .filter(|r| r.key == "conformance-a")
        .count();
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
    sim.state.set_faults(Faults::default());
    Ok(())
}
