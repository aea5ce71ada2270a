//! The HTTP transport: a ureq `Agent` (connection pool, rustls, proxies) whose connections can
//! be shut down from another thread, per call.
//!
//! ureq's [`Agent::shutdown`](ureq::Agent::shutdown) closes every connection of an agent; we need
//! to cancel one call without disturbing the others that share the client. Our connector wraps
//! ureq's default chain and keeps the shutdown handle of each socket it creates in a [`Socket`],
//! which records the call currently using it. A call takes a socket over whenever it uses it on
//! this thread ([`CurrentCancel`] is set around every blocking call, and the pool's liveness probe
//! runs on the thread that takes a connection out of the pool), and lets go of it once the
//! attempt's response is consumed. Cancelling shuts the socket down only while it still belongs
//! to the cancelling call, which wakes the blocked read at once; the connection is then dropped,
//! never pooled.
//!
//! Connecting (DNS and TCP connect, proxy CONNECT, TLS handshake) runs on a helper thread while
//! the calling thread waits for it, for a cancel, or for the DNS timeout; a cancel returns at
//! once and the helper's connection is discarded when it completes.
//!
//! ureq is pinned exactly in Cargo.toml because these hooks live in its `unversioned` module.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, ShutdownHandle, Transport,
};

/// Durations above this are "no limit": adding them to an `Instant` could overflow (100 years).
pub(crate) const NO_LIMIT_ABOVE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A timer setting with huge values (beyond [`NO_LIMIT_ABOVE`]) read as "no limit".
pub(crate) fn limit(d: Option<Duration>) -> Option<Duration> {
    d.filter(|d| *d <= NO_LIMIT_ABOVE)
}

/// `now + d`, or `None` ("never") when `d` is too large to represent.
pub(crate) fn instant_after(now: Instant, d: Duration) -> Option<Instant> {
    limit(Some(d)).and_then(|d| now.checked_add(d))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Cancels one call or stream from any thread. Cheap to clone; all clones cancel the same call.
///
/// Cancelling makes the blocked read (or connect, or backoff sleep) return
/// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) promptly and closes the connection; no
/// event is delivered after [`CancelHandle::cancel`] returns. Cancelling a finished call does
/// nothing, and a cancel never touches a connection another call is using.
///
/// **One handle, one call.** A handle (and its clones) belongs to the first call it is given
/// to, whether it is cancelled before that call, during it or never. Giving it to a second
/// call fails at once with [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput),
/// nothing sent: create a new handle per call. (A reused handle could otherwise be cancelled
/// after its first call finished and then silently not reach the second call's connection.)
/// The C API follows the same rule (`bedrock_stream_cancel`).
#[derive(Clone, Default)]
pub struct CancelHandle {
    state: Arc<CancelState>,
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

#[derive(Default)]
pub(crate) struct CancelState {
    cancelled: AtomicBool,
    /// A call took the handle ([`CancelHandle::claim`]).
    claimed: AtomicBool,
    finished: AtomicBool,
    /// The socket this call is using (if any).
    socket: Mutex<Option<Arc<Socket>>>,
    sleep_lock: Mutex<()>,
    wake: Condvar,
}

/// A socket of the pool and the call that is using it now.
pub(crate) struct Socket {
    handle: Weak<dyn ShutdownHandle>,
    /// The call using the socket; nobody (a dangling `Weak`) while it is idle in the pool.
    owner: Mutex<Weak<CancelState>>,
}

impl Socket {
    fn new(handle: Weak<dyn ShutdownHandle>) -> Arc<Socket> {
        Arc::new(Socket {
            handle,
            owner: Mutex::new(Weak::new()),
        })
    }

    /// Make `state` (or nobody) the user of this socket.
    fn set_owner(&self, state: Option<&Arc<CancelState>>) {
        *lock(&self.owner) = state.map_or_else(Weak::new, Arc::downgrade);
    }

    /// Shut the socket down if `state` is still its user. The owner lock is held across the
    /// shutdown, so another call cannot take the socket over in between.
    fn shutdown_if_owned_by(&self, state: &Arc<CancelState>) {
        let owner = lock(&self.owner);
        if std::ptr::eq(owner.as_ptr(), Arc::as_ptr(state)) {
            if let Some(h) = self.handle.upgrade() {
                h.shutdown();
            }
        }
    }
}

impl CancelHandle {
    /// A new, un-cancelled handle.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Cancel: shut down the connection in use and wake any waiting call. Safe to call from
    /// any thread, any number of times, at any point in the call's life.
    pub fn cancel(&self) {
        let s = &self.state;
        s.cancelled.store(true, Ordering::SeqCst);
        // The socket first, then the waiters: a call woken from its backoff ends at once and
        // lets go of its socket, so in the other order this step would race with the woken
        // call (and a test could not tell whether the socket still pointed at a connection
        // another call took over).
        if !s.finished.load(Ordering::SeqCst) {
            let socket = lock(&s.socket).clone();
            if let Some(socket) = socket {
                socket.shutdown_if_owned_by(s);
            }
        }
        let _g = lock(&s.sleep_lock);
        s.wake.notify_all();
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::SeqCst)
    }

    /// Make the handle the one of a new call: fails (with the error to return) when a call
    /// already took it. See the type's "one handle, one call" rule.
    pub(crate) fn claim(&self) -> crate::error::Result<()> {
        if self.state.claimed.swap(true, Ordering::SeqCst) {
            return Err(crate::error::Error::invalid_input(
                "this cancel handle was already given to another call; create one per call \
                 (CancelHandle::new, bedrock_stream_cancel_new)",
            ));
        }
        Ok(())
    }

    /// The call is over: forget the socket so a later cancel cannot touch a pooled connection.
    pub(crate) fn finish(&self) {
        self.state.finished.store(true, Ordering::SeqCst);
        self.release();
    }

    /// The attempt's response is consumed (its connection may be back in the pool): let go of
    /// the socket, so that cancelling this call cannot shut down a connection another call
    /// takes from the pool.
    pub(crate) fn release(&self) {
        let socket = lock(&self.state.socket).take();
        if let Some(socket) = socket {
            let mut owner = lock(&socket.owner);
            if std::ptr::eq(owner.as_ptr(), Arc::as_ptr(&self.state)) {
                *owner = Weak::new();
            }
        }
    }

    /// Sleep for `d` unless cancelled first; returns false when cancelled. A `d` too large to
    /// represent sleeps until the cancel.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let s = &self.state;
        let deadline = instant_after(Instant::now(), d);
        let mut g = lock(&s.sleep_lock);
        loop {
            if s.cancelled.load(Ordering::SeqCst) {
                return false;
            }
            let wait = match deadline {
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return true;
                    }
                    deadline - now
                }
                None => Duration::from_secs(3600),
            };
            g = s
                .wake
                .wait_timeout(g, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl CancelState {
    /// This call now uses `socket`.
    fn adopt(self: &Arc<CancelState>, socket: &Arc<Socket>) {
        socket.set_owner(Some(self));
        let mut slot = lock(&self.socket);
        if !slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, socket)) {
            *slot = Some(socket.clone());
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Wait until `slot` is filled by another thread (which then calls [`CancelState::notify`]),
    /// the call is cancelled (`Err(Waited::Cancelled)`) or `limit` passes (`Err(Waited::TimedOut)`).
    fn wait_for<T>(&self, slot: &Mutex<Option<T>>, limit: Option<Instant>) -> Result<T, Waited> {
        let mut g = lock(&self.sleep_lock);
        loop {
            if let Some(v) = lock(slot).take() {
                return Ok(v);
            }
            if self.is_cancelled() {
                return Err(Waited::Cancelled);
            }
            let wait = match limit {
                Some(limit) => {
                    let now = Instant::now();
                    if now >= limit {
                        return Err(Waited::TimedOut);
                    }
                    limit - now
                }
                None => Duration::from_secs(3600),
            };
            g = self
                .wake
                .wait_timeout(g, wait)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Wake [`CancelState::wait_for`].
    fn notify(&self) {
        let _g = lock(&self.sleep_lock);
        self.wake.notify_all();
    }
}

enum Waited {
    Cancelled,
    TimedOut,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<CancelState>>> = const { RefCell::new(None) };
}

/// The cancel state of the call running on this thread, if any.
fn current() -> Option<Arc<CancelState>> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Makes `handle` the current cancel handle of this thread until dropped.
pub(crate) struct CurrentCancel {
    previous: Option<Arc<CancelState>>,
}

impl CurrentCancel {
    pub(crate) fn enter(handle: &CancelHandle) -> CurrentCancel {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(handle.state.clone()));
        CurrentCancel { previous }
    }
}

impl Drop for CurrentCancel {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// The marker inside the I/O error returned once a call is cancelled.
#[derive(Debug)]
pub(crate) struct CancelledMarker;

impl fmt::Display for CancelledMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cancelled")
    }
}

impl std::error::Error for CancelledMarker {}

/// Not `Interrupted`: readers above us (rustls, std's `read_exact`) retry on that kind, which
/// spins forever when the cancelled socket sits under TLS (a CONNECT proxy tunnel).
fn cancelled_error() -> ureq::Error {
    ureq::Error::Io(io::Error::other(CancelledMarker))
}

/// Whether `e` is an `EINTR` from a signal (not our cancellation).
fn is_interrupted(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::Io(io) if io.kind() == io::ErrorKind::Interrupted
        && !io.get_ref().is_some_and(|i| i.is::<CancelledMarker>()))
}

/// ureq's default connector chain (proxy, TCP, rustls), run on a helper thread so that a
/// cancel ends the wait at once, with per-socket shutdown handles kept.
#[derive(Debug, Default)]
pub(crate) struct CancellableConnector {
    inner: Arc<DefaultConnector>,
}

/// ureq's hook that registers a new socket's shutdown handle.
type RegisterShutdown = dyn Fn(Weak<dyn ShutdownHandle>) -> Result<(), ureq::Error> + Send + Sync;

/// What a connect helper thread hands back.
type ConnectResult = Result<Option<Box<dyn Transport>>, ureq::Error>;

impl Connector<()> for CancellableConnector {
    type Out = CancellableTransport;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let state = current();
        if state.as_ref().is_some_and(|s| s.is_cancelled()) {
            return Err(cancelled_error());
        }
        let slot: Arc<Mutex<Option<Arc<Socket>>>> = Arc::new(Mutex::new(None));
        let original = details.register_shutdown.clone();
        let keep = slot.clone();
        let user = state.clone();
        let register = Arc::new(move |w: Weak<dyn ShutdownHandle>| {
            let socket = Socket::new(w.clone());
            if let Some(state) = &user {
                // A connect in progress is cancellable as well.
                state.adopt(&socket);
                if state.is_cancelled() {
                    socket.shutdown_if_owned_by(state);
                }
            }
            *lock(&keep) = Some(socket);
            original(w)
        });
        let transport = match &state {
            None => self.inner.connect(
                &ConnectionDetails {
                    uri: details.uri,
                    addrs: details.addrs.clone(),
                    config: details.config,
                    request_level: details.request_level,
                    resolver: details.resolver,
                    now: details.now,
                    timeout: details.timeout,
                    current_time: details.current_time.clone(),
                    run_connector: details.run_connector.clone(),
                    register_shutdown: register,
                },
                chained,
            )?,
            Some(state) => self.connect_on_helper(details, register, chained, state)?,
        };
        let socket = lock(&slot).take();
        check_current(socket.as_ref())?;
        Ok(transport.map(|inner| CancellableTransport { inner, socket }))
    }
}

impl CancellableConnector {
    /// Run the inner chain on a helper thread; wait for it or for a cancel.
    fn connect_on_helper(
        &self,
        details: &ConnectionDetails,
        register: Arc<RegisterShutdown>,
        chained: Option<()>,
        state: &Arc<CancelState>,
    ) -> ConnectResult {
        let result: Arc<Mutex<Option<ConnectResult>>> = Arc::new(Mutex::new(None));
        let inner = self.inner.clone();
        let uri = details.uri.clone();
        let addrs = details.addrs.clone();
        let config = details.config.clone();
        let (request_level, now, timeout) = (details.request_level, details.now, details.timeout);
        let current_time = details.current_time.clone();
        let run_connector = details.run_connector.clone();
        let out = result.clone();
        let waiter = state.clone();
        let spawned = std::thread::Builder::new()
            .name("bs-connect".into())
            .spawn(move || {
                let resolver = DefaultResolver::default();
                let details = ConnectionDetails {
                    uri: &uri,
                    addrs,
                    config: &config,
                    request_level,
                    resolver: &resolver,
                    now,
                    timeout,
                    current_time,
                    run_connector,
                    register_shutdown: register,
                };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    inner.connect(&details, chained)
                }))
                .unwrap_or(Err(ureq::Error::ConnectionFailed));
                *lock(&out) = Some(r);
                waiter.notify();
            });
        if let Err(e) = spawned {
            return Err(ureq::Error::Io(e));
        }
        match state.wait_for(&result, None) {
            Ok(r) => r,
            // The helper's connection, if it is ever made, is dropped when the helper ends.
            Err(_) => Err(cancelled_error()),
        }
    }
}

/// ureq's default resolver, run on a helper thread for host names (not IP literals) so that a
/// cancel ends the wait at once; the connect timeout applies as before.
/// (`R` is ureq's default resolver; the tests put a hung one in its place.)
#[derive(Debug, Default)]
pub(crate) struct CancellableResolver<R = DefaultResolver> {
    inner: Arc<R>,
}

impl<R: Resolver> Resolver for CancellableResolver<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let untimed = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            ..timeout
        };
        let literal = uri.host().is_some_and(|h| {
            h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok()
        });
        if literal {
            // Nothing to look up: no thread needed.
            return self.inner.resolve(uri, config, untimed);
        }
        let Some(state) = current() else {
            return self.inner.resolve(uri, config, timeout);
        };
        if state.is_cancelled() {
            return Err(cancelled_error());
        }
        let limit = timeout
            .not_zero()
            .and_then(|d| instant_after(Instant::now(), *d));
        let result: Arc<Mutex<Option<Result<ResolvedSocketAddrs, ureq::Error>>>> =
            Arc::new(Mutex::new(None));
        let (inner, uri2, config2, out, waiter) = (
            self.inner.clone(),
            uri.clone(),
            config.clone(),
            result.clone(),
            state.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("bs-resolve".into())
            .spawn(move || {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    inner.resolve(&uri2, &config2, untimed)
                }))
                .unwrap_or(Err(ureq::Error::HostNotFound));
                *lock(&out) = Some(r);
                waiter.notify();
            });
        if spawned.is_err() {
            return self.inner.resolve(uri, config, timeout);
        }
        match state.wait_for(&result, limit) {
            Ok(r) => r,
            Err(Waited::Cancelled) => Err(cancelled_error()),
            Err(Waited::TimedOut) => Err(ureq::Error::Timeout(timeout.reason)),
        }
    }
}

/// Make `socket` the current call's (if any) and fail if that call is cancelled. Taking the
/// socket over first, then checking the flag, closes the race with a concurrent `cancel`.
fn check_current(socket: Option<&Arc<Socket>>) -> Result<(), ureq::Error> {
    CURRENT.with(|c| {
        if let Some(state) = &*c.borrow() {
            if let Some(s) = socket {
                state.adopt(s);
            }
            if state.is_cancelled() {
                return Err(cancelled_error());
            }
        }
        Ok(())
    })
}

/// A transport of the default chain that checks and registers with the current call.
pub(crate) struct CancellableTransport {
    inner: Box<dyn Transport>,
    socket: Option<Arc<Socket>>,
}

impl fmt::Debug for CancellableTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellableTransport")
            .field("inner", &self.inner)
            .finish()
    }
}

impl Transport for CancellableTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        check_current(self.socket.as_ref())?;
        let r = self.inner.transmit_output(amount, timeout);
        check_current(None)?;
        r
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        loop {
            check_current(self.socket.as_ref())?;
            let r = self.inner.await_input(timeout);
            // A shutdown may wake the read with EOF instead of an error.
            check_current(None)?;
            match r {
                // A signal (EINTR) interrupted a read without a timeout: nothing was read.
                Err(e) if is_interrupted(&e) => continue,
                r => return r,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        // The pool probes a connection on the thread that takes it out (and on the one that
        // puts it back): that call becomes its user before the probe, so a cancel of its
        // previous user can no longer shut it down, and a shutdown that came first shows here.
        if let Some(s) = &self.socket {
            CURRENT.with(|c| match &*c.borrow() {
                Some(state) => state.adopt(s),
                None => s.set_owner(None),
            });
        }
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// A ureq agent with our connector and resolver.
fn new_agent(config: Config) -> ureq::Agent {
    ureq::Agent::with_parts(
        config,
        CancellableConnector::default(),
        CancellableResolver::<DefaultResolver>::default(),
    )
}

/// The connection pool of one client, per process. After `fork()` a child notices the new
/// process id at its first call and starts a pool of its own: it never writes to, reads from
/// or shuts down a connection the parent may be using (its copies of the parent's idle sockets
/// are closed, which leaves them open in the parent).
pub(crate) struct ProcessAgent {
    pid: std::sync::atomic::AtomicU32,
    agent: Mutex<ureq::Agent>,
}

impl ProcessAgent {
    pub(crate) fn new(config: Config) -> ProcessAgent {
        ProcessAgent {
            pid: std::sync::atomic::AtomicU32::new(std::process::id()),
            agent: Mutex::new(new_agent(config)),
        }
    }

    /// The agent of this process.
    pub(crate) fn get(&self) -> ureq::Agent {
        let pid = std::process::id();
        let mut agent = lock(&self.agent);
        if self.pid.load(Ordering::SeqCst) != pid {
            let fresh = new_agent(agent.config().clone());
            drop(std::mem::replace(&mut *agent, fresh));
            self.pid.store(pid, Ordering::SeqCst);
        }
        agent.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    /// A shutdown handle that counts its shutdowns.
    #[derive(Default)]
    struct Counted(AtomicUsize);

    impl ShutdownHandle for Counted {
        fn shutdown(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A socket of the pool used by call A, then (A's response consumed or not) taken over by
    /// call B: only B's cancel shuts it down.
    #[test]
    fn a_cancel_shuts_down_only_a_socket_its_call_still_uses() {
        let counted = Arc::new(Counted::default());
        let weak: Weak<dyn ShutdownHandle> = Arc::downgrade(&counted) as Weak<dyn ShutdownHandle>;
        let socket = Socket::new(weak);
        let (a, b) = (CancelHandle::new(), CancelHandle::new());
        a.state.adopt(&socket);
        // A still holds the socket in its slot (it never let go), but B took it over.
        b.state.adopt(&socket);
        a.cancel();
        assert_eq!(
            counted.0.load(Ordering::SeqCst),
            0,
            "A's cancel reached B's socket"
        );
        b.cancel();
        assert_eq!(counted.0.load(Ordering::SeqCst), 1);

        // A call that let go of its socket (its response consumed) no longer reaches it, even
        // while nobody else uses it.
        let c = CancelHandle::new();
        c.state.adopt(&socket);
        c.release();
        c.cancel();
        assert_eq!(counted.0.load(Ordering::SeqCst), 1);
        // A call's own socket is shut down.
        let d = CancelHandle::new();
        d.state.adopt(&socket);
        d.cancel();
        assert_eq!(counted.0.load(Ordering::SeqCst), 2);
    }

    /// A resolver that hangs (a DNS server that never answers) until released.
    #[derive(Debug, Default)]
    struct HungResolver {
        state: Mutex<(bool, bool)>,
        changed: Condvar,
    }

    impl HungResolver {
        fn wait_entered(&self) {
            let mut g = lock(&self.state);
            while !g.0 {
                g = self.changed.wait(g).unwrap_or_else(|p| p.into_inner());
            }
        }

        fn release(&self) {
            lock(&self.state).1 = true;
            self.changed.notify_all();
        }
    }

    impl Resolver for HungResolver {
        fn resolve(
            &self,
            _uri: &Uri,
            _config: &Config,
            _timeout: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            let mut g = lock(&self.state);
            g.0 = true;
            self.changed.notify_all();
            // Released by the test, or after 10 s so that a regression fails instead of hanging.
            let give_up = Instant::now() + Duration::from_secs(10);
            while !g.1 && Instant::now() < give_up {
                g = self
                    .changed
                    .wait_timeout(g, give_up.saturating_duration_since(Instant::now()))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            Err(ureq::Error::HostNotFound)
        }
    }

    fn resolve_on_thread(
        resolver: &Arc<CancellableResolver<HungResolver>>,
        cancel: &CancelHandle,
        timeout: NextTimeout,
    ) -> std::thread::JoinHandle<(Result<ResolvedSocketAddrs, ureq::Error>, Instant)> {
        let (resolver, cancel) = (resolver.clone(), cancel.clone());
        std::thread::spawn(move || {
            let _current = CurrentCancel::enter(&cancel);
            let uri: Uri = "https://bedrock-runtime.us-east-1.amazonaws.com/"
                .parse()
                .unwrap();
            let r = resolver.resolve(&uri, &Config::default(), timeout);
            (r, Instant::now())
        })
    }

    /// Issue 10: a host name lookup that hangs ends at once on a cancel (the call does not wait
    /// for the resolver, nor for the connect timeout), and at its timeout (the deadline or the
    /// connect timeout, as ureq passes it) without a cancel.
    #[test]
    fn a_hung_dns_lookup_ends_on_a_cancel_or_its_timeout() {
        let hung = Arc::new(HungResolver::default());
        let resolver = Arc::new(CancellableResolver {
            inner: hung.clone(),
        });
        let cancel = CancelHandle::new();
        let call = resolve_on_thread(&resolver, &cancel, NextTimeout::default());
        hung.wait_entered();
        let cancelled_at = Instant::now();
        cancel.cancel();
        let (r, returned) = call.join().unwrap();
        let took = returned.saturating_duration_since(cancelled_at);
        assert!(took < Duration::from_secs(2), "the cancel took {took:?}");
        match r {
            Err(ureq::Error::Io(e)) => {
                assert!(e.get_ref().is_some_and(|i| i.is::<CancelledMarker>()))
            }
            other => panic!("not a cancel: {other:?}"),
        }

        let timeout = NextTimeout {
            after: UreqDuration::from(Duration::from_millis(300)),
            reason: ureq::Timeout::Global,
            ..NextTimeout::default()
        };
        let started = Instant::now();
        let call = resolve_on_thread(&resolver, &CancelHandle::new(), timeout);
        let (r, _) = call.join().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert!(
            matches!(r, Err(ureq::Error::Timeout(ureq::Timeout::Global))),
            "{r:?}"
        );
        hung.release();
    }
}
