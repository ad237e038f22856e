//! The dashboard's accountability panel (docs/accountability.md, "On the dashboard"): the units
//! over their late-rate target and the communes pushing late, from the report of the targets'
//! period so far. The report reads every case of the period, so each process computes it at most
//! once per [`MAX_AGE_MS`] and serves the copy in between.

use std::sync::Arc;

use jiff::civil::Date;
use tokio::sync::Mutex;

use crate::deadline::Calendar;
use crate::report::flags::{late_pushes, over_target, LatePushes, OverTarget};
use crate::report::{load, Period};
use crate::store::StoreError;
use crate::web::AppState;

/// How long a computed panel is shown before it is computed again.
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;

/// The panel as computed at one instant.
pub struct Standing {
    pub computed_at_ms: i64,
    pub from: Date,
    pub over: Vec<OverTarget>,
    pub pushes: Vec<LatePushes>,
}

/// The last panel this process computed.
#[derive(Default)]
pub struct StandingCache(Mutex<Option<Arc<Standing>>>);

impl StandingCache {
    /// The panel, computed again when older than [`MAX_AGE_MS`] or from another period; one
    /// request computes while the others wait for its result.
    pub async fn get(&self, state: &AppState) -> Result<Arc<Standing>, StoreError> {
        let now = state.store.now_ms();
        let today = Calendar::local_day(state.store.clock().now());
        let targets = &state.config.gateway.targets;
        let from = targets.period.start(today);
        let mut slot = self.0.lock().await;
        if let Some(s) = slot
            .as_ref()
            .filter(|s| s.from == from && now - s.computed_at_ms < MAX_AGE_MS)
        {
            return Ok(Arc::clone(s));
        }
        let report = load(&state.store, &state.config, Period { from, to: today }, None, false).await?;
        let fresh = Arc::new(Standing {
            computed_at_ms: now,
            from,
            over: over_target(&report, targets, &state.config.routes),
            pushes: late_pushes(&report),
        });
        *slot = Some(Arc::clone(&fresh));
        Ok(fresh)
    }
}
