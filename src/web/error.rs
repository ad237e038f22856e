//! The one error type of the HTTP API: a status, a stable machine `code`, a Vietnamese message
//! and, for validation, every field problem.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::bodies::{ErrorBody, ErrorDetail};
use crate::domain::FieldProblem;
use crate::store::StoreError;

/// An API error as the body `{"error": {code, message, fields?}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldProblem>,
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error without field details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// 401: no or unknown token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Thiếu hoặc sai mã truy cập (Bearer token)",
        )
    }

    /// 403: the token may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 401: a callback whose signature is missing, wrong, stale or replayed.
    pub fn bad_signature(why: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            format!("Chữ ký không hợp lệ: {why}"),
        )
    }

    /// 429: the token made too many requests; try again after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("Quá nhiều yêu cầu; thử lại sau {seconds} giây"),
        );
        e.retry_after = Some(seconds);
        e
    }

    /// 413: the request body is over the limit of the caller's token.
    pub fn body_too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("Yêu cầu vượt quá giới hạn {limit} byte của mã truy cập này"),
        )
    }

    /// 404.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Không tìm thấy")
    }

    /// 422 with every problem; the top-level code is the first problem's.
    pub fn invalid(fields: Vec<FieldProblem>) -> Self {
        let code = fields.first().map(|f| f.code).unwrap_or("invalid_field");
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: format!("Hồ sơ có {} lỗi; sửa tất cả rồi gửi lại", fields.len()),
            fields,
            retry_after: None,
        }
    }

    /// 500: logged with its cause, shown without details.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Lỗi hệ thống; vui lòng thử lại sau",
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::InvalidState(s) => ApiError::new(
                StatusCode::CONFLICT,
                "invalid_state",
                format!("Không thực hiện được khi chặng đang ở trạng thái '{s}'"),
            ),
            StoreError::Duplicate => ApiError::new(StatusCode::CONFLICT, "conflict", "Hồ sơ đã tồn tại"),
            StoreError::Conflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "Đã có văn bản cùng loại với nội dung khác; văn bản đã lưu không thay đổi",
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<crate::decisions::DecisionError> for ApiError {
    fn from(e: crate::decisions::DecisionError) -> Self {
        match e {
            crate::decisions::DecisionError::Invalid(problems) => ApiError::invalid(problems),
            crate::decisions::DecisionError::Store(e) => e.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Middleware of the agency API: a refusal made by the framework itself (a body that is not
/// JSON, a bad query, a wrong method) becomes the same JSON error body as every other error,
/// so a client parses one shape.
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if text.trim().is_empty() {
        "Yêu cầu không hợp lệ".to_string()
    } else {
        format!("Yêu cầu không hợp lệ: {}", text.trim())
    };
    ApiError::new(status, code, message).into_response()
}
