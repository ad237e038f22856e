//! One validation problem: where (JSON path), a stable code, and a message for the officer.

use serde::Serialize;

/// A problem with one field of a pushed case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub path: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldProblem {
    /// An `invalid_field` problem.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem {
            path: path.into(),
            code: "invalid_field",
            message: message.into(),
        }
    }

    /// A problem with its own code (`unknown_commune`, `unsupported_procedure`, ...).
    pub fn coded(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        FieldProblem {
            path: path.into(),
            code,
            message: message.into(),
        }
    }
}
