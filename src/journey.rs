//! Recording the results' journey (docs/family.md), whatever the channel: a commune officer's
//! or insurance staff's page, a one-stop or insurance system's signed API call, the postal
//! partner's signed report. The step's details are validated here (every problem at once), the
//! journey's order is the domain's ([`crate::domain::journey::check`]), and the store writes it
//! under the case's lock.

use serde::Deserialize;

use crate::domain::journey::{Refusal, Step};
use crate::domain::text::{is_person_name, tidy};
use crate::domain::FieldProblem;
use crate::store::journey::{Recorded, StepDetail};
use crate::store::{Store, StoreError};

/// A step as a page or a system reports it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    /// `card_sent`, `card_received`, `handed_over`, `posted`, `post_delivered`, `post_returned`.
    pub step: String,
    pub tracking_number: Option<String>,
    pub received_by: Option<String>,
    pub id_checked: Option<bool>,
    pub note: Option<String>,
}

/// Why a step was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error("invalid step ({} problems)", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error("not allowed now: {0}")]
    Refused(Refusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StepError {
    /// The refusal in the words an officer reads.
    pub fn message(&self) -> String {
        match self {
            StepError::Invalid(p) => p.iter().map(|p| p.message.clone()).collect::<Vec<_>>().join("; "),
            StepError::Refused(r) => refusal_text(*r).to_string(),
            StepError::Store(e) => e.to_string(),
        }
    }
}

/// A refusal in Vietnamese.
pub fn refusal_text(r: Refusal) -> &'static str {
    match r {
        Refusal::NoResult => "Các cơ quan chưa giải quyết xong hồ sơ",
        Refusal::Closed => "Hồ sơ đã trả kết quả cho gia đình",
        Refusal::NoCard => "Hồ sơ không có thẻ BHYT được cấp",
        Refusal::CardNotSent => "Thẻ BHYT chưa được gửi về xã",
        Refusal::NotPosted => "Kết quả chưa được gửi qua bưu chính",
        Refusal::ByPost => "Gia đình đăng ký nhận kết quả qua bưu chính; chỉ trao tại xã khi bưu chính trả lại",
        Refusal::AtCommune => "Gia đình đăng ký nhận kết quả tại xã",
        Refusal::Repeated => "Bước này đã được ghi nhận",
        Refusal::TrackingInUse => "Mã vận đơn này đã dùng cho hồ sơ khác",
    }
}

/// A tracking number: 4–40 letters, digits and `-`.
fn is_tracking(s: &str) -> bool {
    (4..=40).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Parses a step body into the step and its details, or every problem.
pub fn parse(body: &StepBody) -> Result<(Step, StepDetail), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let step = Step::parse(body.step.trim());
    if step.is_none() {
        problems.push(FieldProblem::invalid(
            "step",
            "Bước không hợp lệ; chỉ nhận: card_sent, card_received, handed_over, posted, post_delivered, post_returned",
        ));
    }
    let clean = |v: &Option<String>| v.as_deref().map(tidy).filter(|s| !s.is_empty());
    let tracking = clean(&body.tracking_number);
    let received_by = clean(&body.received_by);
    let note = clean(&body.note);
    if let Some(t) = &tracking {
        if !is_tracking(t) {
            problems.push(FieldProblem::invalid(
                "tracking_number",
                "Mã vận đơn gồm 4-40 ký tự chữ, số hoặc '-'",
            ));
        }
    }
    if step.is_some_and(Step::needs_tracking) && tracking.is_none() {
        problems.push(FieldProblem::invalid(
            "tracking_number",
            "Cần mã vận đơn (số hiệu bưu gửi)",
        ));
    }
    if step == Some(Step::HandedOver) {
        match &received_by {
            Some(name) if name.chars().count() <= 100 && is_person_name(name) => {}
            Some(_) => problems.push(FieldProblem::invalid("received_by", "Họ tên người nhận không hợp lệ")),
            None => problems.push(FieldProblem::invalid("received_by", "Cần họ tên người nhận kết quả")),
        }
        if body.id_checked != Some(true) {
            problems.push(FieldProblem::invalid(
                "id_checked",
                "Cần kiểm tra giấy tờ tùy thân của người nhận trước khi trao kết quả",
            ));
        }
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        problems.push(FieldProblem::invalid("note", "Ghi chú tối đa 500 ký tự"));
    }
    match step {
        Some(step) if problems.is_empty() => Ok((
            step,
            StepDetail {
                tracking_number: tracking,
                received_by,
                id_checked: body.id_checked.filter(|_| step == Step::HandedOver),
                note,
            },
        )),
        _ => Err(problems),
    }
}

/// Validates and records a step as `actor`'s; `Ok(false)` when it was recorded before.
pub async fn record(
    store: &Store,
    case_id: &str,
    step: Step,
    detail: &StepDetail,
    actor: &str,
) -> Result<bool, StepError> {
    match store.record_step(case_id, step, detail, actor).await? {
        Recorded::Written { closed } => {
            tracing::info!(case_id, step = step.as_str(), closed, actor, "journey step recorded");
            metrics::counter!("lienthong_journey_steps_total", "step" => step.as_str()).increment(1);
            Ok(true)
        }
        Recorded::Unchanged => Ok(false),
        Recorded::Refused(r) => Err(StepError::Refused(r)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(step: &str) -> StepBody {
        StepBody {
            step: step.into(),
            ..StepBody::default()
        }
    }

    #[test]
    fn a_hand_over_needs_the_receiver_and_an_id_check() {
        let problems = parse(&body("handed_over")).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["received_by", "id_checked"]);
        let mut ok = body("handed_over");
        ok.received_by = Some(" Trần  Thị Hồng ".into());
        ok.id_checked = Some(true);
        let (step, detail) = parse(&ok).unwrap();
        assert_eq!(step, Step::HandedOver);
        assert_eq!(detail.received_by.as_deref(), Some("Trần Thị Hồng"));
    }

    #[test]
    fn sending_needs_a_tracking_number_and_unknown_steps_are_named() {
        assert_eq!(parse(&body("posted")).unwrap_err()[0].path, "tracking_number");
        let mut bad = body("teleported");
        bad.tracking_number = Some("x y".into());
        let paths: Vec<String> = parse(&bad).unwrap_err().into_iter().map(|p| p.path).collect();
        assert_eq!(paths, ["step", "tracking_number"]);
        let mut ok = body("card_sent");
        ok.tracking_number = Some("EB123456789VN".into());
        assert!(parse(&ok).is_ok());
    }
}
