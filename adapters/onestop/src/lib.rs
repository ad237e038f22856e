//! The commune's one-stop (một cửa) system: it pushes cases into the gateway ([`push`]) and
//! receives the combined result back ([`client`]), signed with HMAC-SHA256 over the body
//! ([`signature`]). [`sim`] is a one-stop result endpoint that verifies signatures.

pub mod client;
pub mod push;
pub mod signature;
pub mod sim;

pub use client::OnestopAdapter;
