//! The one error type of the web pages, the twin of the API's [`ApiError`]: the same status and
//! stable code for the same failure, shown as a Vietnamese page (the code in small print, for
//! the support desk) instead of JSON. A store failure that is the person's doing (no such case,
//! a leg in another state) is a 404 or 409 page, not a 500.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::Nav;
use crate::store::StoreError;
use crate::web::error::ApiError;

/// A page that could not be shown or an action that was refused.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl PageError {
    /// A refusal with the API's status and code for it.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        PageError {
            status,
            code,
            message: message.into(),
        }
    }

    /// A failure of ours: logged with its cause, shown without it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "page failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Lỗi hệ thống, xin thử lại sau ít phút.",
        )
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        if e.status.is_server_error() {
            return PageError::internal(e.message);
        }
        let message = if e.fields.is_empty() {
            e.message
        } else {
            e.fields
                .iter()
                .map(|f| f.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        };
        PageError::new(e.status, e.code, message)
    }
}

impl From<std::io::Error> for PageError {
    fn from(e: std::io::Error) -> Self {
        PageError::internal(e)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<Nav>,
    message: &'a str,
    code: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            nav: None,
            message: &self.message,
            code: self.code,
        };
        let body = page.render().unwrap_or_else(|_| self.message.clone());
        (self.status, Html(body)).into_response()
    }
}
