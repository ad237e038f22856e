//! A case's progress in the words a family reads (docs/family.md): the status, the appointment
//! date (and the date it replaced after an apology), each procedure's step, and where the
//! results are. It never carries a name, a personal id, an address or a card number: the
//! answer goes to whoever knows a receipt code and four digits.

use crate::domain::supplement::Asked;
use jiff::civil::Date;
use lienthong_contract::{InsuranceDecision, LegKind, ResidenceDecision};
use serde::Serialize;

use crate::domain::journey::Whereabouts;
use crate::domain::state::{CaseStatus, LegState};
use crate::notify::templates::vn_date;

/// What the look-up knows about one agency leg.
pub struct LegFacts<'a> {
    pub kind: LegKind,
    pub state: LegState,
    /// The agency's decision as stored (`None` before it decides).
    pub result: Option<&'a serde_json::Value>,
    /// The last day the family may bring a supplement, while one is asked for.
    pub supplement_until: Option<Date>,
}

/// What the look-up knows about a case.
pub struct Facts<'a> {
    pub receipt_code: &'a str,
    pub status: CaseStatus,
    pub received_on: Date,
    pub appointment: Option<Date>,
    /// The appointment first promised, when an apology moved it.
    pub first_appointment: Option<Date>,
    pub legs: Vec<LegFacts<'a>>,
    pub commune_name: &'a str,
    pub hotline: Option<&'a str>,
    /// The family asked for the results by post (never the address itself: it is personal).
    pub by_post: bool,
    /// Where the results are after the agencies decided.
    pub whereabouts: Whereabouts,
}

/// The procedures of the 3-in-1 case, in the order the family knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Procedure {
    BirthRegistration,
    Residence,
    Insurance,
}

/// Where one procedure stands, in the family's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Received by the commune, on its way to the agency.
    Received,
    /// The agency has every file and is deciding.
    Processing,
    NeedsSupplement,
    Done,
    Rejected,
}

/// One procedure's line of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub procedure: Procedure,
    pub name: &'static str,
    pub stage: Stage,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub supplement_until: Option<Date>,
}

/// The whole answer of a look-up (the API's JSON, the page, the SMS reply).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FamilyStatus {
    pub receipt_code: String,
    #[schema(value_type = String)]
    pub status: CaseStatus,
    pub status_text: &'static str,
    #[schema(value_type = String, format = Date)]
    pub received_on: Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub appointment_date: Option<Date>,
    /// The appointment this one replaced, when the commune apologised for a delay.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub rescheduled_from: Option<Date>,
    pub steps: Vec<Step>,
    /// Where the results are and how to collect them.
    pub results: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hotline: Option<String>,
}

/// The answer for `facts`.
pub fn describe(facts: &Facts<'_>) -> FamilyStatus {
    let mut steps = vec![Step {
        procedure: Procedure::BirthRegistration,
        name: "Đăng ký khai sinh",
        stage: Stage::Done,
        text: "Đã đăng ký khai sinh tại UBND xã.".into(),
        missing: Vec::new(),
        reason: None,
        supplement_until: None,
    }];
    steps.extend(facts.legs.iter().filter(|l| l.kind != LegKind::Return).map(agency_step));
    FamilyStatus {
        receipt_code: facts.receipt_code.to_string(),
        status: facts.status,
        status_text: status_text(facts.status),
        received_on: facts.received_on,
        appointment_date: facts.appointment,
        rescheduled_from: facts.first_appointment.filter(|d| Some(*d) != facts.appointment),
        results: results_text(facts, &steps),
        steps,
        hotline: facts.hotline.map(str::to_string),
    }
}

fn status_text(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::InProgress => "Đang giải quyết",
        CaseStatus::NeedsSupplement => "Cần bổ sung giấy tờ",
        CaseStatus::Completed => "Đã có kết quả",
        CaseStatus::Rejected => "Không được giải quyết",
        CaseStatus::Cancelled => "Đã dừng giải quyết",
        CaseStatus::Withdrawn => "Gia đình đã rút hồ sơ",
    }
}

fn agency_step(leg: &LegFacts<'_>) -> Step {
    let (procedure, name, agency, done) = match leg.kind {
        LegKind::Insurance => (
            Procedure::Insurance,
            "Cấp thẻ BHYT",
            "cơ quan Bảo hiểm xã hội",
            "Đã cấp thẻ bảo hiểm y tế.",
        ),
        _ => (
            Procedure::Residence,
            "Đăng ký thường trú",
            "Công an",
            "Đã đăng ký thường trú.",
        ),
    };
    let (missing, reason) = decision_words(leg);
    let stage = match leg.state {
        LegState::Waiting | LegState::Queued | LegState::Delivering | LegState::Dead => Stage::Received,
        LegState::Delivered => Stage::Processing,
        LegState::NeedsSupplement => Stage::NeedsSupplement,
        LegState::Completed => Stage::Done,
        LegState::Rejected => Stage::Rejected,
    };
    let text = match stage {
        Stage::Received => format!("Đã tiếp nhận, đang chuyển hồ sơ đến {agency}."),
        Stage::Processing => format!("{} đang giải quyết.", capitalise(agency)),
        Stage::NeedsSupplement => {
            let until = leg
                .supplement_until
                .map(|d| format!(" trước ngày {}", vn_date(d)))
                .unwrap_or_default();
            format!(
                "Cần bổ sung: {}. Xin mang giấy tờ đến UBND xã{until}.",
                missing.join("; ")
            )
        }
        Stage::Done if leg.kind == LegKind::Insurance && has_electronic_card(leg) => {
            format!("{done} {E_CARD}")
        }
        Stage::Done => done.to_string(),
        Stage::Rejected => format!(
            "Không được giải quyết. Lý do: {}.",
            reason.as_deref().unwrap_or("xem văn bản trả lời tại UBND xã")
        ),
    };
    Step {
        procedure,
        name,
        stage,
        text,
        missing: if stage == Stage::NeedsSupplement {
            missing
        } else {
            Vec::new()
        },
        reason: reason.filter(|_| stage == Stage::Rejected),
        supplement_until: leg.supplement_until.filter(|_| stage == Stage::NeedsSupplement),
    }
}

/// What families are told when the card was also issued electronically.
pub const E_CARD: &str = "Thẻ BHYT điện tử dùng được ngay trên ứng dụng VssID và VNeID.";

/// Whether the insurance office issued the card electronically too.
fn has_electronic_card(leg: &LegFacts<'_>) -> bool {
    leg.result.is_some_and(|r| {
        matches!(
            serde_json::from_value(r.clone()),
            Ok(InsuranceDecision::Completed {
                electronic_card_issued_on: Some(_),
                ..
            })
        )
    })
}

/// What the agency asked for, or why it refused; nothing else of a decision is said.
fn decision_words(leg: &LegFacts<'_>) -> (Vec<String>, Option<String>) {
    let Some(result) = leg.result else {
        return (Vec::new(), None);
    };
    match leg.kind {
        LegKind::Insurance => match serde_json::from_value(result.clone()) {
            Ok(InsuranceDecision::NeedsSupplement { missing, kinds }) => (Asked { missing, kinds }.texts(), None),
            Ok(InsuranceDecision::Rejected { reason }) => (Vec::new(), Some(reason)),
            _ => (Vec::new(), None),
        },
        _ => match serde_json::from_value(result.clone()) {
            Ok(ResidenceDecision::NeedsSupplement { missing, kinds }) => (Asked { missing, kinds }.texts(), None),
            Ok(ResidenceDecision::Rejected { reason }) => (Vec::new(), Some(reason)),
            _ => (Vec::new(), None),
        },
    }
}

fn results_text(facts: &Facts<'_>, steps: &[Step]) -> String {
    let at = facts.commune_name;
    let all_done = steps.iter().all(|s| s.stage == Stage::Done);
    match facts.whereabouts {
        Whereabouts::WithTheFamily => return "Gia đình đã nhận kết quả. Cảm ơn ông/bà.".into(),
        Whereabouts::InThePost => return "Kết quả đang được bưu chính chuyển đến địa chỉ gia đình đã đăng ký.".into(),
        Whereabouts::ReturnedByPost => {
            return format!("Bưu chính chưa giao được; kết quả đang ở {at}, mời gia đình đến nhận.")
        }
        Whereabouts::NotReady | Whereabouts::AtCommune => {}
    }
    match facts.status {
        CaseStatus::Completed if facts.by_post => {
            format!("Kết quả đã có; {at} gửi qua bưu chính đến địa chỉ gia đình đã đăng ký.")
        }
        CaseStatus::Completed => {
            format!("Kết quả đã có tại {at}. Khi đến nhận, xin mang theo giấy tiếp nhận hồ sơ.")
        }
        CaseStatus::Rejected => format!("Văn bản trả lời đã có tại {at}."),
        CaseStatus::Cancelled => format!("Hồ sơ đã dừng giải quyết; xin liên hệ {at}."),
        CaseStatus::Withdrawn => format!("Gia đình đã rút hồ sơ tại {at}; các cơ quan đã được thông báo."),
        CaseStatus::InProgress if all_done => {
            format!("Các cơ quan đã giải quyết xong; kết quả đang được chuyển về {at}.")
        }
        CaseStatus::InProgress | CaseStatus::NeedsSupplement if facts.by_post => match facts.appointment {
            Some(d) => format!("Kết quả được gửi qua bưu chính từ ngày hẹn {}.", vn_date(d)),
            None => "Kết quả được gửi qua bưu chính.".to_string(),
        },
        CaseStatus::InProgress | CaseStatus::NeedsSupplement => match facts.appointment {
            Some(d) => format!("Kết quả trả tại {at} vào ngày hẹn {}.", vn_date(d)),
            None => format!("Kết quả trả tại {at}."),
        },
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The answer as one SMS: the code, the status, the appointment and each agency's step.
pub fn sms_text(s: &FamilyStatus) -> String {
    let mut text = format!("Hồ sơ {}: {}.", s.receipt_code, s.status_text);
    if let Some(d) = s.appointment_date {
        text.push_str(&format!(" Hẹn trả: {}.", vn_date(d)));
    }
    for step in s.steps.iter().filter(|st| st.procedure != Procedure::BirthRegistration) {
        text.push_str(&format!(" {}: {}", step.name, step.text));
    }
    if let Some(h) = &s.hotline {
        text.push_str(&format!(" Hỗ trợ: {h}."));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).expect("a valid date")
    }

    fn facts<'a>(status: CaseStatus, legs: Vec<LegFacts<'a>>) -> Facts<'a> {
        Facts {
            receipt_code: "000.00.22.H26-261120-0001",
            status,
            received_on: day(2026, 11, 20),
            appointment: Some(day(2026, 11, 27)),
            first_appointment: None,
            legs,
            commune_name: "Phường Ba Đình",
            hotline: Some("024 3823 0000"),
            by_post: false,
            whereabouts: Whereabouts::NotReady,
        }
    }

    fn leg(kind: LegKind, state: LegState, result: Option<&serde_json::Value>) -> LegFacts<'_> {
        LegFacts {
            kind,
            state,
            result,
            supplement_until: None,
        }
    }

    #[test]
    fn a_supplement_lists_what_is_missing_and_until_when() {
        let asked = json!({"outcome": "needs_supplement", "missing": ["Giấy chứng sinh bản gốc"]});
        let mut ins = leg(LegKind::Insurance, LegState::NeedsSupplement, Some(&asked));
        ins.supplement_until = Some(day(2026, 12, 4));
        let s = describe(&facts(
            CaseStatus::NeedsSupplement,
            vec![leg(LegKind::Residence, LegState::Delivered, None), ins],
        ));
        assert_eq!(s.status_text, "Cần bổ sung giấy tờ");
        assert_eq!(s.steps[1].stage, Stage::Processing);
        assert_eq!(s.steps[2].missing, vec!["Giấy chứng sinh bản gốc"]);
        assert!(s.steps[2].text.contains("trước ngày 04/12/2026"), "{}", s.steps[2].text);
        assert!(sms_text(&s).contains("Hẹn trả: 27/11/2026"));
    }

    #[test]
    fn a_completed_decision_says_done_without_its_numbers() {
        let card = json!({"outcome": "completed", "social_insurance_number": "0123456789",
            "card_valid_from": "2026-11-25", "card_valid_to": "2032-11-19", "health_facility_code": "01-001",
            "electronic_card_issued_on": "2026-11-30"});
        let res = json!({"outcome": "completed", "registration_number": "TT-1", "registered_on": "2026-11-24"});
        let mut f = facts(
            CaseStatus::Completed,
            vec![
                leg(LegKind::Residence, LegState::Completed, Some(&res)),
                leg(LegKind::Insurance, LegState::Completed, Some(&card)),
            ],
        );
        let s = describe(&f);
        let body = serde_json::to_string(&s).expect("serialises");
        assert!(!body.contains("0123456789") && !body.contains("TT-1"), "{body}");
        assert!(s.results.starts_with("Kết quả đã có tại Phường Ba Đình"));
        assert!(s.steps[2].text.ends_with(E_CARD), "{}", s.steps[2].text);
        f.by_post = true;
        assert!(describe(&f).results.contains("qua bưu chính"));
        f.whereabouts = Whereabouts::InThePost;
        assert!(describe(&f).results.contains("đang được bưu chính chuyển"));
        f.whereabouts = Whereabouts::WithTheFamily;
        assert!(describe(&f).results.starts_with("Gia đình đã nhận kết quả"));
    }

    #[test]
    fn a_refusal_gives_its_reason_and_an_apology_shows_both_dates() {
        let no = json!({"outcome": "rejected", "reason": "Địa chỉ không thuộc địa bàn"});
        let mut f = facts(
            CaseStatus::Rejected,
            vec![
                leg(LegKind::Residence, LegState::Rejected, Some(&no)),
                leg(LegKind::Insurance, LegState::Delivered, None),
            ],
        );
        f.first_appointment = Some(day(2026, 11, 25));
        let s = describe(&f);
        assert_eq!(s.steps[1].reason.as_deref(), Some("Địa chỉ không thuộc địa bàn"));
        assert_eq!(s.rescheduled_from, Some(day(2026, 11, 25)));
        assert_eq!(s.results, "Văn bản trả lời đã có tại Phường Ba Đình.");
    }

    #[test]
    fn decided_but_not_yet_back_at_the_commune_says_so() {
        let s = describe(&facts(
            CaseStatus::InProgress,
            vec![
                leg(LegKind::Residence, LegState::Completed, None),
                leg(LegKind::Insurance, LegState::Completed, None),
                leg(LegKind::Return, LegState::Queued, None),
            ],
        ));
        assert_eq!(s.steps.len(), 3);
        assert!(s.results.contains("đang được chuyển về"), "{}", s.results);
    }
}
