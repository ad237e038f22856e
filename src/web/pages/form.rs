//! The commune officer's form: a newborn case with its attachments, validated by exactly the
//! rules of the API (the same `intake::Intake::accept`), every problem shown next to its field at once,
//! everything typed kept, and the chosen files kept on the server for the corrected form
//! ([`super::kept`]): a browser cannot refill a file field, so the page carries their tokens.
//! Dates are typed and shown dd/mm/yyyy whatever the browser's locale.

use std::collections::HashMap;

use askama::Template;
use axum::extract::multipart::Multipart;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lienthong_contract::bundle::Channel;
use serde_json::{json, Map, Value};

use super::session::Signed;
use super::{failed, page_error, render, Nav};
use crate::accounts::Role;
use crate::blobs::TempBlob;
use crate::domain::bundle::{KINDS, PROCEDURE, REQUIRED_KINDS};
use crate::domain::supplement::kind_label;
use crate::domain::FieldProblem;
use crate::intake::Pusher;
use crate::web::error::ApiError;
use crate::web::AppState;

/// One input of the form.
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub input: &'static str,
    pub required: bool,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

/// A group of inputs.
pub struct Group {
    pub title: &'static str,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    nav: Option<Nav>,
    csrf: String,
    groups: Vec<Group>,
    errors: Vec<(String, String)>,
    /// Files were chosen and could not all be kept: those must be chosen again.
    files_again: bool,
    /// Files kept on the server for the corrected form: (kind, token, file name).
    kept: Vec<(String, String, String)>,
}

/// An input: name (the manifest path), label, input type, required.
type Spec = (&'static str, &'static str, &'static str, bool);

const TEXT: &[(&str, &[Spec])] = &[
    (
        "Hồ sơ",
        &[
            ("receipt_code", "Mã hồ sơ (số biên nhận)", "text", true),
            ("commune_code", "Xã tiếp nhận", "select", true),
            ("channel", "Hình thức nộp hồ sơ", "select", true),
        ],
    ),
    (
        "Trẻ được đăng ký",
        &[
            ("child.full_name", "Họ và tên", "text", true),
            ("child.sex", "Giới tính", "select", true),
            ("child.date_of_birth", "Ngày sinh", "date", true),
            ("child.personal_id", "Số định danh cá nhân (12 số)", "text", true),
        ],
    ),
    (
        "Đăng ký khai sinh",
        &[
            ("birth_registration.number", "Số đăng ký", "text", true),
            ("birth_registration.book", "Quyển số", "text", true),
            ("birth_registration.registered_on", "Ngày đăng ký", "date", true),
        ],
    ),
    (
        "Cha, mẹ",
        &[
            ("mother.full_name", "Họ và tên mẹ", "text", false),
            ("mother.personal_id", "Số định danh của mẹ", "text", false),
            ("father.full_name", "Họ và tên cha", "text", false),
            ("father.personal_id", "Số định danh của cha", "text", false),
        ],
    ),
    (
        "Đăng ký thường trú",
        &[
            ("residence.address", "Địa chỉ thường trú", "text", true),
            ("residence.commune_code", "Mã xã nơi thường trú", "text", true),
            ("residence.existing_household", "Nhập vào hộ đã có", "checkbox", false),
            (
                "residence.household_head_personal_id",
                "Số định danh chủ hộ",
                "text",
                false,
            ),
            ("residence.relationship_to_head", "Quan hệ với chủ hộ", "text", false),
        ],
    ),
    (
        "Thẻ bảo hiểm y tế",
        &[("insurance.health_facility_code", "Mã nơi KCB ban đầu", "text", true)],
    ),
    (
        "Người nhận thông báo",
        &[
            ("applicant.full_name", "Họ và tên người nộp", "text", true),
            ("applicant.phone", "Số điện thoại (nhận SMS)", "tel", false),
            ("applicant.email", "Thư điện tử", "email", false),
        ],
    ),
    (
        "Nhận kết quả",
        &[
            ("result_delivery.method", "Hình thức nhận kết quả", "select", true),
            (
                "result_delivery.recipient",
                "Người nhận (khi gửi bưu chính)",
                "text",
                false,
            ),
            ("result_delivery.phone", "Điện thoại người nhận", "tel", false),
            ("result_delivery.street", "Số nhà, đường, thôn/tổ", "text", false),
            ("result_delivery.commune_code", "Mã xã nơi nhận", "text", false),
            (
                "result_delivery.province_code",
                "Mã tỉnh nơi nhận (2 số)",
                "text",
                false,
            ),
        ],
    ),
];

/// The form's date fields, typed and shown as dd/mm/yyyy.
const DATES: [&str; 2] = ["child.date_of_birth", "birth_registration.registered_on"];

fn groups(
    state: &AppState,
    signed: &Signed,
    values: &HashMap<String, String>,
    errors: &[(String, String)],
) -> Vec<Group> {
    let error_of = |name: &str| {
        let msgs: Vec<&str> = errors
            .iter()
            .filter(|(p, _)| p == name || p.starts_with(&format!("{name}.")))
            .map(|(_, m)| m.as_str())
            .collect();
        (!msgs.is_empty()).then(|| msgs.join("; "))
    };
    let options = |name: &str| -> Vec<(String, String)> {
        match name {
            "commune_code" => signed
                .user
                .scopes
                .iter()
                .map(|c| {
                    let n = state
                        .config
                        .routes
                        .communes
                        .get(c.as_str())
                        .map_or(c.as_str(), |r| r.name.as_str());
                    (c.clone(), format!("{n} ({c})"))
                })
                .collect(),
            "channel" => [Channel::InPerson, Channel::Online, Channel::ByPost]
                .into_iter()
                .map(|c| (c.as_str().to_string(), super::labels::channel(c).to_string()))
                .collect(),
            "child.sex" => vec![("female".into(), "Nữ".into()), ("male".into(), "Nam".into())],
            "result_delivery.method" => vec![
                ("at_commune".into(), "Tại bộ phận một cửa UBND xã".into()),
                ("by_post".into(), "Qua bưu chính đến địa chỉ gia đình chọn".into()),
            ],
            _ => Vec::new(),
        }
    };
    let mut out: Vec<Group> = TEXT
        .iter()
        .map(|(title, fields)| Group {
            title,
            fields: fields
                .iter()
                .map(|(name, label, input, required)| Field {
                    name,
                    label,
                    input,
                    required: *required,
                    options: options(name),
                    value: values.get(*name).cloned().unwrap_or_default(),
                    error: error_of(name),
                })
                .collect(),
        })
        .collect();
    out.push(Group {
        title: "Tệp đính kèm (PDF, JPEG hoặc PNG)",
        fields: KINDS
            .iter()
            .map(|kind| Field {
                name: kind,
                label: kind_label(kind),
                input: "file",
                required: REQUIRED_KINDS.contains(kind),
                options: Vec::new(),
                value: String::new(),
                error: error_of(kind),
            })
            .collect(),
    });
    out
}

/// `GET /cases/new`.
pub async fn new_case(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer]) {
        return r;
    }
    let mut values = HashMap::new();
    if let Some(c) = signed.user.scopes.first() {
        values.insert("residence.commune_code".to_string(), c.clone());
    }
    render(&FormPage {
        nav: Nav::of(&signed),
        csrf: signed.csrf.clone(),
        groups: groups(&state, &signed, &values, &[]),
        errors: Vec::new(),
        files_again: false,
        kept: Vec::new(),
    })
}

/// The manifest the API would have received, from the form's values and files.
fn manifest(values: &HashMap<String, String>, files: &[(String, String, String, &TempBlob)], now: &str) -> Value {
    let mut root = Map::new();
    for (name, value) in values {
        let value = value.trim();
        if value.is_empty() || name == "csrf" {
            continue;
        }
        let v = if name == "residence.existing_household" {
            Value::Bool(value == "true")
        } else if DATES.contains(&name.as_str()) {
            // Typed dd/mm/yyyy; what cannot be read goes on as typed, for the rules to refuse.
            Value::String(super::labels::parse_day(value).map_or_else(|| value.to_string(), |d| d.to_string()))
        } else {
            Value::String(value.to_string())
        };
        match name.split_once('.') {
            Some((group, key)) => {
                let obj = root.entry(group).or_insert_with(|| json!({}));
                obj[key] = v;
            }
            None => {
                root.insert(name.clone(), v);
            }
        }
    }
    root.insert("procedure".into(), PROCEDURE.into());
    root.insert("received_at".into(), now.into());
    root.entry("residence").or_insert_with(|| json!({}))["existing_household"] =
        Value::Bool(values.get("residence.existing_household").is_some_and(|v| v == "true"));
    // At the commune, the postal fields (perhaps typed before the choice changed) do not apply.
    if values.get("result_delivery.method").is_none_or(|m| m == "at_commune") {
        root.insert("result_delivery".into(), json!({"method": "at_commune"}));
    }
    let attachments: Vec<Value> = files
        .iter()
        .map(|(kind, name, media, blob)| {
            json!({"kind": kind, "file_name": name, "media_type": media, "size": blob.size, "sha256": blob.sha256})
        })
        .collect();
    root.insert("attachments".into(), Value::Array(attachments));
    Value::Object(root)
}

/// A browser form's file (its input's name, the file's name, the type the browser sent, the bytes
/// streamed to a temporary blob).
pub type Upload = (String, String, String, TempBlob);

/// Reads a browser form posted as multipart: its text fields in order (a checkbox group repeats
/// its name), and each non-empty file streamed to a temporary blob (refused at the first byte
/// past the attachment limit).
pub(super) async fn read_upload_form(
    state: &AppState,
    mut mp: Multipart,
) -> Result<(Vec<(String, String)>, Vec<Upload>), Response> {
    let limit = state.config.gateway.attachment_max_bytes;
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        page_error(400, &format!("Không đọc được dữ liệu gửi lên: {}", e.body_text()))
    };
    let mut values = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let media = field.content_type().unwrap_or("application/octet-stream").to_string();
                match state.blobs.write_temp(field, limit).await {
                    Ok(blob) if blob.size > 0 && !file_name.is_empty() => files.push((name, file_name, media, blob)),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(page_error(
                            413,
                            &format!("Tệp '{}' không nhận được: {e}", kind_label(&name)),
                        ))
                    }
                }
            }
            None => values.push((name, field.text().await.map_err(unreadable)?)),
        }
    }
    Ok((values, files))
}

/// `POST /cases/new`: the form submitted.
pub async fn submit(State(state): State<AppState>, signed: Signed, mp: Multipart) -> Response {
    if let Err(r) = signed.require(&[Role::CommuneOfficer]) {
        return r;
    }
    let (values, mut files) = match read_upload_form(&state, mp).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut values: HashMap<String, String> = values.into_iter().collect();
    if let Err(r) = signed.check_csrf(values.get("csrf").map_or("", String::as_str)) {
        return r;
    }
    // Files kept from the refused form come back unless the officer chose another.
    let now_ms = state.store.now_ms();
    let kept_tokens: Vec<(String, String)> = values
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("kept.").map(|kind| (kind.to_string(), v.clone())))
        .collect();
    values.retain(|k, _| !k.starts_with("kept."));
    for (kind, token) in kept_tokens {
        if files.iter().any(|(k, ..)| *k == kind) {
            continue;
        }
        if let Some(k) = state.kept_uploads.take(&token, &signed.user.id, now_ms) {
            files.push((k.kind, k.file_name, k.media_type, k.blob));
        }
    }
    // A second handle on each file, kept for the corrected form if the rules refuse this one.
    let spare: Vec<(String, String, String, Option<TempBlob>)> = files
        .iter()
        .map(|(k, n, m, b)| (k.clone(), n.clone(), m.clone(), b.linked_copy().ok()))
        .collect();
    let Some(route) = values
        .get("commune_code")
        .and_then(|c| state.config.routes.communes.get(c.as_str()))
        .filter(|_| values.get("commune_code").is_some_and(|c| signed.user.in_scope(c)))
    else {
        return page_error(403, "Tài khoản này không được tiếp nhận hồ sơ của xã đó.");
    };
    let pusher = Pusher {
        source: route.onestop_system.clone(),
        actor: signed.user.actor(),
        // An officer's scopes are commune codes (`accounts::check_new_user` checked them).
        communes: signed.user.scopes.iter().filter_map(|c| c.parse().ok()).collect(),
    };
    let now = state.store.clock().now().to_string();
    let refs: Vec<(String, String, String, &TempBlob)> = files
        .iter()
        .map(|(k, n, m, b)| (k.clone(), n.clone(), m.clone(), b))
        .collect();
    let raw = manifest(&values, &refs, &now);
    let kinds: Vec<String> = files.iter().map(|(k, ..)| k.clone()).collect();
    let blobs: HashMap<String, TempBlob> = files.into_iter().map(|(k, _, _, b)| (k, b)).collect();
    let accepted = crate::web::push::intake(&state)
        .accept(&pusher, raw, blobs, Vec::new())
        .await
        .map(|a| crate::web::push::status_of(&state, a))
        .map_err(ApiError::from);
    match accepted {
        Ok((_, row)) => Redirect::to(&format!("/cases/{}/receipt", row.id)).into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            let errors = if e.fields.is_empty() {
                vec![("receipt_code".to_string(), e.message.clone())]
            } else {
                e.fields
                    .iter()
                    .map(|p| {
                        let unreadable_day = DATES.contains(&p.path.as_str())
                            && values
                                .get(&p.path)
                                .is_some_and(|v| super::labels::parse_day(v).is_none());
                        let message = if unreadable_day {
                            "Ngày phải theo dạng ngày/tháng/năm, ví dụ 05/11/2026".to_string()
                        } else {
                            p.message.clone()
                        };
                        (field_of(p, &kinds), message)
                    })
                    .collect()
            };
            let files_again = spare.iter().any(|s| s.3.is_none());
            let kept = spare
                .into_iter()
                .filter_map(|(kind, name, media, blob)| {
                    let token = state
                        .kept_uploads
                        .keep(&signed.user.id, &kind, &name, &media, blob?, now_ms);
                    Some((kind, token, name))
                })
                .collect();
            let page = render(&FormPage {
                nav: Nav::of(&signed),
                csrf: signed.csrf.clone(),
                groups: groups(&state, &signed, &values, &errors),
                errors,
                files_again,
                kept,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
        Err(e) => failed(e),
    }
}

/// The form field a problem belongs to: its path, or the file of `attachments[i]`.
fn field_of(p: &FieldProblem, kinds: &[String]) -> String {
    if let Some(rest) = p.path.strip_prefix("attachments[") {
        let index: Option<usize> = rest.split(']').next().and_then(|i| i.parse().ok());
        if let Some(kind) = index.and_then(|i| kinds.get(i)) {
            return kind.clone();
        }
    }
    if let Some(kind) = REQUIRED_KINDS.iter().find(|k| p.message.contains(*k)) {
        return kind.to_string();
    }
    p.path.clone()
}
