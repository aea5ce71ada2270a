//! End-to-end throughput on loopback against the in-process emulator, with the floors and
//! the peers measured in the same run (issue 7). Prints tables; no criterion (each figure is
//! the median of interleaved rounds, with the spread shown).
//!
//! Workloads (`emulator-fault:bulk:chunks=N:size=BYTES`: N pre-encoded Claude
//! `content_block_delta` chunk frames of BYTES bytes, then one `message_stop` chunk):
//! * `tokens`: 200-byte frames (a token or two per frame, like a real Claude stream);
//! * `64k`: 65,536-byte frames (~48 KiB of model JSON each).
//!
//! Variants, each on one thread, one stream at a time:
//! * `wire floor`: a raw TCP client that sends the same signed request bytes (captured from
//!   our client, replayed on a keep-alive socket) and reads the chunked response off the
//!   socket (64 KiB reads), doing nothing else;
//! * `consumer floor`: the raw client + event-stream framing (lengths, prelude and message
//!   CRC-32 in one running hash, no header parsing) + base64 of the `bytes` value (located
//!   from both ends of the payload) with the scalar `base64` crate [+ serde_json of the model
//!   JSON: `+json`];
//! * `SIMD floor`: the same with `base64-simd` (the library's base64) [+json];
//! * `rust iterator`: `Client::invoke_model_with_response_stream`, `for event in stream`
//!   [+json: the same serde_json parse of each chunk's model JSON];
//! * `C callback`: `bedrock_stream_client_invoke`, the callback reads
//!   `bedrock_stream_event_payload` [+json]; `C pull`: `bedrock_stream_client_open` +
//!   `bedrock_stream_stream_next`. The C functions are declared in an `extern "C"` block and
//!   resolved from the rlib (the same code the cdylib exports). The model id's family is
//!   unknown, so the library runs no text extraction (the bytes-only path).
//!
//! Then: requests/s with one-chunk responses on one keep-alive client vs the raw client (with
//! p50/p99 latency over every request and CPU per request);
//! 64 and 256 concurrent streams on one shared client vs as many raw clients; peak RSS of a
//! child process (this binary re-executed) streaming >= 1 GiB (its end RSS split anonymous /
//! file-backed); ConverseStream (Rust iterator, C callback, C pull) beside
//! InvokeModelWithResponseStream at the same 200-byte frames (`converse`); 256 streams on one
//! client, whole-process peak RSS, ours vs the SDK peer (`rss256`); and the peers (the AWS SDK for
//! Rust and boto3, from `bench-peers/`) against the same emulator when `BENCH_SDK_PEER` /
//! `BENCH_BOTO3_PYTHON` + `BENCH_BOTO3_SCRIPT` are set (scripts/bench.sh sets them).
//!
//! CPU time is `getrusage(RUSAGE_THREAD)` of the consuming thread (the emulator runs on other
//! threads of this process); "s CPU / M events" is seconds of CPU per million events.
//!
//! Run: `cargo bench --features emulator --bench loopback` (about 4 minutes; `BENCH_SCALE=0.2`
//! for a quick pass). `cargo test --benches` runs a tiny smoke pass.

use std::borrow::Cow;
use std::ffi::{c_char, c_void, CString};
use std::hint::black_box;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::converse::{ContentBlockDelta, ConverseJson, ConverseStreamEvent};
use bedrock_stream::emulator::Emulator;
use bedrock_stream::{CancelHandle, Client, Credentials, Event, InvokeRequest};
use serde::Deserialize;

const BODY: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}"#;

// ---------------------------------------------------------------------------------------------
// The consumer's work on each chunk: the same typed serde parse everywhere (and in the SDK peer).

#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "parsed as a consumer would, the values are not used"
)]
struct Delta<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

/// The model JSON of a Claude chunk, the fields a consumer reads.
#[derive(Deserialize)]
#[allow(
    dead_code,
    reason = "parsed as a consumer would, the values are not used"
)]
struct ModelChunk<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    delta: Option<Delta<'a>>,
}

fn consume(bytes: &[u8], json: bool) {
    if json {
        let c: ModelChunk<'_> = serde_json::from_slice(bytes).expect("model JSON");
        black_box(&c);
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement plumbing.

fn thread_cpu() -> f64 {
    rusage(libc::RUSAGE_THREAD)
}

fn rusage(who: i32) -> f64 {
    // SAFETY: getrusage writes one struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(who, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn status_kib(field: &str) -> u64 {
    proc_status_kib("self", field)
}

/// One timed run: events and frame bytes seen, wall and CPU seconds.
#[derive(Clone, Copy, Default)]
struct Sample {
    events: u64,
    bytes: u64,
    secs: f64,
    cpu: f64,
}

fn timed(f: impl FnOnce() -> (u64, u64)) -> Sample {
    let (c0, t0) = (thread_cpu(), Instant::now());
    let (events, bytes) = f();
    Sample {
        events,
        bytes,
        secs: t0.elapsed().as_secs_f64(),
        cpu: thread_cpu() - c0,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Median events/s, MB/s (frame bytes), CPU per million events, and the spread of events/s
/// ((max - min) / median).
struct Stats {
    ev_s: f64,
    mb_s: f64,
    cpu_per_m: f64,
    spread: f64,
}

fn stats(samples: &[Sample]) -> Stats {
    let ev: Vec<f64> = samples.iter().map(|s| s.events as f64 / s.secs).collect();
    let mb = samples
        .iter()
        .map(|s| s.bytes as f64 / s.secs / 1e6)
        .collect();
    let cpu = samples
        .iter()
        .map(|s| s.cpu / s.events as f64 * 1e6)
        .collect();
    let (lo, hi) = ev
        .iter()
        .fold((f64::MAX, 0f64), |(l, h), &x| (l.min(x), h.max(x)));
    let m = median(ev);
    Stats {
        ev_s: m,
        mb_s: median(mb),
        cpu_per_m: median(cpu),
        spread: (hi - lo) / m,
    }
}

/// `BENCH_ONLY=tokens,requests` runs only the named sections (`tokens`, `64k`, `requests`,
/// `concurrent`, `rss`, `converse`, `rss256`, `peers`), for profiling.
fn enabled(section: &str) -> bool {
    std::env::var("BENCH_ONLY").map_or(true, |v| v.split(',').any(|s| s == section))
}

fn scale() -> f64 {
    std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

// ---------------------------------------------------------------------------------------------
// The raw client: replays signed request bytes and reads the chunked response.

/// Capture the exact request our client sends for `model_id` (signed with the emulator's
/// credentials; the emulator checks the `Host` header that was signed, not its own port).
fn capture_request(model_id: &str) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let model = model_id.to_owned();
    let t = thread::spawn(move || {
        let c = client_for(&url, 1);
        let _ = c.invoke_model_with_response_stream(&InvokeRequest::new(model, BODY));
    });
    let (mut s, _) = listener.accept().unwrap();
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "client closed before sending its request");
        req.extend_from_slice(&buf[..n]);
        if let Some(p) = req.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&req[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    while req.len() < head_end + len {
        let n = s.read(&mut buf).unwrap();
        req.extend_from_slice(&buf[..n]);
    }
    let _ =
        s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    drop(s);
    t.join().unwrap();
    req
}

enum St {
    Head,
    Size,
    Data(usize),
    Crlf(u8),
    Last(u8),
}

/// Send `req` and read one chunked response, passing the body bytes to `on_body`.
fn raw_exchange(
    sock: &mut TcpStream,
    req: &[u8],
    buf: &mut [u8],
    mut on_body: impl FnMut(&[u8]),
) -> io::Result<()> {
    sock.write_all(req)?;
    let (mut st, mut head, mut size) = (St::Head, Vec::with_capacity(1024), 0usize);
    loop {
        let n = sock.read(buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut i = 0;
        while i < n {
            match st {
                St::Head => {
                    head.push(buf[i]);
                    i += 1;
                    if head.ends_with(b"\r\n\r\n") {
                        assert!(
                            head.starts_with(b"HTTP/1.1 200"),
                            "raw request refused: {}",
                            String::from_utf8_lossy(&head)
                        );
                        st = St::Size;
                    }
                }
                St::Size => {
                    let b = buf[i];
                    i += 1;
                    match b {
                        b'0'..=b'9' => size = size * 16 + (b - b'0') as usize,
                        b'a'..=b'f' => size = size * 16 + (b - b'a' + 10) as usize,
                        b'A'..=b'F' => size = size * 16 + (b - b'A' + 10) as usize,
                        b'\n' => {
                            st = if size == 0 {
                                St::Last(2)
                            } else {
                                St::Data(size)
                            };
                            size = 0;
                        }
                        _ => {}
                    }
                }
                St::Data(rem) => {
                    let take = rem.min(n - i);
                    on_body(&buf[i..i + take]);
                    i += take;
                    st = if rem == take {
                        St::Crlf(2)
                    } else {
                        St::Data(rem - take)
                    };
                }
                St::Crlf(k) => {
                    i += 1;
                    st = if k == 1 { St::Size } else { St::Crlf(k - 1) };
                }
                St::Last(k) => {
                    i += 1;
                    if k == 1 {
                        return Ok(());
                    }
                    st = St::Last(k - 1);
                }
            }
        }
    }
}

/// The least a correct consumer does: frames, both CRCs, base64 [+ the model JSON].
struct FrameFloor {
    pending: Vec<u8>,
    out: Vec<u8>,
    json: bool,
    /// Base64 with `base64-simd` (as the library) instead of the scalar `base64` crate.
    simd: bool,
    events: u64,
    bytes: u64,
}

impl FrameFloor {
    fn new(json: bool, simd: bool) -> FrameFloor {
        FrameFloor {
            pending: Vec::new(),
            out: Vec::with_capacity(128 * 1024),
            json,
            simd,
            events: 0,
            bytes: 0,
        }
    }

    fn feed(&mut self, mut data: &[u8]) {
        // Complete a frame split across reads.
        while !self.pending.is_empty() {
            let need = if self.pending.len() < 4 {
                4 - self.pending.len()
            } else {
                frame_len(&self.pending) - self.pending.len()
            };
            let take = need.min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() >= 4 && self.pending.len() == frame_len(&self.pending) {
                let frame = std::mem::take(&mut self.pending);
                self.frame(&frame);
                self.pending = frame;
                self.pending.clear();
            } else if data.is_empty() {
                return;
            }
        }
        // Whole frames straight from the read buffer.
        while data.len() >= 4 && data.len() >= frame_len(data) {
            let n = frame_len(data);
            self.frame(&data[..n]);
            data = &data[n..];
        }
        self.pending.extend_from_slice(data);
    }

    fn frame(&mut self, f: &[u8]) {
        let total = f.len();
        let headers_len = u32::from_be_bytes(f[4..8].try_into().unwrap()) as usize;
        let mut h = crc32fast::Hasher::new();
        h.update(&f[..8]);
        assert_eq!(
            h.clone().finalize(),
            u32::from_be_bytes(f[8..12].try_into().unwrap())
        );
        h.update(&f[8..total - 4]);
        assert_eq!(
            h.finalize(),
            u32::from_be_bytes(f[total - 4..].try_into().unwrap())
        );
        let payload = &f[12 + headers_len..total - 4];
        let b64 = fast_bytes(payload).expect("a chunk payload");
        self.out.clear();
        if self.simd {
            base64_simd::STANDARD
                .decode_append(b64, &mut self.out)
                .expect("base64");
        } else {
            B64.decode_vec(b64, &mut self.out).expect("base64");
        }
        consume(&self.out, self.json);
        self.events += 1;
        self.bytes += total as u64;
    }
}

fn frame_len(b: &[u8]) -> usize {
    u32::from_be_bytes(b[..4].try_into().unwrap()) as usize
}

/// `{"bytes":"<base64>"}` or `{"bytes":"<base64>","p":"<padding>"}`: the value, found from
/// both ends (as in benches/decoder.rs).
fn fast_bytes(payload: &[u8]) -> Option<&[u8]> {
    let rest = payload.strip_prefix(br#"{"bytes":""#)?;
    let rest = rest.strip_suffix(br#""}"#)?;
    match rest.iter().rposition(|&b| b == b'"') {
        None => Some(rest),
        Some(q) => rest[..q].strip_suffix(br#"","p":"#),
    }
}

struct Raw {
    sock: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    fn connect(emu: &Emulator) -> Raw {
        let sock = TcpStream::connect(emu.addr()).unwrap();
        sock.set_nodelay(true).unwrap();
        Raw {
            sock,
            buf: vec![0; 64 * 1024],
        }
    }

    /// Wire floor: (body bytes, 0).
    fn wire(&mut self, req: &[u8]) -> u64 {
        let mut n = 0u64;
        raw_exchange(&mut self.sock, req, &mut self.buf, |b| n += b.len() as u64).unwrap();
        n
    }

    fn floor(&mut self, req: &[u8], json: bool) -> (u64, u64) {
        self.floor_with(req, json, false)
    }

    fn floor_with(&mut self, req: &[u8], json: bool, simd: bool) -> (u64, u64) {
        let mut f = FrameFloor::new(json, simd);
        raw_exchange(&mut self.sock, req, &mut self.buf, |b| f.feed(b)).unwrap();
        assert!(f.pending.is_empty());
        (f.events, f.bytes)
    }
}

// ---------------------------------------------------------------------------------------------
// Our client: Rust API and the C ABI.

fn client_for(url: &str, attempts: u32) -> Client {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(url)
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .max_attempts(attempts)
        .build()
        .unwrap()
}

/// Drain one stream through the iterator: (events, decoded bytes).
fn rust_stream(c: &Client, req: &InvokeRequest, json: bool) -> (u64, u64) {
    let (mut events, mut bytes) = (0, 0);
    for e in c.invoke_model_with_response_stream(req).unwrap() {
        if let Event::Chunk(chunk) = e.unwrap() {
            consume(chunk.bytes(), json);
            bytes += chunk.bytes().len() as u64;
        }
        events += 1;
    }
    (events, bytes)
}

#[repr(C)]
struct Opaque {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CBytes {
    data: *const u8,
    len: usize,
}

type EventCb = extern "C" fn(*mut c_void, *const Opaque) -> i32;

extern "C" {
    fn bedrock_stream_config_new(out: *mut *mut Opaque, err: *mut *mut Opaque) -> i32;
    fn bedrock_stream_config_free(config: *mut Opaque);
    fn bedrock_stream_config_set_region(
        c: *mut Opaque,
        v: *const c_char,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_config_set_endpoint_url(
        c: *mut Opaque,
        v: *const c_char,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_config_set_credentials(
        c: *mut Opaque,
        ak: *const c_char,
        sk: *const c_char,
        token: *const c_char,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_config_set_ignore_env_bearer_token(
        c: *mut Opaque,
        v: bool,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_config_set_no_proxy(c: *mut Opaque, v: bool, err: *mut *mut Opaque) -> i32;
    fn bedrock_stream_client_new(
        config: *const Opaque,
        out: *mut *mut Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_client_free(client: *mut Opaque);
    fn bedrock_stream_request_new(
        model: *const c_char,
        body: *const u8,
        len: usize,
        out: *mut *mut Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_request_free(request: *mut Opaque);
    fn bedrock_stream_client_invoke(
        client: *const Opaque,
        request: *const Opaque,
        cb: EventCb,
        user_data: *mut c_void,
        cancel: *const Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_client_open(
        client: *const Opaque,
        request: *const Opaque,
        cancel: *const Opaque,
        out: *mut *mut Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_stream_next(
        stream: *mut Opaque,
        event_out: *mut *const Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_stream_free(stream: *mut Opaque);
    fn bedrock_stream_event_payload(event: *const Opaque) -> CBytes;
    fn bedrock_stream_converse_request_from_json(
        model: *const c_char,
        json: *const c_char,
        out: *mut *mut Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_converse_request_free(request: *mut Opaque);
    fn bedrock_stream_client_converse_stream(
        client: *const Opaque,
        request: *const Opaque,
        cb: EventCb,
        user_data: *mut c_void,
        cancel: *const Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_client_converse_stream_open(
        client: *const Opaque,
        request: *const Opaque,
        cancel: *const Opaque,
        out: *mut *mut Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_converse_stream_next(
        stream: *mut Opaque,
        event_out: *mut *const Opaque,
        err: *mut *mut Opaque,
    ) -> i32;
    fn bedrock_stream_converse_stream_free(stream: *mut Opaque);
    fn bedrock_stream_converse_event_delta(event: *const Opaque) -> CBytes;
}

/// A C-ABI client (freed on drop).
struct CClient(*mut Opaque);

// SAFETY: the C API documents clients as thread-safe; we only share the pointer read-only.
unsafe impl Send for CClient {}
// SAFETY: as above.
unsafe impl Sync for CClient {}

fn ok(rc: i32, what: &str) {
    assert_eq!(rc, 0, "{what} failed with status {rc}");
}

impl CClient {
    fn new(url: &str) -> CClient {
        let s = |v: &str| CString::new(v).unwrap();
        let null: *mut *mut Opaque = std::ptr::null_mut();
        // SAFETY: every call gets live handles and NUL-terminated strings; err_out is NULL.
        unsafe {
            let mut cfg: *mut Opaque = std::ptr::null_mut();
            ok(bedrock_stream_config_new(&mut cfg, null), "config_new");
            ok(
                bedrock_stream_config_set_region(cfg, s("us-east-1").as_ptr(), null),
                "region",
            );
            ok(
                bedrock_stream_config_set_endpoint_url(cfg, s(url).as_ptr(), null),
                "endpoint",
            );
            ok(
                bedrock_stream_config_set_credentials(
                    cfg,
                    s("AKIDEMULATOR").as_ptr(),
                    s("emulator-secret").as_ptr(),
                    std::ptr::null(),
                    null,
                ),
                "credentials",
            );
            ok(
                bedrock_stream_config_set_ignore_env_bearer_token(cfg, true, null),
                "bearer",
            );
            ok(bedrock_stream_config_set_no_proxy(cfg, true, null), "proxy");
            let mut client: *mut Opaque = std::ptr::null_mut();
            ok(
                bedrock_stream_client_new(cfg, &mut client, null),
                "client_new",
            );
            bedrock_stream_config_free(cfg);
            CClient(client)
        }
    }
}

impl Drop for CClient {
    fn drop(&mut self) {
        // SAFETY: ours, no call running.
        unsafe { bedrock_stream_client_free(self.0) }
    }
}

struct CRequest(*mut Opaque);

impl CRequest {
    fn new(model: &str) -> CRequest {
        let m = CString::new(model).unwrap();
        let mut r = std::ptr::null_mut();
        // SAFETY: valid string and body; out pointer is ours.
        ok(
            unsafe {
                bedrock_stream_request_new(
                    m.as_ptr(),
                    BODY.as_ptr(),
                    BODY.len(),
                    &mut r,
                    std::ptr::null_mut(),
                )
            },
            "request_new",
        );
        CRequest(r)
    }
}

impl Drop for CRequest {
    fn drop(&mut self) {
        // SAFETY: ours, no call running.
        unsafe { bedrock_stream_request_free(self.0) }
    }
}

struct CbState {
    json: bool,
    events: u64,
    bytes: u64,
}

extern "C" fn on_event(user: *mut c_void, event: *const Opaque) -> i32 {
    // SAFETY: `user` is the `CbState` passed by `c_callback`; the event is lent for this call.
    let st = unsafe { &mut *(user as *mut CbState) };
    // SAFETY: as above.
    let b = unsafe { bedrock_stream_event_payload(event) };
    // SAFETY: the library guarantees `len` readable bytes at `data` while the event lives.
    let bytes = unsafe { std::slice::from_raw_parts(b.data, b.len) };
    consume(bytes, st.json);
    st.events += 1;
    st.bytes += b.len as u64;
    0
}

fn c_callback(c: &CClient, r: &CRequest, json: bool) -> (u64, u64) {
    let mut st = CbState {
        json,
        events: 0,
        bytes: 0,
    };
    // SAFETY: live handles; the callback follows the contract; `st` outlives the call.
    let rc = unsafe {
        bedrock_stream_client_invoke(
            c.0,
            r.0,
            on_event,
            &mut st as *mut CbState as *mut c_void,
            std::ptr::null(),
            std::ptr::null_mut(),
        )
    };
    ok(rc, "client_invoke");
    (st.events, st.bytes)
}

fn c_pull(c: &CClient, r: &CRequest, json: bool) -> (u64, u64) {
    let (mut events, mut bytes) = (0, 0);
    // SAFETY: live handles; each event is read before the next `stream_next`.
    unsafe {
        let mut s = std::ptr::null_mut();
        ok(
            bedrock_stream_client_open(c.0, r.0, std::ptr::null(), &mut s, std::ptr::null_mut()),
            "client_open",
        );
        loop {
            let mut ev = std::ptr::null();
            ok(
                bedrock_stream_stream_next(s, &mut ev, std::ptr::null_mut()),
                "stream_next",
            );
            if ev.is_null() {
                break;
            }
            let b = bedrock_stream_event_payload(ev);
            consume(std::slice::from_raw_parts(b.data, b.len), json);
            events += 1;
            bytes += b.len as u64;
        }
        bedrock_stream_stream_free(s);
    }
    (events, bytes)
}

// ---------------------------------------------------------------------------------------------
// The runs.

struct Bench {
    emu: Emulator,
    url: String,
    client: Client,
    c: CClient,
    raw: Raw,
    rounds: usize,
}

struct Workload {
    name: &'static str,
    frames: u64,
    size: usize,
}

impl Workload {
    fn model(&self) -> String {
        format!(
            "emulator-fault:bulk:chunks={}:size={}",
            self.frames, self.size
        )
    }
}

type Variant<'a> = (&'static str, Box<dyn FnMut() -> (u64, u64) + 'a>);

/// Interleaved rounds of every variant; returns the stats of each, in order.
fn run_rounds(emu: &Emulator, rounds: usize, variants: &mut [Variant<'_>]) -> Vec<Stats> {
    let mut samples = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter_mut().enumerate() {
            samples[i].push(timed(f));
        }
        emu.clear_requests();
    }
    samples.iter().map(|s| stats(s)).collect()
}

impl Bench {
    fn streams(&mut self, w: &Workload, floors: &mut Vec<(String, f64)>) {
        let model = w.model();
        let req = capture_request(&model);
        let ireq = InvokeRequest::new(model.clone(), BODY);
        let creq = CRequest::new(&model);
        let frame_bytes = w.frames * w.size as u64;
        let expect = w.frames + 1;
        // Warm-up: connections, credentials, buffers.
        rust_stream(&self.client, &ireq, true);
        c_callback(&self.c, &creq, true);
        self.raw.floor(&req, true);
        let (emu, rounds) = (&self.emu, self.rounds);
        let (client, c, raw) = (&self.client, &self.c, &mut self.raw);
        let raw = std::cell::RefCell::new(raw);
        let per_frame = |(events, _bytes): (u64, u64)| {
            assert_eq!(events, expect, "{}", w.name);
            (events, frame_bytes)
        };
        let mut variants: Vec<Variant<'_>> = vec![
            (
                "wire floor (raw socket)",
                Box::new(|| {
                    raw.borrow_mut().wire(&req);
                    (expect, frame_bytes)
                }),
            ),
            (
                "consumer floor",
                Box::new(|| per_frame(raw.borrow_mut().floor(&req, false))),
            ),
            (
                "consumer floor +json",
                Box::new(|| per_frame(raw.borrow_mut().floor(&req, true))),
            ),
            (
                "SIMD floor",
                Box::new(|| per_frame(raw.borrow_mut().floor_with(&req, false, true))),
            ),
            (
                "SIMD floor +json",
                Box::new(|| per_frame(raw.borrow_mut().floor_with(&req, true, true))),
            ),
            (
                "rust iterator",
                Box::new(|| per_frame(rust_stream(client, &ireq, false))),
            ),
            (
                "rust iterator +json",
                Box::new(|| per_frame(rust_stream(client, &ireq, true))),
            ),
            (
                "C callback",
                Box::new(|| per_frame(c_callback(c, &creq, false))),
            ),
            (
                "C callback +json",
                Box::new(|| per_frame(c_callback(c, &creq, true))),
            ),
            ("C pull", Box::new(|| per_frame(c_pull(c, &creq, false)))),
        ];
        let st = run_rounds(emu, rounds, &mut variants);
        let names: Vec<&str> = variants.iter().map(|v| v.0).collect();
        drop(variants);
        println!(
            "\n## {} — {} frames of {} bytes ({:.0} MB) per stream, median of {} rounds",
            w.name,
            w.frames,
            w.size,
            frame_bytes as f64 / 1e6,
            self.rounds
        );
        println!(
            "| variant | events/s | MB/s | s CPU / M events | spread | vs wire | vs consumer floor (same JSON work): events/s | same, by CPU per event | vs SIMD floor (same JSON work): events/s | same, by CPU per event |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let ratio = |i: usize, floor: &Stats, cpu: bool| {
            if i == 0 {
                "-".to_string()
            } else if cpu {
                format!("{:.2}x", floor.cpu_per_m / st[i].cpu_per_m)
            } else {
                format!("{:.2}x", st[i].ev_s / floor.ev_s)
            }
        };
        for (i, s) in st.iter().enumerate() {
            // The floors: consumer (scalar base64) 1 and +json 2, SIMD 3 and +json 4.
            let json = usize::from(names[i].ends_with("+json"));
            let (floor, simd) = (&st[1 + json], &st[3 + json]);
            println!(
                "| {} | {:.0} | {:.0} | {:.3} | {:.0}% | {:.2}x | {} | {} | {} | {} |",
                names[i],
                s.ev_s,
                s.mb_s,
                s.cpu_per_m,
                s.spread * 100.0,
                s.ev_s / st[0].ev_s,
                ratio(i, floor, false),
                ratio(i, floor, true),
                ratio(i, simd, false),
                ratio(i, simd, true),
            );
        }
        for (i, n) in names.iter().enumerate() {
            floors.push((format!("{} / {n}", w.name), st[i].ev_s));
        }
    }

    fn requests(&mut self, secs: f64) -> (f64, f64, f64) {
        let model = "emulator-fault:bulk:chunks=1:size=200";
        let req = capture_request(model);
        let ireq = InvokeRequest::new(model, BODY);
        let creq = CRequest::new(model);
        let dur = Duration::from_secs_f64(secs);
        // Per client: requests/s of each round, and every request's latency in µs.
        let mut rates = [Vec::new(), Vec::new(), Vec::new()];
        let mut lat: [Vec<f64>; 3] = Default::default();
        let mut cpu = [0.0f64; 3];
        let mut count = [0u64; 3];
        for _ in 0..self.rounds.min(3) {
            for k in 0..3 {
                let (t0, c0) = (Instant::now(), thread_cpu());
                let mut n = 0u64;
                while t0.elapsed() < dur {
                    let t = Instant::now();
                    match k {
                        0 => assert_eq!(self.raw.floor(&req, true).0, 2),
                        1 => assert_eq!(rust_stream(&self.client, &ireq, true).0, 2),
                        _ => assert_eq!(c_callback(&self.c, &creq, true).0, 2),
                    }
                    lat[k].push(t.elapsed().as_secs_f64() * 1e6);
                    n += 1;
                }
                rates[k].push(n as f64 / t0.elapsed().as_secs_f64());
                cpu[k] += thread_cpu() - c0;
                count[k] += n;
            }
            self.emu.clear_requests();
        }
        let pct = |v: &mut Vec<f64>, p: f64| {
            v.sort_by(f64::total_cmp);
            v[((v.len() - 1) as f64 * p).round() as usize]
        };
        let [r, o, oc] = rates.map(median);
        println!("\n## Requests/s, one keep-alive connection, one-chunk responses (1 chunk + message_stop), {secs} s per round, median of {} rounds; latency over every request", self.rounds.min(3));
        println!("| client | requests/s | vs raw | p50 µs | p99 µs | µs CPU / request |");
        println!("|---|---:|---:|---:|---:|---:|");
        let names = [
            "raw client (replayed signed bytes + frame/CRC/base64/JSON)",
            "rust client (sign + request + parse + JSON)",
            "C callback (sign + request + parse + JSON)",
        ];
        for (k, rate) in [r, o, oc].into_iter().enumerate() {
            println!(
                "| {} | {rate:.0} | {:.2}x | {:.1} | {:.1} | {:.1} |",
                names[k],
                rate / r,
                pct(&mut lat[k], 0.5),
                pct(&mut lat[k], 0.99),
                cpu[k] / count[k] as f64 * 1e6
            );
        }
        (o, oc, r)
    }

    fn concurrent(&mut self, n: usize, total_frames: u64) {
        let frames = (total_frames / n as u64).max(1);
        let model = format!("emulator-fault:bulk:chunks={frames}:size=200");
        let req = Arc::new(capture_request(&model));
        let ireq = Arc::new(InvokeRequest::new(model, BODY));
        let mut ours = Vec::new();
        let mut raw = Vec::new();
        let rounds = self.rounds.min(3);
        for _ in 0..rounds {
            let t0 = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (c, r) = (self.client.clone(), ireq.clone());
                    thread::spawn(move || rust_stream(&c, &r, true).0)
                })
                .collect();
            let events: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            ours.push(events as f64 / t0.elapsed().as_secs_f64());
            let t0 = Instant::now();
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    let (mut raw, r) = (Raw::connect(&self.emu), req.clone());
                    thread::spawn(move || raw.floor(&r, true).0)
                })
                .collect();
            let events: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            raw.push(events as f64 / t0.elapsed().as_secs_f64());
            self.emu.clear_requests();
        }
        let (o, r) = (median(ours), median(raw));
        println!(
            "| {n} | {frames} | {o:.0} | {:.0} | {r:.0} | {:.2}x |",
            o * 200.0 / 1e6,
            o / r
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Peak RSS in a child process.

const RSS_CHILD: &str = "LOOPBACK_RSS_CHILD";

fn rss_child(spec: &str) {
    let mut parts = spec.splitn(3, '|');
    let (url, api, model) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let warm = "emulator-fault:bulk:chunks=10:size=65536";
    let (baseline, events) = match api {
        "rust" => {
            let c = client_for(url, 1);
            rust_stream(&c, &InvokeRequest::new(warm, BODY), true);
            let base = status_kib("VmHWM:");
            (
                base,
                rust_stream(&c, &InvokeRequest::new(model, BODY), true).0,
            )
        }
        _ => {
            let c = CClient::new(url);
            c_callback(&c, &CRequest::new(warm), true);
            let base = status_kib("VmHWM:");
            (base, c_callback(&c, &CRequest::new(model), true).0)
        }
    };
    println!(
        "baseline_kib={baseline} peak_kib={} events={events} {}",
        status_kib("VmHWM:"),
        smaps_rollup()
    );
}

/// A field of `/proc/<pid>/status` (`pid` may be `self`), in KiB (0 when the process is gone).
fn proc_status_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Whole-process peak RSS of small real programs (`BENCH_RSS_PROGRAMS="label=path,..."`, set by
/// scripts/bench.sh: examples-c/stream.c linked statically to the .a and dynamically to the .so)
/// streaming `bytes` of 200-byte and 64 KiB frames from the emulator, which runs in this
/// process: VmHWM and the anonymous / file-backed split read from /proc while it runs (the
/// high-water mark only grows, so the last read before the end is the peak).
fn rss_programs(bench: &Bench, programs: &str, bytes: u64) {
    println!("\n## Peak RSS of a whole single-stream program (examples-c/stream.c, its own process; the emulator is the bench process)");
    println!("| program | stream | peak RSS (VmHWM) MiB | peak: anonymous / file-backed MiB |");
    println!("|---|---|---:|---:|");
    for (label, path) in programs.split(',').filter_map(|p| p.split_once('=')) {
        for size in [200usize, 65536] {
            let frames = bytes.div_ceil(size as u64);
            let model = format!("emulator-fault:bulk:chunks={frames}:size={size}");
            let child = Command::new(path)
                .args([model.as_str(), "hi", "anthropic-claude"])
                .env_clear()
                .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &bench.url)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
                .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
                .env("AWS_CONFIG_FILE", "/dev/null")
                .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn();
            // A program that cannot run is reported in its row; the later sections still run.
            let mut child = match child {
                Ok(c) => c,
                Err(e) => {
                    println!("| {label} | cannot start {path}: {e} | - | - |");
                    break;
                }
            };
            let pid = child.id().to_string();
            let (mut peak, mut anon, mut file) = (0, 0, 0);
            let status = loop {
                if let Some(st) = child.try_wait().unwrap() {
                    break st;
                }
                let hwm = proc_status_kib(&pid, "VmHWM:");
                if hwm >= peak {
                    peak = hwm;
                    anon = proc_status_kib(&pid, "RssAnon:");
                    file = proc_status_kib(&pid, "RssFile:");
                }
                thread::sleep(Duration::from_millis(5));
            };
            let mut err = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            if !status.success() {
                println!("| {label} | failed ({status}): {} | - | - |", err.trim());
                continue;
            }
            println!(
                "| {label} | {frames} × {size} B ({:.2} GiB) | {:.1} | {:.1} / {:.1} |",
                (frames * size as u64) as f64 / (1u64 << 30) as f64,
                peak as f64 / 1024.0,
                anon as f64 / 1024.0,
                file as f64 / 1024.0
            );
            bench.emu.clear_requests();
        }
    }
}

fn rss(bench: &Bench, api: &str, frames: u64, size: usize) {
    let model = format!("emulator-fault:bulk:chunks={frames}:size={size}");
    let out = Command::new(std::env::current_exe().unwrap())
        .env(RSS_CHILD, format!("{}|{api}|{model}", bench.url))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let kv = |k: &str| -> u64 {
        text.split_whitespace()
            .find_map(|p| p.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (base, peak, events) = (kv("baseline_kib="), kv("peak_kib="), kv("events="));
    assert_eq!(events, frames + 1);
    let growth = peak.saturating_sub(base);
    let budget = 8 * 1024 + size as u64 / 1024 + 1;
    println!(
        "| {api} | {frames} × {size} B | {:.2} GiB | {:.1} | {:.1} | {:.2} | {} | {:.1} / {:.1} |",
        (frames * size as u64) as f64 / (1u64 << 30) as f64,
        base as f64 / 1024.0,
        peak as f64 / 1024.0,
        growth as f64 / 1024.0,
        if growth <= budget { "yes" } else { "NO" },
        kv("anon_kib=") as f64 / 1024.0,
        kv("file_kib=") as f64 / 1024.0,
    );
}

// ---------------------------------------------------------------------------------------------
// ConverseStream (issue 12): the same 200-byte frames on the wire as the `tokens` workload,
// as contentBlockDelta text events; the consumer gets each delta's text.

const CONVERSE_BODY: &str = r#"{"messages":[{"role":"user","content":[{"text":"Say hello"}]}]}"#;

/// Drain one ConverseStream through the Rust iterator: (events, text bytes).
fn rust_converse(c: &Client, req: &ConverseJson) -> (u64, u64) {
    let (mut events, mut bytes) = (0, 0);
    for e in c.converse_stream_json(req, CancelHandle::new()).unwrap() {
        if let ConverseStreamEvent::ContentBlockDelta(d) = e.unwrap() {
            if let ContentBlockDelta::Text(t) = &d.delta {
                bytes += black_box(t).len() as u64;
            }
        }
        events += 1;
    }
    (events, bytes)
}

/// A C ConverseStream request (freed on drop).
struct CConverseRequest(*mut Opaque);

impl CConverseRequest {
    fn new(model: &str) -> CConverseRequest {
        let (m, j) = (
            CString::new(model).unwrap(),
            CString::new(CONVERSE_BODY).unwrap(),
        );
        let mut r = std::ptr::null_mut();
        // SAFETY: valid strings; out pointer is ours.
        ok(
            unsafe {
                bedrock_stream_converse_request_from_json(
                    m.as_ptr(),
                    j.as_ptr(),
                    &mut r,
                    std::ptr::null_mut(),
                )
            },
            "converse_request_from_json",
        );
        CConverseRequest(r)
    }
}

impl Drop for CConverseRequest {
    fn drop(&mut self) {
        // SAFETY: ours, no call running.
        unsafe { bedrock_stream_converse_request_free(self.0) }
    }
}

extern "C" fn on_converse_event(user: *mut c_void, event: *const Opaque) -> i32 {
    // SAFETY: `user` is the `CbState` passed by `c_converse_callback`; the event is lent for
    // this call, and so are the delta's bytes.
    let st = unsafe { &mut *(user as *mut CbState) };
    // SAFETY: as above.
    let d = unsafe { bedrock_stream_converse_event_delta(event) };
    st.events += 1;
    st.bytes += black_box(d.len) as u64;
    0
}

fn c_converse_callback(c: &CClient, r: &CConverseRequest) -> (u64, u64) {
    let mut st = CbState {
        json: false,
        events: 0,
        bytes: 0,
    };
    // SAFETY: live handles; the callback follows the contract; `st` outlives the call.
    let rc = unsafe {
        bedrock_stream_client_converse_stream(
            c.0,
            r.0,
            on_converse_event,
            &mut st as *mut CbState as *mut c_void,
            std::ptr::null(),
            std::ptr::null_mut(),
        )
    };
    ok(rc, "client_converse_stream");
    (st.events, st.bytes)
}

fn c_converse_pull(c: &CClient, r: &CConverseRequest) -> (u64, u64) {
    let (mut events, mut bytes) = (0, 0);
    // SAFETY: live handles; each event is read before the next `converse_stream_next`.
    unsafe {
        let mut s = std::ptr::null_mut();
        ok(
            bedrock_stream_client_converse_stream_open(
                c.0,
                r.0,
                std::ptr::null(),
                &mut s,
                std::ptr::null_mut(),
            ),
            "client_converse_stream_open",
        );
        loop {
            let mut ev = std::ptr::null();
            ok(
                bedrock_stream_converse_stream_next(s, &mut ev, std::ptr::null_mut()),
                "converse_stream_next",
            );
            if ev.is_null() {
                break;
            }
            bytes += black_box(bedrock_stream_converse_event_delta(ev).len) as u64;
            events += 1;
        }
        bedrock_stream_converse_stream_free(s);
    }
    (events, bytes)
}

/// ConverseStream vs InvokeModelWithResponseStream, `frames` frames of 200 bytes each.
fn converse(bench: &Bench, frames: u64) {
    let model = format!("emulator-fault:bulk:chunks={frames}:size=200");
    let ireq = InvokeRequest::new(model.clone(), BODY);
    let creq = CRequest::new(&model);
    let vreq = ConverseJson::parse(model.clone(), CONVERSE_BODY, true).unwrap();
    let cvreq = CConverseRequest::new(&model);
    let (client, c) = (&bench.client, &bench.c);
    // InvokeModelWithResponseStream: the frames and message_stop; ConverseStream: messageStart,
    // the frames, contentBlockStop, messageStop, metadata.
    let check = |expect: u64, (events, _): (u64, u64)| {
        assert_eq!(events, expect);
        (events, frames * 200)
    };
    rust_converse(client, &vreq);
    c_converse_callback(c, &cvreq);
    rust_stream(client, &ireq, true);
    let mut variants: Vec<Variant<'_>> = vec![
        (
            "InvokeModelWithResponseStream: rust iterator +json",
            Box::new(|| check(frames + 1, rust_stream(client, &ireq, true))),
        ),
        (
            "InvokeModelWithResponseStream: C callback +json",
            Box::new(|| check(frames + 1, c_callback(c, &creq, true))),
        ),
        (
            "ConverseStream: rust iterator (typed events, delta text)",
            Box::new(|| check(frames + 4, rust_converse(client, &vreq))),
        ),
        (
            "ConverseStream: C callback (bedrock_stream_converse_event_delta)",
            Box::new(|| check(frames + 4, c_converse_callback(c, &cvreq))),
        ),
        (
            "ConverseStream: C pull (bedrock_stream_converse_stream_next)",
            Box::new(|| check(frames + 4, c_converse_pull(c, &cvreq))),
        ),
    ];
    let st = run_rounds(&bench.emu, bench.rounds, &mut variants);
    println!(
        "\n## ConverseStream vs InvokeModelWithResponseStream — {frames} frames of 200 bytes per stream (contentBlockDelta text / chunk events), median of {} rounds",
        bench.rounds
    );
    println!("| operation: variant | events/s | MB/s (frames) | s CPU / M events | spread | vs Invoke rust iterator +json, events/s | same, by CPU per event |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (i, s) in st.iter().enumerate() {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} | {:.0}% | {:.2}x | {:.2}x |",
            variants[i].0,
            s.ev_s,
            s.mb_s,
            s.cpu_per_m,
            s.spread * 100.0,
            s.ev_s / st[0].ev_s,
            st[0].cpu_per_m / s.cpu_per_m
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 256 streams on one client: whole-process peak RSS, ours (a thread per stream, in a child
// process) vs the AWS SDK for Rust peer (256 tasks on tokio's multi-thread runtime).

const RSS256_CHILD: &str = "LOOPBACK_RSS256_CHILD";

/// `url|streams|model`: one shared client, every stream opened before any is read (a
/// barrier), then each drained on its own thread with the model-JSON parse.
fn rss256_child(spec: &str) {
    let mut parts = spec.splitn(3, '|');
    let (url, n, model) = (
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
        parts.next().unwrap().to_owned(),
    );
    let c = client_for(url, 1);
    rust_stream(&c, &InvokeRequest::new(model.clone(), BODY), true);
    let baseline = status_kib("VmHWM:");
    let req = Arc::new(InvokeRequest::new(model, BODY));
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (c, r, b) = (c.clone(), req.clone(), barrier.clone());
            thread::spawn(move || {
                let stream = c.invoke_model_with_response_stream(&r).unwrap();
                b.wait();
                let mut events = 0u64;
                for e in stream {
                    if let Event::Chunk(chunk) = e.unwrap() {
                        consume(chunk.bytes(), true);
                    }
                    events += 1;
                }
                events
            })
        })
        .collect();
    let events: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!(
        "baseline_kib={baseline} peak_kib={} events={events} {}",
        status_kib("VmHWM:"),
        smaps_rollup()
    );
}

/// Where the RSS is now: `rss_kib` (Rss), `anon_kib` (Anonymous: heap, stacks), `file_kib`
/// (the rest: mapped text and data of the binary and its libraries), from smaps_rollup.
fn smaps_rollup() -> String {
    let text = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    let field = |name: &str| -> u64 {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let (rss, anon) = (field("Rss:"), field("Anonymous:"));
    format!(
        "rss_kib={rss} anon_kib={anon} file_kib={}",
        rss.saturating_sub(anon)
    )
}

fn rss256(bench: &Bench, n: usize, frames: u64) {
    let model = format!("emulator-fault:bulk:chunks={frames}:size=200");
    let out = Command::new(std::env::current_exe().unwrap())
        .env(RSS256_CHILD, format!("{}|{n}|{model}", bench.url))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = String::from_utf8_lossy(&out.stdout).into_owned();
    let expect = n as f64 * (frames + 1) as f64;
    assert_eq!(peer_kv(&ours, "events="), expect);
    let mib = |o: &str, k: &str| peer_kv(o, k) / 1024.0;
    println!(
        "| ours: one Client, a thread per stream (child process) | {n} | {frames} | {:.1} | {:.1} (anon {:.1}, file-backed {:.1}) | - |",
        mib(&ours, "peak_kib="),
        mib(&ours, "rss_kib="),
        mib(&ours, "anon_kib="),
        mib(&ours, "file_kib=")
    );
    bench.emu.clear_requests();
    let Ok(peer) = std::env::var("BENCH_SDK_PEER") else {
        println!("| aws-sdk-bedrockruntime (skipped: set BENCH_SDK_PEER, as scripts/bench.sh does) | | | | | |");
        return;
    };
    let args = [
        "rss256".to_string(),
        bench.url.clone(),
        model,
        n.to_string(),
    ];
    if let Some(out) = run_peer(&[peer], &args) {
        assert_eq!(peer_kv(&out, "events="), expect);
        println!(
            "| aws-sdk-bedrockruntime: one client, {n} tasks (tokio multi-thread) | {n} | {frames} | {:.1} | | {:.2} |",
            mib(&out, "vmhwm_kib="),
            peer_kv(&ours, "peak_kib=") / peer_kv(&out, "vmhwm_kib=")
        );
    }
    bench.emu.clear_requests();
}

// ---------------------------------------------------------------------------------------------
// Peers.

fn peer_kv(out: &str, k: &str) -> f64 {
    out.split_whitespace()
        .find_map(|p| p.strip_prefix(k))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn run_peer(cmd: &[String], args: &[String]) -> Option<String> {
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "peer {:?} failed: {}",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn peers(bench: &Bench, ours: &[(String, f64)], ours_rps: f64) {
    let mut list: Vec<(&str, Vec<String>, f64)> = Vec::new();
    if let Ok(p) = std::env::var("BENCH_SDK_PEER") {
        list.push(("aws-sdk-bedrockruntime (Rust)", vec![p], 0.2));
    }
    if let (Ok(py), Ok(script)) = (
        std::env::var("BENCH_BOTO3_PYTHON"),
        std::env::var("BENCH_BOTO3_SCRIPT"),
    ) {
        list.push(("boto3 (Python)", vec![py, script], 0.02));
    }
    if list.is_empty() {
        println!("\n(peers skipped: set BENCH_SDK_PEER and/or BENCH_BOTO3_PYTHON + BENCH_BOTO3_SCRIPT, as scripts/bench.sh does)");
        return;
    }
    let s = scale();
    let find = |k: &str| ours.iter().find(|(n, _)| n == k).map_or(f64::NAN, |x| x.1);
    println!("\n## Peers against the same emulator (same consumer work: base64 + typed serde/json.loads of each chunk's model JSON), median of 3 runs");
    println!("| client | workload | events/s | MB/s | s CPU/M events | peak RSS MiB | ours (rust iterator +json) / peer |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (name, cmd, frac) in &list {
        for (wl, size, frames) in [
            ("tokens", 200usize, (1_000_000.0 * s * frac) as u64),
            ("64k", 65536, (3000.0 * s * frac * 2.0) as u64),
        ] {
            let frames = frames.max(100);
            let model = format!("emulator-fault:bulk:chunks={frames}:size={size}");
            let mut runs = Vec::new();
            for _ in 0..3 {
                let args = [
                    "stream".to_string(),
                    bench.url.clone(),
                    model.clone(),
                    "1".into(),
                    "1".into(),
                ];
                if let Some(out) = run_peer(cmd, &args) {
                    runs.push(out);
                }
            }
            if runs.is_empty() {
                continue;
            }
            let col = |k: &str| -> Vec<f64> { runs.iter().map(|o| peer_kv(o, k)).collect() };
            let ev: Vec<f64> = runs
                .iter()
                .map(|o| peer_kv(o, "events=") / peer_kv(o, "secs="))
                .collect();
            let ev = median(ev);
            let secs = median(col("secs="));
            let cpu_per_m = median(
                runs.iter()
                    .map(|o| peer_kv(o, "cpu_s=") / peer_kv(o, "events=") * 1e6)
                    .collect(),
            );
            let rss = median(col("vmhwm_kib=")) / 1024.0;
            let mb = (frames * size as u64) as f64 / secs / 1e6;
            let o = find(&format!("{wl} / rust iterator +json"));
            // The SDK peer says which tokio runtime it ran on (see bench-peers/src/main.rs).
            let runtime = runs[0]
                .split_whitespace()
                .find_map(|p| p.strip_prefix("runtime="))
                .map_or(String::new(), |r| format!(", {r} runtime"));
            println!(
                "| {name} | {wl} ({frames} × {size} B{runtime}) | {ev:.0} | {mb:.0} | {cpu_per_m:.3} | {rss:.1} | {:.1}x |",
                o / ev
            );
            bench.emu.clear_requests();
        }
        let mut rps = Vec::new();
        for _ in 0..3 {
            let args = [
                "requests".to_string(),
                bench.url.clone(),
                "emulator-fault:bulk:chunks=1:size=200".into(),
                "2".into(),
            ];
            if let Some(out) = run_peer(cmd, &args) {
                rps.push(peer_kv(&out, "requests=") / peer_kv(&out, "secs="));
            }
        }
        if !rps.is_empty() {
            let r = median(rps);
            println!(
                "| {name} | requests/s (one-chunk) | {r:.0} req/s | | | | {:.1}x |",
                ours_rps / r
            );
        }
        bench.emu.clear_requests();
    }
}

fn main() {
    if let Ok(spec) = std::env::var(RSS_CHILD) {
        rss_child(&spec);
        return;
    }
    if let Ok(spec) = std::env::var(RSS256_CHILD) {
        rss256_child(&spec);
        return;
    }
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this without `--bench`: a tiny smoke pass.
    let smoke = !args.iter().any(|a| a == "--bench");
    let s = if smoke { 0.002 } else { scale() };
    let emu = Emulator::builder()
        .max_connections(2048)
        .max_clock_skew(Duration::from_secs(24 * 3600))
        .start()
        .expect("emulator");
    let url = emu.endpoint_url();
    let mut bench = Bench {
        client: client_for(&url, 1),
        c: CClient::new(&url),
        raw: Raw::connect(&emu),
        url,
        emu,
        rounds: if smoke { 1 } else { 5 },
    };
    println!(
        "# loopback bench: {} CPUs, BENCH_SCALE={s}",
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut ours = Vec::new();
    for w in [
        Workload {
            name: "tokens",
            frames: ((1_000_000.0 * s) as u64).max(10),
            size: 200,
        },
        Workload {
            name: "64k",
            frames: ((3000.0 * s) as u64).max(10),
            size: 65536,
        },
    ] {
        if enabled(w.name) {
            bench.streams(&w, &mut ours);
        }
    }
    let rps = if enabled("requests") {
        bench.requests(if smoke { 0.05 } else { 2.0 }).0
    } else {
        f64::NAN
    };
    if enabled("concurrent") {
        println!("\n## Concurrent streams on one shared client (one thread per stream; 200-byte frames; +json), median of {} rounds", bench.rounds.min(3));
        println!("| streams | frames each | events/s | MB/s | raw clients (floor +json) events/s | vs raw |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for n in [64, 256] {
            bench.concurrent(n, ((1_000_000.0 * s) as u64).max(n as u64));
        }
    }
    if enabled("rss") {
        println!("\n## Peak RSS of a child process streaming one response (VmHWM after vs before the stream; budget 8 MiB + one frame)");
        println!("| API | stream | size | baseline MiB | peak MiB (whole process) | growth MiB | within budget | at the end: anonymous / file-backed MiB |");
        println!("|---|---|---:|---:|---:|---:|---|---:|");
        let gib = if smoke { 1 << 20 } else { 1u64 << 30 };
        for (api, size) in [
            ("rust", 65536usize),
            ("rust", 256),
            ("C", 65536),
            ("C", 256),
        ] {
            let frames = gib.div_ceil(size as u64) + if size > 1024 { 64 } else { 0 };
            rss(&bench, api, frames, size);
        }
    }
    if enabled("rss") {
        if let Ok(programs) = std::env::var("BENCH_RSS_PROGRAMS") {
            let gib = if smoke { 1 << 20 } else { 1u64 << 30 };
            rss_programs(&bench, &programs, gib);
        }
    }
    if enabled("converse") {
        converse(&bench, ((1_000_000.0 * s) as u64).max(10));
    }
    if enabled("rss256") {
        println!("\n## 256 streams on one client: whole-process peak RSS (VmHWM), 200-byte frames, +json");
        println!(
            "| client | streams | frames each | peak RSS MiB | RSS at the end MiB | ours / SDK |"
        );
        println!("|---|---:|---:|---:|---|---:|");
        rss256(
            &bench,
            if smoke { 4 } else { 256 },
            ((2000.0 * s) as u64).max(10),
        );
    }
    if !smoke && enabled("peers") {
        peers(&bench, &ours, rps);
    }
    println!(
        "\nprocess CPU (all threads, emulator included): {:.1} s",
        rusage(libc::RUSAGE_SELF)
    );
}
