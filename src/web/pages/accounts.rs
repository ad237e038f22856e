//! People's accounts in the browser (docs/operations.md, "Roles"): everyone changes their own
//! password; administrators create users, change their role and scopes, disable and enable them
//! and issue one-time reset links. Every change is kept in `user_changes`, and listed on
//! `/admin/users`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::session::{cookie_token, digest, random_token, Signed};
use super::{failed, labels, page_error, render, Nav};
use crate::accounts::{hash_password, scope_problems, verify_password, Role};
use crate::store::users::{NewUser, UserLine};
use crate::store::StoreError;
use crate::web::AppState;

/// How long a reset link works: a working day to reach the person it is for.
const RESET_TTL_MS: i64 = 24 * 3600 * 1000;

/// The answer to a reset link that no longer works.
const SPENT: &str =
    "Liên kết đặt lại mật khẩu đã được dùng hoặc đã hết hạn. Xin liên hệ quản trị hệ thống để nhận liên kết mới.";

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Option<Nav>,
    csrf: String,
    action: String,
    /// The own-password form asks for the current one; a reset link does not.
    ask_current: bool,
    error: Option<String>,
    /// Set once the password is changed: what to tell the person.
    done: Option<String>,
}

/// The password forms: own change (with `current` and `csrf`) and reset link (without).
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    new: String,
    again: String,
}

/// What is wrong with a new password, every problem at once.
fn problems(f: &PasswordForm) -> Vec<&'static str> {
    let mut p = Vec::new();
    if f.new.chars().count() < 10 {
        p.push("Mật khẩu mới cần ít nhất 10 ký tự.");
    }
    if f.new != f.again {
        p.push("Hai lần nhập mật khẩu mới không khớp.");
    }
    p
}

fn password_page(
    nav: Option<Nav>,
    csrf: String,
    action: String,
    ask_current: bool,
    error: Option<String>,
    done: Option<String>,
) -> Response {
    let status = if error.is_some() { 422 } else { 200 };
    let mut page = render(&PasswordPage {
        nav,
        csrf,
        action,
        ask_current,
        error,
        done,
    });
    *page.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
    page
}

/// `GET /account/password`.
pub async fn own_form(signed: Signed) -> Response {
    password_page(
        Nav::of(&signed),
        signed.csrf.clone(),
        "/account/password".into(),
        true,
        None,
        None,
    )
}

/// `POST /account/password`: the current password, then the new one twice; the person's other
/// sessions end.
pub async fn change_own(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<PasswordForm>,
) -> Response {
    if let Err(r) = signed.check_csrf(&f.csrf) {
        return r;
    }
    let stored = match state.store.password_hash(&signed.user.id).await {
        Ok(h) => h.unwrap_or_default(),
        Err(e) => return failed(e),
    };
    let mut wrong = problems(&f);
    if !verify_password(&f.current, &stored) {
        wrong.insert(0, "Mật khẩu hiện tại không đúng.");
    }
    let again = |error: Option<String>, done: Option<String>| {
        password_page(
            Nav::of(&signed),
            signed.csrf.clone(),
            "/account/password".into(),
            true,
            error,
            done,
        )
    };
    if !wrong.is_empty() {
        return again(Some(wrong.join(" ")), None);
    }
    let hash = match hash_password(&f.new) {
        Ok(h) => h,
        Err(e) => return page_error(500, &format!("Lỗi hệ thống: {e}")),
    };
    let session = cookie_token(&headers).map(|t| digest(&t)).unwrap_or_default();
    if let Err(e) = state.store.change_password(&signed.user, &hash, &session).await {
        return failed(e);
    }
    tracing::info!(role = signed.user.role.as_str(), "own password changed");
    again(
        None,
        Some("Đã đổi mật khẩu. Các phiên đăng nhập khác của tài khoản đã kết thúc.".into()),
    )
}

/// `GET /password/reset/{token}`: the form, while the link works.
pub async fn reset_form(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match state.store.reset_open(&digest(&token)).await {
        Ok(true) => password_page(
            None,
            String::new(),
            format!("/password/reset/{token}"),
            false,
            None,
            None,
        ),
        Ok(false) => page_error(410, SPENT),
        Err(e) => failed(e),
    }
}

/// `POST /password/reset/{token}`: sets the password once; the link is spent with it.
pub async fn reset(State(state): State<AppState>, Path(token): Path<String>, Form(f): Form<PasswordForm>) -> Response {
    let action = format!("/password/reset/{token}");
    let wrong = problems(&f);
    if !wrong.is_empty() {
        return match state.store.reset_open(&digest(&token)).await {
            Ok(true) => password_page(None, String::new(), action, false, Some(wrong.join(" ")), None),
            Ok(false) => page_error(410, SPENT),
            Err(e) => failed(e),
        };
    }
    let hash = match hash_password(&f.new) {
        Ok(h) => h,
        Err(e) => return page_error(500, &format!("Lỗi hệ thống: {e}")),
    };
    match state.store.use_reset(&digest(&token), &hash).await {
        Ok(Some(login)) => {
            tracing::info!("password set through a reset link");
            let done = format!("Đã đặt mật khẩu mới cho tài khoản {login}. Xin đăng nhập lại.");
            password_page(None, String::new(), action, false, None, Some(done))
        }
        Ok(None) => page_error(410, SPENT),
        Err(e) => failed(e),
    }
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    csrf: String,
    /// Every role: its stable name and its label, for the forms.
    roles: Vec<(&'static str, &'static str)>,
    /// What was wrong with the last form, every problem.
    error: Option<String>,
    users: Vec<UserRow>,
    /// A reset link just issued: for whom, and the link, shown this once.
    issued: Option<(String, String)>,
    /// The latest account changes: when, whose, by whom, what.
    changes: Vec<(String, String, String, &'static str)>,
}

struct UserRow {
    id: String,
    login: String,
    name: String,
    role: &'static str,
    role_code: &'static str,
    scopes: String,
    disabled: bool,
    own: bool,
}

fn change_label(change: &str) -> &'static str {
    match change {
        "created" => "tạo tài khoản",
        "rescoped" => "đổi vai trò, phạm vi",
        "password_changed" => "tự đổi mật khẩu",
        "reset_issued" => "cấp liên kết đặt lại mật khẩu",
        "reset_used" => "đặt mật khẩu qua liên kết",
        "disabled" => "khóa tài khoản",
        "enabled" => "mở khóa tài khoản",
        _ => "thay đổi khác",
    }
}

async fn users_page(
    state: &AppState,
    signed: &Signed,
    issued: Option<(String, String)>,
    error: Option<String>,
) -> Response {
    let (users, changes) = match (state.store.users().await, state.store.account_changes(50).await) {
        (Ok(u), Ok(c)) => (u, c),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let users = users
        .into_iter()
        .map(|UserLine { user, disabled }| UserRow {
            own: user.id == signed.user.id,
            id: user.id,
            login: user.login,
            name: user.display_name,
            role: user.role.label(),
            role_code: user.role.as_str(),
            scopes: user.scopes.join(", "),
            disabled,
        })
        .collect();
    let changes = changes
        .into_iter()
        .map(|(at, login, actor, change)| (labels::when(at), login, actor, change_label(&change)))
        .collect();
    let status = if error.is_some() { 422 } else { 200 };
    let mut page = render(&UsersPage {
        nav: Nav::of(signed),
        csrf: signed.csrf.clone(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        error,
        users,
        issued,
        changes,
    });
    *page.status_mut() = axum::http::StatusCode::from_u16(status).unwrap_or_default();
    page
}

/// `GET /admin/users`.
pub async fn list(State(state): State<AppState>, signed: Signed) -> Response {
    if let Err(r) = signed.require(&[Role::Admin]) {
        return r;
    }
    users_page(&state, &signed, None, None).await
}

/// The administrators' account forms.
#[derive(Deserialize)]
pub struct AccountForm {
    csrf: String,
}

/// `POST /admin/users/{id}/reset`: a one-time link, shown once to the administrator, who hands
/// it to the person by a channel of their choosing; the old password keeps working until the
/// link is used.
pub async fn issue_reset(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<AccountForm>,
) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], &f.csrf) {
        return r;
    }
    reset_link(&state, &signed, &id).await
}

/// Issues a reset link for `id` and shows it once on the users page.
async fn reset_link(state: &AppState, signed: &Signed, id: &str) -> Response {
    let token = random_token();
    if let Err(e) = state
        .store
        .issue_reset(id, &digest(&token), RESET_TTL_MS, &signed.user.actor())
        .await
    {
        return failed(e);
    }
    let login = match state.store.users().await {
        Ok(users) => users
            .into_iter()
            .find(|u| u.user.id == id)
            .map(|u| u.user.login)
            .unwrap_or_default(),
        Err(e) => return failed(e),
    };
    tracing::info!("password reset link issued");
    let link = format!("{}/password/reset/{token}", state.config.gateway.public_url());
    users_page(state, signed, Some((login, link)), None).await
}

/// The codes typed in a scopes field: separated by commas or spaces.
fn scopes_of(text: &str) -> Vec<String> {
    text.split([',', ' ', ';'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// What is wrong with a role and its scopes, in Vietnamese; the parsed role when nothing is.
fn role_problems(state: &AppState, role: &str, scopes: &[String]) -> Result<Role, Vec<String>> {
    let Some(role) = Role::parse(role) else {
        return Err(vec!["Chọn một vai trò trong danh sách.".into()]);
    };
    let problems: Vec<String> = scope_problems(&state.config, role, scopes)
        .iter()
        .map(|p| p.vietnamese(role))
        .collect();
    if problems.is_empty() {
        Ok(role)
    } else {
        Err(problems)
    }
}

/// The new-user form.
#[derive(Deserialize)]
pub struct NewUserForm {
    csrf: String,
    login: String,
    name: String,
    role: String,
    #[serde(default)]
    scopes: String,
}

/// `POST /admin/users`: a new user, who sets their own password through the reset link shown
/// once; until then the account has a random password nobody knows.
pub async fn create(State(state): State<AppState>, signed: Signed, Form(f): Form<NewUserForm>) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], &f.csrf) {
        return r;
    }
    let login = f.login.trim();
    let name = f.name.trim();
    let scopes = scopes_of(&f.scopes);
    let mut problems = Vec::new();
    let login_ok = (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !login_ok {
        problems.push("Tên đăng nhập gồm 3–64 ký tự: chữ thường không dấu, chữ số, dấu chấm, gạch.".to_string());
    }
    if name.is_empty() {
        problems.push("Cần họ tên người dùng.".to_string());
    }
    let role = role_problems(&state, &f.role, &scopes).map_err(|p| problems.extend(p));
    let role = match role {
        Ok(role) if problems.is_empty() => role,
        _ => return users_page(&state, &signed, None, Some(problems.join(" "))).await,
    };
    let hash = match hash_password(&random_token()) {
        Ok(h) => h,
        Err(e) => return page_error(500, &format!("Lỗi hệ thống: {e}")),
    };
    let new = NewUser {
        login,
        display_name: name,
        password_hash: &hash,
        role,
        scopes: &scopes,
    };
    match state.store.create_user_by(&new, &signed.user.actor()).await {
        Ok(id) => {
            tracing::info!(role = role.as_str(), "user created in the browser");
            reset_link(&state, &signed, &id).await
        }
        Err(StoreError::Duplicate) => {
            let taken = format!("Tên đăng nhập “{login}” đã có.");
            users_page(&state, &signed, None, Some(taken)).await
        }
        Err(e) => failed(e),
    }
}

/// The role form of one user.
#[derive(Deserialize)]
pub struct RoleForm {
    csrf: String,
    role: String,
    #[serde(default)]
    scopes: String,
}

/// `POST /admin/users/{id}/role`: another role or other scopes, effective on the next page.
pub async fn set_role(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], &f.csrf) {
        return r;
    }
    if id == signed.user.id {
        return page_error(409, "Không thể tự đổi vai trò của tài khoản đang đăng nhập.");
    }
    let scopes = scopes_of(&f.scopes);
    let role = match role_problems(&state, &f.role, &scopes) {
        Ok(role) => role,
        Err(p) => return users_page(&state, &signed, None, Some(p.join(" "))).await,
    };
    match state.store.set_role(&id, role, &scopes, &signed.user.actor()).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(e) => failed(e),
    }
}

async fn set_disabled(state: &AppState, signed: &Signed, id: &str, csrf: &str, disabled: bool) -> Response {
    if let Err(r) = signed.allow(&[Role::Admin], csrf) {
        return r;
    }
    if disabled && id == signed.user.id {
        return page_error(409, "Không thể tự khóa tài khoản đang đăng nhập.");
    }
    match state.store.set_disabled(id, disabled, &signed.user.actor()).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(e) => failed(e),
    }
}

/// `POST /admin/users/{id}/disable`: the person's sessions end at once.
pub async fn disable(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<AccountForm>,
) -> Response {
    set_disabled(&state, &signed, &id, &f.csrf, true).await
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Form(f): Form<AccountForm>,
) -> Response {
    set_disabled(&state, &signed, &id, &f.csrf, false).await
}
