//! The C ABI driven from Rust: the exported functions are declared here exactly as C sees
//! them (`include/bedrock_stream.h`) and called directly, against a loopback HTTP server that
//! plays recorded Bedrock responses (built with the crate's public event-stream encoder).
//!
//! Also reads `src/ffi/` to check that every export runs inside the panic boundary.

extern crate bedrock_stream;

use std::ffi::{c_char, c_void, CStr};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::ptr::{null, null_mut};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

#[allow(dead_code, reason = "only the shared C API declarations are used here")]
mod common;
mod read_barrier;
use common::capi::*;

use base64::Engine as _;
use bedrock_stream::eventstream::{Header, Message};

// ---------------------------------------------------------------------------------------------
// The C API, as declared in include/bedrock_stream.h
// ---------------------------------------------------------------------------------------------

#[repr(C)]
struct Stream {
    _p: [u8; 0],
}
#[repr(C)]
struct Event {
    _p: [u8; 0],
}

impl Bytes {}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    has_input_tokens: bool,
    input_tokens: u64,
    has_output_tokens: bool,
    output_tokens: u64,
    has_cache_read_input_tokens: bool,
    cache_read_input_tokens: u64,
    has_cache_write_input_tokens: bool,
    cache_write_input_tokens: u64,
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Metrics {
    has_input_token_count: bool,
    input_token_count: u64,
    has_output_token_count: bool,
    output_token_count: u64,
    has_invocation_latency_ms: bool,
    invocation_latency_ms: u64,
    has_first_byte_latency_ms: bool,
    first_byte_latency_ms: u64,
    has_cache_read_input_token_count: bool,
    cache_read_input_token_count: u64,
    has_cache_write_input_token_count: bool,
    cache_write_input_token_count: u64,
}

type EventCb = Option<unsafe extern "C-unwind" fn(*mut c_void, *const Event) -> i32>;

const PANIC: Status = 4;
const UNEXPECTED_CONTENT_TYPE: Status = 30;
const TIMEOUT: Status = 41;
const CONFIG: Status = 51;

const KIND_NONE: i32 = 0;
const KIND_CHUNK: i32 = 1;
const KIND_UNKNOWN: i32 = 2;

extern "C" {
    fn bedrock_stream_status_str(status: i32) -> *const c_char;
    fn bedrock_stream_version() -> *const c_char;
    fn bedrock_stream_version_number() -> u32;

    fn bedrock_stream_config_set_proxy(
        config: *mut Config,
        url: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_config_set_max_attempts(
        config: *mut Config,
        attempts: u32,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_config_set_read_idle_timeout_ms(
        config: *mut Config,
        ms: u64,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_config_set_ca_bundle_file(
        config: *mut Config,
        path: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_config_set_ca_bundle_pem(
        config: *mut Config,
        pem: *const u8,
        len: usize,
        err_out: *mut *mut Error,
    ) -> Status;

    fn bedrock_stream_client_invoke(
        client: *const Client,
        request: *const Request,
        callback: EventCb,
        user_data: *mut c_void,
        cancel: *const Cancel,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_client_open(
        client: *const Client,
        request: *const Request,
        cancel: *const Cancel,
        stream_out: *mut *mut Stream,
        err_out: *mut *mut Error,
    ) -> Status;

    fn bedrock_stream_request_set_trace(
        request: *mut Request,
        trace: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_request_set_service_tier(
        request: *mut Request,
        tier: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_request_set_guardrail_identifier(
        request: *mut Request,
        identifier: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_request_set_guardrail_version(
        request: *mut Request,
        version: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_request_set_model_family(
        request: *mut Request,
        family: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_request_set_content_type(
        request: *mut Request,
        content_type: *const c_char,
        err_out: *mut *mut Error,
    ) -> Status;

    fn bedrock_stream_stream_next(
        stream: *mut Stream,
        event_out: *mut *const Event,
        err_out: *mut *mut Error,
    ) -> Status;
    fn bedrock_stream_stream_free(stream: *mut Stream);
    fn bedrock_stream_stream_request_id(stream: *const Stream) -> *const c_char;
    fn bedrock_stream_stream_content_type(stream: *const Stream) -> *const c_char;
    fn bedrock_stream_stream_events_delivered(stream: *const Stream) -> u64;

    fn bedrock_stream_event_kind_of(event: *const Event) -> i32;
    fn bedrock_stream_event_payload(event: *const Event) -> Bytes;
    fn bedrock_stream_event_type(event: *const Event) -> *const c_char;
    fn bedrock_stream_event_text(event: *const Event) -> Bytes;
    fn bedrock_stream_event_stop_reason(event: *const Event) -> *const c_char;
    fn bedrock_stream_event_usage(event: *const Event, usage_out: *mut Usage) -> bool;
    fn bedrock_stream_event_metrics(event: *const Event, metrics_out: *mut Metrics) -> bool;

    fn bedrock_stream_cancel_is_cancelled(cancel: *const Cancel) -> bool;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn new_config(endpoint: &str) -> *mut Config {
    let mut config: *mut Config = null_mut();
    // SAFETY: valid out-pointers; strings live across the calls.
    unsafe {
        ok(|e| bedrock_stream_config_new(&mut config, e));
        ok(|e| bedrock_stream_config_set_region(config, c("us-east-1").as_ptr(), e));
        ok(|e| bedrock_stream_config_set_endpoint_url(config, c(endpoint).as_ptr(), e));
        ok(|e| {
            bedrock_stream_config_set_credentials(
                config,
                c("AKIDTEST").as_ptr(),
                c("secret").as_ptr(),
                null(),
                e,
            )
        });
        ok(|e| bedrock_stream_config_set_no_proxy(config, true, e));
        ok(|e| bedrock_stream_config_set_max_attempts(config, 1, e));
    }
    config
}

fn new_client(endpoint: &str) -> *mut Client {
    let config = new_config(endpoint);
    let mut client: *mut Client = null_mut();
    // SAFETY: live config, valid out-pointer.
    unsafe {
        ok(|e| bedrock_stream_client_new(config, &mut client, e));
        bedrock_stream_config_free(config);
    }
    assert!(!client.is_null());
    client
}

const CLAUDE: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn new_request(model: &str) -> *mut Request {
    let body = br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[]}"#;
    let mut request: *mut Request = null_mut();
    // SAFETY: valid pointers.
    unsafe {
        ok(|e| {
            bedrock_stream_request_new(
                c(model).as_ptr(),
                body.as_ptr(),
                body.len(),
                &mut request,
                e,
            )
        })
    };
    request
}

// ---- event-stream frames ----

fn chunk(json: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(json);
    Message::new(
        vec![
            Header::new(":message-type", "event"),
            Header::new(":event-type", "chunk"),
            Header::new(":content-type", "application/json"),
        ],
        format!(r#"{{"bytes":"{b64}","p":"abcdef"}}"#).into_bytes(),
    )
    .encode()
    .unwrap()
}

fn exception(kind: &str, json: &str) -> Vec<u8> {
    Message::new(
        vec![
            Header::new(":message-type", "exception"),
            Header::new(":exception-type", kind),
            Header::new(":content-type", "application/json"),
        ],
        json.as_bytes().to_vec(),
    )
    .encode()
    .unwrap()
}

fn unknown_event(kind: &str, payload: &[u8]) -> Vec<u8> {
    Message::new(
        vec![
            Header::new(":message-type", "event"),
            Header::new(":event-type", kind),
        ],
        payload.to_vec(),
    )
    .encode()
    .unwrap()
}

/// A Claude stream: "Hello", " world", stop reason, metrics.
fn claude_stream() -> Vec<u8> {
    [
        chunk(r#"{"type":"message_start","message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#),
        chunk(r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#),
        chunk(r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" w\u00f6rld"}}"#),
        chunk(r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"#),
        chunk(r#"{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":12,"outputTokenCount":5,"invocationLatency":321,"firstByteLatency":45}}"#),
    ]
    .concat()
}

// ---- loopback server ----

/// Reads one HTTP request; returns its head (lower-cased header names kept as sent).
fn read_request(stream: &mut TcpStream) -> String {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return head;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = v.trim().parse().unwrap();
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).unwrap();
    head
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut out = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    let _ = stream.write_all(&bytes);
    let _ = stream.flush();
}

const EVENTSTREAM: (&str, &str) = ("content-type", "application/vnd.amazon.eventstream");

fn respond_stream(stream: &mut TcpStream, frames: &[u8]) {
    respond(
        stream,
        "200 OK",
        &[
            EVENTSTREAM,
            ("x-amzn-requestid", "rid-test-1"),
            ("x-amzn-bedrock-content-type", "application/json"),
        ],
        frames,
    );
}

/// Sends `frames` in a chunked body and keeps the connection open until the client closes
/// it; returns once it did.
fn respond_and_hold(stream: &mut TcpStream, frames: &[u8]) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
                x-amzn-requestid: rid-hold\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut bytes = head.as_bytes().to_vec();
    bytes.extend_from_slice(format!("{:x}\r\n", frames.len()).as_bytes());
    bytes.extend_from_slice(frames);
    bytes.extend_from_slice(b"\r\n");
    stream.write_all(&bytes).unwrap();
    stream.flush().unwrap();
    let mut sink = [0u8; 64];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

type Handler = dyn Fn(usize, &mut TcpStream) + Send + Sync;

/// A server on 127.0.0.1:0 handling `connections` connections, each on its own thread, with
/// `handler(index, stream)` after the request was read. Returns the endpoint and a receiver
/// of the request heads.
fn server(connections: usize, handler: Box<Handler>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    let handler: std::sync::Arc<Handler> = handler.into();
    thread::spawn(move || {
        for i in 0..connections {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let tx = tx.clone();
            let handler = handler.clone();
            thread::spawn(move || {
                let head = read_request(&mut stream);
                let _ = tx.send(head);
                handler(i, &mut stream);
            });
        }
    });
    (endpoint, rx)
}

/// What the push callback saw.
#[derive(Default)]
struct Seen {
    kinds: Vec<i32>,
    types: Vec<String>,
    payloads: Vec<Vec<u8>>,
    text: String,
    stop_reasons: Vec<String>,
    usage: Vec<Usage>,
    metrics: Vec<Metrics>,
    stop_after: Option<usize>,
    panic_after: Option<usize>,
}

impl Seen {
    /// Record one event through the accessors.
    fn record(&mut self, event: *const Event) {
        // SAFETY: `event` is lent by the library for this call.
        unsafe {
            self.kinds.push(bedrock_stream_event_kind_of(event));
            self.types
                .push(text(bedrock_stream_event_type(event)).unwrap());
            self.payloads
                .push(bedrock_stream_event_payload(event).to_vec());
            self.text
                .push_str(std::str::from_utf8(&bedrock_stream_event_text(event).to_vec()).unwrap());
            if let Some(r) = text(bedrock_stream_event_stop_reason(event)) {
                self.stop_reasons.push(r);
            }
            let mut u = Usage::default();
            if bedrock_stream_event_usage(event, &mut u) {
                self.usage.push(u);
            } else {
                assert_eq!(u, Usage::default(), "all has_ flags false without usage");
            }
            let mut m = Metrics::default();
            if bedrock_stream_event_metrics(event, &mut m) {
                self.metrics.push(m);
            }
        }
    }
}

unsafe extern "C-unwind" fn on_event(user_data: *mut c_void, event: *const Event) -> i32 {
    // SAFETY: the tests pass a `&mut Seen` as user data.
    let seen = unsafe { &mut *user_data.cast::<Seen>() };
    seen.record(event);
    if seen.panic_after == Some(seen.kinds.len()) {
        panic!("a Rust callback panicked on purpose");
    }
    if seen.stop_after == Some(seen.kinds.len()) {
        return 7;
    }
    0
}

fn invoke(
    client: *const Client,
    request: *const Request,
    seen: &mut Seen,
) -> (Status, Option<Detail>) {
    let seen_ptr: *mut Seen = seen;
    // SAFETY: live handles; `seen` outlives the call.
    call(|e| unsafe {
        bedrock_stream_client_invoke(client, request, Some(on_event), seen_ptr.cast(), null(), e)
    })
}

fn check_claude(seen: &Seen) {
    assert_eq!(seen.kinds, vec![KIND_CHUNK; 5]);
    assert!(seen.types.iter().all(|t| t == "chunk"));
    assert_eq!(seen.text, "Hello w\u{f6}rld");
    assert_eq!(seen.stop_reasons, vec!["end_turn".to_string()]);
    assert!(
        std::str::from_utf8(&seen.payloads[1])
            .unwrap()
            .contains(r#""text":"Hello""#),
        "the payload is the decoded model document"
    );
    assert_eq!(
        seen.usage
            .first()
            .map(|u| (u.has_input_tokens, u.input_tokens)),
        Some((true, 12))
    );
    assert_eq!(seen.metrics.len(), 1);
    let m = seen.metrics[0];
    assert_eq!(
        (
            m.input_token_count,
            m.output_token_count,
            m.invocation_latency_ms,
            m.first_byte_latency_ms
        ),
        (12, 5, 321, 45)
    );
    assert!(m.has_input_token_count && m.has_output_token_count && m.has_first_byte_latency_ms);
    assert!(!m.has_cache_read_input_token_count);
}

// ---------------------------------------------------------------------------------------------
// Source checks
// ---------------------------------------------------------------------------------------------

fn ffi_sources() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/ffi");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// Index just past the `)` matching the `(` at `open`, skipping string literals.
fn matching_paren(src: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < src.len() {
        match src[i] {
            b'"' => {
                i += 1;
                while src[i] != b'"' {
                    if src[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced parentheses");
}

#[test]
fn every_export_runs_entirely_inside_the_panic_boundary() {
    let mut checked = 0;
    for (path, text) in ffi_sources() {
        let src = text.as_bytes();
        for (at, _) in text.match_indices("extern \"C\" fn ") {
            let name: String = text[at + 14..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let where_ = format!("{}: {name}", path.display());
            let before = text[..at].trim_end();
            assert!(
                before.ends_with("pub unsafe"),
                "{where_} must be `pub unsafe extern \"C\" fn`"
            );
            let attr_line = before[..before.len() - "pub unsafe".len()].trim_end();
            assert!(
                attr_line.ends_with("#[unsafe(no_mangle)]"),
                "{where_} must be #[unsafe(no_mangle)]"
            );
            // The body starts at the first `{` after the signature (signatures have none).
            let body = at + text[at..].find('{').unwrap() + 1;
            let rest = text[body..].trim_start();
            assert!(
                rest.starts_with("ffi_boundary!("),
                "{where_} does not start its body with ffi_boundary!"
            );
            let open = text.len() - rest.len() + "ffi_boundary!".len();
            let close = matching_paren(src, open);
            assert!(
                text[close..].trim_start().starts_with('}'),
                "{where_} has code after its ffi_boundary! (outside the panic boundary)"
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} exports found");
}

#[test]
fn ffi_code_never_unwraps() {
    for (path, text) in ffi_sources() {
        let code = text.split("#[cfg(test)]").next().unwrap();
        for bad in [".unwrap()", ".expect("] {
            assert!(
                !code.contains(bad),
                "{} uses {bad} outside tests: data from C must never panic",
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Version, status names
// ---------------------------------------------------------------------------------------------

#[test]
fn version_and_status_names() {
    // SAFETY: no arguments / any value allowed.
    unsafe {
        assert_eq!(
            text(bedrock_stream_version()).unwrap(),
            env!("CARGO_PKG_VERSION")
        );
        let parts: Vec<u32> = env!("CARGO_PKG_VERSION")
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            bedrock_stream_version_number(),
            (parts[0] << 16) | (parts[1] << 8) | parts[2]
        );
        for (status, name) in [
            (OK, "OK"),
            (NULL_ARGUMENT, "NULL_ARGUMENT"),
            (INVALID_UTF8, "INVALID_UTF8"),
            (ABORTED_BY_CALLBACK, "ABORTED_BY_CALLBACK"),
            (PANIC, "PANIC"),
            (THROTTLING, "THROTTLING"),
            (TRUNCATED, "TRUNCATED"),
            (CANCELLED, "CANCELLED"),
            (54, "INTERNAL"),
            (5, "UNKNOWN"),
            (-1, "UNKNOWN"),
            (i32::MAX, "UNKNOWN"),
        ] {
            assert_eq!(text(bedrock_stream_status_str(status)).unwrap(), name);
        }
        // The header's values are what the library returns.
        let header = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include/bedrock_stream.h"),
        )
        .unwrap();
        for line in header.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("BEDROCK_STREAM_STATUS_") {
                let (name, value) = rest.trim_end_matches(',').split_once(" = ").unwrap();
                let value: i32 = value.parse().unwrap();
                assert_eq!(text(bedrock_stream_status_str(value)).unwrap(), name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// NULL, UTF-8, invalid values, outputs
// ---------------------------------------------------------------------------------------------

#[test]
fn null_arguments_are_refused_and_name_the_argument() {
    let config = new_config("http://127.0.0.1:9");
    let client = new_client("http://127.0.0.1:9");
    let request = new_request(CLAUDE);
    // SAFETY: every pointer is NULL or live; the library must check the NULLs.
    unsafe {
        let d = fails(|e| bedrock_stream_config_new(null_mut(), e));
        assert_eq!(d.status, NULL_ARGUMENT);
        assert!(d.message.contains("config_out"), "{}", d.message);
        let d = fails(|e| bedrock_stream_config_set_region(null_mut(), c("x").as_ptr(), e));
        assert!(d.message.contains("`config`"), "{}", d.message);
        let d = fails(|e| bedrock_stream_config_set_region(config, null(), e));
        assert!(d.message.contains("`region`"), "{}", d.message);
        let d = fails(|e| {
            bedrock_stream_config_set_credentials(config, c("a").as_ptr(), null(), null(), e)
        });
        assert!(d.message.contains("secret_access_key"), "{}", d.message);
        let d = fails(|e| bedrock_stream_config_set_ca_bundle_pem(config, null(), 5, e));
        assert_eq!(d.status, NULL_ARGUMENT);
        let d = fails(|e| bedrock_stream_client_new(null(), &mut null_mut(), e));
        assert!(d.message.contains("`config`"), "{}", d.message);
        let d = fails(|e| bedrock_stream_client_new(config, null_mut(), e));
        assert!(d.message.contains("client_out"), "{}", d.message);
        let d = fails(|e| bedrock_stream_request_new(null(), null(), 0, &mut null_mut(), e));
        assert!(d.message.contains("model_id"), "{}", d.message);
        let d = fails(|e| {
            bedrock_stream_request_new(c(CLAUDE).as_ptr(), null(), 3, &mut null_mut(), e)
        });
        assert!(d.message.contains("`body`"), "{}", d.message);
        let d = fails(|e| bedrock_stream_request_set_trace(request, null(), e));
        assert!(d.message.contains("`trace`"), "{}", d.message);

        let mut seen = Seen::default();
        let seen_ptr: *mut c_void = (&mut seen as *mut Seen).cast();
        let d = fails(|e| {
            bedrock_stream_client_invoke(null(), request, Some(on_event), seen_ptr, null(), e)
        });
        assert!(d.message.contains("`client`"), "{}", d.message);
        let d = fails(|e| {
            bedrock_stream_client_invoke(client, null(), Some(on_event), seen_ptr, null(), e)
        });
        assert!(d.message.contains("`request`"), "{}", d.message);
        let d = fails(|e| bedrock_stream_client_invoke(client, request, None, seen_ptr, null(), e));
        assert!(d.message.contains("`callback`"), "{}", d.message);
        assert!(seen.kinds.is_empty());
        let d = fails(|e| bedrock_stream_client_open(client, request, null(), null_mut(), e));
        assert!(d.message.contains("stream_out"), "{}", d.message);
        let d = fails(|e| bedrock_stream_stream_next(null_mut(), &mut null(), e));
        assert!(d.message.contains("`stream`"), "{}", d.message);
        let d = fails(|e| bedrock_stream_cancel_new(null_mut(), e));
        assert_eq!(d.status, NULL_ARGUMENT);

        // err_out NULL: the status still says it all.
        assert_eq!(
            bedrock_stream_config_set_region(null_mut(), null(), null_mut()),
            NULL_ARGUMENT
        );
        assert_eq!(bedrock_stream_cancel_cancel(null()), NULL_ARGUMENT);

        // Accessors give NULL / 0 / false / empty.
        assert_eq!(bedrock_stream_error_status(null()), NULL_ARGUMENT);
        assert_eq!(
            bedrock_stream_error_message(null(), null_mut(), 0, null_mut()),
            NULL_ARGUMENT
        );
        assert!(bedrock_stream_error_request_id(null()).is_null());
        assert!(bedrock_stream_error_code(null()).is_null());
        assert!(bedrock_stream_error_timer(null()).is_null());
        assert_eq!(bedrock_stream_error_http_status(null()), 0);
        assert!(!bedrock_stream_error_retryable(null()));
        assert_eq!(bedrock_stream_event_kind_of(null()), KIND_NONE);
        assert!(bedrock_stream_event_type(null()).is_null());
        assert!(bedrock_stream_event_stop_reason(null()).is_null());
        let b = bedrock_stream_event_text(null());
        assert_eq!((b.data.is_null(), b.len), (false, 0));
        let b = bedrock_stream_event_payload(null());
        assert_eq!((b.data.is_null(), b.len), (false, 0));
        let mut u = Usage {
            has_input_tokens: true,
            ..Usage::default()
        };
        assert!(!bedrock_stream_event_usage(null(), &mut u));
        assert!(!u.has_input_tokens);
        assert!(!bedrock_stream_event_metrics(null(), null_mut()));
        assert!(bedrock_stream_stream_request_id(null()).is_null());
        assert!(bedrock_stream_stream_content_type(null()).is_null());
        assert_eq!(bedrock_stream_stream_events_delivered(null()), 0);
        assert!(!bedrock_stream_cancel_is_cancelled(null()));

        // _free(NULL) does nothing.
        bedrock_stream_config_free(null_mut());
        bedrock_stream_client_free(null_mut());
        bedrock_stream_request_free(null_mut());
        bedrock_stream_stream_free(null_mut());
        bedrock_stream_cancel_free(null_mut());
        bedrock_stream_error_free(null_mut());

        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
        bedrock_stream_config_free(config);
    }
}

#[test]
fn invalid_utf8_is_refused_and_names_the_argument() {
    let config = new_config("http://127.0.0.1:9");
    let request = new_request(CLAUDE);
    let bad = b"us-\xffeast-1\0";
    // SAFETY: NUL-terminated byte strings; live handles.
    unsafe {
        let d = fails(|e| bedrock_stream_config_set_region(config, bad.as_ptr().cast(), e));
        assert_eq!(d.status, INVALID_UTF8);
        assert!(
            d.message.contains("`region`") && d.message.contains("offset 3"),
            "{}",
            d.message
        );
        let d = fails(|e| {
            bedrock_stream_request_new(bad.as_ptr().cast(), null(), 0, &mut null_mut(), e)
        });
        assert_eq!(d.status, INVALID_UTF8);
        let d = fails(|e| bedrock_stream_request_set_content_type(request, bad.as_ptr().cast(), e));
        assert_eq!(d.status, INVALID_UTF8);
        let d = fails(|e| {
            bedrock_stream_config_set_credentials(
                config,
                c("a").as_ptr(),
                c("b").as_ptr(),
                bad.as_ptr().cast(),
                e,
            )
        });
        assert!(d.message.contains("session_token"), "{}", d.message);
        bedrock_stream_request_free(request);
        bedrock_stream_config_free(config);
    }
}

#[test]
fn enumerated_values_are_checked_by_the_rust_parsers() {
    let request = new_request(CLAUDE);
    // SAFETY: live request, NUL-terminated strings.
    unsafe {
        ok(|e| bedrock_stream_request_set_trace(request, c("ENABLED_FULL").as_ptr(), e));
        let d = fails(|e| bedrock_stream_request_set_trace(request, c("enable").as_ptr(), e));
        assert_eq!(d.status, INVALID_INPUT);
        assert!(
            d.message.contains("ENABLED, DISABLED, ENABLED_FULL"),
            "{}",
            d.message
        );
        ok(|e| bedrock_stream_request_set_service_tier(request, c("flex").as_ptr(), e));
        let d = fails(|e| bedrock_stream_request_set_service_tier(request, c("gold").as_ptr(), e));
        assert_eq!(d.status, INVALID_INPUT);
        ok(|e| {
            bedrock_stream_request_set_performance_config_latency(
                request,
                c("optimized").as_ptr(),
                e,
            )
        });
        let d = fails(|e| {
            bedrock_stream_request_set_performance_config_latency(request, c("fast").as_ptr(), e)
        });
        assert_eq!(d.status, INVALID_INPUT);
        ok(|e| bedrock_stream_request_set_model_family(request, c("meta-llama").as_ptr(), e));
        let d = fails(|e| bedrock_stream_request_set_model_family(request, c("llama").as_ptr(), e));
        assert_eq!(d.status, INVALID_INPUT);
        // The model id is checked at once.
        let d =
            fails(|e| bedrock_stream_request_new(c("").as_ptr(), null(), 0, &mut null_mut(), e));
        assert_eq!(d.status, INVALID_INPUT);
        let d = fails(|e| {
            bedrock_stream_request_new(c("model\nid").as_ptr(), null(), 0, &mut null_mut(), e)
        });
        assert_eq!(d.status, INVALID_INPUT);
        bedrock_stream_request_free(request);
    }
}

#[test]
fn out_parameters_are_untouched_on_failure() {
    let sentinel = 0x5A5A_usize as *mut Client;
    let mut client = sentinel;
    let config = new_config("not a url");
    // SAFETY: live config, valid out-pointer.
    unsafe {
        let d = fails(|e| bedrock_stream_client_new(config, &mut client, e));
        assert_eq!(d.status, CONFIG);
        assert_eq!(client, sentinel);
        let mut request = 0x77_usize as *mut Request;
        let _ = fails(|e| bedrock_stream_request_new(c("").as_ptr(), null(), 0, &mut request, e));
        assert_eq!(request as usize, 0x77);
        bedrock_stream_config_free(config);
    }
}

#[test]
fn configuration_errors_surface_with_the_config_status() {
    // SAFETY: live handles, NUL-terminated strings.
    unsafe {
        let config = new_config("http://127.0.0.1:9");
        let d = fails(|e| {
            bedrock_stream_config_set_ca_bundle_file(config, c("/nonexistent/ca.pem").as_ptr(), e)
        });
        assert_eq!(d.status, CONFIG);
        assert!(d.message.contains("/nonexistent/ca.pem"), "{}", d.message);
        let junk = b"not a certificate";
        ok(|e| bedrock_stream_config_set_ca_bundle_pem(config, junk.as_ptr(), junk.len(), e));
        let d = fails(|e| bedrock_stream_client_new(config, &mut null_mut(), e));
        assert_eq!(d.status, CONFIG);
        assert!(d.message.contains("CA bundle"), "{}", d.message);
        bedrock_stream_config_free(config);

        let config = new_config("http://127.0.0.1:9");
        ok(|e| bedrock_stream_config_set_no_proxy(config, false, e));
        ok(|e| bedrock_stream_config_set_proxy(config, c("::not a proxy::").as_ptr(), e));
        let d = fails(|e| bedrock_stream_client_new(config, &mut null_mut(), e));
        assert_eq!(d.status, CONFIG);
        bedrock_stream_config_free(config);
    }
}

#[test]
fn error_message_copies_like_snprintf() {
    let mut err: *mut Error = null_mut();
    // SAFETY: valid pointers; the error is freed at the end.
    unsafe {
        let bad = "é\0";
        assert_eq!(
            bedrock_stream_config_set_region(null_mut(), bad.as_ptr().cast(), &mut err),
            NULL_ARGUMENT
        );
        let full = take_error_message(err);
        let mut n = 0usize;
        // Too small: cut, NUL-terminated, full length reported.
        let mut buf = [0x41u8; 8];
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), 8, &mut n),
            OK
        );
        assert_eq!(n, full.len());
        assert_eq!(&buf[..7], &full.as_bytes()[..7]);
        assert_eq!(buf[7], 0);
        // len 1: only the NUL.
        let mut one = [0x41u8; 1];
        assert_eq!(
            bedrock_stream_error_message(err, one.as_mut_ptr().cast(), 1, null_mut()),
            OK
        );
        assert_eq!(one[0], 0);
        // NULL buffer with a length is refused.
        assert_eq!(
            bedrock_stream_error_message(err, null_mut(), 4, &mut n),
            NULL_ARGUMENT
        );
        bedrock_stream_error_free(err);

        // A cut never splits a UTF-8 character: "the argument `é` ..." is not what we get, so
        // build an error whose message has a multi-byte character at the cut.
        let mut err: *mut Error = null_mut();
        let request = new_request(CLAUDE);
        assert_eq!(
            bedrock_stream_request_set_trace(request, c("ééééé").as_ptr(), &mut err),
            INVALID_INPUT
        );
        let full = take_error_message(err);
        let first = full.find('é').unwrap();
        let mut buf = vec![0u8; first + 2]; // room for `first` bytes + 1 byte of 'é' + NUL
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), buf.len(), &mut n),
            OK
        );
        let copied = CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap();
        assert_eq!(copied, &full[..first]);
        bedrock_stream_error_free(err);
        bedrock_stream_request_free(request);
    }
}

fn take_error_message(err: *const Error) -> String {
    let mut n = 0usize;
    // SAFETY: live error.
    unsafe {
        assert_eq!(bedrock_stream_error_message(err, null_mut(), 0, &mut n), OK);
        let mut buf = vec![0u8; n + 1];
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), n + 1, null_mut()),
            OK
        );
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Streams against the loopback server
// ---------------------------------------------------------------------------------------------

#[test]
fn push_api_delivers_payloads_text_stop_reason_usage_and_metrics() {
    let frames = claude_stream();
    let (endpoint, heads) = server(1, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    // SAFETY: live request; NUL-terminated strings.
    unsafe {
        ok(|e| bedrock_stream_request_set_trace(request, c("ENABLED").as_ptr(), e));
        ok(|e| bedrock_stream_request_set_guardrail_identifier(request, c("gr-1").as_ptr(), e));
        ok(|e| bedrock_stream_request_set_guardrail_version(request, c("DRAFT").as_ptr(), e));
    }
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, OK, "{d:?}");
    check_claude(&seen);
    let head = heads.recv().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with(
            "post /model/anthropic.claude-3-haiku-20240307-v1%3a0/invoke-with-response-stream "
        ),
        "{head}"
    );
    assert!(head.contains("x-amzn-bedrock-trace: enabled\r\n"), "{head}");
    assert!(
        head.contains("x-amzn-bedrock-guardrailidentifier: gr-1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("authorization: aws4-hmac-sha256 credential=akidtest/"),
        "{head}"
    );
    // SAFETY: owned handles, freed once.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

/// Read a whole stream with the pull API into a `Seen`.
fn pull_all(stream: *mut Stream, seen: &mut Seen) -> (Status, Option<Detail>) {
    loop {
        let mut event: *const Event = null();
        // SAFETY: live stream, valid out-pointer.
        let (status, d) = call(|e| unsafe { bedrock_stream_stream_next(stream, &mut event, e) });
        if status != OK {
            return (status, d);
        }
        if event.is_null() {
            return (OK, None);
        }
        seen.record(event);
    }
}

#[test]
fn pull_api_delivers_the_same_and_ends_with_ok_and_null() {
    let frames = claude_stream();
    let (endpoint, _) = server(1, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut stream: *mut Stream = null_mut();
    // SAFETY: live handles, valid out-pointers.
    unsafe {
        ok(|e| bedrock_stream_client_open(client, request, null(), &mut stream, e));
        // The stream outlives its client and request.
        bedrock_stream_client_free(client);
        bedrock_stream_request_free(request);
        assert_eq!(
            text(bedrock_stream_stream_request_id(stream)).as_deref(),
            Some("rid-test-1")
        );
        assert_eq!(
            text(bedrock_stream_stream_content_type(stream)).as_deref(),
            Some("application/json")
        );
        let mut seen = Seen::default();
        assert_eq!(pull_all(stream, &mut seen).0, OK);
        check_claude(&seen);
        assert_eq!(bedrock_stream_stream_events_delivered(stream), 5);
        // The end is sticky.
        let mut event: *const Event = 0x10 as *const Event;
        ok(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert!(event.is_null());
        bedrock_stream_stream_free(stream);
    }
}

#[test]
fn unknown_events_are_delivered_not_dropped() {
    let frames = [
        unknown_event("futureEvent", b"\x00\x01raw"),
        chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}"#),
    ]
    .concat();
    let (endpoint, _) = server(1, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut seen = Seen::default();
    assert_eq!(invoke(client, request, &mut seen).0, OK);
    assert_eq!(seen.kinds, vec![KIND_UNKNOWN, KIND_CHUNK]);
    assert_eq!(
        seen.types,
        vec!["futureEvent".to_string(), "chunk".to_string()]
    );
    assert_eq!(seen.payloads[0], b"\x00\x01raw");
    assert_eq!(seen.text, "x");
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn a_callback_stop_closes_the_connection_and_reports_aborted_by_callback() {
    let frames = claude_stream();
    let (closed_tx, closed_rx) = mpsc::channel();
    let (endpoint, _) = server(
        1,
        Box::new(move |_, s| {
            respond_and_hold(s, &frames);
            let _ = closed_tx.send(());
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut seen = Seen {
        stop_after: Some(2),
        ..Seen::default()
    };
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, ABORTED_BY_CALLBACK);
    let d = d.unwrap();
    assert_eq!(d.events_delivered, 2);
    assert_eq!(d.request_id.as_deref(), Some("rid-hold"));
    assert!(d.message.contains("returned 7"), "{}", d.message);
    assert_eq!(seen.kinds.len(), 2);
    // The server sees the connection closed (it holds the body open otherwise).
    closed_rx.recv().unwrap();
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn a_panicking_rust_callback_becomes_the_panic_status() {
    let frames = claude_stream();
    let (endpoint, _) = server(2, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut seen = Seen {
        panic_after: Some(1),
        ..Seen::default()
    };
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, PANIC);
    let d = d.unwrap();
    assert!(
        d.message.contains("a Rust callback panicked on purpose"),
        "{}",
        d.message
    );
    assert_eq!(seen.kinds.len(), 1);
    // The process and the client carry on.
    let mut seen = Seen::default();
    assert_eq!(invoke(client, request, &mut seen).0, OK);
    check_claude(&seen);
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn a_mid_stream_exception_carries_its_fields_and_stays_failed() {
    let frames = [
        chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}"#),
        chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"b"}}"#),
        exception(
            "modelStreamErrorException",
            r#"{"message":"model broke","originalStatusCode":503,"originalMessage":"upstream down"}"#,
        ),
    ]
    .concat();
    let (endpoint, _) = server(2, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);

    // Push.
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, MODEL_STREAM_ERROR);
    let d = d.unwrap();
    assert_eq!(seen.text, "ab");
    assert_eq!(d.events_delivered, 2);
    assert_eq!(d.http_status, 424);
    assert_eq!(d.code.as_deref(), Some("modelStreamErrorException"));
    assert_eq!(d.original_status_code, 503);
    assert_eq!(d.original_message.as_deref(), Some("upstream down"));
    assert_eq!(d.request_id.as_deref(), Some("rid-test-1"));
    assert!(d.retryable);
    assert!(d.message.contains("model broke"), "{}", d.message);

    // Pull: the failure comes from next, and stays.
    let mut stream: *mut Stream = null_mut();
    // SAFETY: live handles.
    unsafe {
        ok(|e| bedrock_stream_client_open(client, request, null(), &mut stream, e));
        let mut seen = Seen::default();
        let (status, d) = pull_all(stream, &mut seen);
        assert_eq!(status, MODEL_STREAM_ERROR);
        assert_eq!(d.unwrap().events_delivered, 2);
        let mut event: *const Event = 0x10 as *const Event;
        let d = fails(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert_eq!(d.status, MODEL_STREAM_ERROR);
        assert_eq!(event as usize, 0x10, "event_out untouched on failure");
        bedrock_stream_stream_free(stream);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn http_errors_before_the_stream_carry_the_aws_fields() {
    let (endpoint, _) = server(
        3,
        Box::new(|i, s| match i {
            0 => respond(
                s,
                "403 Forbidden",
                &[
                    ("content-type", "application/json"),
                    ("x-amzn-errortype", "AccessDeniedException:http://internal/"),
                    ("x-amzn-requestid", "rid-403"),
                ],
                br#"{"message":"You don't have access to the model"}"#,
            ),
            1 => respond(
                s,
                "424 Failed Dependency",
                &[
                    ("content-type", "application/json"),
                    ("x-amzn-errortype", "ModelErrorException"),
                ],
                br#"{"message":"m","originalStatusCode":500,"resourceName":"arn:res"}"#,
            ),
            _ => respond(
                s,
                "200 OK",
                &[("content-type", "application/json")],
                br#"{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"}}"#,
            ),
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    let d = d.unwrap();
    assert_eq!(status, ACCESS_DENIED);
    assert_eq!(d.http_status, 403);
    assert_eq!(d.code.as_deref(), Some("AccessDeniedException"));
    assert_eq!(d.request_id.as_deref(), Some("rid-403"));
    assert!(!d.retryable);
    assert_eq!((d.events_delivered, d.attempts), (0, 1));
    assert!(d.message.contains("You don't have access"), "{}", d.message);

    let (status, d) = invoke(client, request, &mut seen);
    let d = d.unwrap();
    assert_eq!(status, 20, "MODEL_ERROR: {d:?}");
    assert_eq!(
        (d.original_status_code, d.resource_name.as_deref()),
        (500, Some("arn:res"))
    );

    let mut stream: *mut Stream = 0x20 as *mut Stream;
    // SAFETY: live handles.
    let d =
        fails(|e| unsafe { bedrock_stream_client_open(client, request, null(), &mut stream, e) });
    assert_eq!(d.status, UNEXPECTED_CONTENT_TYPE);
    assert!(
        d.message.contains("UnknownOperationException"),
        "{}",
        d.message
    );
    assert_eq!(stream as usize, 0x20);
    assert!(seen.kinds.is_empty());
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn a_truncated_body_is_an_error_not_a_clean_end() {
    let frames = claude_stream();
    let (endpoint, _) = server(
        1,
        Box::new(move |_, s| {
            // Declare the whole stream but send only part of the third frame, then close.
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
                 content-length: {}\r\n\r\n",
                frames.len()
            );
            let cut = frames.len() / 2;
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&frames[..cut]);
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, TRUNCATED, "{d:?}");
    assert_eq!(d.unwrap().events_delivered, seen.kinds.len() as u64);
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn cancel_from_another_thread_stops_a_blocked_stream() {
    let first = chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}"#);
    let (closed_tx, closed_rx) = mpsc::channel();
    let (endpoint, _) = server(
        1,
        Box::new(move |_, s| {
            respond_and_hold(s, &first);
            let _ = closed_tx.send(());
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut cancel: *mut Cancel = null_mut();
    let mut stream: *mut Stream = null_mut();
    // SAFETY: live handles; the cancel handle outlives the thread that uses it.
    unsafe {
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        ok(|e| bedrock_stream_client_open(client, request, cancel, &mut stream, e));
        let mut event: *const Event = null();
        ok(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert_eq!(bedrock_stream_event_kind_of(event), KIND_CHUNK);
        // The server sends nothing more: the next call blocks until the cancel, which lands
        // while the read is blocked (barrier) and must end it within the bound.
        let cancel_addr = cancel as usize;
        let reader = read_barrier::thread_id();
        let canceller = thread::spawn(move || {
            read_barrier::wait_blocked_in_read(reader);
            let rc = bedrock_stream_cancel_cancel(cancel_addr as *const Cancel);
            (rc, Instant::now())
        });
        let d = fails(|e| bedrock_stream_stream_next(stream, &mut event, e));
        let returned = Instant::now();
        assert_eq!(d.status, CANCELLED);
        assert_eq!(d.events_delivered, 1);
        assert!(!d.retryable);
        let (rc, cancelled_at) = canceller.join().unwrap();
        assert_eq!(rc, OK);
        assert!(returned.saturating_duration_since(cancelled_at) < Duration::from_secs(2));
        assert!(bedrock_stream_cancel_is_cancelled(cancel));
        closed_rx.recv().unwrap();

        // A handle serves one call.
        let d = fails(|e| bedrock_stream_client_open(client, request, cancel, &mut null_mut(), e));
        assert_eq!(d.status, INVALID_INPUT);
        bedrock_stream_stream_free(stream);
        bedrock_stream_cancel_free(cancel);

        // Cancelled before the call starts: nothing is sent.
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        assert_eq!(bedrock_stream_cancel_cancel(cancel), OK);
        let mut seen = Seen::default();
        let seen_ptr: *mut c_void = (&mut seen as *mut Seen).cast();
        let d = fails(|e| {
            bedrock_stream_client_invoke(client, request, Some(on_event), seen_ptr, cancel, e)
        });
        assert_eq!(d.status, CANCELLED);
        assert_eq!(d.attempts, 0);
        bedrock_stream_cancel_free(cancel);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

/// What `cancel_on_first` sees and does.
struct CancelOnFirst {
    cancel: *const Cancel,
    from_another_thread: bool,
    calls: usize,
}

/// Cancels the call at its first event (here or from another thread, joined before
/// returning) and asks for more: no further event may come.
unsafe extern "C-unwind" fn cancel_on_first(user_data: *mut c_void, _event: *const Event) -> i32 {
    // SAFETY: the test passes a `&mut CancelOnFirst` as user data.
    let me = unsafe { &mut *user_data.cast::<CancelOnFirst>() };
    me.calls += 1;
    if me.calls == 1 {
        let cancel = me.cancel as usize;
        // SAFETY: the handle outlives the call.
        let cancel_now = move || unsafe { bedrock_stream_cancel_cancel(cancel as *const Cancel) };
        let rc = if me.from_another_thread {
            thread::spawn(cancel_now).join().unwrap()
        } else {
            cancel_now()
        };
        assert_eq!(rc, OK);
    }
    0
}

/// Issue 10: the server writes many frames at once; once `bedrock_stream_cancel_cancel`
/// returned (from the callback, from another thread, between two pulls) no further event is
/// delivered, from the push and the pull API.
#[test]
fn no_event_is_delivered_after_cancel_push_and_pull() {
    let frames: Vec<u8> = (0..500)
        .flat_map(|i| {
            chunk(&format!(
                r#"{{"type":"content_block_delta","delta":{{"type":"text_delta","text":"{i} "}}}}"#
            ))
        })
        .collect();
    let (endpoint, _) = server(3, Box::new(move |_, s| respond_and_hold(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    // SAFETY: live handles; the cancel handles outlive their calls.
    unsafe {
        for from_another_thread in [false, true] {
            let mut cancel: *mut Cancel = null_mut();
            ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
            let mut me = CancelOnFirst {
                cancel,
                from_another_thread,
                calls: 0,
            };
            let me_ptr: *mut c_void = (&mut me as *mut CancelOnFirst).cast();
            let d = fails(|e| {
                bedrock_stream_client_invoke(
                    client,
                    request,
                    Some(cancel_on_first),
                    me_ptr,
                    cancel,
                    e,
                )
            });
            assert_eq!(d.status, CANCELLED);
            assert_eq!((me.calls, d.events_delivered), (1, 1));
            bedrock_stream_cancel_free(cancel);
        }

        let mut cancel: *mut Cancel = null_mut();
        let mut stream: *mut Stream = null_mut();
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        ok(|e| bedrock_stream_client_open(client, request, cancel, &mut stream, e));
        let mut event: *const Event = null();
        ok(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert!(!event.is_null());
        let cancel_addr = cancel as usize;
        let rc = thread::spawn(move || bedrock_stream_cancel_cancel(cancel_addr as *const Cancel))
            .join()
            .unwrap();
        assert_eq!(rc, OK);
        let d = fails(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert_eq!(d.status, CANCELLED);
        assert_eq!(d.events_delivered, 1);
        assert_eq!(bedrock_stream_stream_events_delivered(stream), 1);
        bedrock_stream_stream_free(stream);
        bedrock_stream_cancel_free(cancel);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

/// Sleeps at the first event until `until` (past the call's deadline) and asks for more.
unsafe extern "C-unwind" fn sleep_on_first(user_data: *mut c_void, _event: *const Event) -> i32 {
    // SAFETY: the test passes a `&mut (Instant, usize)` as user data.
    let (until, calls) = unsafe { &mut *user_data.cast::<(Instant, usize)>() };
    *calls += 1;
    if *calls == 1 {
        thread::sleep(until.saturating_duration_since(Instant::now()));
    }
    0
}

/// Issue 10: the deadline passes while hundreds of events sit in the buffer (all frames came
/// in one write): no event is delivered after it, from the push and the pull API.
#[test]
fn no_event_is_delivered_after_the_deadline_push_and_pull() {
    extern "C" {
        fn bedrock_stream_config_set_deadline_ms(
            config: *mut Config,
            ms: u64,
            err_out: *mut *mut Error,
        ) -> Status;
    }
    const DEADLINE: Duration = Duration::from_secs(3);
    let frames: Vec<u8> = (0..500)
        .flat_map(|i| {
            chunk(&format!(
                r#"{{"type":"content_block_delta","delta":{{"type":"text_delta","text":"{i} "}}}}"#
            ))
        })
        .collect();
    let (endpoint, _) = server(2, Box::new(move |_, s| respond_and_hold(s, &frames)));
    let config = new_config(&endpoint);
    let mut client: *mut Client = null_mut();
    let request = new_request(CLAUDE);
    // SAFETY: live handles, valid out-pointers.
    unsafe {
        ok(|e| bedrock_stream_config_set_deadline_ms(config, DEADLINE.as_millis() as u64, e));
        ok(|e| bedrock_stream_client_new(config, &mut client, e));
        bedrock_stream_config_free(config);

        let mut me = (
            Instant::now() + DEADLINE + Duration::from_millis(50),
            0usize,
        );
        let me_ptr: *mut c_void = (&mut me as *mut (Instant, usize)).cast();
        let d = fails(|e| {
            bedrock_stream_client_invoke(client, request, Some(sleep_on_first), me_ptr, null(), e)
        });
        assert_eq!(d.status, TIMEOUT, "{d:?}");
        assert_eq!(d.timer.as_deref(), Some("deadline"));
        assert_eq!((me.1, d.events_delivered), (1, 1));

        let started = Instant::now();
        let mut stream: *mut Stream = null_mut();
        ok(|e| bedrock_stream_client_open(client, request, null(), &mut stream, e));
        let mut event: *const Event = null();
        ok(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert!(!event.is_null());
        thread::sleep((started + DEADLINE + Duration::from_millis(50)) - Instant::now());
        let d = fails(|e| bedrock_stream_stream_next(stream, &mut event, e));
        assert_eq!(d.status, TIMEOUT, "{d:?}");
        assert_eq!(d.timer.as_deref(), Some("deadline"));
        assert_eq!(d.events_delivered, 1);
        bedrock_stream_stream_free(stream);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn a_silent_stream_hits_the_read_idle_timer() {
    let first = chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}"#);
    let (endpoint, _) = server(1, Box::new(move |_, s| respond_and_hold(s, &first)));
    let config = new_config(&endpoint);
    let mut client: *mut Client = null_mut();
    // SAFETY: live handles.
    unsafe {
        ok(|e| bedrock_stream_config_set_read_idle_timeout_ms(config, 300, e));
        ok(|e| bedrock_stream_client_new(config, &mut client, e));
        bedrock_stream_config_free(config);
    }
    let request = new_request(CLAUDE);
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    let d = d.unwrap();
    assert_eq!(status, TIMEOUT, "{d:?}");
    assert_eq!(d.timer.as_deref(), Some("read-idle"));
    assert_eq!(d.events_delivered, 1);
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn one_client_serves_many_threads() {
    const THREADS: usize = 8;
    let frames = claude_stream();
    let (endpoint, _) = server(THREADS, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint) as usize;
    let request = new_request(CLAUDE) as usize;
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            thread::spawn(move || {
                let mut seen = Seen::default();
                let (status, d) = invoke(
                    client as *const Client,
                    request as *const Request,
                    &mut seen,
                );
                assert_eq!(status, OK, "{d:?}");
                seen.text
            })
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), "Hello w\u{f6}rld");
    }
    // SAFETY: owned handles, no call running any more.
    unsafe {
        bedrock_stream_request_free(request as *mut Request);
        bedrock_stream_client_free(client as *mut Client);
    }
}

/// User data of the re-entrant callback: the client and request to call again with.
struct Nested {
    client: *const Client,
    request: *const Request,
    outer_events: usize,
    inner: Option<(Status, String)>,
}

unsafe extern "C-unwind" fn on_event_nested(user_data: *mut c_void, _event: *const Event) -> i32 {
    // SAFETY: the test passes a `&mut Nested` as user data.
    let nested = unsafe { &mut *user_data.cast::<Nested>() };
    nested.outer_events += 1;
    if nested.inner.is_none() {
        let mut seen = Seen::default();
        let (status, _) = invoke(nested.client, nested.request, &mut seen);
        nested.inner = Some((status, seen.text));
    }
    0
}

#[test]
fn the_callback_may_start_another_call_on_the_same_client() {
    let frames = claude_stream();
    let (endpoint, _) = server(2, Box::new(move |_, s| respond_stream(s, &frames)));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let mut nested = Nested {
        client,
        request,
        outer_events: 0,
        inner: None,
    };
    let ptr: *mut c_void = (&mut nested as *mut Nested).cast();
    // SAFETY: live handles; `nested` outlives the call.
    ok(|e| unsafe {
        bedrock_stream_client_invoke(client, request, Some(on_event_nested), ptr, null(), e)
    });
    assert_eq!(nested.outer_events, 5);
    assert_eq!(nested.inner, Some((OK, "Hello w\u{f6}rld".to_string())));
    // SAFETY: owned handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 10: configuration and hostile input, from C
// ---------------------------------------------------------------------------------------------

#[test]
fn empty_settings_dot_model_ids_and_url_passwords_from_c() {
    // SAFETY: live handles, NUL-terminated strings.
    unsafe {
        // An empty region or endpoint URL is a configuration error, not "unset".
        for (region, endpoint) in [("", "http://127.0.0.1:9"), ("us-east-1", "")] {
            let config = new_config(endpoint);
            ok(|e| bedrock_stream_config_set_region(config, c(region).as_ptr(), e));
            let d = fails(|e| bedrock_stream_client_new(config, &mut null_mut(), e));
            assert_eq!(d.status, CONFIG, "{region:?} {endpoint:?}: {}", d.message);
            assert!(d.message.contains("empty"), "{}", d.message);
            bedrock_stream_config_free(config);
        }
        // `.` and `..` would be dot segments of the path.
        for id in [".", ".."] {
            let d = fails(|e| {
                bedrock_stream_request_new(c(id).as_ptr(), null(), 0, &mut null_mut(), e)
            });
            assert_eq!(d.status, INVALID_INPUT, "{id}");
            assert_eq!(d.attempts, 0);
        }
        // A password in a proxy or endpoint URL never reaches the message, whatever the form.
        for proxy in ["user:hunter2@bad host:1", "http://user:hunter2@[::1"] {
            let config = new_config("http://127.0.0.1:9");
            ok(|e| bedrock_stream_config_set_no_proxy(config, false, e));
            ok(|e| bedrock_stream_config_set_proxy(config, c(proxy).as_ptr(), e));
            let d = fails(|e| bedrock_stream_client_new(config, &mut null_mut(), e));
            assert_eq!(d.status, CONFIG);
            assert!(!d.message.contains("hunter2"), "{}", d.message);
            bedrock_stream_config_free(config);
        }
        let config = new_config("https://user:8080/hunter2@bedrock.example");
        let d = fails(|e| bedrock_stream_client_new(config, &mut null_mut(), e));
        assert_eq!(d.status, CONFIG);
        assert!(!d.message.contains("hunter2"), "{}", d.message);
        bedrock_stream_config_free(config);
    }
}

#[test]
fn enum_setters_ignore_ascii_case_and_send_the_wire_value() {
    let (endpoint, heads) = server(1, Box::new(|_, s| respond_stream(s, &claude_stream())));
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    // SAFETY: live request, NUL-terminated strings.
    unsafe {
        ok(|e| bedrock_stream_request_set_trace(request, c("enabled_full").as_ptr(), e));
        ok(|e| bedrock_stream_request_set_service_tier(request, c(" Flex ").as_ptr(), e));
        ok(|e| {
            bedrock_stream_request_set_performance_config_latency(
                request,
                c("OPTIMIZED").as_ptr(),
                e,
            )
        });
        ok(|e| bedrock_stream_request_set_model_family(request, c("Anthropic-Claude").as_ptr(), e));
    }
    let mut seen = Seen::default();
    let (status, d) = invoke(client, request, &mut seen);
    assert_eq!(status, OK, "{d:?}");
    check_claude(&seen);
    let head = heads.recv().unwrap().to_ascii_lowercase();
    let original = head.clone();
    for line in [
        "x-amzn-bedrock-trace: enabled_full",
        "x-amzn-bedrock-service-tier: flex",
        "x-amzn-bedrock-performanceconfig-latency: optimized",
    ] {
        assert!(head.contains(line), "{line} in\n{original}");
    }
    // SAFETY: live handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn model_stream_errors_agree_in_both_forms_and_original_status_codes_never_wrap() {
    let big = r#"{"message":"kept","originalStatusCode":1011380923018,"originalMessage":"o\u0000\r\nFORGED\u001b[31m"}"#;
    let frames = [
        chunk(r#"{"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}}"#),
        exception("modelStreamErrorException", big),
    ]
    .concat();
    let (endpoint, _) = server(
        2,
        Box::new(move |i, s| match i {
            0 => respond(
                s,
                "424 Failed Dependency",
                &[
                    ("content-type", "application/json"),
                    ("x-amzn-errortype", "ModelStreamErrorException"),
                ],
                big.as_bytes(),
            ),
            _ => respond_stream(s, &frames),
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    for form in ["HTTP 424", "in-stream exception"] {
        let mut seen = Seen::default();
        let (status, d) = invoke(client, request, &mut seen);
        let d = d.unwrap();
        assert_eq!(status, MODEL_STREAM_ERROR, "{form}: {d:?}");
        assert!(d.retryable, "{form}: the same answer in both forms");
        assert_eq!(d.original_status_code, 0, "{form}: not wrapped (absent)");
        assert!(d.message.contains("kept"), "{form}: {}", d.message);
        let original = d.original_message.unwrap();
        assert!(original.contains("FORGED"), "{form}: {original:?}");
        assert!(
            !original.chars().any(char::is_control),
            "{form}: {original:?}"
        );
        assert!(
            !d.message.chars().any(char::is_control),
            "{form}: {:?}",
            d.message
        );
    }
    // SAFETY: live handles.
    unsafe {
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}

/// The stream core's state machine seen from C (issue 11): after the end, a failure or a
/// cancel, every later `bedrock_stream_stream_next` answers the same, and a cancel after the
/// end changes nothing. The Rust side of the same rules is in tests/stream_core.rs.
#[test]
fn every_pull_after_the_end_a_failure_or_a_cancel_answers_the_same() {
    let frames = claude_stream();
    let cut = frames.clone();
    let (endpoint, _) = server(
        3,
        Box::new(move |i, s| match i {
            // A cut body: a failure, never a clean end.
            1 => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\n\
                     content-length: {}\r\n\r\n",
                    cut.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&cut[..cut.len() / 2]);
            }
            _ => respond_stream(s, &frames),
        }),
    );
    let client = new_client(&endpoint);
    let request = new_request(CLAUDE);
    let next = |stream: *mut Stream| {
        let mut event: *const Event = 0x10 as *const Event;
        // SAFETY: live stream, valid out-pointer.
        let r = call(|e| unsafe { bedrock_stream_stream_next(stream, &mut event, e) });
        (r, event)
    };
    // SAFETY: live handles, valid out-pointers.
    unsafe {
        // The end, then a cancel: still OK and NULL.
        let mut cancel: *mut Cancel = null_mut();
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        let mut stream: *mut Stream = null_mut();
        ok(|e| bedrock_stream_client_open(client, request, cancel, &mut stream, e));
        assert_eq!(pull_all(stream, &mut Seen::default()).0, OK);
        assert_eq!(bedrock_stream_cancel_cancel(cancel), OK);
        for _ in 0..3 {
            let ((status, _), event) = next(stream);
            assert_eq!(status, OK);
            assert!(event.is_null());
        }
        assert_eq!(bedrock_stream_stream_events_delivered(stream), 5);
        bedrock_stream_stream_free(stream);
        bedrock_stream_cancel_free(cancel);

        // A failure: its status on every later call, event_out untouched.
        ok(|e| bedrock_stream_client_open(client, request, null(), &mut stream, e));
        let (status, d) = pull_all(stream, &mut Seen::default());
        assert_eq!(status, TRUNCATED, "{d:?}");
        let delivered = d.unwrap().events_delivered;
        for _ in 0..3 {
            let ((status, d), event) = next(stream);
            let d = d.unwrap();
            assert_eq!((status, event as usize), (TRUNCATED, 0x10));
            assert!(d.message.contains("already failed"), "{}", d.message);
            assert_eq!(d.events_delivered, delivered);
        }
        bedrock_stream_stream_free(stream);

        // A cancel between two events: CANCELLED on every later call.
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        ok(|e| bedrock_stream_client_open(client, request, cancel, &mut stream, e));
        let ((status, _), event) = next(stream);
        assert_eq!(status, OK);
        assert_eq!(bedrock_stream_event_kind_of(event), KIND_CHUNK);
        assert_eq!(bedrock_stream_cancel_cancel(cancel), OK);
        for _ in 0..3 {
            let ((status, d), event) = next(stream);
            assert_eq!((status, event as usize), (CANCELLED, 0x10));
            assert_eq!(d.unwrap().events_delivered, 1);
        }
        bedrock_stream_stream_free(stream);
        // The handle served that call: a second one is refused, nothing sent.
        let d = fails(|e| bedrock_stream_client_open(client, request, cancel, &mut stream, e));
        assert_eq!(d.status, INVALID_INPUT);
        assert!(d.message.contains("already given"), "{}", d.message);
        assert_eq!(d.attempts, 0);
        bedrock_stream_cancel_free(cancel);
        bedrock_stream_request_free(request);
        bedrock_stream_client_free(client);
    }
}
