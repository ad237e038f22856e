//! The commune's one-stop (một cửa) system: it pushes cases into the gateway ([`push`]) and
//! receives the combined result back ([`client`]), signed and replay-proof
//! ([`lienthong_contract::signature`]). Its simulator, a result endpoint that verifies them, is
//! in `lienthong-simulators`.

pub mod client;
pub mod push;

pub use client::OnestopAdapter;
