//! The case list, a case's page with its timeline, the printable receipt and attachment views.

use crate::domain::state::{CaseStatus, CheckOutcome, LegState};
use crate::domain::supplement::{kind_label, Asked};
use crate::domain::CaseId;
use crate::web::path_ids::CasePath;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use lienthong_contract::LegKind;
use lienthong_contract::{AttachmentMeta, CaseBundle, Sha256};
use serde::Deserialize;

use super::error::PageError;
use super::labels;
use super::session::Signed;
use super::{failed, page_error, render, Nav};
use crate::accounts::Role;
use crate::deadline::ClockState;
use crate::domain::results::result_label;
use crate::store::result_documents::ResultDocument;
use crate::store::supplements::SuppliedFile;
use crate::store::views::CaseFilter;
use crate::store::CaseRow;
use crate::web::AppState;

/// One row of the list.
pub struct Row {
    pub id: String,
    pub code: String,
    pub commune: String,
    pub received: String,
    pub appointment: String,
    pub status: &'static str,
    pub clock: &'static str,
    pub clock_class: &'static str,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    nav: Option<Nav>,
    can_push: bool,
    /// `(value, label, selected)`.
    statuses: Vec<(&'static str, &'static str, bool)>,
    clocks: Vec<(&'static str, &'static str, bool)>,
    code: String,
    rows: Vec<Row>,
}

/// Filters from the query string.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    clock: String,
    #[serde(default)]
    code: String,
}

fn commune_name(state: &AppState, code: &str) -> String {
    state
        .config
        .routes
        .communes
        .get(code)
        .map_or_else(|| code.to_string(), |c| c.name.clone())
}

/// The commune that answers for the case, and the retired code it was received under if a
/// merger moved it (docs/accountability.md).
fn received_under(state: &AppState, row: &CaseRow, bundle: &CaseBundle) -> String {
    let now = commune_name(state, &row.commune_code);
    let received = bundle.commune_code.as_str();
    match state.config.routes.retired_communes.get(received) {
        Some(old) if received != row.commune_code.as_str() => {
            format!("{now} (tiếp nhận với mã {received} của {} trước sắp xếp)", old.name)
        }
        _ => now,
    }
}

fn row(state: &AppState, c: &CaseRow, now: i64) -> Row {
    let (clock, clock_class) = labels::clock(c.clock(now));
    Row {
        id: c.id.to_string(),
        code: c.receipt_code.to_string(),
        commune: commune_name(state, &c.commune_code),
        received: labels::when(c.received_at_ms),
        appointment: labels::day(c.appointment_day),
        status: labels::status(c.status),
        clock,
        clock_class,
    }
}

/// `GET /cases`: an officer's communes, or every commune for an administrator.
pub async fn list(State(state): State<AppState>, signed: Signed, Query(q): Query<ListQuery>) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer, Role::Admin, Role::Operator, Role::Auditor]) {
        return r;
    }
    let filter = CaseFilter {
        communes: (!signed.user.role.oversees()).then(|| signed.user.scopes.clone()),
        status: (!q.status.is_empty()).then(|| q.status.clone()),
        clock: ClockState::parse(&q.clock),
        code: (!q.code.trim().is_empty()).then(|| q.code.trim().to_string()),
    };
    let now = state.store.now_ms();
    let rows = match state.store.case_list(&filter, now, 200).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let mut statuses = vec![("", "Tất cả", q.status.is_empty())];
    statuses.extend(
        [
            CaseStatus::InProgress,
            CaseStatus::NeedsSupplement,
            CaseStatus::Completed,
            CaseStatus::Rejected,
            CaseStatus::Cancelled,
        ]
        .map(|s| (s.as_str(), labels::status(s), q.status == s.as_str())),
    );
    let clocks = [
        ("", "Tất cả"),
        ("on_track", "Trong hạn"),
        ("at_risk", "Sắp đến hạn"),
        ("overdue", "Quá hạn"),
    ]
    .map(|(v, l)| (v, l, q.clock == v))
    .to_vec();
    render(&ListPage {
        nav: Nav::of(&signed),
        can_push: signed.user.role == Role::CommuneOfficer,
        statuses,
        clocks,
        code: q.code,
        rows: rows.iter().map(|c| row(&state, c, now)).collect(),
    })
}

/// The case, if the signed-in person may see it: 404 when it does not exist, 403 otherwise.
pub async fn visible_case(state: &AppState, signed: &Signed, id: &str) -> Result<(CaseRow, CaseBundle), Response> {
    let row = match state.store.case(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(page_error(404, "Không có hồ sơ này.")),
        Err(e) => return Err(failed(e)),
    };
    let agency_sees = match signed.user.role.decides() {
        Some(leg) => match state.store.legs(id).await {
            Ok(legs) => legs
                .iter()
                .any(|l| l.name == leg && signed.user.in_scope(&l.office_code)),
            Err(e) => return Err(failed(e)),
        },
        None => false,
    };
    if !(signed.user.sees_commune(&row.commune_code) || agency_sees) {
        tracing::info!(case_id = %id, "case refused to a user outside its scope");
        return Err(page_error(403, "Tài khoản này không được xem hồ sơ đó."));
    }
    let bundle = serde_json::from_str(&row.bundle_json).map_err(|e| PageError::internal(e).into_response())?;
    Ok((row, bundle))
}

/// What the case page and the receipt show.
pub struct CaseView {
    pub id: String,
    pub code: String,
    pub commune: String,
    pub child: String,
    pub applicant: String,
    pub received: String,
    pub appointment: String,
    /// How the family receives the results, in words.
    pub delivery: String,
    /// How the family handed the dossier in, in words.
    pub channel: &'static str,
    pub due: String,
    pub status: &'static str,
    pub clock: &'static str,
    pub clock_class: &'static str,
    pub has_apology: bool,
    /// Refused: the written answer can be printed.
    pub refused: bool,
    /// The family has its results: an officer may record its rating from paper or the counter.
    pub closed: bool,
}

/// What the commune (or an operator) can do on the case page.
pub struct Actions {
    pub csrf: String,
    /// The proposed date of an apology letter waiting for confirmation (ISO, for the date input).
    pub apology_draft: Option<String>,
    /// Legs wait on the family.
    pub needs_supplement: bool,
    /// The kinds of papers the waiting agencies asked for as files (kind, label): one upload each.
    pub supplement_kinds: Vec<(String, &'static str)>,
    /// The case still runs: the family may withdraw it.
    pub can_withdraw: bool,
}

/// A leg line.
pub struct LegLine {
    pub name: &'static str,
    pub office: String,
    pub state: &'static str,
    pub attempts: i64,
    pub due: String,
    pub detail: String,
    /// Check-backs made on the leg and what the last one found (empty when none).
    pub checks: String,
}

/// A timeline line.
pub struct EventLine {
    pub at: String,
    pub text: String,
    pub actor: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    nav: Option<Nav>,
    c: CaseView,
    actions: Option<Actions>,
    documents: Vec<DocLine>,
    legs: Vec<LegLine>,
    events: Vec<EventLine>,
    /// After the result: where it is and the commune's next steps.
    journey: Option<super::handover::JourneyView>,
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    nav: Option<Nav>,
    c: CaseView,
    /// Where the family follows the case, and the same link as a QR code (SVG).
    lookup_url: String,
    qr: String,
    hotline: Option<String>,
}

pub(super) fn view(state: &AppState, row: &CaseRow, bundle: &CaseBundle, has_apology: bool) -> CaseView {
    let (clock, clock_class) = labels::clock(row.clock(state.store.now_ms()));
    CaseView {
        id: row.id.to_string(),
        code: row.receipt_code.to_string(),
        commune: received_under(state, row, bundle),
        child: bundle.child.full_name.clone(),
        applicant: bundle.applicant.full_name.clone(),
        received: labels::when(row.received_at_ms),
        appointment: labels::day(row.appointment_day),
        delivery: labels::delivery(&bundle.result_delivery, |code| commune_name(state, code)),
        channel: labels::channel(bundle.channel),
        due: labels::day(row.due_day),
        status: labels::status(row.status),
        clock,
        clock_class,
        has_apology,
        refused: row.status == CaseStatus::Rejected,
        closed: row.closed_at_ms.is_some(),
    }
}

fn event_text(kind: &str, leg: Option<LegKind>, to: &str, reason: Option<&str>) -> String {
    let what = match (kind, leg) {
        ("state", Some(l)) => format!("{}: {}", labels::leg_name(l), labels::named_state(to)),
        ("state", None) => format!("Hồ sơ: {}", labels::named_state(to)),
        ("clock", _) => format!("Thời hạn: {}", labels::clock(ClockState::parse(to)).0),
        ("apology", _) if to == "drafted" => "Lập phiếu xin lỗi, chờ xác nhận ngày hẹn mới".into(),
        ("apology", _) => "Xác nhận ngày hẹn mới, đã báo gia đình".into(),
        ("supplement", _) if to == "received" => "Gia đình đã bổ sung hồ sơ".into(),
        ("supplement", l) if to == "file" => format!(
            "Tệp bổ sung gửi {}: {}",
            l.map_or("", labels::leg_name),
            reason.unwrap_or_default()
        ),
        ("supplement", _) => "Hết thời hạn bổ sung".into(),
        // These carry a date or the step's details, not words: said here, in full.
        ("verification", _) => {
            return format!(
                "Công an yêu cầu xác minh: thời hạn kéo dài theo quy định, ngày hẹn mới {}",
                labels::day(reason.and_then(|r| r.parse().ok()))
            )
        }
        ("withdrawal", _) => return "Đã báo cơ quan: gia đình rút hồ sơ".into(),
        ("journey", _) => return format!("Trả kết quả cho gia đình: bước {to}"),
        ("reminder", _) => return "Đã nhắc gia đình đến nhận kết quả".into(),
        ("complaint", _) => "Đã trả lời phản ánh của gia đình".into(),
        ("check_back", l) => format!(
            "{}: tra soát với hệ thống cơ quan — {}",
            l.map_or("Chặng", labels::leg_name),
            labels::check_outcome(CheckOutcome::parse(to))
        ),
        _ => to.to_string(),
    };
    match reason {
        Some(r) if !r.is_empty() => format!("{what} — {r}"),
        _ => what,
    }
}

/// A leg's check-backs as a sentence: how many, and the last one's finding.
fn checks_text<'a>(checks: impl Iterator<Item = &'a crate::store::check_back::CheckView>) -> String {
    let mut n = 0;
    let mut last = None;
    for c in checks {
        n += 1;
        last = Some(c);
    }
    match last {
        Some(c) => format!(
            "{n} lần, gần nhất {}: {}",
            labels::when(c.at_ms),
            labels::check_outcome(Some(c.outcome))
        ),
        None => String::new(),
    }
}

/// An agency's decision as a sentence.
pub(super) fn result_text(kind: LegKind, r: &serde_json::Value) -> String {
    use lienthong_contract::{InsuranceDecision as Card, ResidenceDecision as Residence};
    let refused = |reason: &str| format!("Từ chối: {reason}");
    let missing = |missing: Vec<String>, kinds: Vec<String>| {
        format!("Cần bổ sung: {}", Asked { missing, kinds }.texts().join("; "))
    };
    match kind {
        LegKind::Residence => match serde_json::from_value::<Residence>(r.clone()) {
            Ok(Residence::Completed {
                registration_number,
                registered_on,
            }) => format!(
                "Số đăng ký thường trú {registration_number}, ngày {}",
                labels::day(Some(registered_on))
            ),
            Ok(Residence::Rejected { reason }) => refused(&reason),
            Ok(Residence::NeedsSupplement { missing: m, kinds }) => missing(m, kinds),
            Err(_) => String::new(),
        },
        LegKind::Insurance => match serde_json::from_value::<Card>(r.clone()) {
            Ok(Card::Completed {
                social_insurance_number,
                card_valid_from,
                card_valid_to,
                health_facility_code,
                electronic_card_issued_on,
            }) => format!(
                "Mã số BHXH {social_insurance_number}, thẻ BHYT từ {} đến {}, nơi KCB {health_facility_code}{}",
                labels::day(Some(card_valid_from)),
                labels::day(Some(card_valid_to)),
                electronic_card_issued_on
                    .map(|d| format!("; thẻ BHYT điện tử cấp ngày {}", labels::day(Some(d))))
                    .unwrap_or_default(),
            ),
            Ok(Card::Rejected { reason }) => refused(&reason),
            Ok(Card::NeedsSupplement { missing: m, kinds }) => missing(m, kinds),
            Err(_) => String::new(),
        },
        LegKind::Return => String::new(),
    }
}

/// The kinds of papers the legs waiting on the family asked for, each once.
fn asked_kinds(legs: &[crate::store::LegView]) -> Vec<(String, &'static str)> {
    let mut kinds: Vec<(String, &'static str)> = Vec::new();
    for l in legs.iter().filter(|l| l.state == LegState::NeedsSupplement) {
        for k in Asked::of(l.name, l.result.as_ref()).kinds {
            if !kinds.iter().any(|(have, _)| *have == k) {
                let label = kind_label(&k);
                kinds.push((k, label));
            }
        }
    }
    kinds
}

/// A file of the case as the page lists it, with what a printout is checked by.
pub struct DocLine {
    pub label: String,
    pub sha256: String,
    pub received: String,
}

/// The case's files: the attachments it arrived with, every supplement file, then the documents
/// the agencies issued with their decisions.
pub(super) fn documents(
    row: &CaseRow,
    bundle: &CaseBundle,
    supplied: &[SuppliedFile],
    issued: &[ResultDocument],
) -> Vec<DocLine> {
    let first = bundle.attachments.iter().map(|a| DocLine {
        label: format!("{}: {}", kind_label(&a.kind), a.file_name),
        sha256: a.sha256.to_string(),
        received: labels::when(row.created_at_ms),
    });
    let later = supplied.iter().map(|f| DocLine {
        label: format!(
            "{}: {} (bổ sung lần {} cho {})",
            kind_label(&f.meta.kind),
            f.meta.file_name,
            f.number,
            labels::leg_name(f.leg)
        ),
        sha256: f.meta.sha256.to_string(),
        received: labels::when(f.received_at_ms),
    });
    let results = issued.iter().map(|d| DocLine {
        label: format!(
            "Kết quả — {}: {} ({})",
            result_label(&d.meta.kind),
            d.meta.file_name,
            labels::leg_name(d.leg)
        ),
        sha256: d.meta.sha256.to_string(),
        received: labels::when(d.received_at_ms),
    });
    first.chain(later).chain(results).collect()
}

/// `GET /cases/{id}`.
pub async fn detail(State(state): State<AppState>, signed: Signed, CasePath(id): CasePath) -> Response {
    let (row, bundle) = match visible_case(&state, &signed, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (legs, events, apology, checks, steps, supplied, issued) = match tokio::try_join!(
        state.store.legs(&id),
        state.store.events(&id),
        state.store.apology(&id),
        state.store.case_checks(&id),
        state.store.journey(&id),
        state.store.supplied_files(&id),
        state.store.result_documents(&id)
    ) {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let journey = matches!(row.status, CaseStatus::Completed | CaseStatus::Rejected)
        .then(|| super::handover::view(&row, &bundle, &legs, &steps));
    let routes = &state.config.routes;
    let names: std::collections::HashMap<&str, LegKind> = legs.iter().map(|l| (l.id.as_str(), l.name)).collect();
    let events = events
        .iter()
        .map(|e| EventLine {
            at: labels::when(e.at_ms),
            text: event_text(
                &e.kind,
                e.leg_id.as_deref().and_then(|l| names.get(l).copied()),
                &e.to_state,
                e.reason.as_deref(),
            ),
            actor: labels::actor(&e.actor),
        })
        .collect();
    let supplement_kinds = asked_kinds(&legs);
    let legs = legs
        .iter()
        .map(|l| {
            let office = match l.name {
                LegKind::Residence => routes
                    .police_offices
                    .get(l.office_code.as_str())
                    .map(|o| o.name.clone()),
                LegKind::Insurance => routes
                    .insurance_offices
                    .get(l.office_code.as_str())
                    .map(|o| o.name.clone()),
                LegKind::Return => Some(commune_name(&state, &row.commune_code)),
            };
            LegLine {
                name: labels::leg_name(l.name),
                office: office.unwrap_or_else(|| l.office_code.to_string()),
                state: labels::leg_state(l.state),
                attempts: l.attempts,
                due: l.due_day.map_or_else(|| "—".into(), |d| labels::day(Some(d))),
                detail: l
                    .last_error
                    .clone()
                    .or_else(|| l.result.as_ref().map(|r| result_text(l.name, r)))
                    .unwrap_or_default(),
                checks: checks_text(checks.iter().filter(|c| c.leg_id == l.id.as_str())),
            }
        })
        .collect();
    let acts = signed.user.sees_commune(&row.commune_code) && Role::COMMUNE_ACTIONS.contains(&signed.user.role);
    let actions = acts.then(|| Actions {
        csrf: signed.csrf.clone(),
        apology_draft: apology
            .as_ref()
            .filter(|a| a.status == "draft")
            .map(|a| a.proposed_day.to_string()),
        needs_supplement: row.status == CaseStatus::NeedsSupplement,
        supplement_kinds,
        can_withdraw: row.status.clock_runs(),
    });
    render(&CasePage {
        nav: Nav::of(&signed),
        actions,
        c: view(&state, &row, &bundle, apology.is_some()),
        documents: documents(&row, &bundle, &supplied, &issued),
        legs,
        events,
        journey,
    })
}

/// `GET /cases/{id}/receipt`: the printable receipt with the appointment date.
pub async fn receipt(State(state): State<AppState>, signed: Signed, CasePath(id): CasePath) -> Response {
    match visible_case(&state, &signed, &id).await {
        Ok((row, bundle)) => {
            let lookup_url = crate::family::link::lookup_url(&state.config.gateway.public_url(), &row.receipt_code)
                .unwrap_or_default();
            render(&ReceiptPage {
                nav: Nav::of(&signed),
                qr: crate::family::link::qr_svg(&lookup_url).unwrap_or_default(),
                lookup_url,
                hotline: state
                    .config
                    .routes
                    .communes
                    .get(row.commune_code.as_str())
                    .and_then(|c| c.hotline.clone()),
                c: view(&state, &row, &bundle, false),
            })
        }
        Err(r) => r,
    }
}

/// `GET /files/{case_id}/{key}`: a file of the case, shown inline. `key` is an attachment's kind
/// or the SHA-256 of any of the case's files (attachments, supplement files, result documents).
pub async fn file(State(state): State<AppState>, signed: Signed, Path((id, key)): Path<(String, String)>) -> Response {
    let Ok(id) = CaseId::parse(&id) else {
        return page_error(404, "Không có tệp này.");
    };
    let (_, bundle) = match visible_case(&state, &signed, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let later: Vec<AttachmentMeta> = match key.parse::<Sha256>() {
        Ok(_) => match tokio::try_join!(state.store.supplied_files(&id), state.store.result_documents(&id)) {
            Ok((supplied, issued)) => supplied
                .into_iter()
                .map(|f| f.meta)
                .chain(issued.into_iter().map(|d| d.meta))
                .collect(),
            Err(e) => return failed(e),
        },
        Err(_) => Vec::new(),
    };
    let found = bundle
        .attachments
        .iter()
        .chain(&later)
        .find(|a| a.kind == key || a.sha256.eq_ignore_ascii_case(&key));
    let Some(meta) = found else {
        return page_error(404, "Không có tệp này.");
    };
    match state.blobs.open_stream(&meta.sha256).await {
        Ok(stream) => (
            [
                (header::CONTENT_TYPE, meta.media_type.clone()),
                (header::CONTENT_DISPOSITION, "inline".to_string()),
            ],
            Body::from_stream(stream),
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => page_error(
            410,
            "Tệp đã được xóa theo thời hạn lưu trữ; mã SHA-256 và nhật ký của hồ sơ vẫn được giữ.",
        ),
        Err(e) => failed(e),
    }
}

/// `GET /cases/{id}/apology`: the printable apology letter.
pub async fn apology(State(state): State<AppState>, signed: Signed, CasePath(id): CasePath) -> Response {
    let (row, _) = match visible_case(&state, &signed, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match crate::web::deadlines::apology_html(&state, &row).await {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => page_error(404, "Hồ sơ này không có phiếu xin lỗi."),
        Err(e) => failed(e),
    }
}

/// A commune action's form: the CSRF token and one value.
#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    #[serde(default)]
    appointment_date: Option<jiff::civil::Date>,
}

pub(super) async fn commune_action(
    state: &AppState,
    signed: &Signed,
    id: &str,
    csrf: &str,
) -> Result<CaseRow, Response> {
    signed.allow(&Role::COMMUNE_ACTIONS, csrf)?;
    let (row, _) = visible_case(state, signed, id).await?;
    if !signed.user.sees_commune(&row.commune_code) {
        return Err(page_error(403, "Tài khoản này không được thao tác trên hồ sơ đó."));
    }
    Ok(row)
}

fn action_error(e: crate::web::error::ApiError) -> Response {
    let detail: Vec<String> = e.fields.iter().map(|f| f.message.clone()).collect();
    let message = if detail.is_empty() {
        e.message
    } else {
        detail.join("; ")
    };
    page_error(e.status.as_u16(), &message)
}

/// `POST /cases/{id}/apology`: the officer confirms or changes the new appointment date.
pub async fn confirm_apology(
    State(state): State<AppState>,
    signed: Signed,
    CasePath(id): CasePath,
    axum::Form(f): axum::Form<ActionForm>,
) -> Response {
    if let Err(r) = commune_action(&state, &signed, &id, &f.csrf).await {
        return r;
    }
    match crate::web::deadlines::confirm(&state, &id, f.appointment_date, &signed.user.actor()).await {
        Ok(_) => axum::response::Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => action_error(e),
    }
}

/// `POST /cases/{id}/supplement`: the family brought what was missing; the officer uploads a file
/// for each kind of paper the agencies asked for.
pub async fn supplement(
    State(state): State<AppState>,
    signed: Signed,
    CasePath(id): CasePath,
    mp: axum::extract::Multipart,
) -> Response {
    let (values, uploads) = match super::form::read_upload_form(&state, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut values: std::collections::HashMap<String, String> = values.into_iter().collect();
    let csrf = values.remove("csrf").unwrap_or_default();
    let row = match commune_action(&state, &signed, &id, &csrf).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let brought = crate::web::supplement::from_form(values.remove("note").unwrap_or_default(), uploads);
    match crate::web::supplement::record(&state, &row, &signed.user.actor(), brought).await {
        Ok(_) => axum::response::Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => action_error(e),
    }
}

/// The written answer to a refused case: what each agency decided and why, and the family's
/// right to complain (docs/family.md).
#[derive(Template)]
#[template(path = "refusal.html")]
struct RefusalLetter {
    commune: String,
    place_date: String,
    applicant: String,
    child: String,
    code: String,
    received: String,
    /// Per agency procedure: its name, the office, and its decision in words.
    lines: Vec<(&'static str, String, String)>,
    hotline: Option<String>,
}

/// `GET /cases/{id}/refusal`: the printable written answer of a refused case.
pub async fn refusal(State(state): State<AppState>, signed: Signed, CasePath(id): CasePath) -> Response {
    let (row, bundle) = match visible_case(&state, &signed, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if row.status != CaseStatus::Rejected {
        return page_error(404, "Hồ sơ này không bị từ chối, nên không có văn bản trả lời từ chối.");
    }
    let legs = match state.store.legs(&id).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    let routes = &state.config.routes;
    let lines = legs
        .iter()
        .filter(|l| l.name != LegKind::Return)
        .map(|l| {
            let office = match l.name {
                LegKind::Residence => routes.police_offices.get(l.office_code.as_str()),
                _ => routes.insurance_offices.get(l.office_code.as_str()),
            }
            .map_or_else(|| l.office_code.to_string(), |o| o.name.clone());
            let text = match (l.state, &l.result) {
                (LegState::Rejected | LegState::Completed, Some(r)) => result_text(l.name, r),
                (state, _) => labels::leg_state(state).to_string(),
            };
            let name = match l.name {
                LegKind::Residence => "Đăng ký thường trú",
                _ => "Cấp thẻ bảo hiểm y tế",
            };
            (name, office, text)
        })
        .collect();
    let today = crate::deadline::Calendar::local_day(state.store.clock().now());
    let commune = routes.communes.get(row.commune_code.as_str());
    render(&RefusalLetter {
        commune: commune_name(&state, &row.commune_code),
        place_date: format!("ngày {} tháng {} năm {}", today.day(), today.month(), today.year()),
        applicant: bundle.applicant.full_name.clone(),
        child: bundle.child.full_name.clone(),
        code: row.receipt_code.to_string(),
        received: labels::when(row.received_at_ms),
        lines,
        hotline: commune.and_then(|c| c.hotline.clone()),
    })
}

/// The withdrawal form.
#[derive(Deserialize)]
pub struct WithdrawForm {
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// `POST /cases/{id}/withdraw`: the officer records the family's withdrawal, with its reason.
pub async fn withdraw(
    State(state): State<AppState>,
    signed: Signed,
    CasePath(id): CasePath,
    Form(form): Form<WithdrawForm>,
) -> Response {
    if let Err(r) = commune_action(&state, &signed, &id, &form.csrf).await {
        return r;
    }
    let reason = match crate::web::withdrawal::reason(&form.reason) {
        Ok(r) => r,
        Err(p) => return page_error(422, &p.message),
    };
    match crate::web::withdrawal::record(&state, &id, &reason, &signed.user.actor()).await {
        Ok(_) => {
            state.wake.notify_one();
            Redirect::to(&format!("/cases/{id}")).into_response()
        }
        Err(e) => action_error(e),
    }
}
