//! The checks of the `ffi` fuzz target, shared with the corpus replay in
//! `tests/fuzz_regressions.rs`: the exported `bedrock_stream_*` functions called the way a C
//! program could call them, with arbitrary argument bytes. No call reaches the network: clients
//! are built (from whatever the config says) and freed, never invoked.
//!
//! The input is a program: one opcode byte, then the opcode's arguments, repeated. A string
//! argument is a selector byte `s` (0 = NULL; else `s & 63` bytes follow, cut at the first NUL
//! since a C string cannot hold one: the bytes may be invalid UTF-8, or hold CR/LF and other
//! control characters); integers are little-endian from the following bytes (0 past the end).
//! The opcode's top bit passes `err_out = NULL`. The program works on one config, one request
//! and one cancel handle, which may be NULL (never created or freed), as the API allows.
//!
//! Checked after every call, besides "no crash, no leak, no memory error" (AddressSanitizer):
//! * no call returns `PANIC`, and every returned status has a name;
//! * `*err_out` is set exactly when the call fails, to an error whose status is the returned
//!   one, whose message reads back whole and cut at any length (never splitting a character,
//!   always NUL-terminated), and whose string accessors give NULL or UTF-8 text;
//! * NULL objects or strings give `NULL_ARGUMENT`, invalid UTF-8 gives `INVALID_UTF8`, and the
//!   enum setters accept exactly the documented values;
//! * the accessors of every object type accept NULL.
#![allow(clippy::missing_safety_doc)]

use std::ffi::{c_char, CStr, CString};
use std::ptr::{null, null_mut};

use bedrock_stream::extract::ModelFamily;

#[repr(C)]
pub struct Config {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Request {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Client {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Error {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Cancel {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Stream {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Event {
    _p: [u8; 0],
}
#[repr(C)]
pub struct Bytes {
    data: *const u8,
    len: usize,
}

type Status = i32;
type Err = *mut *mut Error;
const OK: Status = 0;
const NULL_ARGUMENT: Status = 1;
const INVALID_UTF8: Status = 2;
const PANIC: Status = 4;
const INVALID_INPUT: Status = 50;

/// Every status the header defines, with its name.
const STATUSES: [(i32, &str); 28] = [
    (0, "OK"),
    (1, "NULL_ARGUMENT"),
    (2, "INVALID_UTF8"),
    (3, "ABORTED_BY_CALLBACK"),
    (4, "PANIC"),
    (10, "ACCESS_DENIED"),
    (11, "RESOURCE_NOT_FOUND"),
    (12, "THROTTLING"),
    (13, "MODEL_TIMEOUT"),
    (14, "INTERNAL_SERVER"),
    (15, "SERVICE_UNAVAILABLE"),
    (16, "MODEL_STREAM_ERROR"),
    (17, "VALIDATION"),
    (18, "SERVICE_QUOTA_EXCEEDED"),
    (19, "MODEL_NOT_READY"),
    (20, "MODEL_ERROR"),
    (21, "UNMODELED_SERVICE"),
    (22, "STREAM_ERROR"),
    (30, "UNEXPECTED_CONTENT_TYPE"),
    (31, "PROTOCOL"),
    (32, "TRUNCATED"),
    (40, "TRANSPORT"),
    (41, "TIMEOUT"),
    (50, "INVALID_INPUT"),
    (51, "CONFIG"),
    (52, "CREDENTIALS"),
    (53, "CANCELLED"),
    (54, "INTERNAL"),
];

extern "C" {
    fn bedrock_stream_status_str(status: i32) -> *const c_char;
    fn bedrock_stream_version() -> *const c_char;
    fn bedrock_stream_version_number() -> u32;

    fn bedrock_stream_error_free(err: *mut Error);
    fn bedrock_stream_error_status(err: *const Error) -> Status;
    fn bedrock_stream_error_message(
        err: *const Error,
        buf: *mut c_char,
        len: usize,
        out_n: *mut usize,
    ) -> Status;
    fn bedrock_stream_error_http_status(err: *const Error) -> u16;
    fn bedrock_stream_error_request_id(err: *const Error) -> *const c_char;
    fn bedrock_stream_error_code(err: *const Error) -> *const c_char;
    fn bedrock_stream_error_retryable(err: *const Error) -> bool;
    fn bedrock_stream_error_events_delivered(err: *const Error) -> u64;
    fn bedrock_stream_error_attempts(err: *const Error) -> u32;
    fn bedrock_stream_error_original_status_code(err: *const Error) -> i32;
    fn bedrock_stream_error_original_message(err: *const Error) -> *const c_char;
    fn bedrock_stream_error_resource_name(err: *const Error) -> *const c_char;
    fn bedrock_stream_error_timer(err: *const Error) -> *const c_char;

    fn bedrock_stream_config_new(config_out: *mut *mut Config, err_out: Err) -> Status;
    fn bedrock_stream_config_free(config: *mut Config);
    fn bedrock_stream_config_set_region(c: *mut Config, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_config_set_endpoint_url(c: *mut Config, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_config_set_profile(c: *mut Config, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_config_set_bearer_token(c: *mut Config, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_config_set_proxy(c: *mut Config, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_config_set_user_agent_suffix(
        c: *mut Config,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_config_set_credentials(
        c: *mut Config,
        access_key_id: *const c_char,
        secret_access_key: *const c_char,
        session_token: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_config_set_ignore_env_bearer_token(c: *mut Config, b: bool, e: Err)
        -> Status;
    fn bedrock_stream_config_set_connect_timeout_ms(c: *mut Config, ms: u64, e: Err) -> Status;
    fn bedrock_stream_config_set_response_headers_timeout_ms(
        c: *mut Config,
        ms: u64,
        e: Err,
    ) -> Status;
    fn bedrock_stream_config_set_read_idle_timeout_ms(c: *mut Config, ms: u64, e: Err) -> Status;
    fn bedrock_stream_config_set_deadline_ms(c: *mut Config, ms: u64, e: Err) -> Status;
    fn bedrock_stream_config_set_max_attempts(c: *mut Config, n: u32, e: Err) -> Status;
    fn bedrock_stream_config_set_no_proxy(c: *mut Config, b: bool, e: Err) -> Status;
    fn bedrock_stream_config_set_use_fips(c: *mut Config, b: bool, e: Err) -> Status;
    fn bedrock_stream_config_set_use_dual_stack(c: *mut Config, b: bool, e: Err) -> Status;
    fn bedrock_stream_config_set_retry_backoff_ms(
        c: *mut Config,
        initial_ms: u64,
        max_ms: u64,
        e: Err,
    ) -> Status;
    fn bedrock_stream_config_set_ca_bundle_file(c: *mut Config, s: *const c_char, e: Err)
        -> Status;
    fn bedrock_stream_config_set_ca_bundle_pem(
        c: *mut Config,
        pem: *const u8,
        len: usize,
        e: Err,
    ) -> Status;

    fn bedrock_stream_client_new(config: *const Config, out: *mut *mut Client, e: Err) -> Status;
    fn bedrock_stream_client_free(client: *mut Client);

    fn bedrock_stream_cancel_new(out: *mut *mut Cancel, e: Err) -> Status;
    fn bedrock_stream_cancel_cancel(cancel: *const Cancel) -> Status;
    fn bedrock_stream_cancel_is_cancelled(cancel: *const Cancel) -> bool;
    fn bedrock_stream_cancel_free(cancel: *mut Cancel);

    fn bedrock_stream_request_new(
        model_id: *const c_char,
        body: *const u8,
        body_len: usize,
        out: *mut *mut Request,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_free(request: *mut Request);
    fn bedrock_stream_request_set_content_type(r: *mut Request, s: *const c_char, e: Err)
        -> Status;
    fn bedrock_stream_request_set_accept(r: *mut Request, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_request_set_trace(r: *mut Request, s: *const c_char, e: Err) -> Status;
    fn bedrock_stream_request_set_guardrail_identifier(
        r: *mut Request,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_set_guardrail_version(
        r: *mut Request,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_set_performance_config_latency(
        r: *mut Request,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_set_service_tier(r: *mut Request, s: *const c_char, e: Err)
        -> Status;
    fn bedrock_stream_request_set_request_metadata(
        r: *mut Request,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_set_project_identifier(
        r: *mut Request,
        s: *const c_char,
        e: Err,
    ) -> Status;
    fn bedrock_stream_request_set_model_family(r: *mut Request, s: *const c_char, e: Err)
        -> Status;

    fn bedrock_stream_stream_next(stream: *mut Stream, out: *mut *const Event, e: Err) -> Status;
    fn bedrock_stream_stream_free(stream: *mut Stream);
    fn bedrock_stream_stream_request_id(stream: *const Stream) -> *const c_char;
    fn bedrock_stream_stream_content_type(stream: *const Stream) -> *const c_char;
    fn bedrock_stream_stream_events_delivered(stream: *const Stream) -> u64;
    fn bedrock_stream_event_kind_of(event: *const Event) -> i32;
    fn bedrock_stream_event_payload(event: *const Event) -> Bytes;
    fn bedrock_stream_event_type(event: *const Event) -> *const c_char;
    fn bedrock_stream_event_text(event: *const Event) -> Bytes;
    fn bedrock_stream_event_stop_reason(event: *const Event) -> *const c_char;
    fn bedrock_stream_event_usage(event: *const Event, out: *mut u64) -> bool;
    fn bedrock_stream_event_metrics(event: *const Event, out: *mut u64) -> bool;
}

/// The program's argument reader.
struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
    fn int(&mut self, n: usize) -> u64 {
        let mut v = [0u8; 8];
        let b = self.take(n);
        v[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(v)
    }
    /// `None` = NULL; else the NUL-free bytes.
    fn string(&mut self) -> Option<CString> {
        let s = self.byte();
        if s == 0 {
            return None;
        }
        let b = self.take(usize::from(s & 63));
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Some(CString::new(&b[..end]).expect("no NUL"))
    }
    /// A string from `table` (documented values and near misses) or arbitrary.
    fn enum_string(&mut self, table: &[&str]) -> Option<CString> {
        let s = self.byte();
        match table.get(usize::from(s)) {
            Some(v) => Some(CString::new(*v).unwrap()),
            None if s == 255 => None,
            None => self.string(),
        }
    }
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(null(), |s| s.as_ptr())
}

fn is_utf8(s: &Option<CString>) -> bool {
    s.as_ref().is_none_or(|s| s.to_str().is_ok())
}

/// A string an accessor returned: NULL or NUL-terminated UTF-8.
unsafe fn opt_text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: the library returns NUL-terminated strings that live as long as their object.
    let s = unsafe { CStr::from_ptr(p) }.to_str().expect("UTF-8");
    Some(s.to_owned())
}

fn status_name(status: i32) -> String {
    // SAFETY: any value may be passed; the result is a static string.
    unsafe { opt_text(bedrock_stream_status_str(status)) }.expect("never NULL")
}

/// Checks one error object against the status its call returned, reading its message cut at
/// `cut` too, then frees it.
unsafe fn check_error(err: *mut Error, status: Status, cut: usize) {
    // SAFETY (whole function): `err` is a live error object from the library.
    unsafe {
        assert_eq!(bedrock_stream_error_status(err), status);
        let mut n = usize::MAX;
        assert_eq!(bedrock_stream_error_message(err, null_mut(), 0, &mut n), OK);
        let mut buf = vec![0x55u8; n + 1];
        let mut n2 = 0;
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), buf.len(), &mut n2),
            OK
        );
        assert_eq!(n, n2);
        assert_eq!(buf[n], 0);
        let full = std::str::from_utf8(&buf[..n]).expect("UTF-8 message");
        assert!(!full.is_empty() && !full.contains('\0'), "{full:?}");
        let cut = cut % (n + 2);
        let mut small = vec![0x55u8; cut];
        let p = if cut == 0 {
            null_mut()
        } else {
            small.as_mut_ptr().cast()
        };
        assert_eq!(bedrock_stream_error_message(err, p, cut, null_mut()), OK);
        if cut > 0 {
            let end = small.iter().position(|&b| b == 0).expect("NUL-terminated");
            assert!(end < cut && full.as_bytes().starts_with(&small[..end]));
            assert!(full.is_char_boundary(end));
            // As much as fits: at most 3 bytes (a partial character) short of it.
            let room = (cut - 1).min(n);
            assert!(end <= room && end + 3 >= room, "cut at {end} of {cut}");
        }
        let _ = bedrock_stream_error_http_status(err);
        let _ = bedrock_stream_error_retryable(err);
        let _ = bedrock_stream_error_events_delivered(err);
        let _ = bedrock_stream_error_attempts(err);
        let _ = bedrock_stream_error_original_status_code(err);
        for s in [
            bedrock_stream_error_request_id(err),
            bedrock_stream_error_code(err),
            bedrock_stream_error_original_message(err),
            bedrock_stream_error_resource_name(err),
            bedrock_stream_error_timer(err),
        ] {
            opt_text(s);
        }
        bedrock_stream_error_free(err);
    }
}

/// Makes one fallible call with `err_out` (or NULL when `no_err`), checks the result and
/// returns the status.
fn call(no_err: bool, cut: usize, f: impl FnOnce(Err) -> Status) -> Status {
    let mut err: *mut Error = null_mut();
    let status = f(if no_err { null_mut() } else { &mut err });
    assert_ne!(status, PANIC);
    assert!(
        STATUSES.iter().any(|&(s, _)| s == status),
        "undefined status {status}"
    );
    assert_ne!(status_name(status), "UNKNOWN");
    if status == OK {
        assert!(err.is_null(), "err_out set on success");
    } else if !no_err {
        assert!(!err.is_null(), "err_out not set on failure {status}");
        // SAFETY: a live error object just returned.
        unsafe { check_error(err, status, cut) };
    }
    status
}

/// The expected status of a setter taking one string, when the object is not NULL.
fn expect_string(status: Status, s: &Option<CString>) {
    match s {
        None => assert_eq!(status, NULL_ARGUMENT),
        Some(v) if v.to_str().is_err() => assert_eq!(status, INVALID_UTF8),
        Some(_) => assert!(status == OK || status >= INVALID_INPUT, "{status}"),
    }
}

fn null_accessors() {
    // SAFETY: every accessor accepts NULL.
    unsafe {
        assert_eq!(bedrock_stream_error_status(null()), NULL_ARGUMENT);
        let mut n = 7;
        assert_eq!(
            bedrock_stream_error_message(null(), null_mut(), 0, &mut n),
            NULL_ARGUMENT
        );
        assert_eq!(n, 7);
        assert_eq!(bedrock_stream_error_http_status(null()), 0);
        assert!(!bedrock_stream_error_retryable(null()));
        assert_eq!(bedrock_stream_error_events_delivered(null()), 0);
        assert!(bedrock_stream_error_code(null()).is_null());
        assert!(bedrock_stream_error_request_id(null()).is_null());
        bedrock_stream_error_free(null_mut());
        bedrock_stream_config_free(null_mut());
        bedrock_stream_request_free(null_mut());
        bedrock_stream_client_free(null_mut());
        bedrock_stream_cancel_free(null_mut());
        bedrock_stream_stream_free(null_mut());
        assert_eq!(bedrock_stream_cancel_cancel(null()), NULL_ARGUMENT);
        assert!(!bedrock_stream_cancel_is_cancelled(null()));
        let mut ev: *const Event = null();
        assert_eq!(
            bedrock_stream_stream_next(null_mut(), &mut ev, null_mut()),
            NULL_ARGUMENT
        );
        assert!(ev.is_null());
        assert!(bedrock_stream_stream_request_id(null()).is_null());
        assert!(bedrock_stream_stream_content_type(null()).is_null());
        assert_eq!(bedrock_stream_stream_events_delivered(null()), 0);
        let _ = bedrock_stream_event_kind_of(null());
        for b in [
            bedrock_stream_event_payload(null()),
            bedrock_stream_event_text(null()),
        ] {
            assert!(!b.data.is_null());
            assert_eq!(b.len, 0);
        }
        assert!(bedrock_stream_event_type(null()).is_null());
        assert!(bedrock_stream_event_stop_reason(null()).is_null());
        let mut out = [0u64; 16];
        assert!(!bedrock_stream_event_usage(null(), out.as_mut_ptr()));
        assert!(!bedrock_stream_event_metrics(null(), out.as_mut_ptr()));
    }
}

const TRACES: [&str; 6] = [
    "ENABLED",
    "DISABLED",
    "ENABLED_FULL",
    "enabled",
    "ENABLED ",
    "",
];
const LATENCIES: [&str; 4] = ["standard", "optimized", "Standard", "optimised"];
const TIERS: [&str; 6] = ["priority", "default", "flex", "reserved", "Flex", "premium"];
const FAMILIES: [&str; 6] = [
    "anthropic-claude",
    "meta_llama",
    " Cohere ",
    "unknown",
    "openai-gpt",
    "amazon-nova\n",
];

/// Runs one program.
pub fn run(input: &[u8]) {
    let mut a = Args(input);
    let mut config: *mut Config = null_mut();
    let mut request: *mut Request = null_mut();
    let mut cancel: *mut Cancel = null_mut();
    // SAFETY (whole loop): `config`, `request` and `cancel` are always NULL or live objects of
    // the library, every string is a live NUL-terminated CString, every buffer is live with
    // the length passed, every out-pointer is a live local.
    unsafe {
        while !a.0.is_empty() {
            let op = a.byte();
            let no_err = op & 0x80 != 0;
            let cut = usize::from(a.byte());
            match (op & 0x7F) % 24 {
                0 => {
                    bedrock_stream_config_free(config);
                    let mut c = null_mut();
                    assert_eq!(
                        call(no_err, cut, |e| bedrock_stream_config_new(&mut c, e)),
                        OK
                    );
                    config = c;
                }
                1 => {
                    bedrock_stream_config_free(config);
                    config = null_mut();
                }
                k @ 2..=7 => {
                    let s = a.string();
                    let f = [
                        bedrock_stream_config_set_region,
                        bedrock_stream_config_set_endpoint_url,
                        bedrock_stream_config_set_profile,
                        bedrock_stream_config_set_bearer_token,
                        bedrock_stream_config_set_proxy,
                        bedrock_stream_config_set_user_agent_suffix,
                    ][usize::from(k - 2)];
                    let st = call(no_err, cut, |e| f(config, ptr(&s), e));
                    if config.is_null() {
                        assert_eq!(st, NULL_ARGUMENT);
                    } else {
                        expect_string(st, &s);
                    }
                }
                8 => {
                    let (id, secret, token) = (a.string(), a.string(), a.string());
                    let st = call(no_err, cut, |e| {
                        bedrock_stream_config_set_credentials(
                            config,
                            ptr(&id),
                            ptr(&secret),
                            ptr(&token),
                            e,
                        )
                    });
                    // The arguments are checked in order: the first bad one decides.
                    let utf8 = is_utf8(&id) && is_utf8(&secret) && is_utf8(&token);
                    if config.is_null() || (utf8 && (id.is_none() || secret.is_none())) {
                        assert_eq!(st, NULL_ARGUMENT);
                    } else if id.is_none() || secret.is_none() {
                        assert!(st == NULL_ARGUMENT || st == INVALID_UTF8, "{st}");
                    } else if !utf8 {
                        assert_eq!(st, INVALID_UTF8);
                    }
                }
                k @ 9..=12 => {
                    let sel = a.byte();
                    let v = a.int(8);
                    let st = call(no_err, cut, |e| match (k, sel % 4) {
                        (9, 0) => {
                            bedrock_stream_config_set_ignore_env_bearer_token(config, v & 1 == 1, e)
                        }
                        (9, 1) => bedrock_stream_config_set_no_proxy(config, v & 1 == 1, e),
                        (9, 2) => bedrock_stream_config_set_use_fips(config, v & 1 == 1, e),
                        (9, _) => bedrock_stream_config_set_use_dual_stack(config, v & 1 == 1, e),
                        (10, 0) => bedrock_stream_config_set_connect_timeout_ms(config, v, e),
                        (10, 1) => {
                            bedrock_stream_config_set_response_headers_timeout_ms(config, v, e)
                        }
                        (10, 2) => bedrock_stream_config_set_read_idle_timeout_ms(config, v, e),
                        (10, _) => bedrock_stream_config_set_deadline_ms(config, v, e),
                        (11, _) => bedrock_stream_config_set_max_attempts(config, v as u32, e),
                        _ => {
                            let w = a.int(8);
                            bedrock_stream_config_set_retry_backoff_ms(config, v, w, e)
                        }
                    });
                    if config.is_null() {
                        assert_eq!(st, NULL_ARGUMENT);
                    }
                }
                13 => {
                    // Never a real file: the path starts in a directory that does not exist.
                    let s = a.string();
                    let path = s.as_ref().map(|s| {
                        let mut p = b"/nonexistent-bedrock-stream-fuzz/".to_vec();
                        p.extend_from_slice(s.as_bytes());
                        CString::new(p).unwrap()
                    });
                    let st = call(no_err, cut, |e| {
                        bedrock_stream_config_set_ca_bundle_file(config, ptr(&path), e)
                    });
                    assert_ne!(st, OK);
                }
                14 => {
                    let n = usize::from(a.byte());
                    let pem = a.take(n);
                    let p = if pem.is_empty() && n % 2 == 0 {
                        null()
                    } else {
                        pem.as_ptr()
                    };
                    let st = call(no_err, cut, |e| {
                        bedrock_stream_config_set_ca_bundle_pem(config, p, pem.len(), e)
                    });
                    assert_eq!(st == OK, !config.is_null());
                }
                15 => {
                    let mut client = null_mut();
                    let st = call(no_err, cut, |e| {
                        bedrock_stream_client_new(config, &mut client, e)
                    });
                    assert_eq!(st == OK, !client.is_null());
                    if config.is_null() {
                        assert_eq!(st, NULL_ARGUMENT);
                    }
                    bedrock_stream_client_free(client);
                }
                16 => {
                    let id = a.string();
                    let n = usize::from(a.byte());
                    let body = a.take(n);
                    let p = if body.is_empty() && n % 2 == 0 {
                        null()
                    } else {
                        body.as_ptr()
                    };
                    let mut r = null_mut();
                    let st = call(no_err, cut, |e| {
                        bedrock_stream_request_new(ptr(&id), p, body.len(), &mut r, e)
                    });
                    expect_string(st, &id);
                    assert_eq!(st == OK, !r.is_null());
                    if st == OK {
                        bedrock_stream_request_free(request);
                        request = r;
                    }
                }
                17 => {
                    bedrock_stream_request_free(request);
                    request = null_mut();
                }
                18 => {
                    let sel = a.byte();
                    let s = a.string();
                    let f = [
                        bedrock_stream_request_set_content_type,
                        bedrock_stream_request_set_accept,
                        bedrock_stream_request_set_guardrail_identifier,
                        bedrock_stream_request_set_guardrail_version,
                        bedrock_stream_request_set_request_metadata,
                        bedrock_stream_request_set_project_identifier,
                    ][usize::from(sel) % 6];
                    let st = call(no_err, cut, |e| f(request, ptr(&s), e));
                    if request.is_null() {
                        assert_eq!(st, NULL_ARGUMENT);
                    } else {
                        expect_string(st, &s);
                    }
                }
                19 => {
                    let sel = a.byte() % 4;
                    let table: &[&str] =
                        [&TRACES[..], &LATENCIES, &TIERS, &FAMILIES][usize::from(sel)];
                    let s = a.enum_string(table);
                    let f = [
                        bedrock_stream_request_set_trace,
                        bedrock_stream_request_set_performance_config_latency,
                        bedrock_stream_request_set_service_tier,
                        bedrock_stream_request_set_model_family,
                    ][usize::from(sel)];
                    let st = call(no_err, cut, |e| f(request, ptr(&s), e));
                    if request.is_null() {
                        assert_eq!(st, NULL_ARGUMENT);
                    } else {
                        expect_string(st, &s);
                        if let Some(v) = s.as_ref().and_then(|s| s.to_str().ok()) {
                            // Enum-valued setters ignore ASCII case and surrounding
                            // whitespace.
                            let is =
                                |t: &[&str]| t.iter().any(|w| w.eq_ignore_ascii_case(v.trim()));
                            let valid = match sel {
                                0 => is(&TRACES[..3]),
                                1 => is(&LATENCIES[..2]),
                                2 => is(&TIERS[..4]),
                                _ => v.parse::<ModelFamily>().is_ok(),
                            };
                            assert_eq!(st == OK, valid, "{v:?}");
                            assert!(valid || st == INVALID_INPUT);
                        }
                    }
                }
                20 => {
                    let v = a.int(4) as u32 as i32;
                    let name = status_name(v);
                    match STATUSES.iter().find(|&&(s, _)| s == v) {
                        Some((_, n)) => assert_eq!(&name, n),
                        None => assert_eq!(name, "UNKNOWN"),
                    }
                }
                21 => match a.byte() % 4 {
                    0 => {
                        bedrock_stream_cancel_free(cancel);
                        let mut c = null_mut();
                        assert_eq!(
                            call(no_err, cut, |e| bedrock_stream_cancel_new(&mut c, e)),
                            OK
                        );
                        assert!(!bedrock_stream_cancel_is_cancelled(c));
                        cancel = c;
                    }
                    1 => {
                        let st = bedrock_stream_cancel_cancel(cancel);
                        assert_eq!(st, if cancel.is_null() { NULL_ARGUMENT } else { OK });
                        assert_eq!(
                            bedrock_stream_cancel_is_cancelled(cancel),
                            !cancel.is_null()
                        );
                    }
                    2 => {
                        bedrock_stream_cancel_free(cancel);
                        cancel = null_mut();
                    }
                    _ => {
                        let _ = bedrock_stream_cancel_is_cancelled(cancel);
                    }
                },
                22 => {
                    let v = opt_text(bedrock_stream_version()).expect("a version");
                    let n: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
                    assert_eq!(n.len(), 3);
                    assert_eq!(
                        bedrock_stream_version_number(),
                        n[0] << 16 | n[1] << 8 | n[2]
                    );
                }
                _ => null_accessors(),
            }
        }
        bedrock_stream_config_free(config);
        bedrock_stream_request_free(request);
        bedrock_stream_cancel_free(cancel);
    }
}
