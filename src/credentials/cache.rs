//! [`CachingProvider`]: caches credentials and refreshes them before they expire.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{provide_unexpired, Credentials, CredentialsContext, ProvideCredentials};
use crate::error::{Error, ErrorKind, Result};

/// How often a thread waiting for another thread's refresh looks at its own cancel handle
/// (a cancel has no way to wake this condition variable directly).
const WAITER_POLL: Duration = Duration::from_millis(20);

/// A clock, replaceable in tests.
pub(crate) type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Caches the credentials of another provider.
///
/// * Credentials with an expiry are refreshed when less than the refresh window (default
///   5 minutes) is left. Credentials without one are re-fetched after 15 minutes (cheap sources:
///   environment, files).
/// * One refresh at a time: while one thread refreshes, other threads get the current
///   credentials if they are still valid, and otherwise wait for that refresh and share its
///   result (no thundering herd).
/// * If a refresh fails while the cached credentials are still valid, they keep being served,
///   and the next refresh is tried 10 seconds later. An error is returned only when no valid
///   credentials are left.
/// * Credentials that have already expired when the source hands them out are asked for once
///   more; expired again, they are a credentials error (never used to sign).
/// * Nothing runs in the background: refreshes happen inside `provide_credentials`.
/// * With [`provide_credentials_with`](ProvideCredentials::provide_credentials_with), a thread
///   waiting for another thread's refresh gives up on its own cancel or deadline; the refresh
///   itself stops on the refreshing call's cancel or deadline, and then does not count as a
///   failure for the threads that waited (one of them refreshes instead).
pub struct CachingProvider {
    inner: Arc<dyn ProvideCredentials>,
    refresh_window: Duration,
    static_ttl: Duration,
    retry_after_failure: Duration,
    clock: Clock,
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    cached: Option<Entry>,
    refreshing: bool,
    /// Incremented when a refresh finishes.
    generation: u64,
    /// The error of the last refresh, for threads that waited for it.
    last_error: Option<(u64, Error)>,
    /// No new refresh attempt before this time (after a failure with valid credentials left).
    backoff_until: Option<SystemTime>,
    /// Threads waiting for a refresh (observable by tests).
    waiters: usize,
}

struct Entry {
    creds: Credentials,
    /// `None`: never (no expiry and a TTL too large to add to the clock).
    refresh_at: Option<SystemTime>,
}

impl fmt::Debug for CachingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingProvider")
            .field("inner", &self.inner)
            .field("refresh_window", &self.refresh_window)
            .finish_non_exhaustive()
    }
}

fn copy_error(e: &Error) -> Error {
    let mut c = Error::new(e.kind(), e.message()).with_retryable(e.is_retryable());
    if let Some(code) = e.code() {
        c = c.with_code(code);
    }
    if let Some(s) = e.http_status() {
        c = c.with_http_status(s);
    }
    c.with_request_id(e.request_id().map(str::to_string))
}

impl CachingProvider {
    /// Cache `inner`.
    pub fn new(inner: impl ProvideCredentials + 'static) -> Self {
        CachingProvider::from_arc(Arc::new(inner))
    }

    /// Cache a shared provider.
    pub fn from_arc(inner: Arc<dyn ProvideCredentials>) -> Self {
        CachingProvider {
            inner,
            refresh_window: Duration::from_secs(300),
            static_ttl: Duration::from_secs(900),
            retry_after_failure: Duration::from_secs(10),
            clock: Arc::new(SystemTime::now),
            state: Mutex::new(State::default()),
            done: Condvar::new(),
        }
    }

    /// Refresh when less than this is left before expiry (default 5 minutes).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// How long credentials without an expiry are kept (default 15 minutes). A duration too
    /// large to add to the clock (such as `Duration::MAX`) keeps them for good.
    pub fn ttl_without_expiry(mut self, ttl: Duration) -> Self {
        self.static_ttl = ttl;
        self
    }

    #[cfg(test)]
    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside the inner provider happens outside the lock; poisoning can only come
        // from a panic in this file's own short critical sections. Recover the data either way.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many threads are waiting right now for another thread's refresh (for monitoring
    /// and tests).
    pub fn waiting_threads(&self) -> usize {
        self.lock().waiters
    }

    fn valid(creds: &Credentials, now: SystemTime) -> bool {
        creds.expiry().is_none_or(|e| now < e)
    }
}

/// Resets `refreshing` and wakes waiters even if the inner provider panics.
struct RefreshGuard<'a> {
    cache: &'a CachingProvider,
    armed: bool,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut st = self.cache.lock();
            st.refreshing = false;
            st.generation += 1;
            st.last_error = Some((
                st.generation,
                Error::internal("the credential provider panicked during a refresh"),
            ));
            self.cache.done.notify_all();
        }
    }
}

/// Whether a refresh ended because of the refreshing call's own cancel or deadline (not a
/// failure of the source: the waiting threads try themselves).
fn ended_by_caller(e: &Error, ctx: &CredentialsContext) -> bool {
    matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Timeout) && ctx.check().is_err()
}

impl ProvideCredentials for CachingProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        self.provide_credentials_with(&CredentialsContext::new())
    }

    fn provide_credentials_with(&self, ctx: &CredentialsContext) -> Result<Credentials> {
        let mut st = self.lock();
        loop {
            let now = (self.clock)();
            if let Some(e) = &st.cached {
                if e.refresh_at.is_none_or(|r| now < r) && Self::valid(&e.creds, now) {
                    return Ok(e.creds.clone());
                }
                let still_valid = Self::valid(&e.creds, now);
                if still_valid && (st.refreshing || st.backoff_until.is_some_and(|b| now < b)) {
                    return Ok(e.creds.clone());
                }
            }
            if !st.refreshing {
                break;
            }
            // Wait for the running refresh and use its result, unless this call is cancelled or
            // runs out of time first.
            let waited_for = st.generation + 1;
            st.waiters += 1;
            while st.refreshing {
                if let Err(e) = ctx.check() {
                    st.waiters -= 1;
                    return Err(e);
                }
                let slice = if ctx.cancel_handle().is_some() {
                    ctx.bound(WAITER_POLL)
                } else {
                    ctx.bound(Duration::from_secs(3600))
                };
                st = self
                    .done
                    .wait_timeout(st, slice)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            st.waiters -= 1;
            if let Some((g, err)) = &st.last_error {
                if *g == waited_for {
                    let now = (self.clock)();
                    return match &st.cached {
                        Some(e) if Self::valid(&e.creds, now) => Ok(e.creds.clone()),
                        _ => Err(copy_error(err)),
                    };
                }
            }
            // Loop: the fresh credentials are in the cache now.
        }

        // This thread refreshes.
        st.refreshing = true;
        drop(st);
        let mut guard = RefreshGuard {
            cache: self,
            armed: true,
        };
        let result = provide_unexpired(&*self.inner, ctx, &*self.clock);
        guard.armed = false;
        let mut st = self.lock();
        st.refreshing = false;
        st.generation += 1;
        let now = (self.clock)();
        let out = match result {
            Ok(creds) => {
                let refresh_at = match creds.expiry() {
                    Some(exp) => Some(exp.checked_sub(self.refresh_window).unwrap_or(exp)),
                    None => now.checked_add(self.static_ttl),
                };
                st.cached = Some(Entry {
                    creds: creds.clone(),
                    refresh_at,
                });
                st.last_error = None;
                st.backoff_until = None;
                Ok(creds)
            }
            Err(err) if ended_by_caller(&err, ctx) => {
                // Not the source's failure: the waiters refresh themselves (no error to share,
                // no back-off).
                Err(err)
            }
            Err(err) => {
                let served = match &st.cached {
                    Some(e) if Self::valid(&e.creds, now) => Some(e.creds.clone()),
                    _ => None,
                };
                st.last_error = Some((st.generation, copy_error(&err)));
                match served {
                    Some(c) => {
                        st.backoff_until = now.checked_add(self.retry_after_failure);
                        Ok(c)
                    }
                    None => {
                        st.backoff_until = None;
                        Err(err)
                    }
                }
            }
        };
        self.done.notify_all();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Barrier, OnceLock};

    const ORIGIN: u64 = 2_000_000_000;

    fn at(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(ORIGIN + s)
    }

    type Behaviour = Box<dyn Fn(usize, &Fake) -> Result<Credentials> + Send + Sync>;

    /// A provider whose behaviour a test scripts; `n` is the 1-based call number.
    struct Fake {
        calls: AtomicUsize,
        now: Arc<AtomicU64>,
        fail: AtomicBool,
        cache: OnceLock<Arc<CachingProvider>>,
        behaviour: Behaviour,
    }

    impl fmt::Debug for Fake {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Fake")
        }
    }

    impl ProvideCredentials for Fake {
        fn provide_credentials(&self) -> Result<Credentials> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            (self.behaviour)(n, self)
        }
    }

    impl Fake {
        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }

        /// Credentials `AK<n>`, valid one hour from the fake "now", or an error when failing.
        fn issue(&self, n: usize) -> Result<Credentials> {
            if self.fail.load(Ordering::SeqCst) {
                return Err(Error::credentials("STS is down"));
            }
            let now = self.now.load(Ordering::SeqCst);
            Ok(Credentials::new(format!("AK{n}"), "SK", Some("TOK".into()))
                .with_expiry(Some(at(now + 3600))))
        }

        /// Block until `k` threads wait on the cache, or until another call reached the inner
        /// provider (which only a cache without single-flight allows: the test then fails on
        /// the call count instead of hanging).
        fn hold_until_waiters(&self, k: usize) {
            let cache = self.cache.get().expect("cache set");
            while cache.waiting_threads() < k && self.calls() == 1 + self.initial_calls() {
                std::thread::yield_now();
            }
        }

        fn initial_calls(&self) -> usize {
            // Only the first call (priming) precedes the held refresh in these tests.
            1
        }
    }

    fn setup(behaviour: Behaviour) -> (Arc<Fake>, Arc<AtomicU64>, Arc<CachingProvider>) {
        let now = Arc::new(AtomicU64::new(0));
        let fake = Arc::new(Fake {
            calls: AtomicUsize::new(0),
            now: now.clone(),
            fail: AtomicBool::new(false),
            cache: OnceLock::new(),
            behaviour,
        });
        let n2 = now.clone();
        let clock: Clock = Arc::new(move || at(n2.load(Ordering::SeqCst)));
        let cache = Arc::new(CachingProvider::from_arc(fake.clone()).with_clock(clock));
        let _ = fake.cache.set(cache.clone());
        (fake, now, cache)
    }

    fn plain() -> Behaviour {
        Box::new(|n, f| f.issue(n))
    }

    #[test]
    fn caches_until_the_refresh_window() {
        let (fake, now, cache) = setup(plain());
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        now.store(3600 - 301, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        assert_eq!(fake.calls(), 1);
        now.store(3600 - 299, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK2");
        assert_eq!(fake.calls(), 2);
    }

    /// The credentials expired; 64 threads ask at once. The refresh is held open until the 63
    /// others wait for it: exactly one refresh, and every thread gets its result.
    #[test]
    fn one_refresh_for_64_threads_after_expiry() {
        let (fake, now, cache) = setup(Box::new(|n, f| {
            if n == 2 {
                f.hold_until_waiters(63);
            }
            f.issue(n)
        }));
        cache.provide_credentials().unwrap();
        now.store(4000, Ordering::SeqCst); // AK1 expired at 3600
        let start = Arc::new(Barrier::new(64));
        let handles: Vec<_> = (0..64)
            .map(|_| {
                let cache = cache.clone();
                let start = start.clone();
                std::thread::spawn(move || {
                    start.wait();
                    cache
                        .provide_credentials()
                        .unwrap()
                        .access_key_id()
                        .to_string()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), "AK2");
        }
        assert_eq!(fake.calls(), 2);
    }

    /// During a refresh, threads whose cached credentials are still valid do not wait.
    #[test]
    fn valid_credentials_are_served_during_a_refresh() {
        let release = Arc::new(AtomicBool::new(false));
        let r2 = release.clone();
        let (fake, now, cache) = setup(Box::new(move |n, f| {
            if n == 2 {
                while !r2.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
            }
            f.issue(n)
        }));
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        now.store(3600 - 10, Ordering::SeqCst); // inside the window, still valid
        let refresher = {
            let c = cache.clone();
            std::thread::spawn(move || c.provide_credentials().unwrap())
        };
        while fake.calls() < 2 {
            std::thread::yield_now();
        }
        for _ in 0..10 {
            assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        }
        assert_eq!(cache.waiting_threads(), 0);
        release.store(true, Ordering::SeqCst);
        assert_eq!(refresher.join().unwrap().access_key_id(), "AK2");
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK2");
        assert_eq!(fake.calls(), 2);
    }

    #[test]
    fn failed_refresh_keeps_serving_valid_credentials_then_errors() {
        let (fake, now, cache) = setup(plain());
        cache.provide_credentials().unwrap();
        fake.fail.store(true, Ordering::SeqCst);
        now.store(3600 - 100, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        assert_eq!(fake.calls(), 2);
        // back-off: no new attempt within 10 s
        now.store(3600 - 95, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        assert_eq!(fake.calls(), 2);
        now.store(3600 - 80, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK1");
        assert_eq!(fake.calls(), 3);
        // expired, source still failing: the error
        now.store(3600, Ordering::SeqCst);
        let e = cache.provide_credentials().unwrap_err();
        assert!(e.to_string().contains("STS is down"), "{e}");
        fake.fail.store(false, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK5");
    }

    /// Threads waiting for a refresh that fails get its error; they do not each retry.
    #[test]
    fn waiters_share_a_failed_refresh() {
        let (fake, _now, cache) = setup(Box::new(|n, f| {
            if n == 2 {
                f.hold_until_waiters(8);
                return Err(Error::credentials("refresh failed"));
            }
            f.issue(n)
        }));
        cache.provide_credentials().unwrap();
        // Move the clock past AK1's expiry (3600).
        fake.now.store(7200, Ordering::SeqCst);
        let threads: Vec<_> = (0..9)
            .map(|_| {
                let c = cache.clone();
                std::thread::spawn(move || c.provide_credentials())
            })
            .collect();
        for t in threads {
            let e = t.join().unwrap().unwrap_err();
            assert!(e.to_string().contains("refresh failed"), "{e}");
        }
        assert_eq!(fake.calls(), 2);
    }

    #[test]
    fn credentials_without_expiry_use_the_ttl() {
        let (fake, now, cache) = setup(Box::new(|n, _| {
            Ok(Credentials::new(format!("S{n}"), "x", None))
        }));
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "S1");
        now.store(899, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "S1");
        now.store(900, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "S2");
        assert_eq!(fake.calls(), 2);
    }

    /// `Duration::MAX` as the TTL: no overflow panic, the credentials are kept for good.
    #[test]
    fn a_huge_ttl_means_no_limit() {
        let (fake, now, cache) = setup(Box::new(|n, _| {
            Ok(Credentials::new(format!("S{n}"), "x", None))
        }));
        let cache = Arc::new(
            CachingProvider::from_arc(fake.clone())
                .ttl_without_expiry(Duration::MAX)
                .with_clock(cache.clock.clone()),
        );
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "S1");
        now.store(100 * 365 * 86_400, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "S1");
        assert_eq!(fake.calls(), 1);
        // The same with the real clock.
        let real = CachingProvider::new(Credentials::new("R", "x", None))
            .ttl_without_expiry(Duration::MAX)
            .refresh_window(Duration::MAX);
        assert_eq!(real.provide_credentials().unwrap().access_key_id(), "R");
        assert_eq!(real.provide_credentials().unwrap().access_key_id(), "R");
    }

    /// Expired on arrival: asked once more; expired again, an error (never served).
    #[test]
    fn credentials_expired_on_arrival_are_fetched_again_then_refused() {
        let (fake, _now, cache) = setup(Box::new(|n, f| {
            let now = f.now.load(Ordering::SeqCst);
            let exp = if n == 1 || n >= 3 {
                at(now)
            } else {
                at(now + 3600)
            };
            Ok(Credentials::new(format!("AK{n}"), "SK", None).with_expiry(Some(exp)))
        }));
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK2");
        assert_eq!(fake.calls(), 2);
        let (fake, _now, cache) = setup(Box::new(|_, f| {
            let now = f.now.load(Ordering::SeqCst);
            Ok(Credentials::new("OLD", "SK", None)
                .with_expiry(Some(at(now) - Duration::from_secs(1))))
        }));
        let e = cache.provide_credentials().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        assert!(e.message().contains("already expired"), "{e}");
        assert_eq!(fake.calls(), 2);
    }

    /// A thread waiting for another thread's refresh gives up on its own cancel or deadline;
    /// the refresh goes on and its result is cached for the others.
    #[test]
    fn a_waiter_gives_up_on_its_own_cancel_and_deadline() {
        let release = Arc::new(AtomicBool::new(false));
        let r2 = release.clone();
        let (fake, now, cache) = setup(Box::new(move |n, f| {
            if n == 2 {
                while !r2.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
            }
            f.issue(n)
        }));
        cache.provide_credentials().unwrap();
        now.store(4000, Ordering::SeqCst); // AK1 expired: everyone must wait
        let refresher = {
            let c = cache.clone();
            std::thread::spawn(move || c.provide_credentials())
        };
        while fake.calls() < 2 {
            std::thread::yield_now();
        }
        let cancel = crate::CancelHandle::new();
        let waiter = {
            let c = cache.clone();
            let ctx = CredentialsContext::new().with_cancel(cancel.clone());
            std::thread::spawn(move || c.provide_credentials_with(&ctx))
        };
        while cache.waiting_threads() < 1 {
            std::thread::yield_now();
        }
        let t0 = std::time::Instant::now();
        cancel.cancel();
        let e = waiter.join().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert!(t0.elapsed() < Duration::from_secs(2));
        // A deadline that passes while waiting.
        let ctx = CredentialsContext::new()
            .with_deadline(std::time::Instant::now() + Duration::from_millis(50));
        let e = cache.provide_credentials_with(&ctx).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.timer(), Some(crate::Timer::Deadline));
        assert_eq!(cache.waiting_threads(), 0);
        release.store(true, Ordering::SeqCst);
        assert_eq!(refresher.join().unwrap().unwrap().access_key_id(), "AK2");
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK2");
        assert_eq!(fake.calls(), 2);
    }

    /// The refreshing call is cancelled: the threads that waited do not get its cancellation;
    /// one of them refreshes.
    #[test]
    fn a_cancelled_refresh_is_not_shared_with_the_waiters() {
        let cancel = crate::CancelHandle::new();
        let c2 = cancel.clone();
        let (fake, now, cache) = setup(Box::new(move |n, f| {
            if n == 2 {
                f.hold_until_waiters(1);
                c2.cancel();
                return Err(Error::cancelled());
            }
            f.issue(n)
        }));
        cache.provide_credentials().unwrap();
        now.store(4000, Ordering::SeqCst);
        let refresher = {
            let c = cache.clone();
            let ctx = CredentialsContext::new().with_cancel(cancel.clone());
            std::thread::spawn(move || c.provide_credentials_with(&ctx))
        };
        while fake.calls() < 2 {
            std::thread::yield_now();
        }
        let waiter = {
            let c = cache.clone();
            std::thread::spawn(move || c.provide_credentials())
        };
        assert_eq!(
            refresher.join().unwrap().unwrap_err().kind(),
            ErrorKind::Cancelled
        );
        assert_eq!(waiter.join().unwrap().unwrap().access_key_id(), "AK3");
        assert_eq!(fake.calls(), 3);
    }

    #[test]
    fn a_panicking_provider_does_not_wedge_the_cache() {
        let (fake, _now, cache) = setup(Box::new(|n, f| {
            if n == 1 {
                panic!("provider bug");
            }
            f.issue(n)
        }));
        let c = cache.clone();
        assert!(std::thread::spawn(move || c.provide_credentials())
            .join()
            .is_err());
        assert_eq!(cache.provide_credentials().unwrap().access_key_id(), "AK2");
        assert_eq!(fake.calls(), 2);
    }
}
