//! Server-only parts of the account pages: the in-memory limits of "Forgot your password?".

use crate::error::AppError;
use leptos::prelude::*;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Reset requests an hour from one client address, by default (a burst, then refilled evenly).
pub const DEFAULT_RESETS_PER_IP_PER_HOUR: u32 = 20;
/// Reset requests an hour for one typed address, by default. Above storage's persistent cap of 3 reset mails per
/// account and hour, so that the cap is what a person normally meets (and answers like any other request).
pub const DEFAULT_RESETS_PER_ADDRESS_PER_HOUR: u32 = 5;

/// Keys a limiter remembers before idle ones are dropped.
const KEYS_BEFORE_PRUNE: usize = 10_000;

/// In-memory limits on "Forgot your password?", per client address and per e-mail address typed (normalised as
/// for log-in), checked before the database is touched: a flood is answered [`AppError::Throttled`] without
/// reading or writing anything, and nobody can fill someone's mailbox or the outbox. Storage's cap of
/// [`storage::RESETS_PER_ACCOUNT_PER_HOUR`] mails per account comes on top and survives restarts.
#[derive(Clone)]
pub struct ResetLimits {
    per_ip: Arc<governor::DefaultKeyedRateLimiter<IpAddr>>,
    per_address: Arc<governor::DefaultKeyedRateLimiter<String>>,
}

impl Default for ResetLimits {
    fn default() -> Self {
        Self::new(
            NonZeroU32::new(DEFAULT_RESETS_PER_IP_PER_HOUR).expect("non-zero"),
            NonZeroU32::new(DEFAULT_RESETS_PER_ADDRESS_PER_HOUR).expect("non-zero"),
        )
    }
}

impl ResetLimits {
    /// At most `per_ip_per_hour` requests an hour from one client address and `per_address_per_hour` for one
    /// e-mail address, each allowed as a burst and then refilled evenly over the hour.
    pub fn new(per_ip_per_hour: NonZeroU32, per_address_per_hour: NonZeroU32) -> Self {
        use governor::{Quota, RateLimiter};
        Self {
            per_ip: Arc::new(RateLimiter::keyed(Quota::per_hour(per_ip_per_hour))),
            per_address: Arc::new(RateLimiter::keyed(Quota::per_hour(per_address_per_hour))),
        }
    }

    /// Counts one request from `ip` for `email`; `Throttled` (with the wait) once either limit is used up.
    pub fn check(&self, ip: IpAddr, email: &str) -> Result<(), AppError> {
        use governor::clock::Clock;
        let refuse = |not_until: governor::NotUntil<governor::clock::QuantaInstant>| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::Throttled {
                retry_after_secs: wait.as_secs().max(1),
            }
        };
        for len in [self.per_ip.len(), self.per_address.len()] {
            if len > KEYS_BEFORE_PRUNE {
                self.per_ip.retain_recent();
                self.per_address.retain_recent();
            }
        }
        self.per_ip.check_key(&ip).map_err(refuse)?;
        self.per_address
            .check_key(&storage::login_key(email))
            .map_err(refuse)
    }
}

/// The reset limits the router provided.
pub fn reset_limits() -> Result<ResetLimits, AppError> {
    use_context::<ResetLimits>().ok_or_else(|| {
        tracing::error!("ResetLimits missing from the server function context");
        AppError::Internal
    })
}
