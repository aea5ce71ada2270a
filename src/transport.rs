//! The HTTP transport: a ureq `Agent` (connection pool, rustls, proxies) whose connections can
//! be shut down from another thread, per stream.
//!
//! ureq's [`Agent::shutdown`](ureq::Agent::shutdown) closes every connection of an agent; we need
//! to cancel one stream without disturbing the others that share the client. Our connector wraps
//! ureq's default chain, keeps the shutdown handle of each socket it creates, and the transport
//! registers that handle with the [`CancelHandle`] of whichever call is using the connection on
//! this thread (set by [`CurrentCancel`] around every blocking call). Cancelling shuts the socket
//! down, which wakes the blocked read at once; the connection is then dropped, never pooled.
//!
//! ureq is pinned exactly in Cargo.toml because these hooks live in its `unversioned` module.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, DefaultConnector, NextTimeout, ShutdownHandle, Transport,
};

/// Cancels one call or stream from any thread. Cheap to clone; all clones cancel the same call.
///
/// Cancelling makes the blocked read (or connect, or backoff sleep) return
/// [`ErrorKind::Cancelled`](crate::ErrorKind::Cancelled) promptly and closes the connection.
/// Cancelling a finished call does nothing.
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
    finished: AtomicBool,
    socket: Mutex<Option<Weak<dyn ShutdownHandle>>>,
    sleep_lock: Mutex<()>,
    wake: Condvar,
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
        let _g = s.sleep_lock.lock().unwrap_or_else(|p| p.into_inner());
        s.wake.notify_all();
        drop(_g);
        if s.finished.load(Ordering::SeqCst) {
            return;
        }
        let socket = s
            .socket
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .and_then(Weak::upgrade);
        if let Some(h) = socket {
            h.shutdown();
        }
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.state.cancelled.load(Ordering::SeqCst)
    }

    /// The call is over: forget the socket so a later cancel cannot touch a pooled connection.
    pub(crate) fn finish(&self) {
        self.state.finished.store(true, Ordering::SeqCst);
        *self.state.socket.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Sleep for `d` unless cancelled first; returns false when cancelled.
    pub(crate) fn sleep(&self, d: Duration) -> bool {
        let s = &self.state;
        let deadline = std::time::Instant::now() + d;
        let mut g = s.sleep_lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if s.cancelled.load(Ordering::SeqCst) {
                return false;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return true;
            }
            g = s
                .wake
                .wait_timeout(g, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

impl CancelState {
    fn register(&self, socket: &Weak<dyn ShutdownHandle>) {
        let mut slot = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        let same = slot.as_ref().is_some_and(|w| Weak::ptr_eq(w, socket));
        if !same {
            *slot = Some(socket.clone());
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<CancelState>>> = const { RefCell::new(None) };
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

/// ureq's default connector chain (proxy, TCP, rustls) with per-socket shutdown handles kept.
#[derive(Debug, Default)]
pub(crate) struct CancellableConnector {
    inner: DefaultConnector,
}

impl Connector<()> for CancellableConnector {
    type Out = CancellableTransport;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        check_current(None)?;
        let slot: Arc<Mutex<Option<Weak<dyn ShutdownHandle>>>> = Arc::new(Mutex::new(None));
        let original = details.register_shutdown.clone();
        let keep = slot.clone();
        let register = Arc::new(move |w: Weak<dyn ShutdownHandle>| {
            // Make a connect in progress cancellable as well.
            CURRENT.with(|c| {
                if let Some(state) = &*c.borrow() {
                    state.register(&w);
                }
            });
            *keep.lock().unwrap_or_else(|p| p.into_inner()) = Some(w.clone());
            original(w)
        });
        let ours = ConnectionDetails {
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
        };
        let transport = self.inner.connect(&ours, chained)?;
        let socket = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
        check_current(socket.as_ref())?;
        Ok(transport.map(|inner| CancellableTransport { inner, socket }))
    }
}

/// Register `socket` with the current call (if any) and fail if that call is cancelled.
/// Registering first, then checking the flag, closes the race with a concurrent `cancel`.
fn check_current(socket: Option<&Weak<dyn ShutdownHandle>>) -> Result<(), ureq::Error> {
    CURRENT.with(|c| {
        if let Some(state) = &*c.borrow() {
            if let Some(s) = socket {
                state.register(s);
            }
            if state.cancelled.load(Ordering::SeqCst) {
                return Err(cancelled_error());
            }
        }
        Ok(())
    })
}

/// A transport of the default chain that checks and registers with the current call.
pub(crate) struct CancellableTransport {
    inner: Box<dyn Transport>,
    socket: Option<Weak<dyn ShutdownHandle>>,
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
        check_current(self.socket.as_ref())?;
        let r = self.inner.await_input(timeout);
        // A shutdown may wake the read with EOF instead of an error.
        check_current(None)?;
        r
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
