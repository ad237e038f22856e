//! Result documents (docs/result-documents.md): the papers an agency issues with its decision —
//! the police's residence confirmation, the insurance card, a refusal letter — which the gateway
//! stores like attachments and carries back to the commune. Pure rules: which kinds a decision
//! may carry, and the checks of their descriptions.

use lienthong_contract::{AttachmentMeta, LegKind};

use super::bundle::MEDIA_TYPES;
use super::problems::FieldProblem;
use super::state::LegState;

/// Every kind of result document, each belonging to one leg, so a kind alone names a document
/// of the case.
pub const RESULT_KINDS: [&str; 4] = [
    "residence-confirmation",
    "residence-refusal",
    "insurance-card",
    "insurance-refusal",
];

/// The kinds a decision of `leg` moving it `to` may carry: what is issued when the procedure
/// is done, the letter when it is refused, nothing while waiting for the family.
pub fn kinds_for(leg: LegKind, to: LegState) -> &'static [&'static str] {
    match (leg, to) {
        (LegKind::Residence, LegState::Completed) => &RESULT_KINDS[0..1],
        (LegKind::Residence, LegState::Rejected) => &RESULT_KINDS[1..2],
        (LegKind::Insurance, LegState::Completed) => &RESULT_KINDS[2..3],
        (LegKind::Insurance, LegState::Rejected) => &RESULT_KINDS[3..4],
        _ => &[],
    }
}

/// What an officer or a family reads for a result document's kind.
pub fn result_label(kind: &str) -> &'static str {
    match kind {
        "residence-confirmation" => "Xác nhận thông tin về cư trú",
        "residence-refusal" => "Văn bản từ chối đăng ký thường trú",
        "insurance-card" => "Thẻ bảo hiểm y tế",
        "insurance-refusal" => "Văn bản từ chối cấp thẻ BHYT",
        _ => "Văn bản kết quả",
    }
}

/// The problems of the kinds of the documents a decision carries: each of a kind this decision
/// may carry, once. Paths are `documents[i].kind`.
pub fn check_kinds(leg: LegKind, to: LegState, documents: &[AttachmentMeta]) -> Vec<FieldProblem> {
    let allowed = kinds_for(leg, to);
    let mut problems = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let at = format!("documents[{i}].kind");
        if !allowed.contains(&d.kind.as_str()) {
            let expected = if allowed.is_empty() {
                "quyết định này không kèm văn bản".to_string()
            } else {
                format!("quyết định này chỉ kèm {}", allowed.join(", "))
            };
            problems.push(FieldProblem::invalid(
                at,
                format!("Loại văn bản '{}' không hợp lệ: {expected}", d.kind),
            ));
        } else if documents[..i].iter().any(|o| o.kind == d.kind) {
            problems.push(FieldProblem::invalid(at, "Văn bản cùng loại gửi hai lần"));
        }
    }
    problems
}

/// The problems of one described document's own fields (its bytes are checked against them by
/// the channel, as at intake): a name, an accepted type, a size within the limit.
pub fn check_meta(i: usize, d: &AttachmentMeta, max_bytes: u64) -> Vec<FieldProblem> {
    described_file("documents", i, d, max_bytes)
}

/// The problems of a file described in the JSON list `list` at position `i`, besides its kind:
/// a name of 1–255 characters, an accepted media type, a size from 1 byte to the limit. Shared
/// by supplements and result documents.
pub fn described_file(list: &str, i: usize, d: &AttachmentMeta, max_bytes: u64) -> Vec<FieldProblem> {
    let at = |f: &str| format!("{list}[{i}].{f}");
    let mut problems = Vec::new();
    if d.file_name.trim().is_empty() || d.file_name.chars().count() > 255 {
        problems.push(FieldProblem::invalid(at("file_name"), "Tên tệp gồm 1-255 ký tự"));
    }
    if !MEDIA_TYPES.contains(&d.media_type.as_str()) {
        problems.push(FieldProblem::invalid(
            at("media_type"),
            format!("Chỉ nhận {}", MEDIA_TYPES.join(", ")),
        ));
    }
    if d.size == 0 || d.size > max_bytes {
        problems.push(FieldProblem::invalid(
            at("size"),
            format!("Kích thước tệp từ 1 đến {max_bytes} byte"),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(kind: &str) -> AttachmentMeta {
        AttachmentMeta {
            kind: kind.into(),
            file_name: format!("{kind}.pdf"),
            media_type: "application/pdf".into(),
            size: 100,
            sha256: "b".repeat(64).parse().unwrap(),
        }
    }

    #[test]
    fn a_completed_leg_carries_what_its_agency_issues_and_a_refusal_its_letter() {
        assert!(check_kinds(
            LegKind::Residence,
            LegState::Completed,
            &[doc("residence-confirmation")]
        )
        .is_empty());
        assert!(check_kinds(LegKind::Insurance, LegState::Rejected, &[doc("insurance-refusal")]).is_empty());
        let wrong = check_kinds(
            LegKind::Insurance,
            LegState::Completed,
            &[doc("residence-confirmation")],
        );
        assert_eq!(wrong[0].path, "documents[0].kind");
        let twice = check_kinds(
            LegKind::Insurance,
            LegState::Completed,
            &[doc("insurance-card"), doc("insurance-card")],
        );
        assert_eq!(twice[0].path, "documents[1].kind");
        let waiting = check_kinds(LegKind::Insurance, LegState::NeedsSupplement, &[doc("insurance-card")]);
        assert!(waiting[0].message.contains("không kèm văn bản"), "{waiting:?}");
    }

    #[test]
    fn every_problem_of_a_description_is_listed() {
        let mut big = doc("insurance-card");
        big.size = 2000;
        big.media_type = "text/plain".into();
        big.file_name = String::new();
        let paths: Vec<String> = check_meta(3, &big, 1000).into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            ["documents[3].file_name", "documents[3].media_type", "documents[3].size"]
        );
    }

    proptest! {
        /// Each kind belongs to exactly one leg and one final state, so a kind names one
        /// document of a case.
        #[test]
        fn each_kind_has_one_owner(i in 0usize..4) {
            let kind = RESULT_KINDS[i];
            let owners: Vec<(LegKind, LegState)> = [LegKind::Residence, LegKind::Insurance, LegKind::Return]
                .into_iter()
                .flat_map(|l| LegState::ALL.into_iter().map(move |s| (l, s)))
                .filter(|(l, s)| kinds_for(*l, *s).contains(&kind))
                .collect();
            prop_assert_eq!(owners.len(), 1);
        }
    }
}
