//! The family's feedback (docs/family.md): the rating page its single-use link opens (1–5 and a
//! comment, once), complaints filed from the same page and answered by the commune by a due
//! date on the working-day calendar, and ratings officers record from paper or the counter.

use crate::web::path_ids::CasePath;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::session::Signed;
use super::{cases, failed, labels, page_error, render, Nav};
use crate::accounts::Role;
use crate::deadline::{Calendar, ClockState};
use crate::domain::text::tidy;
use crate::store::feedback::LinkRating;
use crate::web::public::ClientAddr;
use crate::web::AppState;

/// The scores a family chooses from.
const SCORES: [(i64, &str); 5] = [
    (5, "Rất hài lòng"),
    (4, "Hài lòng"),
    (3, "Bình thường"),
    (2, "Chưa hài lòng"),
    (1, "Rất không hài lòng"),
];

#[derive(Template)]
#[template(path = "feedback.html")]
struct FeedbackPage {
    nav: Option<Nav>,
    token: String,
    code: String,
    can_rate: bool,
    can_complain: bool,
    complaint_days: u32,
    scores: Vec<(i64, &'static str)>,
    message: Option<String>,
    message_class: &'static str,
}

/// Resolves a link token, counting failures like look-ups do (guessing is throttled).
async fn resolve(state: &AppState, client: &str, token: &str) -> Result<(LinkRating, Option<String>), Response> {
    let public = &state.config.gateway.public;
    let key = format!("addr:{client}");
    let now = state.store.now_ms();
    let (per_minute, burst) = (public.failed_lookups_per_minute, public.failed_lookups_burst);
    if let Err(wait) = state.lookups.check(&key, now, per_minute, burst) {
        let mut r = page_error(429, "Đã thử quá nhiều liên kết không đúng. Xin thử lại sau.");
        r.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.as_secs().max(1).into());
        return Err(r);
    }
    let valid = token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let link = if valid {
        state.store.rating_case(token).await.map_err(failed)?
    } else {
        LinkRating::Unknown
    };
    if link == LinkRating::Unknown {
        let _ = state.lookups.take(&key, now, per_minute, burst);
        return Err(page_error(404, "Liên kết đánh giá không đúng."));
    }
    let code = match state.store.rating_case_of_token(token).await.map_err(failed)? {
        Some(case_id) => state
            .store
            .case(&case_id)
            .await
            .map_err(failed)?
            .map(|c| c.receipt_code.to_string()),
        None => None,
    };
    Ok((link, code))
}

fn page(state: &AppState, token: &str, code: Option<String>, can_rate: bool) -> FeedbackPage {
    FeedbackPage {
        nav: None,
        token: token.to_string(),
        code: code.unwrap_or_default(),
        can_rate,
        can_complain: true,
        complaint_days: state.config.gateway.public.complaint_working_days,
        scores: SCORES.to_vec(),
        message: None,
        message_class: "note",
    }
}

/// `GET /dg/{token}`: the rating page.
pub async fn show(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
) -> Response {
    let (link, code) = match resolve(&state, &client, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut p = page(&state, &token, code, matches!(link, LinkRating::Recorded { .. }));
    if link == LinkRating::Used {
        p.message = Some("Hồ sơ này đã được đánh giá. Cảm ơn ông/bà.".into());
    }
    render(&p)
}

/// The rating form.
#[derive(Deserialize)]
pub struct RatingForm {
    score: String,
    #[serde(default)]
    comment: String,
}

/// `POST /dg/{token}`: the family's rating, accepted once.
pub async fn rate(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    Form(form): Form<RatingForm>,
) -> Response {
    let (_, code) = match resolve(&state, &client, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(score) = form.score.trim().parse::<i64>().ok().filter(|s| (1..=5).contains(s)) else {
        return page_error(422, "Xin chọn mức đánh giá từ 1 đến 5.");
    };
    let comment = tidy(&form.comment);
    if comment.chars().count() > 500 {
        return page_error(422, "Góp ý tối đa 500 ký tự.");
    }
    let comment = (!comment.is_empty()).then_some(comment);
    match state.store.rate_by_link(&token, score, comment.as_deref()).await {
        Ok(LinkRating::Recorded { .. }) => {
            metrics::counter!("lienthong_ratings_total", "channel" => "link").increment(1);
            let mut p = page(&state, &token, code, false);
            p.message = Some("Cảm ơn ông/bà đã đánh giá.".into());
            render(&p)
        }
        Ok(LinkRating::Used) => page_error(
            410,
            "Liên kết này đã được dùng để đánh giá; mỗi hồ sơ được đánh giá một lần.",
        ),
        Ok(LinkRating::Unknown) => page_error(404, "Liên kết đánh giá không đúng."),
        Err(e) => failed(e),
    }
}

/// The complaint form.
#[derive(Deserialize)]
pub struct ComplaintForm {
    body: String,
}

/// The instant a complaint filed now is due: close of business after the configured working
/// days.
fn complaint_due(state: &AppState) -> i64 {
    let cal: &Calendar = &state.config.calendar;
    let today = cal.receipt_day(state.store.clock().now());
    let day = cal.add_working_days(today, state.config.gateway.public.complaint_working_days);
    cal.close_of(day).as_millisecond()
}

/// `POST /dg/{token}/phan-anh`: a complaint from the family about its case.
pub async fn complain(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    Path(token): Path<String>,
    Form(form): Form<ComplaintForm>,
) -> Response {
    let (link, code) = match resolve(&state, &client, &token).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let body = tidy(&form.body);
    if body.is_empty() || body.chars().count() > 2000 {
        return page_error(422, "Nội dung phản ánh gồm 1-2000 ký tự.");
    }
    let case = match state.store.rating_case_of_token(&token).await {
        Ok(Some(id)) => match state.store.case(&id).await {
            Ok(Some(c)) => c,
            Ok(None) => return page_error(404, "Liên kết đánh giá không đúng."),
            Err(e) => return failed(e),
        },
        Ok(None) => return page_error(404, "Liên kết đánh giá không đúng."),
        Err(e) => return failed(e),
    };
    if let Err(e) = state
        .store
        .file_complaint(Some(&case.id), &case.commune_code, &body, complaint_due(&state))
        .await
    {
        return failed(e);
    }
    metrics::counter!("lienthong_complaints_total").increment(1);
    let mut p = page(&state, &token, code, matches!(link, LinkRating::Recorded { .. }));
    p.can_complain = false;
    p.message = Some(format!(
        "Đã gửi phản ánh. UBND xã sẽ trả lời trong {} ngày làm việc.",
        state.config.gateway.public.complaint_working_days
    ));
    render(&p)
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ComplaintsPage {
    nav: Option<Nav>,
    csrf: String,
    /// Answering is offered (not to the read-only and operations roles).
    can_answer: bool,
    rows: Vec<ComplaintLine>,
}

struct ComplaintLine {
    id: i64,
    filed: String,
    commune: String,
    case_id: Option<String>,
    code: String,
    body: String,
    due: String,
    clock_class: &'static str,
    answer: Option<String>,
    closed: String,
}

/// `GET /complaints`: the complaints of the officer's communes (all for an administrator),
/// open ones first by due date.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer, Role::Admin, Role::Operator, Role::Auditor]) {
        return r;
    }
    let scope = (signed.user.role == Role::CommuneOfficer).then_some(signed.user.scopes.as_slice());
    let complaints = match state.store.complaints(scope, 500).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let now = state.store.now_ms();
    let mut rows = Vec::new();
    for c in complaints {
        let code = match &c.case_id {
            Some(id) => state
                .store
                .case(id)
                .await
                .ok()
                .flatten()
                .map(|r| r.receipt_code.to_string())
                .unwrap_or_default(),
            None => String::new(),
        };
        let clock = c
            .closed_at_ms
            .is_none()
            .then(|| ClockState::at(now, c.due_at_ms, c.due_at_ms));
        rows.push(ComplaintLine {
            id: c.id,
            filed: labels::when(c.filed_at_ms),
            commune: state
                .config
                .routes
                .communes
                .get(c.commune_code.as_str())
                .map_or(c.commune_code.clone(), |r| r.name.clone()),
            case_id: c.case_id,
            code,
            body: c.body,
            due: labels::when(c.due_at_ms),
            clock_class: labels::clock(clock).1,
            answer: c.answer,
            closed: c.closed_at_ms.map(labels::when).unwrap_or_default(),
        });
    }
    render(&ComplaintsPage {
        nav: Nav::of(&signed),
        csrf: signed.csrf.clone(),
        can_answer: Role::COMMUNE_ACTIONS.contains(&signed.user.role),
        rows,
    })
}

/// The answer form.
#[derive(Deserialize)]
pub struct AnswerForm {
    csrf: String,
    answer: String,
}

/// `POST /complaints/{id}/answer`: the commune answers and closes a complaint.
pub async fn answer(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Response {
    if let Err(r) = signed.allow(&Role::COMMUNE_ACTIONS, &form.csrf) {
        return r;
    }
    let complaint = match state.store.complaint(id).await {
        Ok(Some(c)) if signed.user.sees_commune(&c.commune_code) => c,
        Ok(_) => return page_error(404, "Không có phản ánh này."),
        Err(e) => return failed(e),
    };
    let text = tidy(&form.answer);
    if text.is_empty() {
        return page_error(422, "Cần nội dung trả lời.");
    }
    match state
        .store
        .answer_complaint(&complaint, &text, &signed.user.actor())
        .await
    {
        Ok(true) => Redirect::to("/complaints").into_response(),
        Ok(false) => page_error(409, "Phản ánh này đã được trả lời."),
        Err(e) => failed(e),
    }
}

/// An officer's rating form.
#[derive(Deserialize)]
pub struct OfficerRating {
    csrf: String,
    score: String,
    channel: String,
    #[serde(default)]
    comment: String,
}

/// `POST /cases/{id}/rating`: an officer records the family's rating from paper or the
/// counter's device.
pub async fn record(
    State(state): State<AppState>,
    signed: Signed,
    CasePath(id): CasePath,
    Form(form): Form<OfficerRating>,
) -> Response {
    if let Err(r) = cases::commune_action(&state, &signed, &id, &form.csrf).await {
        return r;
    }
    let score = form.score.trim().parse::<i64>().ok().filter(|s| (1..=5).contains(s));
    let channel = matches!(form.channel.as_str(), "paper" | "counter").then_some(form.channel.as_str());
    let (Some(score), Some(channel)) = (score, channel) else {
        return page_error(
            422,
            "Cần mức đánh giá 1-5 và nguồn (phiếu giấy hoặc thiết bị tại quầy).",
        );
    };
    let comment = tidy(&form.comment);
    let comment = (!comment.is_empty()).then_some(comment);
    match state
        .store
        .rate_by_officer(&id, score, comment.as_deref(), channel, &signed.user.actor())
        .await
    {
        Ok(true) => {
            metrics::counter!("lienthong_ratings_total", "channel" => channel.to_string()).increment(1);
            Redirect::to(&format!("/cases/{id}")).into_response()
        }
        Ok(false) => page_error(409, "Hồ sơ này đã được đánh giá."),
        Err(e) => failed(e),
    }
}
