//! The results' journey on the pages (docs/family.md): the case page shows where the results
//! are and offers the commune's next steps (card received, handed to the family, posted); the
//! insurance inbox lists the cards to send. Every form goes through [`crate::journey`], as the
//! API does.

use crate::web::path_ids::{CasePath, LegPath};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use lienthong_contract::{CaseBundle, LegKind};
use serde::Deserialize;

use super::labels;
use super::session::Signed;
use super::{cases, failed, page_error};
use crate::accounts::Role;
use crate::domain::journey::{self, Facts, Step, Whereabouts};
use crate::domain::state::LegState;
use crate::journey::{self as steps, StepBody, StepError};
use crate::store::cases::{CaseRow, LegView};
use crate::store::journey::StepView;
use crate::web::AppState;

/// The journey as the case page shows it.
pub struct JourneyView {
    pub whereabouts: &'static str,
    /// Each recorded step: when, what, who.
    pub steps: Vec<(String, String, String)>,
    pub can_card_received: bool,
    pub can_hand_over: bool,
    pub can_post: bool,
}

/// The journey's facts for the domain's rules.
pub fn facts(row: &CaseRow, bundle: &CaseBundle, legs: &[LegView], done: &[StepView]) -> Facts {
    Facts {
        status: row.status,
        by_post: !bundle.result_delivery.is_at_commune(),
        card_issued: legs
            .iter()
            .any(|l| l.name == LegKind::Insurance && l.state == LegState::Completed),
        done: done.iter().map(|s| s.step).collect(),
    }
}

/// A recorded step in words.
fn step_text(s: &StepView) -> String {
    let d = &s.detail;
    let tracking = d
        .tracking_number
        .as_deref()
        .map(|t| format!(", mã vận đơn {t}"))
        .unwrap_or_default();
    let what = match s.step {
        Step::CardSent => format!("Cơ quan BHXH đã gửi thẻ BHYT về xã{tracking}"),
        Step::CardReceived => "Xã đã nhận thẻ BHYT".to_string(),
        Step::HandedOver => format!(
            "Đã trao kết quả cho {}{}",
            d.received_by.as_deref().unwrap_or("gia đình"),
            if d.id_checked == Some(true) {
                " (đã kiểm tra giấy tờ tùy thân)"
            } else {
                ""
            }
        ),
        Step::Posted => format!("Đã gửi kết quả qua bưu chính{tracking}"),
        Step::PostDelivered => format!("Bưu chính đã giao kết quả{tracking}"),
        Step::PostReturned => format!("Bưu chính trả lại kết quả, chưa giao được{tracking}"),
    };
    match d.note.as_deref() {
        Some(n) => format!("{what} — {n}"),
        None => what,
    }
}

/// Where the results are, in words.
pub fn whereabouts_text(w: Whereabouts) -> &'static str {
    match w {
        Whereabouts::NotReady => "Các cơ quan chưa giải quyết xong.",
        Whereabouts::AtCommune => "Kết quả đang ở bộ phận một cửa, chờ gia đình đến nhận.",
        Whereabouts::InThePost => "Kết quả đang được bưu chính chuyển đến gia đình.",
        Whereabouts::ReturnedByPost => "Bưu chính đã trả lại kết quả; chờ gia đình đến nhận tại xã.",
        Whereabouts::WithTheFamily => "Gia đình đã nhận kết quả; hồ sơ đã đóng.",
    }
}

/// The journey of a case for its page.
pub fn view(row: &CaseRow, bundle: &CaseBundle, legs: &[LegView], done: &[StepView]) -> JourneyView {
    let f = facts(row, bundle, legs, done);
    JourneyView {
        whereabouts: whereabouts_text(journey::whereabouts(&f)),
        steps: done
            .iter()
            .map(|s| (labels::when(s.at_ms), step_text(s), labels::actor(&s.actor)))
            .collect(),
        can_card_received: journey::check(&f, Step::CardReceived).is_ok(),
        can_hand_over: journey::check(&f, Step::HandedOver).is_ok(),
        can_post: journey::check(&f, Step::Posted).is_ok(),
    }
}

/// A journey form.
#[derive(Deserialize)]
pub struct StepForm {
    csrf: String,
    step: String,
    #[serde(default)]
    tracking_number: String,
    #[serde(default)]
    received_by: String,
    #[serde(default)]
    id_checked: Option<String>,
    #[serde(default)]
    note: String,
}

impl StepForm {
    fn body(&self) -> StepBody {
        let some = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        StepBody {
            step: self.step.clone(),
            tracking_number: some(&self.tracking_number),
            received_by: some(&self.received_by),
            id_checked: Some(self.id_checked.as_deref() == Some("true")),
            note: some(&self.note),
        }
    }
}

fn step_error(e: StepError) -> Response {
    let status = match e {
        StepError::Invalid(_) => 422,
        StepError::Refused(_) => 409,
        StepError::Store(e) => return failed(e),
    };
    page_error(status, &e.message())
}

/// Records a step from a page as the signed-in person's.
async fn record_from(state: &AppState, signed: &Signed, case_id: &str, form: &StepForm) -> Result<(), Response> {
    let (step, detail) = steps::parse(&form.body()).map_err(|p| step_error(StepError::Invalid(p)))?;
    steps::record(&state.store, case_id, step, &detail, &signed.user.actor())
        .await
        .map_err(step_error)?;
    Ok(())
}

/// `POST /cases/{id}/journey`: a commune officer records the card received, the hand-over or
/// the posting.
pub async fn commune_step(
    State(state): State<AppState>,
    signed: Signed,
    CasePath(id): CasePath,
    Form(form): Form<StepForm>,
) -> Response {
    if let Err(r) = cases::commune_action(&state, &signed, &id, &form.csrf).await {
        return r;
    }
    if Step::parse(&form.step).is_some_and(|s| s.recorded_by() != journey::Recorder::Commune) {
        return page_error(403, "Bước này do cơ quan BHXH hoặc bưu chính ghi nhận.");
    }
    match record_from(&state, &signed, &id, &form).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(r) => r,
    }
}

/// `POST /legs/{leg_id}/card-sent`: insurance staff record the card sent to the commune.
pub async fn card_sent(
    State(state): State<AppState>,
    signed: Signed,
    LegPath(leg_id): LegPath,
    Form(form): Form<StepForm>,
) -> Response {
    if let Err(r) = signed.allow(&[Role::InsuranceStaff], &form.csrf) {
        return r;
    }
    let leg = match state.store.leg(&leg_id).await {
        Ok(Some(l)) if l.name == LegKind::Insurance && signed.user.in_scope(&l.office_code) => l,
        Ok(_) => return page_error(404, "Không có hồ sơ này trong hộp của cơ quan."),
        Err(e) => return failed(e),
    };
    if form.step != Step::CardSent.as_str() {
        return page_error(403, "Cơ quan BHXH chỉ ghi nhận việc gửi thẻ.");
    }
    match record_from(&state, &signed, &leg.case_id, &form).await {
        Ok(()) => Redirect::to("/inbox").into_response(),
        Err(r) => r,
    }
}
