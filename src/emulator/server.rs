//! The accept loop, connection threads, routing, and response generation.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use super::http::{self, HttpRequest, HttpResponse, Limits, Parsed, ReadError};
use super::models::{self, Answer, Latency, ModelFamily};
use super::scenario::{Fault, Scenario, StreamException, FAULT_MODEL_PREFIX};
use super::sigv4::{self, AuthConfig, Verified};
use super::time::{http_date, now_unix};
use super::tls::{self, Io};
use super::{AuthOutcome, Handler, RecordedRequest};
use crate::eventstream::{encode_frame, HeaderValueRef};

const BEDROCK_NS: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

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

    fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Sleeps up to `d` (forever when `None`), waking early on shutdown. True if stopping.
    fn sleep(&self, d: Option<Duration>) -> bool {
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

    fn record(&self, r: RecordedRequest) {
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
enum Stop {
    /// The client closed or reset the connection.
    ClientGone,
    /// The emulator is shutting down (or closed this connection on purpose).
    ServerStop,
}

/// What to do with the connection after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    KeepAlive,
    Close,
    Reset,
}

impl From<Stop> for Next {
    fn from(_: Stop) -> Next {
        Next::Close
    }
}

struct Conn {
    reader: BufReader<Io>,
    raw: TcpStream,
    id: u64,
    seq: u64,
    state: Arc<ConnState>,
    shared: Arc<Shared>,
    client_gone: bool,
    /// Close after the current response even though it announced keep-alive.
    silent_close: bool,
}

impl Conn {
    fn server_stopping(&self) -> bool {
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

    fn write(&mut self, bytes: &[u8]) -> Result<(), Stop> {
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
    fn write_chunk(&mut self, data: &[u8]) -> Result<(), Stop> {
        let mut out = Vec::with_capacity(data.len() + 16);
        http::chunk_into(&mut out, data);
        self.write(&out)
    }

    /// Waits `d` (forever when `None`) while watching for the client closing the socket.
    /// With `discard`, input that arrives is read and dropped (the connection will not be
    /// reused); otherwise it is left for the next request.
    fn wait(&mut self, d: Option<Duration>, discard: bool) -> Result<(), Stop> {
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

    /// Arms a TCP reset for when the socket is closed.
    fn arm_reset(&self) {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            #[allow(unsafe_code)]
            // SAFETY: `fd` is an open socket owned by `self.raw` for the duration of the call,
            // and `linger` is a valid, initialized `struct linger` whose size is passed along.
            unsafe {
                libc::setsockopt(
                    self.raw.as_raw_fd(),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&linger as *const libc::linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                );
            }
        }
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

enum Route {
    /// `/model/{id}/invoke-with-response-stream` and `converse-stream` (streaming), or
    /// `/model/{id}/invoke` and `converse`.
    Model {
        model_id: String,
        streaming: bool,
        converse: bool,
    },
    /// Under `/model/` but no operation matches.
    UnknownOperation,
    /// Not under `/model/`.
    Other,
}

fn route(req: &HttpRequest) -> Result<Route, String> {
    let Some(rest) = req.path.strip_prefix("/model/") else {
        return Ok(Route::Other);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let [label, op] = segments[..] else {
        return Ok(Route::UnknownOperation);
    };
    let (streaming, converse) = match op {
        "invoke-with-response-stream" => (true, false),
        "invoke" => (false, false),
        "converse-stream" => (true, true),
        "converse" => (false, true),
        _ => return Ok(Route::UnknownOperation),
    };
    if req.method != "POST" || label.is_empty() {
        return Ok(Route::UnknownOperation);
    }
    let model_id = percent_encoding::percent_decode_str(label)
        .decode_utf8()
        .map_err(|_| "1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must be valid UTF-8".to_string())?
        .into_owned();
    if model_id.len() > 2048 {
        return Err("1 validation error detected: Value at 'modelId' failed to satisfy constraint: Member must have length less than or equal to 2048".into());
    }
    Ok(Route::Model {
        model_id,
        streaming,
        converse,
    })
}

/// An error response: JSON body, `x-amzn-ErrorType` when `error_type` is known.
fn error_response(
    status: u16,
    error_type: Option<&str>,
    namespace: &str,
    body: Value,
    request_id: &str,
) -> HttpResponse {
    let mut r = HttpResponse::new(status, "application/json", body.to_string())
        .with_header("Date", &http_date(now_unix()))
        .with_header("x-amzn-RequestId", request_id);
    if let Some(t) = error_type {
        r = r.with_header("x-amzn-ErrorType", &format!("{t}:{namespace}"));
    }
    r
}

/// The shape the model assigns to an HTTP status, if it is unique enough to guess.
fn default_shape(status: u16) -> Option<&'static str> {
    Some(match status {
        400 => "ValidationException",
        403 => "AccessDeniedException",
        404 => "ResourceNotFoundException",
        408 => "ModelTimeoutException",
        424 => "ModelErrorException",
        429 => "ThrottlingException",
        500 => "InternalServerException",
        503 => "ServiceUnavailableException",
        _ => return None,
    })
}

/// The JSON body of a modeled operation error.
fn error_body(shape: Option<&str>, status: u16, message: Option<&str>, model_id: &str) -> Value {
    let default = match shape {
        Some("AccessDeniedException") => "You don't have access to the model with the specified model ID.".to_string(),
        Some("ResourceNotFoundException") => "Could not resolve the foundation model from the provided model identifier.".to_string(),
        Some("ThrottlingException") => "Too many requests, please wait before trying again.".to_string(),
        Some("ModelTimeoutException") => "Model has timed out in processing the request. Try your request again.".to_string(),
        Some("InternalServerException") => "The system encountered an unexpected error during processing. Try your request again.".to_string(),
        Some("ServiceUnavailableException") => "Bedrock is unable to process your request.".to_string(),
        Some("ModelStreamErrorException") | Some("ModelErrorException") => "Received error from the model.".to_string(),
        Some("ValidationException") => "Malformed input request, please reformat your input and try again.".to_string(),
        Some("ServiceQuotaExceededException") => "Your request exceeds the service quota for your account. You can view your quotas at https://console.aws.amazon.com/servicequotas/. You can resubmit your request later.".to_string(),
        Some("ModelNotReadyException") => "Model is not ready for inference. Wait and try your request again.".to_string(),
        Some(other) => format!("Emulated {other}."),
        None => format!("Emulated HTTP {status} error."),
    };
    let mut body = json!({ "message": message.map_or(default, String::from) });
    match shape {
        Some("ModelStreamErrorException") => {
            body["originalStatusCode"] = json!(500);
            body["originalMessage"] = json!("Internal Server Error");
        }
        Some("ModelErrorException") => {
            body["originalStatusCode"] = json!(500);
            body["resourceName"] = json!(model_id);
        }
        _ => {}
    }
    body
}

fn send(conn: &mut Conn, resp: &HttpResponse, keep_alive: bool) -> Next {
    let mut out = Vec::new();
    let _ = http::write_full(&mut out, resp.status, &resp.headers, &resp.body, keep_alive);
    match conn.write(&out) {
        Ok(()) if keep_alive => Next::KeepAlive,
        Ok(()) => Next::Close,
        Err(stop) => stop.into(),
    }
}

/// `stall-body`: the status line, the headers and half of the body, then silence until the
/// client leaves or the emulator stops.
fn send_half_then_stall(conn: &mut Conn, resp: &HttpResponse) -> Next {
    let mut out = Vec::new();
    let _ = http::write_full(&mut out, resp.status, &resp.headers, &resp.body, false);
    let cut = out.len() - resp.body.len() / 2;
    if let Err(stop) = conn.write(&out[..cut]) {
        return stop.into();
    }
    match conn.wait(None, true) {
        Ok(()) => Next::Close,
        Err(stop) => stop.into(),
    }
}

struct Ctx<'a> {
    request: &'a HttpRequest,
    request_id: String,
    received: Instant,
    /// What the response announces (`Connection: keep-alive` or `close`).
    keep_alive: bool,
}

fn handle(conn: &mut Conn, parsed: Parsed) -> Next {
    let Parsed {
        request,
        keep_alive,
    } = parsed;
    conn.seq += 1;
    let shared = conn.shared.clone();
    let ctx = Ctx {
        request: &request,
        request_id: models::uuid(),
        received: Instant::now(),
        keep_alive: keep_alive && !shared.stopping(),
    };
    let record = |status: u16,
                  model_id: Option<String>,
                  auth: AuthOutcome,
                  scenario: Option<String>,
                  request_id: &str| {
        shared.record(RecordedRequest {
            connection_id: conn.id,
            sequence_on_connection: conn.seq,
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            model_id,
            headers: request.headers.clone(),
            body: request.body.clone(),
            auth,
            scenario,
            status,
            request_id: request_id.to_string(),
        })
    };
    let route = match route(&request) {
        Ok(r) => r,
        Err(message) => {
            let resp = error_response(
                400,
                Some("ValidationException"),
                BEDROCK_NS,
                json!({"message": message}),
                &ctx.request_id,
            );
            record(400, None, AuthOutcome::NotChecked, None, &ctx.request_id);
            return send(conn, &resp, ctx.keep_alive);
        }
    };
    match route {
        Route::Other => {
            let resp = shared.config.handler.as_ref().and_then(|h| {
                catch_unwind(AssertUnwindSafe(|| h(&request))).unwrap_or_else(|_| {
                    Some(HttpResponse::json(
                        500,
                        &json!({"message": "the emulator's handler panicked"}),
                    ))
                })
            });
            let resp = resp.unwrap_or_else(|| unknown_operation(&ctx.request_id));
            let rid = resp
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("x-amzn-requestid"))
                .map_or(String::new(), |(_, v)| v.clone());
            record(resp.status, None, AuthOutcome::NotChecked, None, &rid);
            send(conn, &resp, ctx.keep_alive)
        }
        Route::UnknownOperation => {
            let resp = unknown_operation(&ctx.request_id);
            record(404, None, AuthOutcome::NotChecked, None, &ctx.request_id);
            send(conn, &resp, ctx.keep_alive)
        }
        Route::Model {
            model_id,
            streaming,
            converse,
        } => {
            let verified = sigv4::verify(&request, &shared.config.auth, now_unix());
            let auth = match &verified {
                Ok(Verified::SigV4 {
                    access_key_id,
                    session_token,
                    signed_headers,
                }) => AuthOutcome::SigV4 {
                    access_key_id: access_key_id.clone(),
                    session_token: *session_token,
                    signed_headers: signed_headers.clone(),
                },
                Ok(Verified::Bearer) => AuthOutcome::Bearer,
                Ok(Verified::AcceptedAny) => AuthOutcome::AcceptedAny,
                Err(e) => AuthOutcome::Rejected {
                    error_type: e.error_type.to_string(),
                    message: e.message.clone(),
                },
            };
            if let Err(e) = verified {
                let mut resp = error_response(
                    e.status,
                    None,
                    "",
                    json!({ e.message_field: e.message }),
                    &ctx.request_id,
                );
                resp.headers
                    .push(("x-amzn-ErrorType".into(), e.error_type_header()));
                record(e.status, Some(model_id), auth, None, &ctx.request_id);
                return send(conn, &resp, ctx.keep_alive);
            }
            let scenario = match select_scenario(&shared, &model_id) {
                Ok(s) => s,
                Err(message) => {
                    let resp = error_response(
                        400,
                        Some("ValidationException"),
                        BEDROCK_NS,
                        json!({"message": message}),
                        &ctx.request_id,
                    );
                    record(400, Some(model_id), auth, None, &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            let spec = scenario.to_string();
            let family = scenario
                .family
                .or_else(|| ModelFamily::from_model_id(&model_id))
                .unwrap_or(shared.config.default_family);
            let keep_alive = ctx.keep_alive && !scenario.close;
            conn.silent_close = scenario.silent_close;
            let ctx = Ctx { keep_alive, ..ctx };

            // Faults decided before looking at the body.
            let early: Option<HttpResponse> = match &scenario.fault {
                Fault::HttpError {
                    status,
                    error_type,
                    message,
                } => {
                    let shape = error_type.as_deref().or_else(|| default_shape(*status));
                    let body = error_body(shape, *status, message.as_deref(), &model_id);
                    Some(error_response(*status, shape, BEDROCK_NS, body, &ctx.request_id))
                }
                Fault::StallBody { status } => {
                    let shape = default_shape(*status);
                    let body = error_body(shape, *status, None, &model_id);
                    Some(error_response(*status, shape, BEDROCK_NS, body, &ctx.request_id))
                }
                Fault::Html502 => Some(HttpResponse {
                    status: 502,
                    headers: vec![
                        ("Date".into(), http_date(now_unix())),
                        ("Content-Type".into(), "text/html".into()),
                        ("Server".into(), "awselb/2.0".into()),
                    ],
                    body: b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n".to_vec(),
                }),
                Fault::Json200 => Some(
                    error_response(200, None, "", json!({"message": "Emulated 200 response with a JSON body instead of an event stream (json-200)."}), &ctx.request_id),
                ),
                Fault::Text200 => Some(
                    HttpResponse::new(200, "text/plain; charset=utf-8", "Emulated 200 response with a text/plain body instead of an event stream (text-200).\n")
                        .with_header("Date", &http_date(now_unix()))
                        .with_header("x-amzn-RequestId", &ctx.request_id),
                ),
                _ => None,
            };
            if let Some(resp) = early {
                record(
                    resp.status,
                    Some(model_id),
                    auth,
                    Some(spec),
                    &ctx.request_id,
                );
                if matches!(scenario.fault, Fault::StallBody { .. }) {
                    return send_half_then_stall(conn, &resp);
                }
                return send(conn, &resp, ctx.keep_alive);
            }
            let body: Value = match serde_json::from_slice(&request.body) {
                Ok(v) => v,
                Err(_) if !shared.config.validate_bodies => Value::Null,
                Err(_) => {
                    let resp = error_response(
                        400,
                        Some("ValidationException"),
                        BEDROCK_NS,
                        json!({"message": "Malformed input request, please reformat your input and try again."}),
                        &ctx.request_id,
                    );
                    record(400, Some(model_id), auth, Some(spec), &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            let validate = shared.config.validate_bodies;
            let checked = if converse {
                super::converse::parse(&request.body, validate).map(Some)
            } else if validate && !matches!(scenario.fault, Fault::Bulk { .. }) {
                models::validate(family, &body).map(|()| None)
            } else {
                Ok(None)
            };
            let converse_request = match checked {
                Ok(c) => c,
                Err(message) => {
                    let resp = error_response(
                        400,
                        Some("ValidationException"),
                        BEDROCK_NS,
                        json!({"message": message}),
                        &ctx.request_id,
                    );
                    record(400, Some(model_id), auth, Some(spec), &ctx.request_id);
                    return send(conn, &resp, ctx.keep_alive);
                }
            };
            record(
                200,
                Some(model_id.clone()),
                auth,
                Some(spec),
                &ctx.request_id,
            );
            if let Fault::StallHeaders { duration } = scenario.fault {
                if let Err(stop) = conn.wait(duration, duration.is_none()) {
                    return stop.into();
                }
            }
            let chunks = scenario.chunks.unwrap_or(shared.config.text_chunks);
            if let Some(req) = converse_request {
                let plan = super::converse::plan(&req, chunks);
                return if streaming {
                    converse_stream(conn, &ctx, &scenario, &plan)
                } else {
                    let latency = millis(ctx.received.elapsed());
                    let resp = HttpResponse {
                        status: 200,
                        headers: success_headers(&ctx, "application/json")
                            .into_iter()
                            .filter(|(n, _)| n != "X-Amzn-Bedrock-Content-Type")
                            .collect(),
                        body: super::converse::response(&plan, latency)
                            .to_string()
                            .into_bytes(),
                    };
                    send(conn, &resp, ctx.keep_alive)
                };
            }
            let answer = models::plan(family, &model_id, &body, chunks);
            if streaming {
                stream(conn, &ctx, &scenario, &answer)
            } else {
                invoke(conn, &ctx, &answer)
            }
        }
    }
}

fn unknown_operation(request_id: &str) -> HttpResponse {
    error_response(
        404,
        Some("UnknownOperationException"),
        "http://internal.amazon.com/coral/com.amazon.coral.service/",
        json!({"message": "The requested operation is not recognized by the service."}),
        request_id,
    )
}

/// Picks the queued, model-id or default scenario and resolves `fail=N`.
fn select_scenario(shared: &Shared, model_id: &str) -> Result<Scenario, String> {
    let mut s = shared.scenarios();
    let (scenario, from_queue) = match s.queue.pop_front() {
        Some(q) => (q, true),
        None => match model_id.strip_prefix(FAULT_MODEL_PREFIX) {
            Some(spec) => (
                spec.parse::<Scenario>()
                    .map_err(|e| format!("{e} (model id {model_id:?})"))?,
                false,
            ),
            None => (s.default.clone(), false),
        },
    };
    let Fault::FailThenSucceed {
        failures,
        status,
        ref error_type,
    } = scenario.fault
    else {
        return Ok(scenario);
    };
    let fail = Fault::HttpError {
        status,
        error_type: error_type.clone(),
        message: None,
    };
    let fails_now = if from_queue {
        if failures > 1 {
            let mut rest = scenario.clone();
            rest.fault = Fault::FailThenSucceed {
                failures: failures - 1,
                status,
                error_type: error_type.clone(),
            };
            s.queue.push_front(rest);
        }
        failures > 0
    } else {
        let count = s.fail_counts.entry(scenario.to_string()).or_insert(0);
        if *count < failures {
            *count += 1;
            true
        } else {
            false
        }
    };
    Ok(Scenario {
        fault: if fails_now { fail } else { Fault::None },
        ..scenario
    })
}

fn success_headers(ctx: &Ctx<'_>, content_type: &str) -> Vec<(String, String)> {
    let mut h = vec![
        ("Date".to_string(), http_date(now_unix())),
        ("Content-Type".to_string(), content_type.to_string()),
        ("x-amzn-RequestId".to_string(), ctx.request_id.clone()),
        (
            "X-Amzn-Bedrock-Content-Type".to_string(),
            "application/json".to_string(),
        ),
    ];
    for name in [
        "X-Amzn-Bedrock-PerformanceConfig-Latency",
        "X-Amzn-Bedrock-Service-Tier",
    ] {
        if let Some(v) = ctx.request.header(name) {
            h.push((name.to_string(), v.to_string()));
        }
    }
    h
}

fn invoke(conn: &mut Conn, ctx: &Ctx<'_>, answer: &Answer) -> Next {
    let doc = models::invoke_doc(answer);
    let mut h = success_headers(ctx, "application/json");
    h.retain(|(n, _)| n != "X-Amzn-Bedrock-Content-Type");
    let ms = ctx.received.elapsed().as_millis().to_string();
    h.push(("X-Amzn-Bedrock-Invocation-Latency".into(), ms));
    h.push((
        "X-Amzn-Bedrock-Input-Token-Count".into(),
        answer.input_tokens.to_string(),
    ));
    h.push((
        "X-Amzn-Bedrock-Output-Token-Count".into(),
        answer.output_tokens().to_string(),
    ));
    let resp = HttpResponse {
        status: 200,
        headers: h,
        body: doc.to_string().into_bytes(),
    };
    send(conn, &resp, ctx.keep_alive)
}

fn string_headers<'a>(
    pairs: &'a [(&'a str, &'a str)],
) -> impl Iterator<Item = (&'a str, HeaderValueRef<'a>)> {
    pairs.iter().map(|(n, v)| (*n, HeaderValueRef::String(v)))
}

/// A `chunk` event frame for an inner document. `index` varies the `p` padding.
pub(crate) fn chunk_frame(inner: &[u8], index: usize) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
    let payload = if index % 4 == 3 {
        format!("{{\"bytes\":\"{b64}\"}}")
    } else {
        let len = (index * 37 + 11) % PADDING.len() + 1;
        format!("{{\"bytes\":\"{b64}\",\"p\":\"{}\"}}", &PADDING[..len])
    };
    let mut out = Vec::with_capacity(payload.len() + 96);
    encode_frame(
        &mut out,
        string_headers(&[
            (":event-type", "chunk"),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ]),
        payload.as_bytes(),
    )
    .expect("chunk frames are always encodable");
    out
}

/// `s` cut to what a string header may hold.
fn header_value(s: &str) -> &str {
    let mut end = s
        .len()
        .min(crate::eventstream::MAX_ENCODED_HEADER_VALUE_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn exception_frame(name: &str, payload: &Value) -> Vec<u8> {
    let name = header_value(name);
    let mut out = Vec::new();
    encode_frame(
        &mut out,
        string_headers(&[
            (":exception-type", name),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ]),
        payload.to_string().as_bytes(),
    )
    .expect("exception frames are always encodable");
    out
}

fn error_frame(code: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(
        &mut out,
        string_headers(&[
            (":message-type", "error"),
            (":error-code", header_value(code)),
            (":error-message", header_value(message)),
        ]),
        b"",
    )
    .expect("error frames are always encodable");
    out
}

fn unknown_event_frame(event_type: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let event_type = if event_type.is_empty() {
        "futureEvent"
    } else {
        header_value(event_type)
    };
    encode_frame(
        &mut out,
        string_headers(&[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ]),
        br#"{"note":"an event type this client does not know yet"}"#,
    )
    .expect("unknown-event frames are always encodable");
    out
}

fn exception_payload(
    exception: &StreamException,
    message: Option<&str>,
    original_status_code: Option<u16>,
    original_message: Option<&str>,
) -> Value {
    let mut v =
        json!({"message": message.map_or_else(|| exception.default_message(), String::from)});
    if *exception == StreamException::ModelStreamError
        || original_status_code.is_some()
        || original_message.is_some()
    {
        v["originalStatusCode"] = json!(original_status_code.unwrap_or(500));
        v["originalMessage"] = json!(original_message.unwrap_or("Internal Server Error"));
    }
    v
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The 200 head of an event-stream response.
fn stream_head(ctx: &Ctx<'_>) -> Vec<u8> {
    http::head(200, &{
        let mut h = success_headers(ctx, "application/vnd.amazon.eventstream");
        h.push(("Transfer-Encoding".into(), "chunked".into()));
        h.push((
            "Connection".into(),
            if ctx.keep_alive {
                "keep-alive"
            } else {
                "close"
            }
            .into(),
        ));
        h
    })
}

fn stream(conn: &mut Conn, ctx: &Ctx<'_>, scenario: &Scenario, answer: &Answer) -> Next {
    let delay = scenario.delay.unwrap_or(conn.shared.config.chunk_delay);
    if let Err(stop) = conn.write(&stream_head(ctx)) {
        return stop.into();
    }
    if let Fault::Bulk { frames, frame_size } = scenario.fault {
        return match bulk(conn, ctx, answer, frames, frame_size, delay) {
            Ok(()) if ctx.keep_alive => Next::KeepAlive,
            Ok(()) => Next::Close,
            Err(stop) => stop.into(),
        };
    }
    let docs = models::stream_docs(answer);
    let frame = |i: usize, last: Option<Latency>| match docs.get(i) {
        Some(doc) => {
            let mut doc = doc.clone();
            if let Some(lat) = last {
                models::set_duration(&mut doc, lat.invocation_ms);
                models::attach_metrics(
                    &mut doc,
                    models::metrics(answer.input_tokens, answer.output_tokens(), lat),
                );
            }
            chunk_frame(doc.to_string().as_bytes(), i)
        }
        None => chunk_frame(br#"{"type":"ping"}"#, i),
    };
    match stream_frames(conn, ctx, scenario, docs.len(), delay, &frame) {
        Ok(next) => next,
        Err(stop) => stop.into(),
    }
}

/// A ConverseStream response: the script's events, with the scenario's faults.
fn converse_stream(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    scenario: &Scenario,
    plan: &super::converse::Plan,
) -> Next {
    let delay = scenario.delay.unwrap_or(conn.shared.config.chunk_delay);
    if let Err(stop) = conn.write(&stream_head(ctx)) {
        return stop.into();
    }
    let events = super::converse::events(plan);
    let frame = |i: usize, last: Option<Latency>| {
        let (event_type, mut payload) = events[i.min(events.len() - 1)].clone();
        if let Some(lat) = last {
            payload["metrics"]["latencyMs"] = json!(lat.invocation_ms);
        }
        super::converse::event_frame(event_type, &payload, i)
    };
    match stream_frames(conn, ctx, scenario, events.len(), delay, &frame) {
        Ok(next) => next,
        Err(stop) => stop.into(),
    }
}

/// Write `n` frames (`frame(i, latency)` makes frame `i`; the latency is given for the last
/// one, and `i == n` asks for a filler frame) with the scenario's in-stream fault.
fn stream_frames(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    scenario: &Scenario,
    n: usize,
    delay: Duration,
    frame: &dyn Fn(usize, Option<Latency>) -> Vec<u8>,
) -> Result<Next, Stop> {
    let fault_at = match &scenario.fault {
        Fault::Exception { after, .. }
        | Fault::ErrorMessage { after, .. }
        | Fault::UnknownEvent { after, .. }
        | Fault::Truncate { after, .. }
        | Fault::Reset { after }
        | Fault::Stall { after, .. } => Some((*after).min(n)),
        Fault::BadCrc { after } => Some((*after).min(n - 1)),
        _ => None,
    };
    let done = if ctx.keep_alive {
        Next::KeepAlive
    } else {
        Next::Close
    };
    let mut first_byte: Option<Duration> = None;
    let mut frames_written = 0usize;
    let pause = |conn: &mut Conn, frames_written: usize| -> Result<(), Stop> {
        if frames_written > 0 && !delay.is_zero() {
            conn.wait(Some(delay), false)?;
        }
        Ok(())
    };
    for i in 0..=n {
        if fault_at == Some(i) {
            match &scenario.fault {
                Fault::Exception {
                    exception,
                    message,
                    original_status_code,
                    original_message,
                    ..
                } => {
                    pause(conn, frames_written)?;
                    let payload = exception_payload(
                        exception,
                        message.as_deref(),
                        *original_status_code,
                        original_message.as_deref(),
                    );
                    conn.write_chunk(&exception_frame(exception.as_str(), &payload))?;
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::ErrorMessage { code, message, .. } => {
                    pause(conn, frames_written)?;
                    let message = message.as_deref().unwrap_or("An internal error occurred.");
                    conn.write_chunk(&error_frame(code, message))?;
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::UnknownEvent { event_type, .. } => {
                    pause(conn, frames_written)?;
                    conn.write_chunk(&unknown_event_frame(
                        event_type.as_deref().unwrap_or("futureEvent"),
                    ))?;
                    frames_written += 1;
                }
                Fault::Truncate { abrupt, .. } => {
                    pause(conn, frames_written)?;
                    let frame = frame(i, None);
                    conn.write_chunk(&frame[..frame.len() / 2])?;
                    if *abrupt {
                        return Ok(Next::Close);
                    }
                    conn.write(http::LAST_CHUNK)?;
                    return Ok(done);
                }
                Fault::Reset { .. } => {
                    pause(conn, frames_written)?;
                    return Ok(Next::Reset);
                }
                Fault::Stall { duration, .. } => {
                    conn.wait(*duration, duration.is_none())?;
                }
                _ => {}
            }
        }
        if i == n {
            break;
        }
        pause(conn, frames_written)?;
        let last = (i + 1 == n).then(|| Latency {
            first_byte_ms: millis(first_byte.unwrap_or_else(|| ctx.received.elapsed())),
            invocation_ms: millis(ctx.received.elapsed()),
        });
        let mut frame = frame(i, last);
        if matches!(scenario.fault, Fault::BadCrc { .. }) && fault_at == Some(i) {
            let last = frame.len() - 1;
            frame[last] ^= 0xA5;
        }
        conn.write_chunk(&frame)?;
        frames_written += 1;
        first_byte.get_or_insert_with(|| ctx.received.elapsed());
    }
    if matches!(scenario.fault, Fault::HangAfterLast) {
        conn.wait(None, true)?;
        return Ok(Next::Close);
    }
    conn.write(http::LAST_CHUNK)?;
    Ok(done)
}

/// A chunk frame of exactly `size` bytes (or the smallest possible, if `size` is below it)
/// carrying a Claude `content_block_delta` with ASCII filler text.
pub(crate) fn bulk_frame(size: usize) -> Vec<u8> {
    const FILLER: &str = "The quick brown fox jumps over the lazy dog. ";
    let inner = |n: usize| -> String {
        let text: String = FILLER.chars().cycle().take(n).collect();
        format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        )
    };
    let frame_with = |filler: usize, pad: Option<usize>| -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(inner(filler));
        let payload = match pad {
            None => format!("{{\"bytes\":\"{b64}\"}}"),
            Some(p) => {
                let pad: String = PADDING.chars().cycle().take(p).collect();
                format!("{{\"bytes\":\"{b64}\",\"p\":\"{pad}\"}}")
            }
        };
        let mut out = Vec::with_capacity(payload.len() + 96);
        encode_frame(
            &mut out,
            string_headers(&[
                (":event-type", "chunk"),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ]),
            payload.as_bytes(),
        )
        .expect("bulk frames are always encodable");
        out
    };
    let min = frame_with(0, None).len();
    if size <= min {
        return frame_with(0, None);
    }
    // Base64 grows by 4 bytes per 3 input bytes; pick the filler so that the remainder can be
    // absorbed by the `p` member (7 bytes of syntax plus its value).
    let mut filler = (size - min) / 4 * 3;
    loop {
        let len = frame_with(filler, None).len();
        if len == size {
            return frame_with(filler, None);
        }
        if len + 7 <= size {
            return frame_with(filler, Some(size - len - 7));
        }
        if filler == 0 {
            return frame_with(0, None);
        }
        filler = filler.saturating_sub(3);
    }
}

fn bulk(
    conn: &mut Conn,
    ctx: &Ctx<'_>,
    answer: &Answer,
    frames: u64,
    frame_size: usize,
    delay: Duration,
) -> Result<(), Stop> {
    let mut one = Vec::new();
    http::chunk_into(&mut one, &bulk_frame(frame_size));
    let per_block = (256 * 1024 / one.len()).max(1);
    let block: Vec<u8> = one.repeat(per_block);
    let mut first_byte = None;
    let mut left = frames;
    while left > 0 {
        if !delay.is_zero() {
            if frames != left {
                conn.wait(Some(delay), false)?;
            }
            conn.write(&one)?;
            left -= 1;
        } else if left >= per_block as u64 {
            conn.write(&block)?;
            left -= per_block as u64;
        } else {
            conn.write(&one)?;
            left -= 1;
        }
        first_byte.get_or_insert_with(|| ctx.received.elapsed());
    }
    let lat = Latency {
        first_byte_ms: millis(first_byte.unwrap_or_else(|| ctx.received.elapsed())),
        invocation_ms: millis(ctx.received.elapsed()),
    };
    let mut stop = json!({"type": "message_stop"});
    models::attach_metrics(&mut stop, models::metrics(answer.input_tokens, frames, lat));
    conn.write_chunk(&chunk_frame(stop.to_string().as_bytes(), 0))?;
    conn.write(http::LAST_CHUNK)
}
