//! The inbox of social-insurance and police staff: complete requests of their offices, oldest
//! due first, with the data generated from the bundle and the verified attachments; their
//! decisions go through the same logic as the systems' callback API.

use crate::domain::state::LegState;
use crate::web::path_ids::LegPath;
use lienthong_contract::message::overlay;
use lienthong_contract::LegKind;

use crate::domain::results::{kinds_for, result_label};
use crate::domain::supplement::{kind_label, SUPPLEMENT_KINDS};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{json, Value};

use super::labels;
use super::session::Signed;
use super::{failed, page_error, render, Nav};
use crate::accounts::Role;
use crate::store::LegView;
use crate::web::api::apply_decision;
use crate::web::error::ApiError;
use crate::web::AppState;

/// One inbox row.
pub struct InboxLine {
    pub leg_id: String,
    pub code: String,
    pub commune: String,
    pub delivered: String,
    pub due: String,
    pub clock: &'static str,
    pub clock_class: &'static str,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    nav: Option<Nav>,
    heading: &'static str,
    rows: Vec<InboxLine>,
    /// Insurance staff: issued cards not yet sent to the commune.
    cards: Vec<CardLine>,
    csrf: String,
}

/// An issued card waiting to be sent to its commune.
struct CardLine {
    leg_id: String,
    code: String,
    commune: String,
    issued: String,
}

/// `GET /inbox`.
pub async fn inbox(State(state): State<AppState>, signed: Signed) -> Response {
    let Some(leg) = signed.user.role.decides() else {
        return page_error(403, "Tài khoản này không có hộp hồ sơ.");
    };
    let rows = match state.store.inbox(leg, &signed.user.scopes, 500).await {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    let now = state.store.now_ms();
    let rows = rows
        .iter()
        .map(|r| {
            let clock = match (r.at_risk_at_ms, r.due_at_ms) {
                (Some(a), Some(d)) => Some(crate::deadline::ClockState::at(now, a, d)),
                _ => None,
            };
            let (clock, clock_class) = labels::clock(clock);
            InboxLine {
                leg_id: r.leg_id.clone(),
                code: r.receipt_code.clone(),
                commune: state
                    .config
                    .routes
                    .communes
                    .get(r.commune_code.as_str())
                    .map_or_else(|| r.commune_code.to_string(), |c| c.name.clone()),
                delivered: r.delivered_at_ms.map(labels::when).unwrap_or_default(),
                due: r.due_at_ms.map(labels::when).unwrap_or_default(),
                clock,
                clock_class,
            }
        })
        .collect();
    let heading = if leg == LegKind::Insurance {
        "Hồ sơ đề nghị cấp thẻ BHYT"
    } else {
        "Hồ sơ đề nghị đăng ký thường trú"
    };
    let cards = if leg == LegKind::Insurance {
        match state.store.cards_to_send(&signed.user.scopes, 500).await {
            Ok(c) => c
                .into_iter()
                .map(|(leg_id, code, commune, completed)| CardLine {
                    leg_id,
                    code,
                    commune: state
                        .config
                        .routes
                        .communes
                        .get(commune.as_str())
                        .map_or(commune.to_string(), |c| c.name.clone()),
                    issued: completed.map(labels::when).unwrap_or_default(),
                })
                .collect(),
            Err(e) => return failed(e),
        }
    } else {
        Vec::new()
    };
    render(&InboxPage {
        nav: Nav::of(&signed),
        heading,
        rows,
        cards,
        csrf: signed.csrf.clone(),
    })
}

#[derive(Template)]
#[template(path = "leg.html")]
struct LegPage {
    nav: Option<Nav>,
    heading: &'static str,
    code: String,
    state: &'static str,
    due: String,
    data: Vec<(String, String)>,
    case_id: String,
    /// Each file the agency holds: its SHA-256 (the link) and its label.
    files: Vec<(String, String)>,
    /// The kinds of papers a supplement request can ask for as files.
    kinds: Vec<(&'static str, &'static str)>,
    /// The document the agency issues when it completes the leg, and its refusal letter
    /// (kind, label): optional uploads on those forms.
    issued: (&'static str, &'static str),
    refusal: (&'static str, &'static str),
    open: bool,
    error: Option<String>,
    leg_id: String,
    csrf: String,
    complete_label: &'static str,
    complete_fields: Vec<(&'static str, &'static str, &'static str, String)>,
}

/// The document a decision of `leg` moving it `to` comes with (kind, label).
fn document_of(leg: LegKind, to: LegState) -> (&'static str, &'static str) {
    let kind = kinds_for(leg, to).first().copied().unwrap_or("other");
    (kind, result_label(kind))
}

async fn own_leg(state: &AppState, signed: &Signed, leg_id: &str) -> Result<LegView, Response> {
    let leg = match state.store.leg(leg_id).await {
        Ok(Some(l)) => l,
        Ok(None) => return Err(page_error(404, "Không có hồ sơ này.")),
        Err(e) => return Err(failed(e)),
    };
    if signed.user.role.decides() != Some(leg.name) || !signed.user.in_scope(&leg.office_code) {
        return Err(page_error(403, "Tài khoản này không được giải quyết hồ sơ đó."));
    }
    Ok(leg)
}

async fn leg_page(state: &AppState, signed: &Signed, leg: &LegView, error: Option<String>) -> Response {
    let (row, bundle) = match super::cases::visible_case(state, signed, &leg.case_id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let b = &bundle;
    let mut data = vec![
        ("Họ tên trẻ".to_string(), b.child.full_name.clone()),
        ("Ngày sinh".into(), labels::day(Some(b.child.date_of_birth))),
        (
            "Giới tính".into(),
            if b.child.sex == lienthong_contract::bundle::Sex::Female {
                "Nữ"
            } else {
                "Nam"
            }
            .into(),
        ),
        ("Số định danh".into(), b.child.personal_id.to_string()),
        (
            "Số đăng ký khai sinh".into(),
            format!("{} (quyển {})", b.birth_registration.number, b.birth_registration.book),
        ),
    ];
    for (who, p) in [("mẹ", &b.mother), ("cha", &b.father)] {
        if let Some(p) = p {
            data.push((format!("Họ tên {who}"), p.full_name.clone()));
        }
    }
    if leg.name == LegKind::Insurance {
        // The declaration (TK1-TS) generated from the bundle: the family fills no form.
        let d = lienthong_social_insurance::declaration::Declaration::from_bundle(b);
        data.push((
            "Đối tượng tham gia".into(),
            format!("{} (mức hưởng {})", d.group, d.benefit_level),
        ));
        data.push(("Nơi KCB ban đầu".into(), d.health_facility_code.clone()));
        data.push((
            "Địa chỉ".into(),
            format!("{} (mã xã {})", d.address, d.residence_commune_code),
        ));
        data.push((
            "Thẻ có giá trị".into(),
            format!(
                "từ {} đến {}",
                labels::day(Some(d.card_valid_from)),
                labels::day(Some(d.card_valid_to))
            ),
        ));
        for g in &d.guardians {
            data.push((format!("Người giám hộ ({})", g.relationship), g.full_name.clone()));
        }
    } else {
        data.push(("Địa chỉ thường trú".into(), b.residence.address.clone()));
        if let Some(head) = &b.residence.household_head_personal_id {
            data.push(("Chủ hộ".into(), head.to_string()));
        }
        if let Some(rel) = &b.residence.relationship_to_head {
            data.push(("Quan hệ với chủ hộ".into(), rel.clone()));
        }
    }
    let (heading, complete_label, complete_fields) = if leg.name == LegKind::Insurance {
        let d = lienthong_social_insurance::declaration::Declaration::from_bundle(b);
        (
            "Cấp thẻ BHYT",
            "Đã cấp thẻ BHYT",
            vec![
                ("social_insurance_number", "Mã số BHXH (10 số)", "text", String::new()),
                (
                    "card_valid_from",
                    "Thẻ có giá trị từ",
                    "date",
                    d.card_valid_from.to_string(),
                ),
                (
                    "card_valid_to",
                    "Thẻ có giá trị đến",
                    "date",
                    d.card_valid_to.to_string(),
                ),
                (
                    "health_facility_code",
                    "Nơi KCB ban đầu",
                    "text",
                    b.insurance.health_facility_code.clone(),
                ),
            ],
        )
    } else {
        (
            "Đăng ký thường trú",
            "Đã đăng ký thường trú",
            vec![
                ("registration_number", "Số đăng ký thường trú", "text", String::new()),
                (
                    "registered_on",
                    "Ngày đăng ký",
                    "date",
                    crate::deadline::Calendar::local_day(state.store.clock().now()).to_string(),
                ),
            ],
        )
    };
    // What the agency holds: the attachments, each replaced by a later supplement of its kind.
    let supplements = match state.store.supplements(&leg.id).await {
        Ok(s) => s,
        Err(e) => return failed(e),
    };
    let files = overlay(&b.attachments, &supplements)
        .into_iter()
        .map(|a| {
            let round = supplements
                .iter()
                .rev()
                .find(|s| s.files.iter().any(|f| f.sha256 == a.sha256 && f.kind == a.kind))
                .map(|s| format!(", bổ sung lần {}", s.number))
                .unwrap_or_default();
            let label = format!("{}: {} ({}{round})", kind_label(&a.kind), a.file_name, a.kind);
            (a.sha256.to_string(), label)
        })
        .collect();
    render(&LegPage {
        nav: Nav::of(signed),
        heading,
        code: row.receipt_code.to_string(),
        state: labels::leg_state(leg.state),
        due: leg.due_at_ms.map(labels::when).unwrap_or_default(),
        data,
        case_id: row.id.to_string(),
        files,
        kinds: SUPPLEMENT_KINDS.iter().map(|k| (*k, kind_label(k))).collect(),
        issued: document_of(leg.name, LegState::Completed),
        refusal: document_of(leg.name, LegState::Rejected),
        open: leg.state == LegState::Delivered,
        error,
        leg_id: leg.id.to_string(),
        csrf: signed.csrf.clone(),
        complete_label,
        complete_fields,
    })
}

/// `GET /legs/{leg_id}`.
pub async fn leg(State(state): State<AppState>, signed: Signed, LegPath(id): LegPath) -> Response {
    match own_leg(&state, &signed, &id).await {
        Ok(leg) => leg_page(&state, &signed, &leg, None).await,
        Err(r) => r,
    }
}

/// `POST /legs/{leg_id}/decision`: the staff's decision, through the API's logic.
pub async fn decide(
    State(state): State<AppState>,
    signed: Signed,
    LegPath(id): LegPath,
    mp: axum::extract::Multipart,
) -> Response {
    if let Err(r) = signed.require(&[Role::InsuranceStaff, Role::PoliceStaff]) {
        return r;
    }
    let (form, uploads) = match super::form::read_upload_form(&state, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let csrf = form.iter().find(|(k, _)| k == "csrf").map_or("", |(_, v)| v.as_str());
    if let Err(r) = signed.check_csrf(csrf) {
        return r;
    }
    let leg = match own_leg(&state, &signed, &id).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let (documents, problems) =
        crate::web::push::describe_uploads(uploads, |i, m| crate::domain::results::check_meta(i, m, u64::MAX));
    let mut body = serde_json::Map::new();
    for (k, v) in &form {
        match k.as_str() {
            "csrf" => {}
            "missing" => {
                let items: Vec<Value> = v
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(Value::from)
                    .collect();
                body.insert(k.clone(), Value::Array(items));
            }
            // One checkbox per kind of paper the family must bring as a file.
            "kinds" => {
                if let Value::Array(kinds) = body.entry("kinds").or_insert_with(|| Value::Array(Vec::new())) {
                    kinds.push(Value::from(v.as_str()));
                }
            }
            _ => {
                body.insert(k.clone(), Value::from(v.trim()));
            }
        }
    }
    let decided = if problems.is_empty() {
        let actor = signed.user.actor();
        apply_decision(&state, &leg, &actor, json!(body), documents, Some(&actor)).await
    } else {
        Err(ApiError::invalid(problems))
    };
    match decided {
        Ok(_) => Redirect::to("/inbox").into_response(),
        Err(e) => {
            let detail: Vec<String> = e.fields.iter().map(|f| f.message.clone()).collect();
            let message = if detail.is_empty() {
                e.message
            } else {
                detail.join("; ")
            };
            let page = leg_page(&state, &signed, &leg, Some(message)).await;
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    }
}
