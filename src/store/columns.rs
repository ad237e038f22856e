//! Typed reads of a row's columns. A column that is missing or of another type than expected
//! (SQLite and PostgreSQL differ in what they hand back), or a stored state name this gateway
//! never writes, is a [`StoreError`], never a panic.

use lienthong_contract::{AttachmentMeta, LegKind};
use sqlx::any::AnyRow;
use sqlx::{Any, Decode, Row, Type};

use super::StoreError;
use crate::deadline::ClockState;
use crate::domain::state::{CaseStatus, CheckOutcome, LegState};

/// One column, of the type the caller names.
pub(super) fn col<'r, T>(row: &'r AnyRow, name: &'static str) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    Ok(row.try_get(name)?)
}

/// A column parsed from its text by `parse`; text it refuses is [`StoreError::Corrupt`].
pub(super) fn named<T>(row: &AnyRow, name: &'static str, parse: impl Fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = col(row, name)?;
    parse(&text).ok_or(StoreError::Corrupt {
        column: name,
        value: text,
    })
}

/// A leg's state, from its stable name.
pub(super) fn leg_state(row: &AnyRow, name: &'static str) -> Result<LegState, StoreError> {
    named(row, name, LegState::parse)
}

/// A case status read on its own (a scalar query).
pub(super) fn parse_case_status(text: String) -> Result<CaseStatus, StoreError> {
    CaseStatus::parse(&text).ok_or(StoreError::Corrupt {
        column: "status",
        value: text,
    })
}

/// A case's status, from its stable name.
pub(super) fn case_status(row: &AnyRow, name: &'static str) -> Result<CaseStatus, StoreError> {
    named(row, name, CaseStatus::parse)
}

/// A clock state last acted on, from its stable name.
pub(super) fn clock_state(row: &AnyRow, name: &'static str) -> Result<ClockState, StoreError> {
    named(row, name, ClockState::parse)
}

/// A leg's kind, from its stable name.
pub(super) fn leg_kind(row: &AnyRow, name: &'static str) -> Result<LegKind, StoreError> {
    named(row, name, LegKind::parse)
}

/// A value type read from its text column through its own parser ([`std::str::FromStr`]), so a
/// stored code or digest that does not fit is [`StoreError::Corrupt`], like an unknown state.
pub(super) fn parsed<T: std::str::FromStr>(row: &AnyRow, name: &'static str) -> Result<T, StoreError> {
    named(row, name, |s| s.parse().ok())
}

/// An optional value type, as [`parsed`].
pub(super) fn parsed_opt<T: std::str::FromStr>(row: &AnyRow, name: &'static str) -> Result<Option<T>, StoreError> {
    let text: Option<String> = col(row, name)?;
    text.map(|t| t.parse().map_err(|_| StoreError::Corrupt { column: name, value: t }))
        .transpose()
}

/// What a leg's last check-back found, if it was checked.
pub(super) fn check_outcome_opt(row: &AnyRow, name: &'static str) -> Result<Option<CheckOutcome>, StoreError> {
    let text: Option<String> = col(row, name)?;
    text.map(|t| CheckOutcome::parse(&t).ok_or(StoreError::Corrupt { column: name, value: t }))
        .transpose()
}

/// A stored file's description (`kind, file_name, media_type, size, sha256`), as attachments and
/// supplement files share it.
pub(super) fn attachment_meta(r: &AnyRow) -> Result<AttachmentMeta, StoreError> {
    Ok(AttachmentMeta {
        kind: col(r, "kind")?,
        file_name: col(r, "file_name")?,
        media_type: col(r, "media_type")?,
        size: col::<i64>(r, "size")? as u64,
        sha256: parsed(r, "sha256")?,
    })
}

/// An instant stored as milliseconds since the epoch.
pub(super) fn instant(r: &AnyRow, name: &'static str) -> Result<jiff::Timestamp, StoreError> {
    let ms: i64 = col(r, name)?;
    jiff::Timestamp::from_millisecond(ms).map_err(|_| StoreError::Corrupt {
        column: name,
        value: ms.to_string(),
    })
}
