//! Sign-in sessions for the web pages: a random token in an HttpOnly, SameSite=Strict cookie,
//! stored only as its SHA-256, with a per-session CSRF token every form must carry.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::accounts::{Role, User};
use crate::web::AppState;

/// The session cookie's name.
pub const COOKIE: &str = "lienthong_session";
/// Sessions last one working day and a bit.
pub const TTL_MS: i64 = 12 * 3600 * 1000;

/// A fresh random token, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a cookie token.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The session token in the request's cookies.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The `Set-Cookie` value that opens (or, with an empty token, ends) a session; `Secure` when
/// the gateway serves HTTPS, so the browser never sends it in clear.
pub fn set_cookie(token: &str, secure: bool) -> String {
    let max_age = if token.is_empty() { 0 } else { TTL_MS / 1000 };
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// A signed-in person, with the CSRF token of their session.
pub struct Signed {
    pub user: User,
    pub csrf: String,
}

impl Signed {
    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), Response> {
        let same = sent.len() == self.csrf.len()
            && sent
                .bytes()
                .zip(self.csrf.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if same {
            Ok(())
        } else {
            Err(super::page_error(
                403,
                "Phiên làm việc không hợp lệ, xin tải lại trang và thử lại.",
            ))
        }
    }

    /// Refuses a form sent by a person without one of `roles`, or without the session's CSRF
    /// token: the check every page that writes makes first.
    pub fn allow(&self, roles: &[Role], csrf: &str) -> Result<(), Response> {
        self.require(roles).and_then(|_| self.check_csrf(csrf))
    }

    /// Refuses a person without one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), Response> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(super::page_error(403, "Tài khoản này không có quyền xem trang này."))
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let token = cookie_token(&parts.headers).ok_or_else(to_login)?;
        match state.store.session(&digest(&token)).await {
            // An auditor changes nothing: every page that writes refuses them here, whatever
            // roles its handler lists; signing out and their own password are the exceptions.
            Ok(Some((user, _)))
                if user.role == Role::Auditor
                    && !parts.method.is_safe()
                    && !["/logout", "/account/password"].contains(&parts.uri.path()) =>
            {
                Err(super::page_error(
                    403,
                    "Tài khoản chỉ xem: không được thay đổi dữ liệu.",
                ))
            }
            Ok(Some((user, csrf))) => Ok(Signed { user, csrf }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(super::page_error(500, &format!("Lỗi hệ thống: {e}"))),
        }
    }
}
