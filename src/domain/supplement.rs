//! Supplements (docs/supplements.md): what an agency may ask the family for, and which of the
//! files the commune uploads go to which waiting leg. Pure rules; the I/O is in
//! `web::supplement` and `store::supplements`.

use std::collections::BTreeSet;

use lienthong_contract::{AttachmentMeta, InsuranceDecision, LegKind, ResidenceDecision};
use serde_json::Value;

use super::bundle::KINDS;
use super::problems::FieldProblem;
use super::LegId;

/// The kinds an agency may ask for: a case's attachment kinds, and the proof of lawful residence
/// the police most often ask for (a family renting or living with relatives).
pub const SUPPLEMENT_KINDS: [&str; 6] = [KINDS[0], KINDS[1], KINDS[2], KINDS[3], "residence-proof", KINDS[4]];

/// What an officer or a family reads for an attachment kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "birth-registration-extract" => "Trích lục khai sinh",
        "birth-certificate-medical" => "Giấy chứng sinh",
        "residence-declaration" => "Tờ khai thay đổi thông tin cư trú (CT01)",
        "insurance-declaration" => "Tờ khai tham gia BHYT (TK1-TS)",
        "residence-proof" => "Giấy tờ chứng minh chỗ ở hợp pháp",
        _ => "Giấy tờ khác",
    }
}

/// What an agency asked for, read from its `needs_supplement` decision as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// The agency's own words.
    pub missing: Vec<String>,
    /// The kinds a file must be uploaded against.
    pub kinds: Vec<String>,
}

impl Asked {
    /// The request in a leg's stored result; empty when the result is not a request.
    pub fn of(kind: LegKind, result: Option<&Value>) -> Asked {
        let Some(v) = result else { return Asked::default() };
        let (missing, kinds) = match kind {
            LegKind::Residence => match serde_json::from_value(v.clone()) {
                Ok(ResidenceDecision::NeedsSupplement { missing, kinds }) => (missing, kinds),
                _ => return Asked::default(),
            },
            LegKind::Insurance => match serde_json::from_value(v.clone()) {
                Ok(InsuranceDecision::NeedsSupplement { missing, kinds }) => (missing, kinds),
                _ => return Asked::default(),
            },
            LegKind::Return => return Asked::default(),
        };
        Asked { missing, kinds }
    }

    /// Every item in words: the agency's own, then the label of each kind not already named.
    pub fn texts(&self) -> Vec<String> {
        let mut out = self.missing.clone();
        for k in &self.kinds {
            let label = kind_label(k);
            if !out.iter().any(|m| m == label) {
                out.push(label.to_string());
            }
        }
        out
    }
}

/// The problems of a `needs_supplement` decision's lists: something is asked for, and every
/// kind is one a file can be uploaded against, once.
pub fn check_request(missing: &[String], kinds: &[String]) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if missing.iter().all(|m| m.trim().is_empty()) && kinds.is_empty() {
        problems.push(FieldProblem::invalid("missing", "Cần liệt kê giấy tờ phải bổ sung"));
    }
    let mut seen = BTreeSet::new();
    for (i, k) in kinds.iter().enumerate() {
        if !SUPPLEMENT_KINDS.contains(&k.as_str()) {
            problems.push(FieldProblem::invalid(
                format!("kinds[{i}]"),
                format!(
                    "Loại giấy tờ '{k}' không có; dùng một trong: {}",
                    SUPPLEMENT_KINDS.join(", ")
                ),
            ));
        } else if !seen.insert(k) {
            problems.push(FieldProblem::invalid(format!("kinds[{i}]"), "Loại giấy tờ bị lặp"));
        }
    }
    problems
}

/// A leg waiting for the family, and the kinds its agency asked for.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub leg: LegId,
    pub kinds: Vec<String>,
}

/// Which files go to which waiting leg: each leg gets the files of the kinds it asked for. A
/// file of a kind no waiting leg asked for, a kind asked for with no file, or two files of one
/// kind are problems, all listed; paths name the file's position in `files`.
pub fn route(
    waiting: &[Waiting],
    files: &[AttachmentMeta],
) -> Result<Vec<(LegId, Vec<AttachmentMeta>)>, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let asked: BTreeSet<&str> = waiting
        .iter()
        .flat_map(|w| w.kinds.iter().map(String::as_str))
        .collect();
    let mut seen = BTreeSet::new();
    for (i, f) in files.iter().enumerate() {
        if !seen.insert(f.kind.as_str()) {
            problems.push(FieldProblem::invalid(
                format!("files[{i}].kind"),
                "Tệp cùng loại gửi hai lần",
            ));
        } else if !asked.contains(f.kind.as_str()) {
            problems.push(FieldProblem::invalid(
                format!("files[{i}].kind"),
                format!("Cơ quan không yêu cầu bổ sung '{}'", kind_label(&f.kind)),
            ));
        }
    }
    for kind in asked.iter().filter(|k| !seen.contains(*k)) {
        problems.push(FieldProblem::invalid(
            "files",
            format!("Thiếu tệp '{}' mà cơ quan yêu cầu bổ sung", kind_label(kind)),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(waiting
        .iter()
        .map(|w| {
            let own = files.iter().filter(|f| w.kinds.contains(&f.kind)).cloned().collect();
            (w.leg.clone(), own)
        })
        .collect())
}

/// The problems of one declared supplement file's own fields (its bytes are checked against
/// them by the caller, as at intake).
pub fn check_meta(i: usize, m: &AttachmentMeta, max_bytes: u64) -> Vec<FieldProblem> {
    let at = |f: &str| format!("files[{i}].{f}");
    let mut problems = Vec::new();
    if !SUPPLEMENT_KINDS.contains(&m.kind.as_str()) {
        problems.push(FieldProblem::invalid(
            at("kind"),
            format!("Loại giấy tờ '{}' không có", m.kind),
        ));
    }
    problems.extend(super::results::described_file("files", i, m, max_bytes));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn meta(kind: &str) -> AttachmentMeta {
        AttachmentMeta {
            kind: kind.into(),
            file_name: format!("{kind}.pdf"),
            media_type: "application/pdf".into(),
            size: 10,
            sha256: "a".repeat(64).parse().unwrap(),
        }
    }

    fn waiting(kinds: &[&str]) -> Waiting {
        Waiting {
            leg: LegId::mint(),
            kinds: kinds.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn each_leg_gets_the_kinds_it_asked_for_and_a_shared_kind_goes_to_both() {
        let police = waiting(&["residence-proof", "birth-certificate-medical"]);
        let insurance = waiting(&["birth-certificate-medical"]);
        let files = [meta("birth-certificate-medical"), meta("residence-proof")];
        let routed = route(&[police.clone(), insurance.clone()], &files).unwrap();
        let kinds = |i: usize| routed[i].1.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>();
        assert_eq!(routed[0].0, police.leg);
        assert_eq!(kinds(0), ["birth-certificate-medical", "residence-proof"]);
        assert_eq!(kinds(1), ["birth-certificate-medical"]);
    }

    #[test]
    fn a_kind_not_asked_a_kind_missing_and_a_repeat_are_all_listed() {
        let w = waiting(&["residence-proof", "birth-certificate-medical"]);
        let files = [meta("residence-proof"), meta("other"), meta("residence-proof")];
        let problems = route(&[w], &files).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["files[1].kind", "files[2].kind", "files"]);
        assert!(problems[2].message.contains("Giấy chứng sinh"), "{problems:?}");
    }

    #[test]
    fn a_request_in_words_only_takes_no_file() {
        assert!(route(&[waiting(&[])], &[]).unwrap()[0].1.is_empty());
        assert!(route(&[waiting(&[])], &[meta("other")]).is_err());
    }

    #[test]
    fn a_request_names_something_and_only_known_kinds_once() {
        assert_eq!(check_request(&[], &[]).len(), 1);
        assert!(check_request(&[], &["residence-proof".into()]).is_empty());
        let bad = check_request(&["x".into()], &["passport".into(), "other".into(), "other".into()]);
        let paths: Vec<&str> = bad.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["kinds[0]", "kinds[2]"]);
    }

    #[test]
    fn the_request_reads_back_in_words_from_a_stored_decision() {
        let stored =
            serde_json::json!({"outcome": "needs_supplement", "missing": ["Bản rõ nét"], "kinds": ["residence-proof"]});
        let asked = Asked::of(LegKind::Residence, Some(&stored));
        assert_eq!(asked.kinds, ["residence-proof"]);
        assert_eq!(asked.texts(), ["Bản rõ nét", "Giấy tờ chứng minh chỗ ở hợp pháp"]);
        let done = serde_json::json!({"outcome": "rejected", "reason": "x"});
        assert_eq!(Asked::of(LegKind::Residence, Some(&done)), Asked::default());
    }

    proptest! {
        /// Whatever the legs asked and the commune brought, either every asked kind reaches
        /// exactly the legs that asked for it, or something is refused.
        #[test]
        fn routing_delivers_exactly_what_was_asked(
            asked in prop::collection::vec(prop::collection::btree_set(0usize..6, 0..4), 1..3),
            brought in prop::collection::vec(0usize..6, 0..6),
        ) {
            let legs: Vec<Waiting> = asked
                .iter()
                .map(|set| waiting(&set.iter().map(|i| SUPPLEMENT_KINDS[*i]).collect::<Vec<_>>()))
                .collect();
            let files: Vec<AttachmentMeta> = brought.iter().map(|i| meta(SUPPLEMENT_KINDS[*i])).collect();
            match route(&legs, &files) {
                Ok(routed) => {
                    for (w, (leg, got)) in legs.iter().zip(&routed) {
                        prop_assert_eq!(&w.leg, leg);
                        let mut got: Vec<&str> = got.iter().map(|m| m.kind.as_str()).collect();
                        got.sort();
                        let mut want: Vec<&str> = w.kinds.iter().map(String::as_str).collect();
                        want.sort();
                        prop_assert_eq!(got, want);
                    }
                }
                Err(problems) => prop_assert!(!problems.is_empty()),
            }
        }
    }
}
