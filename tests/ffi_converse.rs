//! The C ABI of Converse, ConverseStream and InvokeModel driven from Rust: the exported
//! functions are declared here as C sees them (`include/bedrock_stream.h`) and called against
//! the emulator. NULLs, invalid UTF-8, bad enumerations and bad JSON; every accessor on every
//! event type (compared with the Rust API's events for the same request); the accumulator on
//! split tool input and reasoning; errors on every path (HTTP errors, an exception in the
//! stream, truncation, a callback stop, cancellation); Converse and InvokeModel.
#![cfg(feature = "emulator")]

extern crate bedrock_stream;

#[allow(dead_code, reason = "only the emulator's Rust client is used here")]
mod common;
use common::program::emulator_client as rust_client;

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr::{null, null_mut};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bedrock_stream::converse::{
    ContentBlockDelta, ConverseRequest, ConverseStreamEvent, ReasoningContentBlockDelta,
};
use bedrock_stream::emulator::{
    Emulator, Scenario, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The C API, as declared in include/bedrock_stream.h
// ---------------------------------------------------------------------------------------------

macro_rules! opaque {
    ($($name:ident),*) => {$(
        #[repr(C)]
        struct $name {
            _p: [u8; 0],
        }
    )*};
}
opaque!(
    Config, Client, Request, Cancel, Error, CRequest, CStream, CEvent, Acc, CMessage, IResponse
);

#[repr(C)]
#[derive(Clone, Copy)]
struct Bytes {
    data: *const u8,
    len: usize,
}

impl Bytes {
    fn to_vec(self) -> Vec<u8> {
        assert!(
            !self.data.is_null(),
            "bedrock_stream_bytes.data is never NULL"
        );
        // SAFETY: the library lends `len` readable bytes at `data`.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }.to_vec()
    }

    fn json(self) -> Value {
        serde_json::from_slice(&self.to_vec()).unwrap()
    }
}

#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    input_tokens: u64,
    output_tokens: u64,
    total_tokens: u64,
    has_cache_read_input_tokens: bool,
    cache_read_input_tokens: u64,
    has_cache_write_input_tokens: bool,
    cache_write_input_tokens: u64,
}

type Status = i32;
type EventCb = Option<unsafe extern "C-unwind" fn(*mut c_void, *const CEvent) -> i32>;

const OK: Status = 0;
const NULL_ARGUMENT: Status = 1;
const INVALID_UTF8: Status = 2;
const ABORTED_BY_CALLBACK: Status = 3;
const ACCESS_DENIED: Status = 10;
const THROTTLING: Status = 12;
const MODEL_STREAM_ERROR: Status = 16;
const VALIDATION: Status = 17;
const TRUNCATED: Status = 32;
const INVALID_INPUT: Status = 50;
const CANCELLED: Status = 53;

// bedrock_stream_converse_event_type
const T_NONE: i32 = 0;
const T_MESSAGE_START: i32 = 1;
const T_BLOCK_START: i32 = 2;
const T_BLOCK_DELTA: i32 = 3;
const T_BLOCK_STOP: i32 = 4;
const T_MESSAGE_STOP: i32 = 5;
const T_METADATA: i32 = 6;
const T_UNKNOWN: i32 = 7;

// bedrock_stream_converse_delta_kind
const D_NONE: i32 = 0;
const D_TEXT: i32 = 1;
const D_TOOL_USE: i32 = 2;
const D_REASONING_TEXT: i32 = 3;
const D_REASONING_SIGNATURE: i32 = 4;
const D_REASONING_REDACTED: i32 = 5;
const D_UNKNOWN: i32 = 9;

// bedrock_stream_converse_block_kind
const B_NONE: i32 = 0;
const B_TEXT: i32 = 1;
const B_TOOL_USE: i32 = 2;
const B_REASONING: i32 = 3;
const B_REDACTED_REASONING: i32 = 4;
const B_OTHER: i32 = 8;

type E = *mut *mut Error;

extern "C" {
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
    fn bedrock_stream_error_events_delivered(err: *const Error) -> u64;
    fn bedrock_stream_error_attempts(err: *const Error) -> u32;
    fn bedrock_stream_error_original_status_code(err: *const Error) -> i32;

    fn bedrock_stream_config_new(config_out: *mut *mut Config, err_out: E) -> Status;
    fn bedrock_stream_config_free(config: *mut Config);
    fn bedrock_stream_config_set_region(c: *mut Config, v: *const c_char, e: E) -> Status;
    fn bedrock_stream_config_set_endpoint_url(c: *mut Config, v: *const c_char, e: E) -> Status;
    fn bedrock_stream_config_set_credentials(
        c: *mut Config,
        id: *const c_char,
        secret: *const c_char,
        token: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_config_set_no_proxy(c: *mut Config, on: bool, e: E) -> Status;
    fn bedrock_stream_config_set_ignore_env_bearer_token(c: *mut Config, on: bool, e: E) -> Status;
    fn bedrock_stream_config_set_retry_backoff_ms(c: *mut Config, a: u64, b: u64, e: E) -> Status;
    fn bedrock_stream_client_new(c: *const Config, out: *mut *mut Client, e: E) -> Status;
    fn bedrock_stream_client_free(c: *mut Client);
    fn bedrock_stream_cancel_new(out: *mut *mut Cancel, e: E) -> Status;
    fn bedrock_stream_cancel_cancel(c: *const Cancel) -> Status;
    fn bedrock_stream_cancel_free(c: *mut Cancel);
    fn bedrock_stream_request_new(
        model: *const c_char,
        body: *const u8,
        len: usize,
        out: *mut *mut Request,
        e: E,
    ) -> Status;
    fn bedrock_stream_request_set_performance_config_latency(
        r: *mut Request,
        v: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_request_free(r: *mut Request);

    fn bedrock_stream_converse_request_new(
        m: *const c_char,
        out: *mut *mut CRequest,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_from_json(
        m: *const c_char,
        json: *const c_char,
        out: *mut *mut CRequest,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_free(r: *mut CRequest);
    fn bedrock_stream_converse_request_add_message(
        r: *mut CRequest,
        role: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_text(r: *mut CRequest, t: *const c_char, e: E)
        -> Status;
    fn bedrock_stream_converse_request_add_image(
        r: *mut CRequest,
        format: *const c_char,
        data: *const u8,
        len: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_document(
        r: *mut CRequest,
        format: *const c_char,
        name: *const c_char,
        data: *const u8,
        len: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_use(
        r: *mut CRequest,
        id: *const c_char,
        name: *const c_char,
        input: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_result_json(
        r: *mut CRequest,
        id: *const c_char,
        json: *const c_char,
        status: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_result_text(
        r: *mut CRequest,
        id: *const c_char,
        text: *const c_char,
        status: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_cache_point(r: *mut CRequest, e: E) -> Status;
    fn bedrock_stream_converse_request_add_system_text(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool(
        r: *mut CRequest,
        name: *const c_char,
        description: *const c_char,
        schema: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_tool_choice(
        r: *mut CRequest,
        choice: *const c_char,
        name: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_max_tokens(r: *mut CRequest, n: u32, e: E) -> Status;
    fn bedrock_stream_converse_request_set_temperature(r: *mut CRequest, t: f32, e: E) -> Status;
    fn bedrock_stream_converse_request_set_top_p(r: *mut CRequest, p: f32, e: E) -> Status;
    fn bedrock_stream_converse_request_add_stop_sequence(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_guardrail(
        r: *mut CRequest,
        id: *const c_char,
        version: *const c_char,
        trace: *const c_char,
        mode: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_additional_model_request_fields(
        r: *mut CRequest,
        json: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_additional_model_response_field_path(
        r: *mut CRequest,
        path: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_request_metadata(
        r: *mut CRequest,
        k: *const c_char,
        v: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_performance_config_latency(
        r: *mut CRequest,
        v: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_service_tier(
        r: *mut CRequest,
        v: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_append_message(
        r: *mut CRequest,
        m: *const CMessage,
        e: E,
    ) -> Status;

    fn bedrock_stream_client_converse_stream(
        c: *const Client,
        r: *const CRequest,
        cb: EventCb,
        user_data: *mut c_void,
        cancel: *const Cancel,
        e: E,
    ) -> Status;
    fn bedrock_stream_client_converse_stream_open(
        c: *const Client,
        r: *const CRequest,
        cancel: *const Cancel,
        out: *mut *mut CStream,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_stream_next(
        s: *mut CStream,
        out: *mut *const CEvent,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_stream_free(s: *mut CStream);
    fn bedrock_stream_converse_stream_request_id(s: *const CStream) -> *const c_char;
    fn bedrock_stream_converse_stream_events_delivered(s: *const CStream) -> u64;
    fn bedrock_stream_converse_stream_attempts(s: *const CStream) -> u32;

    fn bedrock_stream_converse_event_get_type(e: *const CEvent) -> i32;
    fn bedrock_stream_converse_event_type_name(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_content_block_index(e: *const CEvent, out: *mut u32) -> bool;
    fn bedrock_stream_converse_event_role(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_member_name(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_delta_kind(e: *const CEvent) -> i32;
    fn bedrock_stream_converse_event_delta(e: *const CEvent) -> Bytes;
    fn bedrock_stream_converse_event_tool_use_id(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_tool_use_name(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_stop_reason(e: *const CEvent) -> *const c_char;
    fn bedrock_stream_converse_event_usage(e: *const CEvent, out: *mut Usage) -> bool;
    fn bedrock_stream_converse_event_latency_ms(e: *const CEvent, out: *mut u64) -> bool;
    fn bedrock_stream_converse_event_json(e: *const CEvent) -> Bytes;

    fn bedrock_stream_converse_accumulator_new(out: *mut *mut Acc, e: E) -> Status;
    fn bedrock_stream_converse_accumulator_push(a: *mut Acc, ev: *const CEvent, e: E) -> Status;
    fn bedrock_stream_converse_accumulator_finish(
        a: *mut Acc,
        out: *mut *mut CMessage,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_accumulator_free(a: *mut Acc);

    fn bedrock_stream_converse_message_free(m: *mut CMessage);
    fn bedrock_stream_converse_message_stop_reason(m: *const CMessage) -> *const c_char;
    fn bedrock_stream_converse_message_text(m: *const CMessage) -> Bytes;
    fn bedrock_stream_converse_message_usage(m: *const CMessage, out: *mut Usage) -> bool;
    fn bedrock_stream_converse_message_latency_ms(m: *const CMessage, out: *mut u64) -> bool;
    fn bedrock_stream_converse_message_request_id(m: *const CMessage) -> *const c_char;
    fn bedrock_stream_converse_message_json(m: *const CMessage) -> Bytes;
    fn bedrock_stream_converse_message_block_count(m: *const CMessage) -> usize;
    fn bedrock_stream_converse_message_block_kind(m: *const CMessage, i: usize) -> i32;
    fn bedrock_stream_converse_message_block_text(m: *const CMessage, i: usize) -> Bytes;
    fn bedrock_stream_converse_message_block_tool_use_id(
        m: *const CMessage,
        i: usize,
    ) -> *const c_char;
    fn bedrock_stream_converse_message_block_tool_use_name(
        m: *const CMessage,
        i: usize,
    ) -> *const c_char;
    fn bedrock_stream_converse_message_block_tool_use_input(m: *const CMessage, i: usize) -> Bytes;
    fn bedrock_stream_converse_message_block_reasoning_signature(
        m: *const CMessage,
        i: usize,
    ) -> *const c_char;
    fn bedrock_stream_converse_message_block_redacted_reasoning(
        m: *const CMessage,
        i: usize,
    ) -> Bytes;
    fn bedrock_stream_converse_message_block_json(m: *const CMessage, i: usize) -> Bytes;

    fn bedrock_stream_client_converse(
        c: *const Client,
        r: *const CRequest,
        cancel: *const Cancel,
        out: *mut *mut CMessage,
        e: E,
    ) -> Status;
    fn bedrock_stream_client_invoke_model(
        c: *const Client,
        r: *const Request,
        cancel: *const Cancel,
        out: *mut *mut IResponse,
        e: E,
    ) -> Status;
    fn bedrock_stream_invoke_response_free(r: *mut IResponse);
    fn bedrock_stream_invoke_response_body(r: *const IResponse) -> Bytes;
    fn bedrock_stream_invoke_response_content_type(r: *const IResponse) -> *const c_char;
    fn bedrock_stream_invoke_response_request_id(r: *const IResponse) -> *const c_char;
    fn bedrock_stream_invoke_response_performance_config_latency(
        r: *const IResponse,
    ) -> *const c_char;
    fn bedrock_stream_invoke_response_service_tier(r: *const IResponse) -> *const c_char;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const SCHEMA: &str = r#"{"type":"object","properties":{"city":{"type":"string"}}}"#;

fn c(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// A C string returned by the library, or None for NULL.
fn text(p: *const c_char) -> Option<String> {
    if p.is_null() {
        None
    } else {
        // SAFETY: the library returns NUL-terminated strings valid for this use.
        Some(unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
    }
}

/// What an error object says, then frees it.
#[derive(Debug)]
struct Detail {
    status: Status,
    message: String,
    http_status: u16,
    request_id: Option<String>,
    code: Option<String>,
    events_delivered: u64,
    attempts: u32,
    original_status_code: i32,
}

fn take_error(err: *mut Error) -> Detail {
    assert!(!err.is_null(), "a failed call must set *err_out");
    // SAFETY: a live error object owned by the test, freed once at the end.
    unsafe {
        let mut n = 0usize;
        assert_eq!(bedrock_stream_error_message(err, null_mut(), 0, &mut n), OK);
        let mut buf = vec![0u8; n + 1];
        assert_eq!(
            bedrock_stream_error_message(err, buf.as_mut_ptr().cast(), buf.len(), null_mut()),
            OK
        );
        let d = Detail {
            status: bedrock_stream_error_status(err),
            message: String::from_utf8(buf[..n].to_vec()).unwrap(),
            http_status: bedrock_stream_error_http_status(err),
            request_id: text(bedrock_stream_error_request_id(err)),
            code: text(bedrock_stream_error_code(err)),
            events_delivered: bedrock_stream_error_events_delivered(err),
            attempts: bedrock_stream_error_attempts(err),
            original_status_code: bedrock_stream_error_original_status_code(err),
        };
        bedrock_stream_error_free(err);
        d
    }
}

/// Run a fallible call with a fresh `err_out`: its status and error (if any).
fn call(f: impl FnOnce(E) -> Status) -> (Status, Option<Detail>) {
    let mut err: *mut Error = null_mut();
    let status = f(&mut err);
    if status == OK {
        assert!(err.is_null(), "err_out written although the call succeeded");
        (status, None)
    } else {
        let d = take_error(err);
        assert_eq!(d.status, status, "the error's status is the returned one");
        (status, Some(d))
    }
}

#[track_caller]
fn fails(f: impl FnOnce(E) -> Status) -> Detail {
    let (status, d) = call(f);
    assert_ne!(status, OK, "expected a failure");
    d.unwrap()
}

#[track_caller]
fn ok(f: impl FnOnce(E) -> Status) {
    let (status, d) = call(f);
    assert_eq!(status, OK, "unexpected failure: {d:?}");
}

/// `fails` with this status and a message containing `words`.
#[track_caller]
fn refused(status: Status, words: &str, f: impl FnOnce(E) -> Status) {
    let d = fails(f);
    assert_eq!(d.status, status, "{d:?}");
    assert!(
        d.message.contains(words),
        "{words:?} not in {:?}",
        d.message
    );
}

fn new_client(emu: &Emulator) -> *mut Client {
    let mut config: *mut Config = null_mut();
    let mut client: *mut Client = null_mut();
    // SAFETY: valid out-pointers; the strings live across each call.
    unsafe {
        ok(|e| bedrock_stream_config_new(&mut config, e));
        ok(|e| bedrock_stream_config_set_region(config, c("us-east-1").as_ptr(), e));
        ok(|e| bedrock_stream_config_set_endpoint_url(config, c(&emu.endpoint_url()).as_ptr(), e));
        ok(|e| {
            bedrock_stream_config_set_credentials(
                config,
                c(DEFAULT_ACCESS_KEY_ID).as_ptr(),
                c(DEFAULT_SECRET_ACCESS_KEY).as_ptr(),
                null(),
                e,
            )
        });
        ok(|e| bedrock_stream_config_set_no_proxy(config, true, e));
        ok(|e| bedrock_stream_config_set_ignore_env_bearer_token(config, true, e));
        ok(|e| bedrock_stream_config_set_retry_backoff_ms(config, 1, 5, e));
        ok(|e| bedrock_stream_client_new(config, &mut client, e));
        bedrock_stream_config_free(config);
    }
    client
}

/// A request for `model` with one user message saying `prompt`.
fn request(model: &str, prompt: &str) -> *mut CRequest {
    let mut r: *mut CRequest = null_mut();
    // SAFETY: valid pointers; strings live across the calls.
    unsafe {
        ok(|e| bedrock_stream_converse_request_new(c(model).as_ptr(), &mut r, e));
        ok(|e| bedrock_stream_converse_request_add_message(r, c("user").as_ptr(), e));
        ok(|e| bedrock_stream_converse_request_add_text(r, c(prompt).as_ptr(), e));
    }
    r
}

/// Everything the accessors say about one event.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    kind: i32,
    type_name: Option<String>,
    index: Option<u32>,
    role: Option<String>,
    member: Option<String>,
    delta_kind: i32,
    delta: Vec<u8>,
    tool_use_id: Option<String>,
    tool_use_name: Option<String>,
    stop_reason: Option<String>,
    usage: Option<Usage>,
    latency_ms: Option<u64>,
    json: Vec<u8>,
}

fn read_event(ev: *const CEvent) -> Seen {
    // SAFETY: `ev` is NULL or lent by the library for this call.
    unsafe {
        let mut index = u32::MAX;
        let has_index = bedrock_stream_converse_event_content_block_index(ev, &mut index);
        let mut usage = Usage {
            input_tokens: 99,
            ..Usage::default()
        };
        let has_usage = bedrock_stream_converse_event_usage(ev, &mut usage);
        if !has_usage {
            assert_eq!(usage, Usage::default(), "absent usage is written as zeros");
        }
        let mut latency = u64::MAX;
        let has_latency = bedrock_stream_converse_event_latency_ms(ev, &mut latency);
        if !has_latency {
            assert_eq!(latency, u64::MAX, "untouched when absent");
        }
        assert_eq!(
            has_index,
            bedrock_stream_converse_event_content_block_index(ev, null_mut()),
            "a NULL out-pointer is allowed"
        );
        Seen {
            kind: bedrock_stream_converse_event_get_type(ev),
            type_name: text(bedrock_stream_converse_event_type_name(ev)),
            index: has_index.then_some(index),
            role: text(bedrock_stream_converse_event_role(ev)),
            member: text(bedrock_stream_converse_event_member_name(ev)),
            delta_kind: bedrock_stream_converse_event_delta_kind(ev),
            delta: bedrock_stream_converse_event_delta(ev).to_vec(),
            tool_use_id: text(bedrock_stream_converse_event_tool_use_id(ev)),
            tool_use_name: text(bedrock_stream_converse_event_tool_use_name(ev)),
            stop_reason: text(bedrock_stream_converse_event_stop_reason(ev)),
            usage: has_usage.then_some(usage),
            latency_ms: has_latency.then_some(latency),
            json: bedrock_stream_converse_event_json(ev).to_vec(),
        }
    }
}

/// Pull every event of `req` (read with all accessors, fed to `acc` when given); the status
/// and error of the end.
fn pull(
    client: *const Client,
    req: *const CRequest,
    acc: *mut Acc,
) -> (Vec<Seen>, Status, Option<Detail>) {
    let mut stream: *mut CStream = null_mut();
    // SAFETY: live handles; valid out-pointers.
    unsafe {
        let (status, d) = call(|e| {
            bedrock_stream_client_converse_stream_open(client, req, null(), &mut stream, e)
        });
        if status != OK {
            return (Vec::new(), status, d);
        }
        assert!(text(bedrock_stream_converse_stream_request_id(stream)).is_some());
        assert_eq!(bedrock_stream_converse_stream_events_delivered(stream), 0);
        assert!(bedrock_stream_converse_stream_attempts(stream) >= 1);
        let mut seen = Vec::new();
        loop {
            let mut ev: *const CEvent = null();
            let (status, d) = call(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
            if status != OK {
                // Later calls fail the same way, with the call's counters and request id (the
                // core's state machine answers them, as for `bedrock_stream_stream_next`; the
                // code and HTTP status are the first error's only).
                let again = fails(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
                let first = d.as_ref().expect("a failure has its error");
                assert_eq!(
                    (
                        again.status,
                        again.events_delivered,
                        again.attempts,
                        &again.request_id
                    ),
                    (
                        status,
                        first.events_delivered,
                        first.attempts,
                        &first.request_id
                    ),
                    "{again:?}"
                );
                bedrock_stream_converse_stream_free(stream);
                return (seen, status, d);
            }
            if ev.is_null() {
                // The end, again on every later call.
                ok(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
                assert!(ev.is_null());
                bedrock_stream_converse_stream_free(stream);
                return (seen, OK, None);
            }
            seen.push(read_event(ev));
            assert_eq!(
                bedrock_stream_converse_stream_events_delivered(stream),
                seen.len() as u64
            );
            if !acc.is_null() {
                ok(|e| bedrock_stream_converse_accumulator_push(acc, ev, e));
            }
        }
    }
}

/// Everything the accessors say about a message.
#[derive(Debug)]
struct Blocks {
    stop_reason: Option<String>,
    text: String,
    usage: Option<Usage>,
    latency_ms: Option<u64>,
    request_id: Option<String>,
    json: Value,
    kinds: Vec<i32>,
    texts: Vec<String>,
    ids: Vec<Option<String>>,
    names: Vec<Option<String>>,
    inputs: Vec<Vec<u8>>,
    signatures: Vec<Option<String>>,
    redacted: Vec<Vec<u8>>,
    block_json: Vec<Value>,
}

fn read_message(m: *const CMessage) -> Blocks {
    // SAFETY: a live message (or NULL).
    unsafe {
        let n = bedrock_stream_converse_message_block_count(m);
        let mut usage = Usage::default();
        let has_usage = bedrock_stream_converse_message_usage(m, &mut usage);
        let mut latency = 0;
        let has_latency = bedrock_stream_converse_message_latency_ms(m, &mut latency);
        let json = bedrock_stream_converse_message_json(m).to_vec();
        // Out of range: nothing.
        assert_eq!(bedrock_stream_converse_message_block_kind(m, n), B_NONE);
        assert_eq!(bedrock_stream_converse_message_block_json(m, n).len, 0);
        assert!(bedrock_stream_converse_message_block_tool_use_id(m, n).is_null());
        Blocks {
            stop_reason: text(bedrock_stream_converse_message_stop_reason(m)),
            text: String::from_utf8(bedrock_stream_converse_message_text(m).to_vec()).unwrap(),
            usage: has_usage.then_some(usage),
            latency_ms: has_latency.then_some(latency),
            request_id: text(bedrock_stream_converse_message_request_id(m)),
            json: if json.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&json).unwrap()
            },
            kinds: (0..n)
                .map(|i| bedrock_stream_converse_message_block_kind(m, i))
                .collect(),
            texts: (0..n)
                .map(|i| {
                    String::from_utf8(bedrock_stream_converse_message_block_text(m, i).to_vec())
                        .unwrap()
                })
                .collect(),
            ids: (0..n)
                .map(|i| text(bedrock_stream_converse_message_block_tool_use_id(m, i)))
                .collect(),
            names: (0..n)
                .map(|i| text(bedrock_stream_converse_message_block_tool_use_name(m, i)))
                .collect(),
            inputs: (0..n)
                .map(|i| bedrock_stream_converse_message_block_tool_use_input(m, i).to_vec())
                .collect(),
            signatures: (0..n)
                .map(|i| {
                    text(bedrock_stream_converse_message_block_reasoning_signature(
                        m, i,
                    ))
                })
                .collect(),
            redacted: (0..n)
                .map(|i| bedrock_stream_converse_message_block_redacted_reasoning(m, i).to_vec())
                .collect(),
            block_json: (0..n)
                .map(|i| bedrock_stream_converse_message_block_json(m, i).json())
                .collect(),
        }
    }
}

fn finish(acc: *mut Acc) -> *mut CMessage {
    let mut m: *mut CMessage = null_mut();
    // SAFETY: live accumulator, valid out-pointer.
    ok(|e| unsafe { bedrock_stream_converse_accumulator_finish(acc, &mut m, e) });
    assert!(!m.is_null());
    m
}

fn new_acc() -> *mut Acc {
    let mut acc: *mut Acc = null_mut();
    // SAFETY: valid out-pointer.
    ok(|e| unsafe { bedrock_stream_converse_accumulator_new(&mut acc, e) });
    acc
}

/// The last request body the emulator received, as JSON.
fn last_body(emu: &Emulator) -> Value {
    serde_json::from_slice(&emu.requests().last().unwrap().body).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

#[test]
fn null_arguments_and_invalid_utf8_are_refused_and_named() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "hi");
    let bad = b"caf\xe9\0";
    let bad = bad.as_ptr().cast::<c_char>();
    let mut out_r: *mut CRequest = null_mut();
    let mut out_s: *mut CStream = null_mut();
    let mut out_m: *mut CMessage = null_mut();
    let mut out_ev: *const CEvent = null();
    // SAFETY: every pointer is NULL, a live handle or valid for its use.
    unsafe {
        let m = c(MODEL);
        let v = c("x");
        for (status, name, d) in [
            (
                NULL_ARGUMENT,
                "model_id",
                fails(|e| bedrock_stream_converse_request_new(null(), &mut out_r, e)),
            ),
            (
                NULL_ARGUMENT,
                "request_out",
                fails(|e| bedrock_stream_converse_request_new(m.as_ptr(), null_mut(), e)),
            ),
            (
                INVALID_UTF8,
                "model_id",
                fails(|e| bedrock_stream_converse_request_new(bad, &mut out_r, e)),
            ),
            (
                NULL_ARGUMENT,
                "json",
                fails(|e| {
                    bedrock_stream_converse_request_from_json(m.as_ptr(), null(), &mut out_r, e)
                }),
            ),
            (
                INVALID_UTF8,
                "json",
                fails(|e| {
                    bedrock_stream_converse_request_from_json(m.as_ptr(), bad, &mut out_r, e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "request",
                fails(|e| bedrock_stream_converse_request_add_text(null_mut(), v.as_ptr(), e)),
            ),
            (
                NULL_ARGUMENT,
                "role",
                fails(|e| bedrock_stream_converse_request_add_message(r, null(), e)),
            ),
            (
                INVALID_UTF8,
                "text",
                fails(|e| bedrock_stream_converse_request_add_text(r, bad, e)),
            ),
            (
                NULL_ARGUMENT,
                "data",
                fails(|e| {
                    bedrock_stream_converse_request_add_image(r, c("png").as_ptr(), null(), 3, e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "name",
                fails(|e| {
                    bedrock_stream_converse_request_add_document(
                        r,
                        c("txt").as_ptr(),
                        null(),
                        b"x".as_ptr(),
                        1,
                        e,
                    )
                }),
            ),
            (
                NULL_ARGUMENT,
                "input_json",
                fails(|e| {
                    bedrock_stream_converse_request_add_tool_use(
                        r,
                        v.as_ptr(),
                        v.as_ptr(),
                        null(),
                        e,
                    )
                }),
            ),
            (
                INVALID_UTF8,
                "status",
                fails(|e| {
                    bedrock_stream_converse_request_add_tool_result_text(
                        r,
                        v.as_ptr(),
                        v.as_ptr(),
                        bad,
                        e,
                    )
                }),
            ),
            (
                NULL_ARGUMENT,
                "input_schema_json",
                fails(|e| {
                    bedrock_stream_converse_request_add_tool(r, v.as_ptr(), null(), null(), e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "tool_name",
                fails(|e| {
                    bedrock_stream_converse_request_set_tool_choice(
                        r,
                        c("tool").as_ptr(),
                        null(),
                        e,
                    )
                }),
            ),
            (
                NULL_ARGUMENT,
                "version",
                fails(|e| {
                    bedrock_stream_converse_request_set_guardrail(
                        r,
                        c("abc").as_ptr(),
                        null(),
                        null(),
                        null(),
                        e,
                    )
                }),
            ),
            (
                INVALID_UTF8,
                "value",
                fails(|e| {
                    bedrock_stream_converse_request_set_request_metadata(r, v.as_ptr(), bad, e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "message",
                fails(|e| bedrock_stream_converse_request_append_message(r, null(), e)),
            ),
            (
                NULL_ARGUMENT,
                "client",
                fails(|e| {
                    bedrock_stream_client_converse_stream_open(null(), r, null(), &mut out_s, e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "request",
                fails(|e| {
                    bedrock_stream_client_converse_stream_open(
                        client,
                        null(),
                        null(),
                        &mut out_s,
                        e,
                    )
                }),
            ),
            (
                NULL_ARGUMENT,
                "stream_out",
                fails(|e| {
                    bedrock_stream_client_converse_stream_open(client, r, null(), null_mut(), e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "callback",
                fails(|e| {
                    bedrock_stream_client_converse_stream(client, r, None, null_mut(), null(), e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "stream",
                fails(|e| bedrock_stream_converse_stream_next(null_mut(), &mut out_ev, e)),
            ),
            (
                NULL_ARGUMENT,
                "message_out",
                fails(|e| bedrock_stream_client_converse(client, r, null(), null_mut(), e)),
            ),
            (
                NULL_ARGUMENT,
                "request",
                fails(|e| {
                    bedrock_stream_client_invoke_model(client, null(), null(), null_mut(), e)
                }),
            ),
            (
                NULL_ARGUMENT,
                "accumulator_out",
                fails(|e| bedrock_stream_converse_accumulator_new(null_mut(), e)),
            ),
            (
                NULL_ARGUMENT,
                "accumulator",
                fails(|e| bedrock_stream_converse_accumulator_finish(null_mut(), &mut out_m, e)),
            ),
        ] {
            assert_eq!(d.status, status, "{name}: {d:?}");
            assert!(
                d.message.contains(&format!("`{name}`")),
                "{name}: {}",
                d.message
            );
        }
        let acc = new_acc();
        refused(NULL_ARGUMENT, "`event`", |e| {
            bedrock_stream_converse_accumulator_push(acc, null(), e)
        });
        bedrock_stream_converse_accumulator_free(acc);
        // Nothing was sent, and the out-pointers were never written.
        assert!(out_r.is_null() && out_s.is_null() && out_m.is_null() && out_ev.is_null());
        assert_eq!(emu.request_count(), 0);

        // Accessors take NULL and answer "nothing".
        let none = read_event(null());
        assert_eq!((none.kind, none.delta_kind), (T_NONE, D_NONE));
        assert!(none.type_name.is_none() && none.delta.is_empty() && none.json.is_empty());
        assert!(none.usage.is_none() && none.latency_ms.is_none() && none.index.is_none());
        let m = read_message(null());
        assert!(m.kinds.is_empty() && m.text.is_empty() && m.stop_reason.is_none());
        assert!(m.usage.is_none() && m.json.is_null());
        assert_eq!(bedrock_stream_invoke_response_body(null()).len, 0);
        assert!(bedrock_stream_invoke_response_content_type(null()).is_null());
        assert!(bedrock_stream_converse_stream_request_id(null()).is_null());
        // _free(NULL) does nothing.
        bedrock_stream_converse_request_free(null_mut());
        bedrock_stream_converse_stream_free(null_mut());
        bedrock_stream_converse_message_free(null_mut());
        bedrock_stream_converse_accumulator_free(null_mut());
        bedrock_stream_invoke_response_free(null_mut());
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn bad_values_are_invalid_input_and_leave_the_request_unchanged() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let mut r: *mut CRequest = null_mut();
    // SAFETY: live handles; the strings live across each call.
    unsafe {
        ok(|e| bedrock_stream_converse_request_new(c(MODEL).as_ptr(), &mut r, e));
        // Blocks need a message first.
        refused(INVALID_INPUT, "no message yet", |e| {
            bedrock_stream_converse_request_add_text(r, c("x").as_ptr(), e)
        });
        refused(
            INVALID_INPUT,
            "\"robot\" is not one of: user, assistant",
            |e| bedrock_stream_converse_request_add_message(r, c("robot").as_ptr(), e),
        );
        // Enumerations ignore ASCII case and surrounding blanks and are sent as spelled.
        ok(|e| bedrock_stream_converse_request_add_message(r, c(" USER ").as_ptr(), e));
        ok(|e| bedrock_stream_converse_request_add_text(r, c("Hi").as_ptr(), e));
        ok(|e| {
            bedrock_stream_converse_request_add_image(
                r,
                c("PNG").as_ptr(),
                b"\x89PNG".as_ptr(),
                4,
                e,
            )
        });
        let bad = |status: Status, words: &str, f: &dyn Fn(E) -> Status| refused(status, words, f);
        bad(
            INVALID_INPUT,
            "the image format \"bmp\" is not one of: png, jpeg, gif, webp",
            &|e| {
                bedrock_stream_converse_request_add_image(r, c("bmp").as_ptr(), b"x".as_ptr(), 1, e)
            },
        );
        bad(INVALID_INPUT, "the image is empty", &|e| {
            bedrock_stream_converse_request_add_image(r, c("png").as_ptr(), null(), 0, e)
        });
        bad(INVALID_INPUT, "the document format", &|e| {
            bedrock_stream_converse_request_add_document(
                r,
                c("exe").as_ptr(),
                c("a").as_ptr(),
                b"x".as_ptr(),
                1,
                e,
            )
        });
        let long_name = c(&"n".repeat(201));
        bad(
            INVALID_INPUT,
            "the document name has 201 characters",
            &|e| {
                bedrock_stream_converse_request_add_document(
                    r,
                    c("txt").as_ptr(),
                    long_name.as_ptr(),
                    b"x".as_ptr(),
                    1,
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the tool use id \"a b\" contains ' '",
            &|e| {
                bedrock_stream_converse_request_add_tool_use(
                    r,
                    c("a b").as_ptr(),
                    c("t").as_ptr(),
                    c("{}").as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the tool name \"get.weather\" contains '.'",
            &|e| {
                bedrock_stream_converse_request_add_tool_use(
                    r,
                    c("id.1:2").as_ptr(),
                    c("get.weather").as_ptr(),
                    c("{}").as_ptr(),
                    e,
                )
            },
        );
        bad(INVALID_INPUT, "the tool input is not valid JSON", &|e| {
            bedrock_stream_converse_request_add_tool_use(
                r,
                c("id").as_ptr(),
                c("t").as_ptr(),
                c("{city:").as_ptr(),
                e,
            )
        });
        bad(INVALID_INPUT, "the tool result is not valid JSON", &|e| {
            bedrock_stream_converse_request_add_tool_result_json(
                r,
                c("id").as_ptr(),
                c("[1,").as_ptr(),
                null(),
                e,
            )
        });
        bad(
            INVALID_INPUT,
            "the tool result status \"ok\" is not one of: success, error",
            &|e| {
                bedrock_stream_converse_request_add_tool_result_text(
                    r,
                    c("id").as_ptr(),
                    c("x").as_ptr(),
                    c("ok").as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the tool's input schema must be a JSON object",
            &|e| {
                bedrock_stream_converse_request_add_tool(
                    r,
                    c("t").as_ptr(),
                    null(),
                    c("[]").as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the tool description must not be empty",
            &|e| {
                bedrock_stream_converse_request_add_tool(
                    r,
                    c("t").as_ptr(),
                    c("").as_ptr(),
                    c(SCHEMA).as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the tool choice \"none\" is not one of: auto, any, tool",
            &|e| bedrock_stream_converse_request_set_tool_choice(r, c("none").as_ptr(), null(), e),
        );
        bad(INVALID_INPUT, "goes with \"tool\" only", &|e| {
            bedrock_stream_converse_request_set_tool_choice(
                r,
                c("auto").as_ptr(),
                c("t").as_ptr(),
                e,
            )
        });
        bad(INVALID_INPUT, "maxTokens must be at least 1", &|e| {
            bedrock_stream_converse_request_set_max_tokens(r, 0, e)
        });
        for t in [f32::NAN, -0.01, 1.5, f32::INFINITY] {
            bad(INVALID_INPUT, "outside the range 0 to 1", &|e| {
                bedrock_stream_converse_request_set_temperature(r, t, e)
            });
            bad(INVALID_INPUT, "topP", &|e| {
                bedrock_stream_converse_request_set_top_p(r, t, e)
            });
        }
        bad(INVALID_INPUT, "a stop sequence must not be empty", &|e| {
            bedrock_stream_converse_request_add_stop_sequence(r, c("").as_ptr(), e)
        });
        bad(
            INVALID_INPUT,
            "a system text block must not be empty",
            &|e| bedrock_stream_converse_request_add_system_text(r, c("").as_ptr(), e),
        );
        bad(INVALID_INPUT, "neither an id", &|e| {
            bedrock_stream_converse_request_set_guardrail(
                r,
                c("My Guardrail").as_ptr(),
                c("1").as_ptr(),
                null(),
                null(),
                e,
            )
        });
        bad(INVALID_INPUT, "guardrailVersion \"01\"", &|e| {
            bedrock_stream_converse_request_set_guardrail(
                r,
                c("gr1").as_ptr(),
                c("01").as_ptr(),
                null(),
                null(),
                e,
            )
        });
        bad(INVALID_INPUT, "the guardrail trace \"on\"", &|e| {
            bedrock_stream_converse_request_set_guardrail(
                r,
                c("gr1").as_ptr(),
                c("DRAFT").as_ptr(),
                c("on").as_ptr(),
                null(),
                e,
            )
        });
        bad(INVALID_INPUT, "stream processing mode \"later\"", &|e| {
            bedrock_stream_converse_request_set_guardrail(
                r,
                c("gr1").as_ptr(),
                c("DRAFT").as_ptr(),
                null(),
                c("later").as_ptr(),
                e,
            )
        });
        bad(
            INVALID_INPUT,
            "additionalModelRequestFields must be a JSON object",
            &|e| {
                bedrock_stream_converse_request_set_additional_model_request_fields(
                    r,
                    c("42").as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "additionalModelRequestFields is not valid JSON",
            &|e| {
                bedrock_stream_converse_request_set_additional_model_request_fields(
                    r,
                    c("{").as_ptr(),
                    e,
                )
            },
        );
        bad(
            INVALID_INPUT,
            "the requestMetadata key may hold only",
            &|e| {
                bedrock_stream_converse_request_set_request_metadata(
                    r,
                    c("a;b").as_ptr(),
                    c("v").as_ptr(),
                    e,
                )
            },
        );
        // A sensitive value is never echoed.
        let d = fails(|e| {
            bedrock_stream_converse_request_set_request_metadata(
                r,
                c("k").as_ptr(),
                c("s3cr3t!").as_ptr(),
                e,
            )
        });
        assert!(!d.message.contains("s3cr3t"), "{}", d.message);
        for i in 0..16 {
            ok(|e| {
                bedrock_stream_converse_request_set_request_metadata(
                    r,
                    c(&format!("k{i}")).as_ptr(),
                    c("v").as_ptr(),
                    e,
                )
            });
        }
        bad(INVALID_INPUT, "already has 16 entries", &|e| {
            bedrock_stream_converse_request_set_request_metadata(
                r,
                c("k16").as_ptr(),
                c("v").as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_set_request_metadata(
                r,
                c("k3").as_ptr(),
                c("w").as_ptr(),
                e,
            )
        });
        bad(INVALID_INPUT, "performanceConfig.latency \"fast\"", &|e| {
            bedrock_stream_converse_request_set_performance_config_latency(r, c("fast").as_ptr(), e)
        });
        bad(INVALID_INPUT, "serviceTier.type \"gold\"", &|e| {
            bedrock_stream_converse_request_set_service_tier(r, c("gold").as_ptr(), e)
        });
        for _ in 0..10 {
            ok(|e| {
                bedrock_stream_converse_request_add_additional_model_response_field_path(
                    r,
                    c("/x").as_ptr(),
                    e,
                )
            });
        }
        bad(INVALID_INPUT, "already has 10 entries", &|e| {
            bedrock_stream_converse_request_add_additional_model_response_field_path(
                r,
                c("/y").as_ptr(),
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_set_service_tier(r, c("Flex").as_ptr(), e));
        // A tool choice without tools is refused when sending, before anything goes out.
        ok(|e| bedrock_stream_converse_request_set_tool_choice(r, c("any").as_ptr(), null(), e));
        let mut s: *mut CStream = null_mut();
        refused(INVALID_INPUT, "toolConfig.tools is empty", |e| {
            bedrock_stream_client_converse_stream_open(client, r, null(), &mut s, e)
        });
        assert_eq!(emu.request_count(), 0);
        ok(|e| {
            bedrock_stream_converse_request_add_tool(
                r,
                c("t").as_ptr(),
                null(),
                c(SCHEMA).as_ptr(),
                e,
            )
        });
        let acc = new_acc();
        let (_, status, d) = pull(client, r, acc);
        assert_eq!(status, OK, "{d:?}");
        // Only the accepted values were sent.
        let mut metadata = serde_json::Map::new();
        for i in 0..16 {
            metadata.insert(format!("k{i}"), json!(if i == 3 { "w" } else { "v" }));
        }
        assert_eq!(
            last_body(&emu),
            json!({
                "messages": [{"role": "user", "content": [
                    {"text": "Hi"},
                    {"image": {"format": "png", "source": {"bytes": "iVBORw=="}}}
                ]}],
                "toolConfig": {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json":
                    {"type": "object", "properties": {"city": {"type": "string"}}}}}}],
                    "toolChoice": {"any": {}}},
                "additionalModelResponseFieldPaths": vec!["/x"; 10],
                "requestMetadata": metadata,
                "serviceTier": {"type": "flex"}
            })
        );
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);

        // The JSON-text request: checked before anything is sent.
        let m = c(MODEL);
        for (json, words) in [
            ("{\"messages\": [", "not valid JSON"),
            ("[]", "must be a JSON object"),
            (r#"{"modelId":"x"}"#, "modelId"),
            (r#"{"message":[]}"#, "unknown field `message`"),
            (
                r#"{"messages":[{"role":"user","content":[{"text":1}]}]}"#,
                "ContentBlock.text",
            ),
        ] {
            let mut out: *mut CRequest = null_mut();
            refused(INVALID_INPUT, words, |e| {
                bedrock_stream_converse_request_from_json(m.as_ptr(), c(json).as_ptr(), &mut out, e)
            });
            assert!(out.is_null());
        }
        refused(INVALID_INPUT, "the model id is empty", |e| {
            bedrock_stream_converse_request_new(c("").as_ptr(), &mut r, e)
        });
        bedrock_stream_client_free(client);
    }
}

#[test]
fn every_member_the_builder_sets_is_sent_under_the_service_names() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "Describe the document.");
    // SAFETY: live handles; the strings live across each call.
    unsafe {
        ok(|e| {
            bedrock_stream_converse_request_add_document(
                r,
                c("md").as_ptr(),
                c("notes").as_ptr(),
                b"# Hi".as_ptr(),
                4,
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_add_cache_point(r, e));
        ok(|e| bedrock_stream_converse_request_add_message(r, c("assistant").as_ptr(), e));
        ok(|e| {
            bedrock_stream_converse_request_add_tool_use(
                r,
                c("tu_1").as_ptr(),
                c("lookup").as_ptr(),
                c(r#"{"q":"x"}"#).as_ptr(),
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_add_message(r, c("user").as_ptr(), e));
        ok(|e| {
            bedrock_stream_converse_request_add_tool_result_json(
                r,
                c("tu_1").as_ptr(),
                c(r#"{"a":1}"#).as_ptr(),
                c("success").as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_add_tool_result_text(
                r,
                c("tu_1").as_ptr(),
                c("fine").as_ptr(),
                null(),
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_add_text(r, c("And now?").as_ptr(), e));
        ok(|e| bedrock_stream_converse_request_add_system_text(r, c("Be brief.").as_ptr(), e));
        ok(|e| {
            bedrock_stream_converse_request_add_tool(
                r,
                c("lookup").as_ptr(),
                c("Looks things up.").as_ptr(),
                c(SCHEMA).as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_set_tool_choice(
                r,
                c("Tool").as_ptr(),
                c("lookup").as_ptr(),
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_set_max_tokens(r, 300, e));
        ok(|e| bedrock_stream_converse_request_set_temperature(r, 0.5, e));
        ok(|e| bedrock_stream_converse_request_set_top_p(r, 1.0, e));
        ok(|e| bedrock_stream_converse_request_add_stop_sequence(r, c("END").as_ptr(), e));
        ok(|e| {
            bedrock_stream_converse_request_set_guardrail(
                r,
                c("gr1abc").as_ptr(),
                c("DRAFT").as_ptr(),
                c("Enabled_Full").as_ptr(),
                c("ASYNC").as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_set_additional_model_request_fields(
                r,
                c(r#"{"top_k":5}"#).as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_add_additional_model_response_field_path(
                r,
                c("/stop_sequence").as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_set_request_metadata(
                r,
                c("team").as_ptr(),
                c("search").as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_set_performance_config_latency(
                r,
                c("optimized").as_ptr(),
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_set_service_tier(r, c("priority").as_ptr(), e));
        let acc = new_acc();
        let (_, status, d) = pull(client, r, acc);
        assert_eq!(status, OK, "{d:?}");
        let want = json!({
            "messages": [
                {"role": "user", "content": [
                    {"text": "Describe the document."},
                    {"document": {"format": "md", "name": "notes", "source": {"bytes": "IyBIaQ=="}}},
                    {"cachePoint": {"type": "default"}}
                ]},
                {"role": "assistant", "content": [
                    {"toolUse": {"toolUseId": "tu_1", "name": "lookup", "input": {"q": "x"}}}
                ]},
                {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "tu_1", "content": [{"json": {"a": 1}}], "status": "success"}},
                    {"toolResult": {"toolUseId": "tu_1", "content": [{"text": "fine"}]}},
                    {"text": "And now?"}
                ]}
            ],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.5, "topP": 1.0, "stopSequences": ["END"]},
            "toolConfig": {
                "tools": [{"toolSpec": {"name": "lookup", "description": "Looks things up.",
                    "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}}}}],
                "toolChoice": {"tool": {"name": "lookup"}}
            },
            "guardrailConfig": {"guardrailIdentifier": "gr1abc", "guardrailVersion": "DRAFT",
                "trace": "enabled_full", "streamProcessingMode": "async"},
            "additionalModelRequestFields": {"top_k": 5},
            "additionalModelResponseFieldPaths": ["/stop_sequence"],
            "requestMetadata": {"team": "search"},
            "performanceConfig": {"latency": "optimized"},
            "serviceTier": {"type": "priority"}
        });
        assert_eq!(last_body(&emu), want);
        // The same request built in Rust serialises identically.
        let typed: ConverseRequest = serde_json::from_value(want.clone()).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&typed.to_body().unwrap()).unwrap(),
            want
        );
        // The message shows what the stream said (guardrail trace, performance, tier).
        let m = finish(acc);
        let b = read_message(m);
        assert_eq!(b.json["trace"]["guardrail"]["actionReason"], "No action.");
        assert_eq!(b.json["performanceConfig"], json!({"latency": "optimized"}));
        assert_eq!(b.json["serviceTier"], json!({"type": "priority"}));
        assert_eq!(
            b.json["additionalModelResponseFields"],
            json!({"stop_sequence": "emulated"})
        );
        let u = b.usage.unwrap();
        assert!(
            u.has_cache_write_input_tokens && u.has_cache_read_input_tokens,
            "{u:?}"
        );
        assert_eq!(u.cache_write_input_tokens, u.input_tokens);
        // A ConverseStream-only member: Converse refuses the request before sending.
        let before = emu.request_count();
        let mut out: *mut CMessage = null_mut();
        refused(INVALID_INPUT, "streamProcessingMode", |e| {
            bedrock_stream_client_converse(client, r, null(), &mut out, e)
        });
        assert_eq!(emu.request_count(), before);
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

// ---------------------------------------------------------------------------------------------
// Events and the accumulator
// ---------------------------------------------------------------------------------------------

/// The accessors' view of the Rust events of the same request.
fn rust_view(emu: &Emulator, req: &ConverseRequest) -> Vec<(String, i32, Vec<u8>)> {
    rust_client(emu)
        .converse_stream(req)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let (kind, bytes) = match &e {
                ConverseStreamEvent::ContentBlockDelta(d) => match &d.delta {
                    ContentBlockDelta::Text(t) => (D_TEXT, t.as_bytes().to_vec()),
                    ContentBlockDelta::ToolUse(t) => (D_TOOL_USE, t.input.as_bytes().to_vec()),
                    ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(t)) => {
                        (D_REASONING_TEXT, t.as_bytes().to_vec())
                    }
                    ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(
                        s,
                    )) => (D_REASONING_SIGNATURE, s.as_bytes().to_vec()),
                    ContentBlockDelta::ReasoningContent(
                        ReasoningContentBlockDelta::RedactedContent(b),
                    ) => (D_REASONING_REDACTED, b.as_bytes().to_vec()),
                    ContentBlockDelta::Unknown(u) => {
                        (D_UNKNOWN, serde_json::to_vec(&u.value).unwrap())
                    }
                    other => panic!("not produced by the emulator: {other:?}"),
                },
                _ => (D_NONE, Vec::new()),
            };
            (e.event_type().to_owned(), kind, bytes)
        })
        .collect()
}

#[test]
fn every_accessor_on_every_event_type_and_delta_kind() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "Weather?");
    let fields = r#"{"reasoning_config":{"type":"enabled"},"emulator":{"future":true}}"#;
    // SAFETY: live handles; the strings live across each call.
    unsafe {
        ok(|e| {
            bedrock_stream_converse_request_set_additional_model_request_fields(
                r,
                c(fields).as_ptr(),
                e,
            )
        });
        ok(|e| {
            bedrock_stream_converse_request_add_tool(
                r,
                c("get_weather").as_ptr(),
                null(),
                c(SCHEMA).as_ptr(),
                e,
            )
        });
    }
    let acc = new_acc();
    let (seen, status, d) = pull(client, r, acc);
    assert_eq!(status, OK, "{d:?}");

    // The same events, types and delta bytes as the Rust API.
    let rust_req: ConverseRequest = serde_json::from_value(last_body(&emu)).unwrap();
    let rust_req = ConverseRequest {
        model_id: MODEL.into(),
        ..rust_req
    };
    let want = rust_view(&emu, &rust_req);
    let got: Vec<(String, i32, Vec<u8>)> = seen
        .iter()
        .map(|s| (s.type_name.clone().unwrap(), s.delta_kind, s.delta.clone()))
        .collect();
    // Tool use ids are random per response: compare everything else.
    let strip = |v: &[(String, i32, Vec<u8>)]| -> Vec<(String, i32)> {
        v.iter().map(|(t, k, _)| (t.clone(), *k)).collect()
    };
    assert_eq!(strip(&got), strip(&want));
    for (g, w) in got.iter().zip(&want) {
        if g.1 != D_NONE {
            assert_eq!(g.2, w.2, "{g:?}");
        }
    }

    for s in &seen {
        let json: Value = serde_json::from_slice(&s.json).unwrap();
        match s.kind {
            T_MESSAGE_START => {
                assert_eq!(s.role.as_deref(), Some("assistant"));
                assert_eq!(json, json!({"role": "assistant"}));
                assert!(s.index.is_none() && s.member.is_none());
            }
            T_UNKNOWN => {
                assert_eq!(s.type_name.as_deref(), Some("futureEvent"));
                assert_eq!(json["note"], "an event type this client does not know yet");
                assert_eq!(s.delta_kind, D_NONE);
            }
            T_BLOCK_START => {
                assert_eq!(s.member.as_deref(), Some("toolUse"));
                assert_eq!(s.tool_use_name.as_deref(), Some("get_weather"));
                let id = s.tool_use_id.as_deref().unwrap();
                assert!(id.starts_with("tooluse_"), "{id}");
                assert_eq!(json["start"]["toolUse"]["toolUseId"], id);
                assert_eq!(json["contentBlockIndex"], s.index.unwrap());
            }
            T_BLOCK_DELTA => {
                let index = s.index.unwrap();
                assert_eq!(json["contentBlockIndex"], index);
                let member = s.member.as_deref().unwrap();
                match s.delta_kind {
                    D_TEXT => {
                        assert_eq!(member, "text");
                        assert_eq!(json["delta"]["text"].as_str().unwrap().as_bytes(), s.delta)
                    }
                    D_TOOL_USE => assert_eq!(member, "toolUse"),
                    D_REASONING_TEXT | D_REASONING_SIGNATURE => {
                        assert_eq!(member, "reasoningContent")
                    }
                    D_UNKNOWN => {
                        assert_eq!(member, "futureDelta");
                        assert_eq!(
                            serde_json::from_slice::<Value>(&s.delta).unwrap(),
                            json!({"hint": "kept as unknown"})
                        );
                        assert_eq!(
                            json["delta"]["futureDelta"],
                            json!({"hint": "kept as unknown"})
                        );
                    }
                    k => panic!("unexpected delta kind {k}"),
                }
                assert!(s.tool_use_id.is_none() && s.stop_reason.is_none() && s.role.is_none());
            }
            T_BLOCK_STOP => {
                assert_eq!(json, json!({"contentBlockIndex": s.index.unwrap()}));
                assert_eq!(s.delta_kind, D_NONE);
                assert!(s.delta.is_empty());
            }
            T_MESSAGE_STOP => {
                assert_eq!(s.stop_reason.as_deref(), Some("tool_use"));
                assert_eq!(json["stopReason"], "tool_use");
            }
            T_METADATA => {
                let u = s.usage.unwrap();
                assert_eq!(json["usage"]["inputTokens"], u.input_tokens);
                assert_eq!(json["usage"]["outputTokens"], u.output_tokens);
                assert_eq!(u.total_tokens, u.input_tokens + u.output_tokens);
                assert!(!u.has_cache_read_input_tokens && !u.has_cache_write_input_tokens);
                assert_eq!(json["metrics"]["latencyMs"], s.latency_ms.unwrap());
            }
            k => panic!("unexpected event type {k}"),
        }
        if s.kind != T_METADATA {
            assert!(s.usage.is_none() && s.latency_ms.is_none());
        }
        if s.kind != T_BLOCK_START {
            assert!(s.tool_use_name.is_none());
        }
    }
    let kinds: Vec<i32> = seen.iter().map(|s| s.delta_kind).collect();
    for k in [
        D_TEXT,
        D_TOOL_USE,
        D_REASONING_TEXT,
        D_REASONING_SIGNATURE,
        D_UNKNOWN,
    ] {
        assert!(kinds.contains(&k), "delta kind {k} never seen");
    }
    let types: Vec<i32> = seen.iter().map(|s| s.kind).collect();
    for t in [
        T_MESSAGE_START,
        T_BLOCK_START,
        T_BLOCK_DELTA,
        T_BLOCK_STOP,
        T_MESSAGE_STOP,
        T_METADATA,
        T_UNKNOWN,
    ] {
        assert!(types.contains(&t), "event type {t} never seen");
    }
    // The tool input arrived in several fragments, one cut inside a \u escape.
    let fragments: Vec<&Seen> = seen.iter().filter(|s| s.delta_kind == D_TOOL_USE).collect();
    assert!(fragments.len() >= 3, "{fragments:?}");
    assert!(fragments.iter().any(|f| f.delta.ends_with(b"\\u0")));

    // The accumulator joined them: reasoning with its signature, text, the tool use.
    let m = finish(acc);
    let b = read_message(m);
    assert_eq!(b.kinds, [B_REASONING, B_TEXT, B_TOOL_USE]);
    assert_eq!(b.texts[0], "The user wants an answer; I will give one.");
    assert_eq!(b.signatures[0].as_deref(), Some("RW11bGF0ZWQgc2lnbmF0dXJl"));
    assert_eq!(b.texts[1], "Let me call get_weather.");
    assert_eq!(b.text, "Let me call get_weather.");
    assert_eq!(b.names[2].as_deref(), Some("get_weather"));
    let tool_start = seen.iter().find(|s| s.kind == T_BLOCK_START).unwrap();
    assert_eq!(b.ids[2], tool_start.tool_use_id);
    assert_eq!(
        String::from_utf8(b.inputs[2].clone()).unwrap(),
        r#"{"city":"Zürich"}"#
    );
    assert_eq!(
        b.block_json[2]["toolUse"]["input"],
        json!({"city": "Zürich"})
    );
    assert!(b.inputs[1].is_empty() && b.ids[1].is_none() && b.signatures[2].is_none());
    assert_eq!(b.stop_reason.as_deref(), Some("tool_use"));
    let metadata = seen.iter().find(|s| s.kind == T_METADATA).unwrap();
    assert_eq!(b.usage, metadata.usage);
    assert_eq!(b.latency_ms, metadata.latency_ms);
    assert!(b.request_id.is_none(), "only Converse answers carry one");
    assert_eq!(b.json["stopReason"], "tool_use");
    assert_eq!(b.json["output"]["message"]["role"], "assistant");
    assert_eq!(b.json["output"]["message"]["content"][2], b.block_json[2]);
    // The accumulator is empty again.
    let empty = finish(acc);
    let e = read_message(empty);
    assert!(e.kinds.is_empty() && e.stop_reason.is_none() && e.usage.is_none());
    // SAFETY: live handles, freed once.
    unsafe {
        bedrock_stream_converse_message_free(empty);
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);
    }

    // Redacted reasoning: raw bytes in the delta and in the block.
    let r = request(MODEL, "secret thoughts");
    let fields = r#"{"emulator":{"redacted_reasoning":true}}"#;
    // SAFETY: live handle; the string lives across the call.
    ok(|e| unsafe {
        bedrock_stream_converse_request_set_additional_model_request_fields(
            r,
            c(fields).as_ptr(),
            e,
        )
    });
    let acc = new_acc();
    let (seen, status, _) = pull(client, r, acc);
    assert_eq!(status, OK);
    let redacted = b"\x00emulated redacted reasoning\xff";
    let delta = seen
        .iter()
        .find(|s| s.delta_kind == D_REASONING_REDACTED)
        .unwrap();
    assert_eq!(delta.delta, redacted);
    let m = finish(acc);
    let b = read_message(m);
    assert_eq!(b.kinds, [B_REDACTED_REASONING, B_TEXT]);
    assert_eq!(b.redacted[0], redacted);
    assert!(b.texts[0].is_empty() && b.redacted[1].is_empty());
    // SAFETY: live handles, freed once.
    unsafe {
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

// ---------------------------------------------------------------------------------------------
// The push API, errors and cancellation
// ---------------------------------------------------------------------------------------------

struct Pushed {
    seen: Vec<Seen>,
    acc: *mut Acc,
    stop_after: usize,
    cancel: *const Cancel,
}

unsafe extern "C-unwind" fn on_event(user_data: *mut c_void, event: *const CEvent) -> i32 {
    // SAFETY: `user_data` is the `Pushed` given to the call, used by this thread only.
    let p = unsafe { &mut *user_data.cast::<Pushed>() };
    p.seen.push(read_event(event));
    if !p.acc.is_null() {
        // SAFETY: live accumulator; the event is valid during the callback.
        ok(|e| unsafe { bedrock_stream_converse_accumulator_push(p.acc, event, e) });
    }
    if p.seen.len() == p.stop_after {
        if p.cancel.is_null() {
            return 7;
        }
        // SAFETY: a live cancel handle.
        assert_eq!(unsafe { bedrock_stream_cancel_cancel(p.cancel) }, OK);
    }
    0
}

fn push(
    client: *const Client,
    r: *const CRequest,
    p: &mut Pushed,
    cancel: *const Cancel,
) -> (Status, Option<Detail>) {
    // SAFETY: live handles; `p` outlives the call.
    call(|e| unsafe {
        bedrock_stream_client_converse_stream(
            client,
            r,
            Some(on_event),
            (p as *mut Pushed).cast(),
            cancel,
            e,
        )
    })
}

#[test]
fn push_api_delivers_the_same_events_and_a_callback_stop_closes_the_stream() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "push me");
    let (pulled, status, _) = pull(client, r, null_mut());
    assert_eq!(status, OK);
    let mut p = Pushed {
        seen: Vec::new(),
        acc: new_acc(),
        stop_after: 0,
        cancel: null(),
    };
    let (status, d) = push(client, r, &mut p, null());
    assert_eq!(status, OK, "{d:?}");
    let strip = |v: &[Seen]| -> Vec<(i32, i32, Vec<u8>)> {
        v.iter()
            .map(|s| (s.kind, s.delta_kind, s.delta.clone()))
            .collect()
    };
    assert_eq!(strip(&p.seen), strip(&pulled));
    let m = finish(p.acc);
    let b = read_message(m);
    let text: String = pulled
        .iter()
        .filter(|s| s.delta_kind == D_TEXT)
        .map(|s| String::from_utf8(s.delta.clone()).unwrap())
        .collect();
    assert_eq!(b.text, text);
    assert!(text.contains("You said: “push me”"), "{text}");
    assert_eq!(b.stop_reason.as_deref(), Some("end_turn"));

    // Stop after 3 events.
    let mut q = Pushed {
        seen: Vec::new(),
        acc: null_mut(),
        stop_after: 3,
        cancel: null(),
    };
    let (status, d) = push(client, r, &mut q, null());
    assert_eq!(status, ABORTED_BY_CALLBACK);
    let d = d.unwrap();
    assert_eq!(d.events_delivered, 3);
    assert!(d.message.contains("returned 7"), "{}", d.message);
    assert!(d.request_id.is_some());
    assert_eq!(q.seen.len(), 3);
    assert!(emu.wait_for_closed_connections(1, Duration::from_secs(10)));
    // SAFETY: live handles, freed once.
    unsafe {
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_accumulator_free(p.acc);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn the_stream_counts_its_attempts_and_events_as_the_core_does() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    // Two 503s before the stream opens: three attempts, as the error would say.
    let r = request("emulator-fault:fail=2:503", "hi");
    let mut stream: *mut CStream = null_mut();
    // SAFETY: live handles; valid out-pointers; freed once.
    unsafe {
        ok(|e| bedrock_stream_client_converse_stream_open(client, r, null(), &mut stream, e));
        assert_eq!(bedrock_stream_converse_stream_attempts(stream), 3);
        assert_eq!(bedrock_stream_converse_stream_events_delivered(stream), 0);
        let mut n = 0u64;
        loop {
            let mut ev: *const CEvent = null();
            ok(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
            if ev.is_null() {
                break;
            }
            n += 1;
            assert_eq!(bedrock_stream_converse_stream_events_delivered(stream), n);
        }
        assert!(n >= 4, "{n} events");
        assert_eq!(bedrock_stream_converse_stream_attempts(stream), 3);
        assert_eq!(bedrock_stream_converse_stream_events_delivered(null()), 0);
        assert_eq!(bedrock_stream_converse_stream_attempts(null()), 0);
        bedrock_stream_converse_stream_free(stream);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn errors_on_every_path_carry_their_fields() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    // HTTP errors before the stream: push, pull and Converse alike.
    for (spec, status, http, retried) in [
        ("http=403", ACCESS_DENIED, 403, false),
        ("http=400", VALIDATION, 400, false),
        ("http=429", THROTTLING, 429, true),
    ] {
        let r = request(&format!("emulator-fault:{spec}"), "hi");
        let attempts = if retried { 3 } else { 1 };
        let (_, got, d) = pull(client, r, null_mut());
        let d = d.unwrap();
        assert_eq!(
            (got, d.http_status, d.attempts),
            (status, http, attempts),
            "{spec}: {d:?}"
        );
        assert!(d.request_id.is_some() && d.code.is_some(), "{d:?}");
        let mut p = Pushed {
            seen: Vec::new(),
            acc: null_mut(),
            stop_after: 0,
            cancel: null(),
        };
        let (got, d) = push(client, r, &mut p, null());
        assert_eq!((got, d.unwrap().attempts), (status, attempts));
        assert!(p.seen.is_empty());
        let mut m: *mut CMessage = null_mut();
        // SAFETY: live handles, valid out-pointer.
        let d = fails(|e| unsafe { bedrock_stream_client_converse(client, r, null(), &mut m, e) });
        assert_eq!((d.status, d.attempts), (status, attempts));
        assert!(m.is_null());
        // SAFETY: freed once.
        unsafe { bedrock_stream_converse_request_free(r) };
    }
    // An exception in the stream: the events before it were delivered, no retry.
    let before = emu.request_count();
    let r = request(
        "emulator-fault:exception=modelStreamErrorException:after=2:message=boom:status=503",
        "hi",
    );
    let (seen, status, d) = pull(client, r, null_mut());
    let d = d.unwrap();
    assert_eq!(
        (status, seen.len(), d.events_delivered),
        (MODEL_STREAM_ERROR, 2, 2)
    );
    assert_eq!(d.code.as_deref(), Some("modelStreamErrorException"));
    assert_eq!(d.original_status_code, 503);
    assert!(d.message.contains("boom"), "{}", d.message);
    let mut p = Pushed {
        seen: Vec::new(),
        acc: null_mut(),
        stop_after: 0,
        cancel: null(),
    };
    let (status, d) = push(client, r, &mut p, null());
    assert_eq!(
        (status, p.seen.len(), d.unwrap().events_delivered),
        (MODEL_STREAM_ERROR, 2, 2)
    );
    assert_eq!(emu.request_count(), before + 2);
    // SAFETY: freed once.
    unsafe { bedrock_stream_converse_request_free(r) };
    // Truncation after some events.
    let r = request("emulator-fault:truncate:after=3:abrupt", "hi");
    let (seen, status, d) = pull(client, r, null_mut());
    assert_eq!(
        (status, seen.len(), d.unwrap().events_delivered),
        (TRUNCATED, 3, 3)
    );
    // SAFETY: freed once.
    unsafe { bedrock_stream_converse_request_free(r) };

    // Cancellation from another thread during `next` (before or while it waits: either way the
    // call ends cancelled), and from the callback.
    let r = request("emulator-fault:stall:after=2", "hi");
    let mut cancel: *mut Cancel = null_mut();
    let mut stream: *mut CStream = null_mut();
    // SAFETY: live handles, valid out-pointers; the cancel handle outlives the other thread's
    // use (it is joined before the handle is freed).
    unsafe {
        ok(|e| bedrock_stream_cancel_new(&mut cancel, e));
        ok(|e| bedrock_stream_client_converse_stream_open(client, r, cancel, &mut stream, e));
        let mut ev: *const CEvent = null();
        ok(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
        ok(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
        assert!(!ev.is_null());
        // The handle serves one call only.
        let mut other: *mut CStream = null_mut();
        refused(INVALID_INPUT, "already given to another call", |e| {
            bedrock_stream_client_converse_stream_open(client, r, cancel, &mut other, e)
        });
        let (tx, rx) = mpsc::channel();
        let cancel_addr = cancel as usize;
        let canceller = thread::spawn(move || {
            rx.recv().unwrap();
            // (In the enclosing unsafe block.) The handle is live until this thread is joined.
            bedrock_stream_cancel_cancel(cancel_addr as *const Cancel)
        });
        tx.send(()).unwrap();
        let started = Instant::now();
        let d = fails(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
        assert_eq!(canceller.join().unwrap(), OK);
        assert_eq!((d.status, d.events_delivered), (CANCELLED, 2));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        bedrock_stream_converse_stream_free(stream);
        bedrock_stream_cancel_free(cancel);
    }
    // Cancelled from the callback: no further event is delivered.
    let r2 = request(MODEL, "hi");
    let mut cancel: *mut Cancel = null_mut();
    // SAFETY: valid out-pointer.
    ok(|e| unsafe { bedrock_stream_cancel_new(&mut cancel, e) });
    let mut p = Pushed {
        seen: Vec::new(),
        acc: null_mut(),
        stop_after: 2,
        cancel,
    };
    let (status, _) = push(client, r2, &mut p, cancel);
    assert_eq!((status, p.seen.len()), (CANCELLED, 2));
    // SAFETY: freed once.
    unsafe {
        bedrock_stream_cancel_free(cancel);
        bedrock_stream_converse_request_free(r2);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

// ---------------------------------------------------------------------------------------------
// Converse, the tool loop, JSON requests and InvokeModel
// ---------------------------------------------------------------------------------------------

#[test]
fn the_tool_loop_and_converse_from_c() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "Weather in Zürich?");
    // SAFETY: live handles; the strings live across each call.
    unsafe {
        ok(|e| {
            bedrock_stream_converse_request_add_tool(
                r,
                c("get_weather").as_ptr(),
                null(),
                c(SCHEMA).as_ptr(),
                e,
            )
        });
        // Converse: the whole answer, retried after a 500.
        emu.push_scenario("fail=1:500".parse::<Scenario>().unwrap());
        let mut m: *mut CMessage = null_mut();
        ok(|e| bedrock_stream_client_converse(client, r, null(), &mut m, e));
        let b = read_message(m);
        assert_eq!(b.kinds, [B_TEXT, B_TOOL_USE]);
        assert_eq!(b.stop_reason.as_deref(), Some("tool_use"));
        assert!(b.request_id.is_some());
        assert!(b.latency_ms.is_some() && b.usage.is_some());
        assert_eq!(b.json["output"]["message"]["content"][1], b.block_json[1]);
        assert_eq!(
            String::from_utf8(b.inputs[1].clone()).unwrap(),
            r#"{"city":"Zürich"}"#
        );
        assert!(emu.requests().last().unwrap().path.ends_with("/converse"));
        // The next turn: the model's message, then the tool result, streamed.
        ok(|e| bedrock_stream_converse_request_append_message(r, m, e));
        ok(|e| bedrock_stream_converse_request_add_message(r, c("user").as_ptr(), e));
        let id = c(b.ids[1].as_deref().unwrap());
        ok(|e| {
            bedrock_stream_converse_request_add_tool_result_json(
                r,
                id.as_ptr(),
                c(r#"{"celsius":21}"#).as_ptr(),
                c("success").as_ptr(),
                e,
            )
        });
        bedrock_stream_converse_message_free(m);
        let acc = new_acc();
        let (_, status, d) = pull(client, r, acc);
        assert_eq!(status, OK, "{d:?}");
        let m = finish(acc);
        let b2 = read_message(m);
        assert_eq!(b2.stop_reason.as_deref(), Some("end_turn"));
        assert!(
            b2.text.starts_with(r#"The tool answered: {"celsius":21}."#),
            "{}",
            b2.text
        );
        let sent = last_body(&emu);
        assert_eq!(
            sent["messages"][1]["content"],
            b.json["output"]["message"]["content"]
        );
        assert_eq!(
            sent["messages"][2]["content"][0]["toolResult"]["toolUseId"],
            b.ids[1].as_deref().unwrap()
        );
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);

        // A request from JSON text is sent byte for byte; once changed, as serialised.
        let text = r#"{"messages": [{"role": "user", "content": [{"text": "Hi"}]}],  "inferenceConfig": {"maxTokens": 50}}"#;
        let mut j: *mut CRequest = null_mut();
        ok(|e| {
            bedrock_stream_converse_request_from_json(
                c(MODEL).as_ptr(),
                c(text).as_ptr(),
                &mut j,
                e,
            )
        });
        let mut m: *mut CMessage = null_mut();
        ok(|e| bedrock_stream_client_converse(client, j, null(), &mut m, e));
        assert_eq!(emu.requests().last().unwrap().body, text.as_bytes());
        ok(|e| bedrock_stream_converse_request_append_message(j, m, e));
        ok(|e| bedrock_stream_converse_request_add_message(j, c("user").as_ptr(), e));
        ok(|e| bedrock_stream_converse_request_add_text(j, c("More.").as_ptr(), e));
        let (_, status, _) = pull(client, j, null_mut());
        assert_eq!(status, OK);
        let sent = last_body(&emu);
        assert_eq!(sent["messages"].as_array().unwrap().len(), 3);
        assert_eq!(sent["inferenceConfig"], json!({"maxTokens": 50}));
        assert_eq!(sent["messages"][2]["content"], json!([{"text": "More."}]));
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_request_free(j);

        // A Converse answer whose content this library does not know is still readable.
        let f = request(MODEL, "future");
        ok(|e| {
            bedrock_stream_converse_request_set_additional_model_request_fields(
                f,
                c(r#"{"emulator":{"future":true}}"#).as_ptr(),
                e,
            )
        });
        let mut m: *mut CMessage = null_mut();
        ok(|e| bedrock_stream_client_converse(client, f, null(), &mut m, e));
        let b = read_message(m);
        assert_eq!(*b.kinds.last().unwrap(), B_OTHER);
        assert_eq!(
            *b.block_json.last().unwrap(),
            json!({"futureBlock": {"hint": "kept as unknown"}})
        );
        bedrock_stream_converse_message_free(m);
        bedrock_stream_converse_request_free(f);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn invoke_model_returns_the_body_and_the_response_headers() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let body = br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}"#;
    let mut r: *mut Request = null_mut();
    // SAFETY: live handles, valid pointers; the strings live across each call.
    unsafe {
        ok(|e| bedrock_stream_request_new(c(MODEL).as_ptr(), body.as_ptr(), body.len(), &mut r, e));
        ok(|e| {
            bedrock_stream_request_set_performance_config_latency(r, c("optimized").as_ptr(), e)
        });
        emu.push_scenario("fail=1:503".parse::<Scenario>().unwrap());
        let mut resp: *mut IResponse = null_mut();
        ok(|e| bedrock_stream_client_invoke_model(client, r, null(), &mut resp, e));
        let doc = bedrock_stream_invoke_response_body(resp).json();
        assert!(
            doc["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("You said: “Say hello”"),
            "{doc}"
        );
        assert_eq!(
            text(bedrock_stream_invoke_response_content_type(resp)).as_deref(),
            Some("application/json")
        );
        assert!(text(bedrock_stream_invoke_response_request_id(resp)).is_some());
        assert_eq!(
            text(bedrock_stream_invoke_response_performance_config_latency(
                resp
            ))
            .as_deref(),
            Some("optimized")
        );
        assert_eq!(
            text(bedrock_stream_invoke_response_service_tier(resp)),
            None
        );
        let sent = emu.requests();
        assert_eq!(sent.len(), 2, "one retry");
        assert!(sent[1].path.ends_with("/invoke"), "{}", sent[1].path);
        assert_eq!(sent[1].body, body);
        bedrock_stream_invoke_response_free(resp);
        bedrock_stream_request_free(r);
        // Errors carry their fields.
        ok(|e| {
            bedrock_stream_request_new(
                c("emulator-fault:http=404").as_ptr(),
                body.as_ptr(),
                body.len(),
                &mut r,
                e,
            )
        });
        let mut resp: *mut IResponse = null_mut();
        let d = fails(|e| bedrock_stream_client_invoke_model(client, r, null(), &mut resp, e));
        assert_eq!((d.http_status, d.attempts), (404, 1));
        assert!(resp.is_null());
        bedrock_stream_request_free(r);
        bedrock_stream_client_free(client);
    }
}
