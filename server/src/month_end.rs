//! The month-end run in the background: every hour (and once at start) each instance asks storage to issue the
//! credit statements of the months that have just ended ([`storage::Db::run_month_end`]). A month ends at a
//! different instant in each organization's time zone, so the run covers the previous and the current UTC month;
//! storage issues only where the month is over in the organization's zone. Running it on every instance, and
//! again, is safe: a statement is issued once.

use shared::period::Month;
use shared::time::TimeZoneName;
use std::time::Duration;
use storage::Db;

/// How often the run looks for months to close.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Starts the hourly run.
pub fn start(db: Db) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            run_once(&db).await;
        }
    })
}

/// One run: the previous and the current month in UTC (see the module documentation).
pub async fn run_once(db: &Db) {
    let now = storage::now();
    let current = Month::containing(now, &TimeZoneName::utc());
    for month in [current.previous(), current] {
        match db.run_month_end(month, now).await {
            Ok(report) => {
                for (org, number) in &report.issued {
                    tracing::info!(%org, number, month = %month, "credit statement issued");
                }
                for (org, reason) in &report.skipped {
                    tracing::info!(%org, reason, month = %month, "credit statement not issued yet");
                }
            }
            Err(e) => tracing::error!(error = %e, month = %month, "the month-end run failed"),
        }
    }
}
