//! [`CachingProvider`]: caches credentials and refreshes them before they expire.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{Credentials, ProvideCredentials};
use crate::error::{Error, Result};

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
/// * Nothing runs in the background: refreshes happen inside `provide_credentials`.
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
    refresh_at: SystemTime,
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

    /// How long credentials without an expiry are kept (default 15 minutes).
    pub fn ttl_without_expiry(mut self, ttl: Duration) -> Self {
        self.static_ttl = ttl;
        self
    }

    #[allow(dead_code)]
    pub(crate) fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside the inner provider happens outside the lock; poisoning can only come
        // from a panic in this file's own short critical sections. Recover the data either way.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many threads are waiting for a refresh.
    #[allow(dead_code)]
    pub(crate) fn waiting_threads(&self) -> usize {
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

impl ProvideCredentials for CachingProvider {
    fn provide_credentials(&self) -> Result<Credentials> {
        let mut st = self.lock();
        loop {
            let now = (self.clock)();
            if let Some(e) = &st.cached {
                if now < e.refresh_at && Self::valid(&e.creds, now) {
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
            // Wait for the running refresh and use its result.
            let waited_for = st.generation + 1;
            st.waiters += 1;
            while st.refreshing {
                st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
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
        let result = self.inner.provide_credentials();
        guard.armed = false;
        let mut st = self.lock();
        st.refreshing = false;
        st.generation += 1;
        let now = (self.clock)();
        let out = match result {
            Ok(creds) => {
                let refresh_at = match creds.expiry() {
                    Some(exp) => exp.checked_sub(self.refresh_window).unwrap_or(exp),
                    None => now + self.static_ttl,
                };
                st.cached = Some(Entry {
                    creds: creds.clone(),
                    refresh_at,
                });
                st.last_error = None;
                st.backoff_until = None;
                Ok(creds)
            }
            Err(err) => {
                let served = match &st.cached {
                    Some(e) if Self::valid(&e.creds, now) => Some(e.creds.clone()),
                    _ => None,
                };
                st.last_error = Some((st.generation, copy_error(&err)));
                match served {
                    Some(c) => {
                        st.backoff_until = Some(now + self.retry_after_failure);
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
