//! An agency's decision on a leg, parsed from the JSON every channel carries: the signed
//! callback, the staff's inbox form and the check-back of the agency's status
//! (docs/reconciliation.md). One parser, so a decision is valid or not whatever way it came.

use lienthong_contract::{InsuranceDecision, LegKind, ResidenceDecision};
use serde_json::Value;

use super::state::LegState;
use super::FieldProblem;

/// A decision that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The leg's next state.
    pub to: LegState,
    /// The decision in its canonical JSON form (re-serialised from the typed value), so the
    /// same decision compares equal however it was spelled or whichever channel brought it.
    pub result: Value,
    /// A short reason for the trail (the refusal reason, the missing papers).
    pub reason: String,
}

/// The officer identifier an agency's system may add to its decision (`officer`): 1–64 ASCII
/// letters, digits, `.`, `_` or `-`, so it is an identifier and never a name.
pub fn officer_id(text: &str) -> Option<&str> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    ok.then_some(text)
}

/// Parses `body` as a decision on a leg of `kind`, or lists every problem with its JSON path.
pub fn parse(kind: LegKind, body: &Value) -> Result<Decision, Vec<FieldProblem>> {
    let shape = |e: serde_json::Error| vec![FieldProblem::invalid("", format!("Quyết định không hợp lệ: {e}"))];
    let mut problems = Vec::new();
    let (to, reason, result) = match kind {
        LegKind::Residence => {
            let d: ResidenceDecision = serde_json::from_value(body.clone()).map_err(shape)?;
            let (to, reason) = match &d {
                ResidenceDecision::Completed {
                    registration_number, ..
                } => {
                    if registration_number.trim().is_empty() || registration_number.len() > 64 {
                        problems.push(FieldProblem::invalid(
                            "registration_number",
                            "Số đăng ký thường trú gồm 1-64 ký tự",
                        ));
                    }
                    (LegState::Completed, "residence registered".to_string())
                }
                ResidenceDecision::Rejected { reason } => (LegState::Rejected, reason.clone()),
                ResidenceDecision::NeedsSupplement { missing, kinds } => asked(missing, kinds, &mut problems),
            };
            (to, reason, serde_json::to_value(&d))
        }
        LegKind::Insurance => {
            let d: InsuranceDecision = serde_json::from_value(body.clone()).map_err(shape)?;
            let (to, reason) = match &d {
                InsuranceDecision::Completed {
                    social_insurance_number,
                    card_valid_from,
                    card_valid_to,
                    health_facility_code,
                    electronic_card_issued_on,
                } => {
                    if electronic_card_issued_on.is_some_and(|d| d > *card_valid_to) {
                        problems.push(FieldProblem::invalid(
                            "electronic_card_issued_on",
                            "Ngày cấp thẻ điện tử phải trước hạn thẻ",
                        ));
                    }
                    if social_insurance_number.len() != 10
                        || !social_insurance_number.bytes().all(|b| b.is_ascii_digit())
                    {
                        problems.push(FieldProblem::invalid(
                            "social_insurance_number",
                            "Mã số BHXH gồm đúng 10 chữ số",
                        ));
                    }
                    if card_valid_to < card_valid_from {
                        problems.push(FieldProblem::invalid(
                            "card_valid_to",
                            "Hạn thẻ đến phải sau hạn thẻ từ",
                        ));
                    }
                    if health_facility_code.chars().count() != 5 {
                        problems.push(FieldProblem::invalid(
                            "health_facility_code",
                            "Mã nơi KCB ban đầu gồm đúng 5 ký tự",
                        ));
                    }
                    (LegState::Completed, "health-insurance card issued".to_string())
                }
                InsuranceDecision::Rejected { reason } => (LegState::Rejected, reason.clone()),
                InsuranceDecision::NeedsSupplement { missing, kinds } => asked(missing, kinds, &mut problems),
            };
            (to, reason, serde_json::to_value(&d))
        }
        LegKind::Return => {
            return Err(vec![FieldProblem::invalid(
                "",
                "Chặng trả kết quả không nhận quyết định của cơ quan",
            )])
        }
    };
    match to {
        LegState::Rejected if reason.trim().is_empty() => {
            problems.push(FieldProblem::invalid("reason", "Cần nêu lý do từ chối"))
        }
        _ => {}
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let result = result.map_err(shape)?;
    Ok(Decision { to, result, reason })
}

/// A request for a supplement: its problems join the decision's, its texts become the reason.
fn asked(missing: &[String], kinds: &[String], problems: &mut Vec<FieldProblem>) -> (LegState, String) {
    problems.extend(super::supplement::check_request(missing, kinds));
    let asked = super::supplement::Asked {
        missing: missing.to_vec(),
        kinds: kinds.to_vec(),
    };
    (LegState::NeedsSupplement, asked.texts().join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn an_officer_is_an_identifier_not_a_name() {
        assert_eq!(officer_id("CA.nguyen-van_a01"), Some("CA.nguyen-van_a01"));
        for bad in ["", "Nguyễn Văn A", "a b", &"x".repeat(65), "a/b"] {
            assert_eq!(officer_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let body = json!({
            "outcome": "completed", "social_insurance_number": "12",
            "card_valid_from": "2026-05-01", "card_valid_to": "2026-04-01", "health_facility_code": "1"
        });
        let problems = parse(LegKind::Insurance, &body).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            ["social_insurance_number", "card_valid_to", "health_facility_code"]
        );
    }

    #[test]
    fn a_decision_for_another_agency_or_the_return_leg_is_refused() {
        let residence = json!({"outcome": "completed", "registration_number": "TT1", "registered_on": "2026-11-30"});
        assert!(parse(LegKind::Residence, &residence).is_ok());
        assert!(parse(LegKind::Insurance, &residence).is_err());
        assert!(parse(LegKind::Return, &residence).is_err());
    }

    proptest! {
        /// The canonical form is a fixed point: parsing it again gives the same decision, so a
        /// decision read back by check-back equals the one its callback carries.
        #[test]
        fn the_canonical_result_parses_to_itself(
            reason in "[a-zA-ZÀ-ỹ ]{1,40}",
            missing in prop::collection::vec("[a-zA-ZÀ-ỹ ]{1,20}", 1..4),
            pick in 0u8..3,
        ) {
            let body = match pick {
                0 => json!({"outcome": "rejected", "reason": reason}),
                1 => json!({"outcome": "needs_supplement", "missing": missing}),
                _ => json!({"outcome": "completed", "registration_number": reason, "registered_on": "2026-11-30"}),
            };
            match parse(LegKind::Residence, &body) {
                Ok(d) => {
                    let again = parse(LegKind::Residence, &d.result).unwrap();
                    prop_assert_eq!(again, d);
                }
                Err(problems) => prop_assert!(!problems.is_empty()),
            }
        }
    }
}
