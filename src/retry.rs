//! Retry modes (`AWS_RETRY_MODE` / profile `retry_mode`): `standard` and `adaptive`.
//!
//! Both retry the same errors (throttling, 5xx, connection failures before the response
//! headers, never after an event was delivered) with exponential backoff and full jitter.
//! `adaptive` adds the AWS SDKs' client-side rate limiter: a token bucket whose fill rate follows
//! a CUBIC curve — cut to 70 % of the measured sending rate when the service throttles, then
//! growing back as requests succeed — so that many threads sharing one client slow down
//! together instead of hammering a throttled account. It is shared by all clones of a client.
//!
//! Both modes also have the AWS SDKs' **retry quota** ([`RetryQuota`]): a per-client bucket of
//! 500 tokens; a retry takes 5 (10 after a timeout), and when the bucket cannot pay, the call
//! fails with its error at once instead of retrying; a call that succeeds gives back what its
//! last retry took, or 1 token when it needed no retry. During an outage a fleet of threads
//! sharing a client thus stops multiplying its load after about 100 retries, and retries come
//! back as calls succeed again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// How requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// Exponential backoff with jitter on transient errors (the AWS SDKs' `standard`; `legacy`
    /// maps here too).
    #[default]
    Standard,
    /// `standard` plus a client-side rate limiter that backs off on throttling.
    Adaptive,
}

impl std::str::FromStr for RetryMode {
    type Err = Error;

    /// `standard`, `adaptive` or `legacy` (= `standard`); as for every enum-valued setting of
    /// this crate, ASCII case and surrounding whitespace are ignored.
    fn from_str(s: &str) -> Result<RetryMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" | "legacy" => Ok(RetryMode::Standard),
            "adaptive" => Ok(RetryMode::Adaptive),
            _ => Err(Error::config(format!(
                "retry mode {:?} is not one of standard, adaptive, legacy",
                crate::redact::excerpt(s)
            ))),
        }
    }
}

/// Tokens in a full retry quota (`INITIAL_RETRY_TOKENS` of the AWS SDKs).
pub(crate) const RETRY_QUOTA_CAPACITY: u32 = 500;
/// Tokens a retry takes (`RETRY_COST`).
pub(crate) const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout takes (`RETRY_TIMEOUT_COST`).
pub(crate) const RETRY_TIMEOUT_COST: u32 = 10;
/// Tokens a call that succeeded without a retry gives back (`NO_RETRY_INCREMENT`).
pub(crate) const NO_RETRY_INCREMENT: u32 = 1;

/// The standard-mode retry quota, shared by all clones of a client (see the module docs).
#[derive(Debug)]
pub(crate) struct RetryQuota {
    available: Mutex<u32>,
}

impl Default for RetryQuota {
    fn default() -> RetryQuota {
        RetryQuota {
            available: Mutex::new(RETRY_QUOTA_CAPACITY),
        }
    }
}

impl RetryQuota {
    /// Take the cost of one retry (after a timeout when `timeout`): the tokens taken, or
    /// `None` when the quota cannot pay (then do not retry).
    pub(crate) fn acquire(&self, timeout: bool) -> Option<u32> {
        let cost = if timeout {
            RETRY_TIMEOUT_COST
        } else {
            RETRY_COST
        };
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        *available = available.checked_sub(cost)?;
        Some(cost)
    }

    /// A call succeeded: give back what its last retry took (`Some`), or
    /// [`NO_RETRY_INCREMENT`] when it needed no retry (`None`); never above the capacity.
    pub(crate) fn release(&self, last_retry_cost: Option<u32>) {
        let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
        let back = last_retry_cost.unwrap_or(NO_RETRY_INCREMENT);
        *available = available.saturating_add(back).min(RETRY_QUOTA_CAPACITY);
    }

    /// Tokens left (for tests).
    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        *self.available.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A uniform random factor in `[0, 1)` for full-jitter backoff. Not `fastrand`: its
/// thread-local generator seeds itself from `std::thread::current()`, which on a C program's main
/// thread allocates a handle std keeps until exit (valgrind reports it as possibly lost).
/// `RandomState` keys come from the OS once per thread, plus a counter so two draws differ.
pub(crate) fn jitter() -> f64 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(DRAWS.fetch_add(1, Ordering::Relaxed));
    // The top 53 bits as a fraction: exactly representable, always below 1.
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// When a backoff of `wait` started now ends, if it ends before `deadline`; `None` when it
/// would end at or after the deadline (then do not retry). A wait too long for an `Instant`
/// (`Duration::MAX`) ends after any deadline; it never panics.
pub(crate) fn backoff_fits(wait: Duration, deadline: Option<Instant>) -> bool {
    match (Instant::now().checked_add(wait), deadline) {
        (Some(end), Some(d)) => end < d,
        (None, Some(_)) => false,
        (_, None) => true,
    }
}

/// The longest single backoff actually slept: a longer one (up to `Duration::MAX`, "no
/// limit") is cut to this, which is still forever in practice, so that computing its end never
/// overflows an `Instant`. A cancel still ends it at once.
pub(crate) const MAX_BACKOFF_SLEEP: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

const BETA: f64 = 0.7;
const SCALE_CONSTANT: f64 = 0.4;
const SMOOTH: f64 = 0.8;
const MIN_FILL_RATE: f64 = 0.5;
const MIN_CAPACITY: f64 = 1.0;

/// The adaptive mode's token bucket. Times are seconds since `origin`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Clone)]
struct State {
    enabled: bool,
    fill_rate: f64,
    max_capacity: f64,
    current_capacity: f64,
    last_timestamp: Option<f64>,
    measured_tx_rate: f64,
    last_tx_rate_bucket: f64,
    request_count: u64,
    last_max_rate: f64,
    last_throttle_time: f64,
    time_window: f64,
}

impl State {
    fn new(now: f64) -> State {
        State {
            enabled: false,
            fill_rate: 0.0,
            max_capacity: 0.0,
            current_capacity: 0.0,
            last_timestamp: None,
            measured_tx_rate: 0.0,
            last_tx_rate_bucket: now.floor(),
            request_count: 0,
            last_max_rate: 0.0,
            last_throttle_time: now,
            time_window: 0.0,
        }
    }

    fn refill(&mut self, now: f64) {
        if let Some(last) = self.last_timestamp {
            let fill = (now - last).max(0.0) * self.fill_rate;
            self.current_capacity = (self.current_capacity + fill).min(self.max_capacity);
        }
        self.last_timestamp = Some(now);
    }

    /// How long to wait before one token is available (and take it when none is needed).
    fn acquire(&mut self, now: f64) -> Option<Duration> {
        if !self.enabled {
            return None;
        }
        self.refill(now);
        if self.current_capacity >= 1.0 {
            self.current_capacity -= 1.0;
            return None;
        }
        let wait = (1.0 - self.current_capacity) / self.fill_rate;
        Some(Duration::from_secs_f64(wait.max(0.0)))
    }

    fn update_measured_rate(&mut self, now: f64) {
        let bucket = (now * 2.0).floor() / 2.0;
        self.request_count += 1;
        if bucket > self.last_tx_rate_bucket {
            let current = self.request_count as f64 / (bucket - self.last_tx_rate_bucket);
            self.measured_tx_rate = current * SMOOTH + self.measured_tx_rate * (1.0 - SMOOTH);
            self.request_count = 0;
            self.last_tx_rate_bucket = bucket;
        }
    }

    fn update(&mut self, throttled: bool, now: f64) {
        self.update_measured_rate(now);
        let calculated = if throttled {
            let rate = if self.enabled {
                self.measured_tx_rate.min(self.fill_rate)
            } else {
                self.measured_tx_rate
            };
            self.last_max_rate = rate;
            self.time_window = (self.last_max_rate * (1.0 - BETA) / SCALE_CONSTANT).cbrt();
            self.last_throttle_time = now;
            self.enabled = true;
            rate * BETA
        } else {
            self.time_window = (self.last_max_rate * (1.0 - BETA) / SCALE_CONSTANT).cbrt();
            let dt = now - self.last_throttle_time;
            SCALE_CONSTANT * (dt - self.time_window).powi(3) + self.last_max_rate
        };
        let new_rate = calculated.min(2.0 * self.measured_tx_rate);
        self.refill(now);
        self.fill_rate = new_rate.max(MIN_FILL_RATE);
        self.max_capacity = new_rate.max(MIN_CAPACITY);
        self.current_capacity = self.current_capacity.min(self.max_capacity);
    }
}

impl RateLimiter {
    pub(crate) fn new() -> RateLimiter {
        RateLimiter {
            origin: Instant::now(),
            state: Mutex::new(State::new(0.0)),
        }
    }

    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// Take a token before sending; returns how long to wait first (then call again).
    pub(crate) fn acquire(&self) -> Option<Duration> {
        let now = self.now();
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .acquire(now)
    }

    /// Record the outcome of an attempt: throttled or not.
    pub(crate) fn update(&self, throttled: bool) {
        let now = self.now();
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .update(throttled, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_in_the_unit_interval_and_spread_out() {
        let draws: Vec<f64> = (0..2000).map(|_| jitter()).collect();
        assert!(draws.iter().all(|x| (0.0..1.0).contains(x)));
        // Each tenth of the interval gets some draws (about 200 each; 50 is far in the tail).
        for tenth in 0..10 {
            let lo = tenth as f64 / 10.0;
            let n = draws.iter().filter(|&&x| x >= lo && x < lo + 0.1).count();
            assert!(n > 50, "{n} draws in [{lo}, {lo}+0.1)");
        }
    }

    #[test]
    fn the_quota_pays_100_retries_then_refills_on_success() {
        let q = RetryQuota::default();
        for _ in 0..100 {
            assert_eq!(q.acquire(false), Some(RETRY_COST));
        }
        assert_eq!(q.available(), 0);
        assert_eq!(q.acquire(false), None);
        assert_eq!(q.acquire(true), None);
        // Successes without retry give back one token each.
        for _ in 0..4 {
            q.release(None);
        }
        assert_eq!(q.acquire(false), None, "4 tokens do not pay a retry");
        q.release(None);
        assert_eq!(q.acquire(false), Some(RETRY_COST));
        // A success after a retry gives back what that retry took.
        q.release(Some(RETRY_COST));
        assert_eq!(q.available(), RETRY_COST);
        // A timeout retry costs 10; the bucket never exceeds its capacity.
        q.release(Some(RETRY_TIMEOUT_COST));
        assert_eq!(q.acquire(true), Some(RETRY_TIMEOUT_COST));
        for _ in 0..1000 {
            q.release(Some(RETRY_TIMEOUT_COST));
        }
        assert_eq!(q.available(), RETRY_QUOTA_CAPACITY);
    }

    #[test]
    fn a_huge_backoff_never_overflows() {
        let soon = Instant::now() + Duration::from_secs(60);
        assert!(!backoff_fits(Duration::MAX, Some(soon)));
        assert!(!backoff_fits(Duration::from_secs(61), Some(soon)));
        assert!(backoff_fits(Duration::ZERO, Some(soon)));
        assert!(backoff_fits(Duration::MAX, None));
        // The cut sleep can still be added to now.
        assert!(Instant::now().checked_add(MAX_BACKOFF_SLEEP).is_some());
    }

    #[test]
    fn modes_parse_like_the_sdks() {
        assert_eq!(
            "standard".parse::<RetryMode>().unwrap(),
            RetryMode::Standard
        );
        assert_eq!("legacy".parse::<RetryMode>().unwrap(), RetryMode::Standard);
        assert_eq!(
            "adaptive".parse::<RetryMode>().unwrap(),
            RetryMode::Adaptive
        );
        assert!("fast".parse::<RetryMode>().is_err());
    }

    #[test]
    fn no_limit_until_the_first_throttle() {
        let mut s = State::new(0.0);
        for i in 0..100 {
            s.update(false, i as f64 * 0.01);
            assert_eq!(s.acquire(i as f64 * 0.01), None);
        }
        assert!(!s.enabled);
    }

    #[test]
    fn a_throttle_cuts_the_rate_then_it_grows_back() {
        let mut s = State::new(0.0);
        // 10 requests per second for 5 seconds.
        let mut t = 0.0;
        for _ in 0..50 {
            s.update(false, t);
            t += 0.1;
        }
        let measured = s.measured_tx_rate;
        assert!((8.0..12.0).contains(&measured), "measured {measured}");
        s.update(true, t);
        assert!(s.enabled);
        let cut = s.fill_rate;
        assert!(
            (cut - measured * BETA).abs() < 1.5,
            "cut to {cut} from {measured}"
        );
        // Right after the throttle, a burst has to wait.
        let mut waited = 0;
        for _ in 0..20 {
            if s.acquire(t).is_some() {
                waited += 1;
            }
        }
        assert!(waited > 0);
        // Successes over the following seconds raise the rate along the cubic curve.
        for _ in 0..40 {
            t += 0.1;
            s.update(false, t);
        }
        assert!(s.fill_rate > cut, "{} should exceed {cut}", s.fill_rate);
    }

    #[test]
    fn the_wait_is_what_one_token_needs() {
        let mut s = State::new(0.0);
        s.enabled = true;
        s.fill_rate = 2.0;
        s.max_capacity = 2.0;
        s.current_capacity = 0.0;
        s.last_timestamp = Some(0.0);
        let w = s.acquire(0.0).unwrap();
        assert!((w.as_secs_f64() - 0.5).abs() < 1e-9);
        assert_eq!(s.acquire(0.5), None, "one token after half a second");
        assert!(s.acquire(0.5).is_some());
    }
}
