//! The dashboard's accountability panel (docs/accountability.md, "On the dashboard"): the units
//! over their late-rate target and the communes pushing late, from the report of the targets'
//! period so far. That report reads every case of the period (a minute and more on a large
//! province's year), so the dashboard never waits for it: each process computes it in the
//! background when its copy is from another period or older than [`MAX_AGE_MS`] — or than ten
//! times the last computation took, so a big store spends at most a tenth of a core on it — and
//! the dashboard shows the last copy.

use std::sync::{Arc, Mutex};

use jiff::civil::Date;

use crate::deadline::Calendar;
use crate::report::flags::{late_pushes, over_target, LatePushes, OverTarget};
use crate::report::{load, Period};
use crate::web::AppState;

/// How long a computed panel is shown before it is computed again.
pub const MAX_AGE_MS: i64 = 5 * 60 * 1000;

/// The panel as computed at one instant.
pub struct Standing {
    pub computed_at_ms: i64,
    /// How long the computation took, which spaces the next one.
    pub took_ms: i64,
    pub from: Date,
    pub over: Vec<OverTarget>,
    pub pushes: Vec<LatePushes>,
}

#[derive(Default)]
struct Slot {
    last: Option<Arc<Standing>>,
    computing: bool,
}

/// The last panel this process computed, and whether a computation is under way.
#[derive(Default)]
pub struct StandingCache(Mutex<Slot>);

impl StandingCache {
    /// The last panel (none before the first computation ends); starts a computation in the
    /// background when that copy is stale and none runs.
    pub fn get(self: &Arc<Self>, state: &AppState) -> Option<Arc<Standing>> {
        let now = state.store.now_ms();
        let from = state
            .config
            .gateway
            .targets
            .period
            .start(Calendar::local_day(state.store.clock().now()));
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = slot
            .last
            .as_ref()
            .is_some_and(|s| s.from == from && now - s.computed_at_ms < MAX_AGE_MS.max(10 * s.took_ms));
        if !fresh && !slot.computing {
            slot.computing = true;
            let (cache, state) = (Arc::clone(self), state.clone());
            tokio::spawn(async move {
                let computed = compute(&state).await;
                let mut slot = cache.0.lock().unwrap_or_else(|e| e.into_inner());
                slot.computing = false;
                match computed {
                    Ok(s) => slot.last = Some(Arc::new(s)),
                    Err(e) => tracing::warn!(error = %e, "cannot compute the dashboard's accountability panel"),
                }
            });
        }
        slot.last.clone()
    }
}

async fn compute(state: &AppState) -> Result<Standing, crate::store::StoreError> {
    let now = state.store.now_ms();
    let started = std::time::Instant::now();
    let today = Calendar::local_day(state.store.clock().now());
    let targets = &state.config.gateway.targets;
    let from = targets.period.start(today);
    let report = load(&state.store, &state.config, Period { from, to: today }, None, false).await?;
    Ok(Standing {
        computed_at_ms: now,
        took_ms: started.elapsed().as_millis() as i64,
        from,
        over: over_target(&report, targets, &state.config.routes),
        pushes: late_pushes(&report),
    })
}
