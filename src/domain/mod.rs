//! Pure rules of the 3-in-1 procedure: no I/O, property-tested.
//!
//! "Parse, don't validate": [`bundle::parse`] turns untrusted JSON into a
//! [`lienthong_contract::CaseBundle`] or the complete list of problems, so an invalid case cannot
//! exist past intake.

pub mod bundle;
pub mod decision;
pub mod ids;
pub mod journey;
pub mod personal_id;
pub mod problems;
pub mod results;
pub mod state;
pub mod supplement;
pub mod text;

pub use ids::{CaseId, LegId};
pub use problems::FieldProblem;
