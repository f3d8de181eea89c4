//! The handshake guard: failed OCPP handshakes (unknown charge point ID → 404, wrong or missing credentials →
//! 401) are counted per client address with a `governor` keyed rate limiter. Once an address has used up its
//! allowance, its upgrades are refused with 429 before any database lookup or password hash, until the limit has
//! room again. Only failures count: a site whose stations all reconnect from one address after a restart is
//! never limited.
//!
//! governor cannot tell whether a key is over its limit without spending a cell, so a failure spends one and the
//! guard remembers the address as blocked until the moment governor names (`NotUntil`), or, when the failure
//! used the last cell, for one replenish interval. Both maps are trimmed periodically
//! ([`HandshakeGuard::housekeeping`]).
//!
//! The guard also rate-limits the log lines about refused handshakes, so that a scanner cannot fill the log;
//! each line says how many were left out since the previous one.

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

type FailureLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// Log lines about refused handshakes: at most this many per minute (and at once).
const REFUSAL_LOG_PER_MIN: u32 = 20;

/// The most characters of a refused charge point ID that are logged.
pub const LOGGED_ID_CHARS: usize = 64;

/// Per-address failure limit and rate-limited refusal log (see the module documentation).
pub struct HandshakeGuard {
    failures: FailureLimiter,
    clock: DefaultClock,
    /// Addresses refused until the given instant.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
    log: DefaultDirectRateLimiter,
    suppressed: AtomicU64,
}

impl HandshakeGuard {
    /// `per_min` failures per address and minute, all of them at once if they come at once.
    pub fn new(per_min: NonZeroU32) -> Self {
        let log_quota = NonZeroU32::new(REFUSAL_LOG_PER_MIN).expect("non-zero");
        Self {
            failures: RateLimiter::keyed(Quota::per_minute(per_min))
                .with_middleware::<StateInformationMiddleware>(),
            clock: DefaultClock::default(),
            blocked: Mutex::new(HashMap::new()),
            log: RateLimiter::direct(Quota::per_minute(log_quota)),
            suppressed: AtomicU64::new(0),
        }
    }

    fn blocked_map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Instant>> {
        self.blocked.lock().expect("handshake guard lock")
    }

    /// How long `ip` must still wait, if it is over its failure limit.
    pub fn retry_after(&self, ip: IpAddr) -> Option<Duration> {
        let key = key(ip);
        let mut blocked = self.blocked_map();
        let until = *blocked.get(&key)?;
        let now = Instant::now();
        if until > now {
            Some(until - now)
        } else {
            blocked.remove(&key);
            None
        }
    }

    /// Records a failed handshake from `ip`. Returns how long it is blocked now, if this failure used up its
    /// allowance.
    pub fn failed(&self, ip: IpAddr) -> Option<Duration> {
        let key = key(ip);
        let wait = match self.failures.check_key(&key) {
            Ok(state) if state.remaining_burst_capacity() == 0 => {
                state.quota().replenish_interval()
            }
            Ok(_) => return None,
            Err(not_until) => not_until.wait_time_from(self.clock.now()),
        };
        self.blocked_map().insert(key, Instant::now() + wait);
        Some(wait)
    }

    /// Forgets addresses whose failures are all in the past and whose block has ended. Called periodically.
    pub fn housekeeping(&self) {
        self.failures.retain_recent();
        self.failures.shrink_to_fit();
        let now = Instant::now();
        let mut blocked = self.blocked_map();
        blocked.retain(|_, until| *until > now);
        blocked.shrink_to_fit();
    }

    /// Whether a refusal may be logged now: `Some(n)` with the number of refusals left out of the log since the
    /// last line, or `None` (this one is counted as left out).
    pub fn may_log(&self) -> Option<u64> {
        if self.log.check().is_ok() {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// The limit's key for a client address: an IPv4 address as is (also when written as an IPv4-mapped IPv6
/// address), an IPv6 address by its /64 network, which usually belongs to one host or site.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A charge point ID from a URL as it may appear in a log line: at most [`LOGGED_ID_CHARS`] characters,
/// control characters, quotes and backslashes escaped (`char::escape_debug`, so a crafted ID cannot forge log
/// lines or terminal colours), and `…` when cut.
pub fn loggable_id(id: &str) -> String {
    let mut shown: String = id
        .chars()
        .take(LOGGED_ID_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if id.chars().nth(LOGGED_ID_CHARS).is_some() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_blocked_once_its_failures_are_used_up_and_others_are_not() {
        let guard = HandshakeGuard::new(NonZeroU32::new(3).unwrap());
        let attacker: IpAddr = "203.0.113.7".parse().unwrap();
        let station: IpAddr = "198.51.100.1".parse().unwrap();
        assert_eq!(guard.retry_after(attacker), None);
        assert_eq!(guard.failed(attacker), None);
        assert_eq!(guard.failed(attacker), None);
        let blocked = guard
            .failed(attacker)
            .expect("third failure uses up the allowance");
        assert!(blocked > Duration::ZERO && blocked <= Duration::from_secs(20));
        assert!(guard.retry_after(attacker).is_some());
        // Written as IPv4-mapped IPv6, the same address.
        assert!(guard
            .retry_after("::ffff:203.0.113.7".parse().unwrap())
            .is_some());
        assert_eq!(guard.retry_after(station), None);
        guard.housekeeping();
        assert!(
            guard.retry_after(attacker).is_some(),
            "housekeeping keeps live blocks"
        );
    }

    #[test]
    fn ipv6_addresses_count_per_64_network() {
        let guard = HandshakeGuard::new(NonZeroU32::new(2).unwrap());
        guard.failed("2001:db8:1:2::1".parse().unwrap());
        assert!(guard
            .failed("2001:db8:1:2::ffff".parse().unwrap())
            .is_some());
        assert!(guard
            .retry_after("2001:db8:1:2:aaaa::1".parse().unwrap())
            .is_some());
        assert!(guard
            .retry_after("2001:db8:1:3::1".parse().unwrap())
            .is_none());
    }

    #[test]
    fn logged_ids_are_escaped_and_cut() {
        assert_eq!(loggable_id("CP-1"), "CP-1");
        assert_eq!(
            loggable_id("evil\n2026-01-01 INFO forged\u{1b}[31m"),
            "evil\\n2026-01-01 INFO forged\\u{1b}[31m"
        );
        let long = "A".repeat(500);
        let shown = loggable_id(&long);
        assert_eq!(shown, format!("{}…", "A".repeat(LOGGED_ID_CHARS)));
    }

    #[test]
    fn the_refusal_log_is_rate_limited_and_counts_what_it_left_out() {
        let guard = HandshakeGuard::new(NonZeroU32::new(10).unwrap());
        let mut logged = 0;
        for _ in 0..(REFUSAL_LOG_PER_MIN + 5) {
            if guard.may_log().is_some() {
                logged += 1;
            }
        }
        assert_eq!(logged, REFUSAL_LOG_PER_MIN);
        assert_eq!(guard.suppressed.load(Ordering::Relaxed), 5);
    }
}
