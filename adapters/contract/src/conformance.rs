//! The conformance kit: every adapter, run against its simulator, must pass [`check`].
//!
//! It proves the properties the gateway relies on: a submit answers with a receipt listing every
//! file by hash; a repeated submit is deduplicated by the idempotency key; an envelope whose files
//! were dropped can be completed by re-sending the files alone; an outage is a transient error;
//! and, for systems that decide on cases, the receipt query carries no decision before one is
//! made and afterwards exactly the decision the system made (what the gateway's check-back relies
//! on when a decision callback was lost).

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
    let chunks: Vec<std::io::Result<Bytes>> = bytes.chunks(16 * 1024).map(|c| Ok(bytes.slice_ref(c))).collect();
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
        http: crate::adapter::http_client(),
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

/// A small canonical case with two PDF attachments, for adapters' conformance runs.
pub fn sample_case(key: &str) -> Sample {
    use crate::bundle::*;
    use sha2::{Digest, Sha256};
    let files: Vec<(AttachmentMeta, Bytes)> = ["birth-registration-extract", "residence-declaration"]
        .into_iter()
        .map(|kind| {
            let bytes = Bytes::from(format!("%PDF-1.4\n% {kind} {key}\n").repeat(2000));
            let meta = AttachmentMeta {
                kind: kind.to_string(),
                file_name: format!("{kind}.pdf"),
                media_type: "application/pdf".into(),
                size: bytes.len() as u64,
                sha256: crate::Sha256::from_digest(Sha256::digest(&bytes).into()),
            };
            (meta, bytes)
        })
        .collect();
    let date = |s: &str| s.parse().expect("static date");
    let code = |s: &str| crate::CommuneCode::parse(s).expect("static code");
    let bundle = CaseBundle {
        receipt_code: crate::ReceiptCode::parse(&format!("CONF-{key}")).expect("a conformance key fits a receipt code"),
        procedure: "birth-residence-insurance".into(),
        commune_code: code("22609"),
        received_at: "2026-11-20T02:15:00Z".parse().expect("static instant"),
        child: Child {
            full_name: "Nguyễn Ngọc Ánh".into(),
            sex: Sex::Female,
            date_of_birth: date("2026-11-10"),
            personal_id: crate::PersonalId::parse("056326001234").expect("static id"),
        },
        birth_registration: BirthRegistration {
            number: "125".into(),
            book: "01/2026".into(),
            registered_on: date("2026-11-20"),
        },
        mother: Some(Parent {
            full_name: "Trần Thị Hồng".into(),
            personal_id: None,
        }),
        father: None,
        residence: Residence {
            address: "Thôn Đồng Trăng, Khánh Vĩnh".into(),
            commune_code: code("22609"),
            existing_household: false,
            household_head_personal_id: None,
            relationship_to_head: None,
        },
        insurance: Insurance {
            health_facility_code: "56018".into(),
        },
        applicant: Applicant {
            full_name: "Trần Thị Hồng".into(),
            phone: Some("0905123456".into()),
            email: None,
        },
        result_delivery: crate::bundle::ResultDelivery::ByPost(crate::bundle::PostalAddress {
            recipient: "Trần Thị Hồng".into(),
            phone: "0905123456".into(),
            province_code: "56".into(),
            commune_code: code("22609"),
            street: "Thôn Đồng Trăng".into(),
        }),
        attachments: files.iter().map(|(m, _)| m.clone()).collect(),
    };
    let message = Message::Case(Box::new(crate::message::CaseEnvelope {
        idempotency_key: key.to_string(),
        case_id: format!("case-{key}"),
        leg_id: key.to_string(),
        leg: crate::message::LegKind::Residence,
        office_code: crate::OfficeCode::parse("CA-568").expect("static code"),
        bundle,
    }));
    Sample { message, files }
}

/// A combined result with no files, for the one-stop adapter's conformance run.
pub fn sample_result(key: &str) -> Sample {
    let outcome = |state: &str| crate::message::LegOutcome {
        state: state.into(),
        result: None,
    };
    Sample {
        message: Message::Result(Box::new(crate::message::CaseResult {
            idempotency_key: key.to_string(),
            case_id: format!("case-{key}"),
            receipt_code: crate::ReceiptCode::parse(&format!("CONF-{key}"))
                .expect("a conformance key fits a receipt code"),
            commune_code: crate::CommuneCode::parse("22609").expect("static code"),
            outcome: "completed".into(),
            residence: outcome("completed"),
            insurance: outcome("completed"),
        })),
        files: Vec::new(),
    }
}
