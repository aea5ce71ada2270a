//! The server's lifecycle: binding, the accept loop, one thread per connection reading requests
//! (keep-alive, TLS, limits), shutdown, and the shared state the handle reads (scenarios, recorded
//! requests, statistics). What a request gets is decided in `router`.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{self, HttpResponse, Limits, ReadError};
use super::models::ModelFamily;
use super::router::{handle, BEDROCK_NS};
use super::scenario::Scenario;
use super::sigv4::AuthConfig;
use super::time::{http_date, now_unix};
use super::tls::{self, Io};
use super::{Handler, RecordedRequest};

pub(crate) struct Config {
    pub auth: AuthConfig,
    pub text_chunks: usize,
    pub chunk_delay: Duration,
    pub default_family: ModelFamily,
    pub validate_bodies: bool,
    pub max_connections: usize,
    pub limits: Limits,
    pub keep_alive_timeout: Duration,
    pub request_timeout: Duration,
    pub handler: Option<Handler>,
    /// HTTPS: the rustls configuration (the handshake runs in each connection's thread).
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

pub(crate) struct Scenarios {
    pub queue: VecDeque<Scenario>,
    pub default: Scenario,
    pub fail_counts: HashMap<String, u32>,
}

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    pub accepted: u64,
    pub closed_by_client: u64,
    pub open: usize,
    pub requests: u64,
    pub tls_handshake_failures: u64,
}

struct ConnState {
    idle: AtomicBool,
    server_closing: AtomicBool,
}

struct ConnEntry {
    stream: TcpStream,
    state: Arc<ConnState>,
}

pub(crate) struct Shared {
    pub config: Config,
    stopping: AtomicBool,
    scenarios: Mutex<Scenarios>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    stats: Mutex<Stats>,
    stats_cv: Condvar,
    conns: Mutex<HashMap<u64, ConnEntry>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_conn: AtomicU64,
    sleep_lock: Mutex<()>,
    sleep_cv: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn scenarios(&self) -> MutexGuard<'_, Scenarios> {
        lock(&self.scenarios)
    }

    pub fn stats(&self) -> Stats {
        *lock(&self.stats)
    }

    fn update_stats(&self, f: impl FnOnce(&mut Stats)) {
        f(&mut lock(&self.stats));
        self.stats_cv.notify_all();
    }

    pub fn wait_stats(&self, timeout: Duration, done: impl Fn(&Stats) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut stats = lock(&self.stats);
        loop {
            if done(&stats) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            stats = self
                .stats_cv
                .wait_timeout(stats, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub(super) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d` (forever when `None`), waking early on shutdown. True if stopping.
    pub(super) fn sleep(&self, d: Option<Duration>) -> bool {
        let deadline = d.map(|d| Instant::now() + d);
        let mut g = lock(&self.sleep_lock);
        loop {
            if self.stopping() {
                return true;
            }
            let wait = match deadline {
                Some(dl) => match dl.checked_duration_since(Instant::now()) {
                    Some(w) if !w.is_zero() => w,
                    _ => return false,
                },
                None => Duration::from_secs(3600),
            };
            g = self
                .sleep_cv
                .wait_timeout(g, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    pub fn close_idle(&self) -> usize {
        let conns = lock(&self.conns);
        let mut n = 0;
        for entry in conns.values() {
            if entry.state.idle.load(Ordering::SeqCst) {
                entry.state.server_closing.store(true, Ordering::SeqCst);
                let _ = entry.stream.shutdown(Shutdown::Both);
                n += 1;
            }
        }
        n
    }

    pub fn shutdown(&self, addr: SocketAddr, accept: JoinHandle<()>) {
        self.stopping.store(true, Ordering::SeqCst);
        {
            let _g = lock(&self.sleep_lock);
            self.sleep_cv.notify_all();
        }
        // Wake the accept loop.
        let mut wake = addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match addr {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let _ = accept.join();
        for entry in lock(&self.conns).values() {
            let _ = entry.stream.shutdown(Shutdown::Both);
        }
        let threads = std::mem::take(&mut *lock(&self.threads));
        for t in threads {
            let _ = t.join();
        }
    }

    pub(super) fn record(&self, r: RecordedRequest) {
        lock(&self.requests).push(r);
        self.update_stats(|s| s.requests += 1);
    }
}

/// Binds and spawns the accept loop.
pub(crate) fn start(
    bind: SocketAddr,
    config: Config,
    default: Scenario,
) -> io::Result<(Arc<Shared>, SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        config,
        stopping: AtomicBool::new(false),
        scenarios: Mutex::new(Scenarios {
            queue: VecDeque::new(),
            default,
            fail_counts: HashMap::new(),
        }),
        requests: Mutex::new(Vec::new()),
        stats: Mutex::new(Stats::default()),
        stats_cv: Condvar::new(),
        conns: Mutex::new(HashMap::new()),
        threads: Mutex::new(Vec::new()),
        next_conn: AtomicU64::new(1),
        sleep_lock: Mutex::new(()),
        sleep_cv: Condvar::new(),
    });
    let s = shared.clone();
    let accept = thread::Builder::new()
        .name("bedrock-emulator-accept".into())
        .spawn(move || accept_loop(s, listener))?;
    Ok((shared, addr, accept))
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(_) if shared.stopping() => return,
            Err(_) => {
                // EMFILE and friends: back off briefly instead of spinning.
                if shared.sleep(Some(Duration::from_millis(20))) {
                    return;
                }
                continue;
            }
        };
        if shared.stopping() {
            return;
        }
        lock(&shared.threads).retain(|t| !t.is_finished());
        let over_limit = shared.stats().open >= shared.config.max_connections;
        if over_limit && shared.config.tls.is_some() {
            // No handshake on the accept thread: just close.
            continue;
        }
        if over_limit {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let body = json!({"message": "Too many connections to the emulator."}).to_string();
            let _ = http::write_full(
                &mut &stream,
                503,
                &[
                    ("Content-Type".into(), "application/json".into()),
                    (
                        "x-amzn-ErrorType".into(),
                        format!("ServiceUnavailableException:{BEDROCK_NS}"),
                    ),
                ],
                body.as_bytes(),
                false,
            );
            continue;
        }
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        let state = Arc::new(ConnState {
            idle: AtomicBool::new(true),
            server_closing: AtomicBool::new(false),
        });
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        lock(&shared.conns).insert(
            id,
            ConnEntry {
                stream: clone,
                state: state.clone(),
            },
        );
        shared.update_stats(|s| {
            s.accepted += 1;
            s.open += 1;
        });
        let s = shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("bedrock-emulator-conn-{id}"))
            .spawn(move || serve(s, stream, id, state));
        match spawned {
            Ok(handle) => lock(&shared.threads).push(handle),
            Err(_) => {
                lock(&shared.conns).remove(&id);
                shared.update_stats(|s| s.open -= 1);
            }
        }
    }
}

/// Why a response was cut short.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// The client closed or reset the connection.
    ClientGone,
    /// The emulator is shutting down (or closed this connection on purpose).
    ServerStop,
}

/// What to do with the connection after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    KeepAlive,
    Close,
    Reset,
}

impl From<Stop> for Next {
    fn from(_: Stop) -> Next {
        Next::Close
    }
}

pub(super) struct Conn {
    reader: BufReader<Io>,
    raw: TcpStream,
    pub(super) id: u64,
    pub(super) seq: u64,
    state: Arc<ConnState>,
    pub(super) shared: Arc<Shared>,
    client_gone: bool,
    /// Close after the current response even though it announced keep-alive.
    pub(super) silent_close: bool,
}

impl Conn {
    pub(super) fn server_stopping(&self) -> bool {
        self.shared.stopping() || self.state.server_closing.load(Ordering::SeqCst)
    }

    fn stop_for_error(&mut self) -> Stop {
        if self.server_stopping() {
            Stop::ServerStop
        } else {
            self.client_gone = true;
            Stop::ClientGone
        }
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if self.server_stopping() {
            return Err(Stop::ServerStop);
        }
        let w = self.reader.get_mut();
        match w.write_all(bytes).and_then(|()| w.flush()) {
            Ok(()) => Ok(()),
            Err(_) => Err(self.stop_for_error()),
        }
    }

    /// Writes one HTTP chunk holding `data`.
    pub(super) fn write_chunk(&mut self, data: &[u8]) -> Result<(), Stop> {
        let mut out = Vec::with_capacity(data.len() + 16);
        http::chunk_into(&mut out, data);
        self.write(&out)
    }

    /// Waits `d` (forever when `None`) while watching for the client closing the socket.
    /// With `discard`, input that arrives is read and dropped (the connection will not be
    /// reused); otherwise it is left for the next request.
    pub(super) fn wait(&mut self, d: Option<Duration>, discard: bool) -> Result<(), Stop> {
        let deadline = d.map(|d| Instant::now() + d);
        let mut buf = [0u8; 4096];
        loop {
            if self.server_stopping() {
                return Err(Stop::ServerStop);
            }
            let timeout = match deadline {
                Some(dl) => match dl.checked_duration_since(Instant::now()) {
                    Some(t) if !t.is_zero() => Some(t.max(Duration::from_millis(1))),
                    _ => return Ok(()),
                },
                None => None,
            };
            if self.raw.set_read_timeout(timeout).is_err() {
                return Err(self.stop_for_error());
            }
            let r = if discard {
                (&self.raw).read(&mut buf)
            } else {
                self.raw.peek(&mut buf[..1])
            };
            match r {
                Ok(0) => return Err(self.stop_for_error()),
                Ok(_) if discard => continue,
                Ok(_) => {
                    // Data is pending (a pipelined request): the socket cannot tell us about a
                    // close any more, so just sleep out the rest.
                    let rest = deadline.map(|dl| dl.saturating_duration_since(Instant::now()));
                    return if self.shared.sleep(rest) || self.server_stopping() {
                        Err(Stop::ServerStop)
                    } else {
                        Ok(())
                    };
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(_) => return Err(self.stop_for_error()),
            }
        }
    }

    /// Arms a TCP reset for when the socket is closed (SO_LINGER with a zero timeout).
    fn arm_reset(&self) {
        let _ = rustix::net::sockopt::set_socket_linger(&self.raw, Some(Duration::ZERO));
    }
}

fn serve(shared: Arc<Shared>, stream: TcpStream, id: u64, state: Arc<ConnState>) {
    let _ = stream.set_nodelay(true);
    let Ok(raw) = stream.try_clone() else {
        finish(&shared, id, false);
        return;
    };
    let io = match &shared.config.tls {
        None => Io::Plain(stream),
        Some(config) => match tls::accept(config, stream, shared.config.request_timeout) {
            Ok(s) => Io::Tls(Box::new(s)),
            Err(_) => {
                // A client that does not trust the CA, speaks plain HTTP, or gives up: only
                // this connection ends.
                let entry = lock(&shared.conns).remove(&id);
                drop(entry);
                drop(raw);
                shared.update_stats(|s| s.tls_handshake_failures += 1);
                finish(&shared, id, false);
                return;
            }
        },
    };
    let mut conn = Conn {
        reader: BufReader::with_capacity(16 * 1024, io),
        raw,
        id,
        seq: 0,
        state,
        shared: shared.clone(),
        client_gone: false,
        silent_close: false,
    };
    let mut reset = false;
    loop {
        conn.state.idle.store(true, Ordering::SeqCst);
        if conn.server_stopping() {
            break;
        }
        let _ = conn
            .raw
            .set_read_timeout(Some(shared.config.keep_alive_timeout));
        let raw = &conn.raw;
        let state = &conn.state;
        let request_timeout = shared.config.request_timeout;
        let parsed = http::read_request(
            &mut conn.reader,
            shared.config.limits,
            || {
                state.idle.store(false, Ordering::SeqCst);
                let _ = raw.set_read_timeout(Some(request_timeout));
            },
            |r| {
                let w = r.get_mut();
                w.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                    .and_then(|()| w.flush())
            },
        );
        match parsed {
            Ok(parsed) => {
                let next = catch_unwind(AssertUnwindSafe(|| handle(&mut conn, parsed)))
                    .unwrap_or(Next::Close);
                match next {
                    Next::KeepAlive if !conn.silent_close => continue,
                    Next::KeepAlive => break,
                    Next::Close => break,
                    Next::Reset => {
                        reset = true;
                        break;
                    }
                }
            }
            Err(ReadError::Closed) | Err(ReadError::Io) => {
                if !conn.server_stopping() {
                    conn.client_gone = true;
                }
                break;
            }
            Err(ReadError::IdleTimeout) => break,
            Err(ReadError::Bad(status, message)) => {
                let body = json!({ "message": message }).to_string();
                let _ = http::write_full(
                    conn.reader.get_mut(),
                    status,
                    &[
                        ("Date".into(), http_date(now_unix())),
                        ("Content-Type".into(), "application/json".into()),
                    ],
                    body.as_bytes(),
                    false,
                );
                break;
            }
        }
    }
    if reset {
        conn.arm_reset();
    } else if !conn.client_gone {
        // A graceful close: FIN after the last byte, then drain briefly what the client may
        // still send, so that closing with unread input does not turn into a RST that could
        // destroy the response in flight. Over TLS, a close_notify goes first.
        conn.reader.get_mut().close_notify();
        let _ = conn.raw.shutdown(Shutdown::Write);
        if !shared.stopping() {
            drain(&conn.raw);
        }
    }
    let client_gone = conn.client_gone;
    // The registry holds a clone of the socket: drop it before ours so the last close (and,
    // for a reset, the RST) happens here.
    let entry = lock(&shared.conns).remove(&id);
    drop(entry);
    drop(conn);
    finish(&shared, id, client_gone);
}

fn drain(raw: &TcpStream) {
    let _ = raw.set_read_timeout(Some(Duration::from_millis(50)));
    let start = Instant::now();
    let mut buf = [0u8; 8192];
    let mut total = 0usize;
    while total < 256 * 1024 && start.elapsed() < Duration::from_millis(250) {
        match (&*raw).read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => total += n,
        }
    }
}

fn finish(shared: &Shared, id: u64, client_gone: bool) {
    lock(&shared.conns).remove(&id);
    shared.update_stats(|s| {
        s.open = s.open.saturating_sub(1);
        if client_gone {
            s.closed_by_client += 1;
        }
    });
}

pub(super) fn send(conn: &mut Conn, resp: &HttpResponse, keep_alive: bool) -> Next {
    let mut out = Vec::new();
    let _ = http::write_full(&mut out, resp.status, &resp.headers, &resp.body, keep_alive);
    match conn.write(&out) {
        Ok(()) if keep_alive => Next::KeepAlive,
        Ok(()) => Next::Close,
        Err(stop) => stop.into(),
    }
}
