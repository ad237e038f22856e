//! Path extractors that parse a case or leg id at the edge: a handler receives a [`CaseId`] or
//! [`LegId`], never a raw segment. A segment that is not one of our ids names nothing, so it is a
//! 404 on both surfaces (JSON under `/api/`, the Vietnamese error page elsewhere), exactly what an
//! unknown id of the right shape gets.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::pages::error::PageError;
use crate::domain::{CaseId, LegId};

/// The `{id}` / `{case_id}` segment of a case's route.
pub struct CasePath(pub CaseId);

/// The `{id}` / `{leg_id}` segment of a leg's route.
pub struct LegPath(pub LegId);

/// The answer to a segment that is no id of ours, in the surface's own form.
pub struct UnknownId {
    api: bool,
}

impl IntoResponse for UnknownId {
    fn into_response(self) -> Response {
        if self.api {
            ApiError::not_found().into_response()
        } else {
            PageError::from(ApiError::not_found()).into_response()
        }
    }
}

async fn segment<T>(parts: &mut Parts, parse: fn(&str) -> Option<T>) -> Result<T, UnknownId> {
    let unknown = UnknownId {
        api: parts.uri.path().starts_with("/api/"),
    };
    let Ok(Path(text)) = Path::<String>::from_request_parts(parts, &()).await else {
        return Err(unknown);
    };
    parse(&text).ok_or(unknown)
}

impl<S: Send + Sync> FromRequestParts<S> for CasePath {
    type Rejection = UnknownId;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, UnknownId> {
        segment(parts, |s| CaseId::parse(s).ok()).await.map(CasePath)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LegPath {
    type Rejection = UnknownId;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, UnknownId> {
        segment(parts, |s| LegId::parse(s).ok()).await.map(LegPath)
    }
}
