//! The commune's one-stop (một cửa) system: it pushes cases into the gateway ([`push`]) and
//! receives the combined result back ([`client`]), signed and replay-proof
//! ([`lienthong_contract::signature`]). [`sim`] is a one-stop result endpoint that verifies them.

pub mod client;
pub mod push;
pub mod sim;

pub use client::OnestopAdapter;
