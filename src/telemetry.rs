//! Structured logs with `tracing`. `LIENTHONG_LOG` sets the filter (default `info`);
//! `LIENTHONG_LOG_FORMAT=json` writes one JSON object per line for log collectors.
//! Log fields carry ids (case, leg, system), never personal data or tokens.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls are ignored.
pub fn init() {
    let filter = EnvFilter::try_from_env("LIENTHONG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LIENTHONG_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.compact().try_init()
    };
}
