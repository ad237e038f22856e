//! What the family sees without an account: their case's progress in plain words, matched by
//! the receipt code and the last digits of the phone they registered (docs/family.md). Pure:
//! the web layer reads the store and throttles; these modules decide what may be said.

pub mod link;
pub mod phone;
pub mod sms_command;
pub mod status;
