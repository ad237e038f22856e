//! The deadline sweeper: finds clocks that moved to at-risk or overdue and acts on each
//! transition exactly once (the store's conditional update decides who acts). Acting means
//! recording the transition in the event trail — the notifier turns that into warnings — and,
//! for a case going overdue, drafting its apology letter with a proposed new date. The same
//! pass anchors the audit trail of every finished day.

use crate::domain::journey::Step;
use crate::domain::state::LegState;
use lienthong_contract::LegKind;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{Calendar, ClockState};
use crate::config::Config;
use crate::store::clocks::MovedClock;
use crate::store::{LegView, Store, StoreError};

/// Working days after today proposed as the new appointment of a late case.
const RESCHEDULE_DAYS: u32 = 2;

/// Runs the sweeps.
pub struct Sweeper {
    config: Arc<Config>,
    store: Store,
}

fn holder(legs: &[LegView]) -> &'static str {
    let open = |kind: LegKind| {
        legs.iter()
            .any(|l| l.name == kind && !matches!(l.state, LegState::Completed | LegState::Rejected))
    };
    match (open(LegKind::Residence), open(LegKind::Insurance)) {
        (true, true) => "Cơ quan Công an và cơ quan Bảo hiểm xã hội chưa trả kết quả",
        (true, false) => "Cơ quan Công an chưa trả kết quả đăng ký thường trú",
        (false, true) => "Cơ quan Bảo hiểm xã hội chưa trả kết quả cấp thẻ BHYT",
        (false, false) => "Kết quả đang được chuyển về UBND xã",
    }
}

impl Sweeper {
    /// A sweeper over `store`.
    pub fn new(config: Arc<Config>, store: Store) -> Sweeper {
        Sweeper { config, store }
    }

    /// Sweeps every `sweep_interval_ms` until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let every = Duration::from_millis(self.config.gateway.deadlines.sweep_interval_ms);
        loop {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = %e, "deadline sweep failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
        }
    }

    /// One pass; returns how many transitions this sweeper acted on.
    pub async fn sweep(&self) -> Result<usize, StoreError> {
        let now = self.store.now_ms();
        let mut acted = 0;
        for clock in self.store.moved_clocks(now, 500).await? {
            if self.act(&clock).await? {
                acted += 1;
            }
        }
        for w in self.store.expired_windows(now).await? {
            if self.store.act_on_window(&w).await? {
                acted += 1;
            }
        }
        acted += self.remind_to_collect().await?;
        self.store
            .write_anchors(Calendar::local_day(self.store.clock().now()))
            .await?;
        Ok(acted)
    }

    /// Results waiting at the commune for more than the configured working days: the family is
    /// reminded once (not while the post is carrying them), docs/family.md.
    async fn remind_to_collect(&self) -> Result<usize, StoreError> {
        let today = Calendar::local_day(self.store.clock().now());
        let before = self
            .config
            .gateway
            .public
            .collect_overdue_before(&self.config.calendar, today);
        let (waiting, _) = self.store.uncollected(before, 200).await?;
        let mut reminded = 0;
        for w in waiting.iter().filter(|w| !w.reminded) {
            let steps = self.store.journey(&w.case_id).await?;
            let in_the_post = steps
                .iter()
                .rev()
                .find(|s| matches!(s.step, Step::Posted | Step::PostDelivered | Step::PostReturned))
                .is_some_and(|s| s.step == Step::Posted);
            if !in_the_post && self.store.remind_to_collect(&w.case_id).await? {
                reminded += 1;
                metrics::counter!("lienthong_collect_reminders_total").increment(1);
            }
        }
        Ok(reminded)
    }

    async fn act(&self, clock: &MovedClock) -> Result<bool, StoreError> {
        let legs = self.store.legs(&clock.case_id).await?;
        let what = match &clock.leg_id {
            Some(id) => legs.iter().find(|l| &l.id == id).map_or("leg", |l| l.name.as_str()),
            None => "case",
        };
        let detail = format!("{what} {}", clock.now.as_str());
        let is_case_overdue = clock.leg_id.is_none() && clock.now == ClockState::Overdue;
        let case = if is_case_overdue {
            self.store.case(&clock.case_id).await?
        } else {
            None
        };
        let cal: &Calendar = &self.config.calendar;
        let apology = case.as_ref().and_then(|c| {
            let original = c.due_day?;
            let today = cal.receipt_day(self.store.clock().now());
            Some((holder(&legs), original, cal.add_working_days(today, RESCHEDULE_DAYS)))
        });
        let won = self.store.act_on_clock(clock, &detail, apology).await?;
        if won {
            tracing::info!(case_id = %clock.case_id, clock = %detail, "deadline transition");
            metrics::counter!("lienthong_clock_transitions_total", "state" => clock.now.as_str()).increment(1);
        }
        Ok(won)
    }
}
