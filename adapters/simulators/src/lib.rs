//! Simulators of every system lienthong connects, speaking the real wire formats over real HTTP,
//! with the faults the gateway must survive (outages, time-outs, dropped or corrupted files, slow
//! answers, lost callbacks) — for the tests, the benchmarks and `lienthong demo`.
//!
//! [`sim`] is the shared core (records, faults, decisions reported back to the gateway, the
//! envelope/file/receipt routes); [`police`], [`insurance`] and [`onestop`] are the three
//! receiving systems; [`notify_sim`] an SMS provider and an SMTP server, [`postal_sim`] a postal
//! partner; [`conformance`] the kit every adapter passes against its simulator.

pub mod conformance;
pub mod insurance;
pub mod notify_sim;
pub mod onestop;
pub mod police;
pub mod postal_sim;
pub mod sim;
