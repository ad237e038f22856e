//! The tamper-evident audit trail: each event of a case is chained to the previous one by
//! SHA-256, so an inspector can prove afterwards that no row was edited or removed. Pure:
//! the store computes links as it appends; `lienthong audit verify` walks the chains.

use sha2::{Digest, Sha256};

/// The `prev_hash` of a case's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one event that its hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub case_id: String,
    pub leg_id: Option<String>,
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

/// The hash of an event chained to `prev`: every field length-prefixed, so no two different
/// events can be made to hash alike by moving text between fields.
pub fn link_hash(prev: &str, l: &Link) -> String {
    let mut h = Sha256::new();
    let mut field = |v: Option<&str>| match v {
        Some(s) => {
            h.update((s.len() as u64 + 1).to_be_bytes());
            h.update(s.as_bytes());
        }
        None => h.update(0u64.to_be_bytes()),
    };
    field(Some(prev));
    field(Some(&l.case_id));
    field(l.leg_id.as_deref());
    field(Some(&l.at.to_string()));
    field(Some(&l.actor));
    field(Some(&l.kind));
    field(l.from.as_deref());
    field(Some(&l.to));
    field(l.reason.as_deref());
    hex::encode(h.finalize())
}

/// A stored event as the verifier reads it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub id: i64,
    pub link: Link,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// What is wrong at one place of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The row's content no longer matches its hash: it was edited.
    Edited { event_id: i64 },
    /// The row does not follow the one before it: rows between them were removed (or the row's
    /// link was rewritten).
    Missing { event_id: i64, after_event_id: Option<i64> },
}

/// The first broken link of one case's events (oldest first), if any. Rows written before the
/// chain existed (no hash) are skipped; the chain starts at the first hashed row.
pub fn first_break(events: &[Stored]) -> Option<Break> {
    let mut previous: Option<(&str, i64)> = None;
    for e in events {
        let (Some(prev), Some(hash)) = (&e.prev_hash, &e.hash) else {
            continue;
        };
        let expected_prev = previous.map_or(GENESIS, |(h, _)| h);
        if prev != expected_prev {
            return Some(Break::Missing {
                event_id: e.id,
                after_event_id: previous.map(|(_, id)| id),
            });
        }
        if link_hash(prev, &e.link) != *hash {
            return Some(Break::Edited { event_id: e.id });
        }
        previous = Some((hash, e.id));
    }
    None
}

/// The anchor over chain heads `(case_id, hash of its last event)`, sorted by case.
pub fn anchor_hash(heads: &[(String, String)]) -> String {
    let mut h = Sha256::new();
    for (case, head) in heads {
        h.update((case.len() as u64).to_be_bytes());
        h.update(case.as_bytes());
        h.update(head.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The chain heads of a trail (sorted by case then id) as of event `last_event_id`.
pub fn heads_at(all: &[Stored], last_event_id: i64) -> Vec<(String, String)> {
    all.chunk_by(|a, b| a.link.case_id == b.link.case_id)
        .filter_map(|chunk| {
            let head = chunk.iter().rev().find(|e| e.id <= last_event_id)?;
            Some((head.link.case_id.clone(), head.hash.clone()?))
        })
        .collect()
}

/// A stored daily anchor.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub day: String,
    pub last_event_id: i64,
    pub heads_sha256: String,
}

/// The days whose anchor no longer matches the trail.
pub fn broken_anchors(all: &[Stored], anchors: &[Anchor]) -> Vec<String> {
    anchors
        .iter()
        .filter(|a| anchor_hash(&heads_at(all, a.last_event_id)) != a.heads_sha256)
        .map(|a| a.day.clone())
        .collect()
}

/// Verifies every case's chain of a trail sorted by case then id: how many cases were walked,
/// and the first break of each broken case.
pub fn verify(all: &[Stored]) -> (usize, Vec<(String, Break)>) {
    let mut cases = 0;
    let mut breaks = Vec::new();
    for chunk in all.chunk_by(|a, b| a.link.case_id == b.link.case_id) {
        cases += 1;
        if let Some(b) = first_break(chunk) {
            breaks.push((chunk[0].link.case_id.clone(), b));
        }
    }
    (cases, breaks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<Stored> {
        let mut prev = GENESIS.to_string();
        (0..n)
            .map(|i| {
                let link = Link {
                    case_id: "c".into(),
                    leg_id: (i % 2 == 0).then(|| "l".into()),
                    at: i as i64,
                    actor: "gateway".into(),
                    kind: "state".into(),
                    from: None,
                    to: format!("s{i}"),
                    reason: Some("r".into()),
                };
                let hash = link_hash(&prev, &link);
                let s = Stored {
                    id: i as i64 + 1,
                    link,
                    prev_hash: Some(prev.clone()),
                    hash: Some(hash.clone()),
                };
                prev = hash;
                s
            })
            .collect()
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let mut a = chain(1).remove(0).link;
        let h = link_hash(GENESIS, &a);
        a.to = "s0r".into();
        a.reason = Some(String::new());
        assert_ne!(link_hash(GENESIS, &a), h);
    }

    #[test]
    fn removing_the_last_event_breaks_the_anchor_not_the_chain() {
        let mut c = chain(5);
        let anchor = Anchor {
            day: "2026-11-23".into(),
            last_event_id: 5,
            heads_sha256: anchor_hash(&heads_at(&c, 5)),
        };
        assert!(broken_anchors(&c, std::slice::from_ref(&anchor)).is_empty());
        c.pop();
        assert_eq!(first_break(&c), None, "a chain cut at its end still links");
        assert_eq!(broken_anchors(&c, &[anchor]), vec!["2026-11-23".to_string()]);
    }

    proptest! {
        #[test]
        fn an_untouched_chain_verifies(n in 0usize..30) {
            prop_assert_eq!(first_break(&chain(n)), None);
        }

        #[test]
        fn any_edit_is_found_at_its_row(n in 1usize..30, at in 0usize..30) {
            let mut c = chain(n);
            let i = at % n;
            c[i].link.reason = Some("sửa".into());
            prop_assert_eq!(first_break(&c), Some(Break::Edited { event_id: i as i64 + 1 }));
        }

        #[test]
        fn any_removal_but_the_last_is_found_after_the_gap(n in 2usize..30, at in 0usize..30) {
            let mut c = chain(n);
            let i = at % (n - 1);
            c.remove(i);
            let after = (i > 0).then_some(i as i64);
            prop_assert_eq!(first_break(&c), Some(Break::Missing { event_id: i as i64 + 2, after_event_id: after }));
        }
    }
}
