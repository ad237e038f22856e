//! Reading a report's rows from the store and computing it: the one path of the API, the pages
//! and the monthly email.

use jiff::civil::Date;

use super::{compute, FeedbackFigures, Report, Scope};
use crate::config::Config;
use crate::store::{Store, StoreError};

/// The local days a report covers, both inclusive (cases received in them).
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The instants the period starts and ends (exclusive), in milliseconds.
    fn bounds(&self) -> Result<(i64, i64), jiff::Error> {
        let start = |d: Date| {
            d.to_zoned(lienthong_contract::vn_tz())
                .map(|z| z.timestamp().as_millisecond())
        };
        Ok((start(self.from)?, start(self.to.tomorrow()?)?))
    }
}

/// The report of `period` in `communes` (`None`: all), with per-officer figures when `officers`.
pub async fn load(
    store: &Store,
    config: &Config,
    period: Period,
    communes: Option<Vec<String>>,
    officers: bool,
) -> Result<Report, StoreError> {
    let (from_ms, to_ms) = period
        .bounds()
        .map_err(|e| StoreError::Db(sqlx::Error::Protocol(e.to_string())))?;
    let mut cases = Vec::new();
    let mut legs = Vec::new();
    let mut feedback = crate::store::feedback::FeedbackCounts::default();
    match &communes {
        None => {
            cases = store.report_cases(from_ms, to_ms, None).await?;
            legs = store.report_legs(from_ms, to_ms, None).await?;
            feedback = store.feedback_counts(from_ms, to_ms, None).await?;
        }
        Some(list) => {
            for c in list {
                cases.extend(store.report_cases(from_ms, to_ms, Some(c)).await?);
                legs.extend(store.report_legs(from_ms, to_ms, Some(c)).await?);
                feedback.add(&store.feedback_counts(from_ms, to_ms, Some(c)).await?);
            }
        }
    }
    let routes = &config.routes;
    let scope = Scope {
        from: period.from,
        to: period.to,
        now: store.clock().now(),
        targets: &config.gateway.targets,
        officers,
        areas: &routes.areas,
    };
    let mut report = compute(&scope, &cases, &legs, &config.calendar, |code| {
        routes
            .communes
            .get(code)
            .map_or_else(|| code.to_string(), |c| c.name.clone())
    });
    report.feedback = FeedbackFigures::of(&feedback);
    Ok(report)
}
