//! The web pages for people: commune officers, agency staff and administrators. Server-rendered
//! (askama), Vietnamese first, a little progressive-enhancement JavaScript to keep lists current.
//! Every page checks the signed-in person's role and scope; every form carries the session's
//! CSRF token.

// A page handler's natural rejection is the page to show instead: a whole `Response`.
#![allow(clippy::result_large_err)]

pub mod accounts;
pub mod admin;
pub mod agency;
pub mod cases;
pub mod error;
pub mod feedback;
pub mod form;
pub mod handover;
pub mod kept;
pub mod labels;
pub mod pauses;
pub mod reports;
pub mod resends;
pub mod results;
pub mod session;
pub mod standing;

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::accounts::{verify_password, Role, User};
use crate::web::AppState;
use error::PageError;
use session::{cookie_token, digest, random_token, set_cookie, Signed};

/// The header of every signed-in page.
pub struct Nav {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub links: Vec<(&'static str, &'static str)>,
}

impl Nav {
    /// The menu of a signed-in person, by role.
    pub fn of(s: &Signed) -> Option<Nav> {
        let mut links = match s.user.role {
            Role::CommuneOfficer => vec![
                ("/cases", "Hồ sơ của xã"),
                ("/cases/new", "Tiếp nhận mới"),
                ("/complaints", "Phản ánh"),
                ("/reports", "Báo cáo"),
            ],
            Role::InsuranceStaff | Role::PoliceStaff => vec![("/inbox", "Hộp hồ sơ"), ("/reports", "Báo cáo")],
            Role::Admin | Role::Operator | Role::Auditor => vec![
                ("/admin", "Bảng điều khiển"),
                ("/cases", "Tất cả hồ sơ"),
                ("/reports", "Báo cáo"),
                ("/complaints", "Phản ánh"),
            ],
        };
        if s.user.role == Role::Admin {
            links.push(("/admin/users", "Người dùng"));
        }
        links.push(("/account/password", "Đổi mật khẩu"));
        Some(Nav {
            name: s.user.display_name.clone(),
            role: s.user.role.label(),
            csrf: s.csrf.clone(),
            links,
        })
    }
}

/// An error page with a status and the message people read; the stable code is the API's
/// for that status.
pub fn page_error(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::GONE => "gone",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_field",
        _ => "internal",
    };
    PageError::new(status, code, message).into_response()
}

/// Renders a page, or a 500 page if the template fails.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => page_error(500, &format!("Lỗi hiển thị trang: {e}")),
    }
}

/// Maps a store, API or I/O failure to its page: a 404 or 409 when it is one, else a 500.
pub fn failed(e: impl Into<PageError>) -> Response {
    e.into().into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Option<Nav>,
    error: Option<&'static str>,
    login: String,
}

async fn login_page() -> Response {
    render(&LoginPage {
        nav: None,
        error: None,
        login: String::new(),
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
}

/// Sign-in attempts per login name: a burst of 10, then 5 a minute.
const LOGINS_PER_MINUTE: u32 = 5;
const LOGIN_BURST: u32 = 10;

async fn login(State(state): State<AppState>, Form(f): Form<LoginForm>) -> Response {
    let now = crate::clock::Clock::system().now_ms();
    let name = f.login.trim().to_lowercase();
    if let Err(wait) = state.logins.take(&name, now, LOGINS_PER_MINUTE, LOGIN_BURST) {
        tracing::warn!("sign-in attempts throttled");
        let seconds = wait.as_secs().max(1);
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            render(&LoginPage {
                nav: None,
                error: Some("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau ít phút."),
                login: f.login,
            }),
        )
            .into_response();
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        return response;
    }
    let found = match state.store.user_for_login(f.login.trim()).await {
        Ok(u) => u,
        Err(e) => return failed(e),
    };
    let Some((user, _)) = found.filter(|(_, hash)| verify_password(&f.password, hash)) else {
        tracing::info!("sign-in refused");
        return (
            StatusCode::UNAUTHORIZED,
            render(&LoginPage {
                nav: None,
                error: Some("Sai tên đăng nhập hoặc mật khẩu."),
                login: f.login,
            }),
        )
            .into_response();
    };
    let token = random_token();
    if let Err(e) = state
        .store
        .create_session(&digest(&token), &user.id, &random_token(), session::TTL_MS)
        .await
    {
        return failed(e);
    }
    tracing::info!(role = user.role.as_str(), "signed in");
    (
        [(
            header::SET_COOKIE,
            set_cookie(&token, state.config.gateway.tls.is_some()),
        )],
        Redirect::to(home_of(&user)),
    )
        .into_response()
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    if let Err(r) = signed.check_csrf(&f.csrf) {
        return r;
    }
    if let Some(token) = cookie_token(&headers) {
        let _ = state.store.delete_session(&digest(&token)).await;
    }
    (
        [(header::SET_COOKIE, set_cookie("", state.config.gateway.tls.is_some()))],
        Redirect::to("/login"),
    )
        .into_response()
}

fn home_of(u: &User) -> &'static str {
    match u.role {
        Role::CommuneOfficer => "/cases",
        Role::InsuranceStaff | Role::PoliceStaff => "/inbox",
        Role::Admin | Role::Operator | Role::Auditor => "/admin",
    }
}

async fn home(signed: Signed) -> Redirect {
    Redirect::to(home_of(&signed.user))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../../static/site.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../../static/live.js"),
    )
}

/// Every page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/static/site.css", get(css))
        .route("/static/live.js", get(js))
        .route("/cases", get(cases::list))
        .route("/cases/new", get(form::new_case).post(form::submit))
        .route("/cases/{case_id}", get(cases::detail))
        .route("/cases/{case_id}/receipt", get(cases::receipt))
        .route("/cases/{case_id}/refusal", get(cases::refusal))
        .route("/cases/{case_id}/results", get(results::page))
        .route("/cases/{case_id}/journey", post(handover::commune_step))
        .route("/cases/{case_id}/rating", post(feedback::record))
        .route("/cases/{case_id}/withdraw", post(cases::withdraw))
        .route("/dg/{token}", get(feedback::show).post(feedback::rate))
        .route("/dg/{token}/phan-anh", post(feedback::complain))
        .route("/complaints", get(feedback::list))
        .route("/complaints/{id}/answer", post(feedback::answer))
        .route("/legs/{leg_id}/card-sent", post(handover::card_sent))
        .route(
            "/cases/{case_id}/apology",
            get(cases::apology).post(cases::confirm_apology),
        )
        .route("/cases/{case_id}/supplement", post(cases::supplement))
        .route("/files/{case_id}/{kind}", get(cases::file))
        .route("/inbox", get(agency::inbox))
        .route("/legs/{leg_id}", get(agency::leg))
        .route("/legs/{leg_id}/decision", post(agency::decide))
        .route("/admin", get(admin::dashboard))
        .route("/admin/legs/{leg_id}/resend", post(admin::resend))
        .route("/admin/legs/{leg_id}/resolve", post(admin::resolve))
        .route("/admin/cancel", post(admin::cancel))
        .route("/admin/certificates/reload", post(admin::reload_certificate))
        .route("/admin/resends", get(resends::preview).post(resends::resend))
        .route("/admin/pauses", post(pauses::pause))
        .route("/admin/pauses/resume", post(pauses::resume))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/users", get(accounts::list).post(accounts::create))
        .route("/admin/users/{id}/role", post(accounts::set_role))
        .route("/admin/users/{id}/reset", post(accounts::issue_reset))
        .route("/admin/users/{id}/disable", post(accounts::disable))
        .route("/admin/users/{id}/enable", post(accounts::enable))
        .route("/account/password", get(accounts::own_form).post(accounts::change_own))
        .route(
            "/password/reset/{token}",
            get(accounts::reset_form).post(accounts::reset),
        )
        .route("/reports", get(reports::page))
        .route("/reports.csv", get(reports::csv))
        .route("/reports.xlsx", get(reports::xlsx))
}
