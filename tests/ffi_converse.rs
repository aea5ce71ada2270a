//! The C ABI of Converse, ConverseStream and InvokeModel driven from Rust: the exported
//! functions are declared here as C sees them (`include/bedrock_stream.h`) and called against
//! the emulator. NULLs, invalid UTF-8, bad enumerations and bad JSON; every accessor on every
//! event type (compared with the Rust API's events for the same request); the accumulator on
//! split tool input and reasoning; errors on every path (HTTP errors, an exception in the
//! stream, truncation, a callback stop, cancellation); Converse and InvokeModel.
#![cfg(feature = "emulator")]

extern crate bedrock_stream;

#[allow(
    dead_code,
    reason = "only the emulator's Rust client and the shared C API declarations are used here"
)]
mod common;
use common::capi::*;
use common::program::emulator_client as rust_client;

use std::ffi::{c_char, c_void};
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
opaque!(CRequest, CStream, CEvent, Acc, CMessage, IResponse);

impl Bytes {
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

type EventCb = Option<unsafe extern "C-unwind" fn(*mut c_void, *const CEvent) -> i32>;

const VALIDATION: Status = 17;

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

extern "C" {

    fn bedrock_stream_config_set_ignore_env_bearer_token(c: *mut Config, on: bool, e: E) -> Status;
    fn bedrock_stream_config_set_retry_backoff_ms(c: *mut Config, a: u64, b: u64, e: E) -> Status;

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
    // The builder's other members (every member of the service model has a setter).
    fn bedrock_stream_converse_request_add_image_s3(
        r: *mut CRequest,
        f: *const c_char,
        uri: *const c_char,
        owner: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_document_s3(
        r: *mut CRequest,
        f: *const c_char,
        name: *const c_char,
        uri: *const c_char,
        owner: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_document_text(
        r: *mut CRequest,
        f: *const c_char,
        name: *const c_char,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_document_content(
        r: *mut CRequest,
        f: *const c_char,
        name: *const c_char,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_document_content_text(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_document_context(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_citations_enabled(
        r: *mut CRequest,
        on: bool,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_video(
        r: *mut CRequest,
        f: *const c_char,
        d: *const u8,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_video_s3(
        r: *mut CRequest,
        f: *const c_char,
        uri: *const c_char,
        owner: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_audio(
        r: *mut CRequest,
        f: *const c_char,
        d: *const u8,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_audio_s3(
        r: *mut CRequest,
        f: *const c_char,
        uri: *const c_char,
        owner: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_guard_content_text(
        r: *mut CRequest,
        t: *const c_char,
        q: *const *const c_char,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_guard_content_image(
        r: *mut CRequest,
        f: *const c_char,
        d: *const u8,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_cache_point_ttl(
        r: *mut CRequest,
        ttl: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_reasoning_text(
        r: *mut CRequest,
        t: *const c_char,
        sig: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_reasoning_redacted(
        r: *mut CRequest,
        d: *const u8,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_citations_content(r: *mut CRequest, e: E) -> Status;
    fn bedrock_stream_converse_request_add_citation_generated_text(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_citation(
        r: *mut CRequest,
        title: *const c_char,
        source: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_citation_source_text(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_citation_web_location(
        r: *mut CRequest,
        url: *const c_char,
        domain: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_citation_location(
        r: *mut CRequest,
        kind: *const c_char,
        index: i64,
        start: i64,
        end: i64,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_search_result(
        r: *mut CRequest,
        source: *const c_char,
        title: *const c_char,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_search_result_text(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_addition(
        r: *mut CRequest,
        ty: *const c_char,
        name: *const c_char,
        server: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_removal(
        r: *mut CRequest,
        ty: *const c_char,
        name: *const c_char,
        server: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_begin_tool_result(
        r: *mut CRequest,
        id: *const c_char,
        status: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_json_content(
        r: *mut CRequest,
        j: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_end_tool_result(r: *mut CRequest, e: E) -> Status;
    fn bedrock_stream_converse_request_set_tool_block_type(
        r: *mut CRequest,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_system_guard_content_text(
        r: *mut CRequest,
        t: *const c_char,
        q: *const *const c_char,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_system_guard_content_image(
        r: *mut CRequest,
        f: *const c_char,
        d: *const u8,
        n: usize,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_system_cache_point(
        r: *mut CRequest,
        ttl: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_system_tool(
        r: *mut CRequest,
        name: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_add_tool_cache_point(
        r: *mut CRequest,
        ttl: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_tool_strict(r: *mut CRequest, on: bool, e: E) -> Status;
    fn bedrock_stream_converse_request_set_project_identifier(
        r: *mut CRequest,
        p: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_prompt_variable(
        r: *mut CRequest,
        n: *const c_char,
        t: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_output_json_schema(
        r: *mut CRequest,
        s: *const c_char,
        n: *const c_char,
        d: *const c_char,
        e: E,
    ) -> Status;
    fn bedrock_stream_converse_request_set_output_effort(
        r: *mut CRequest,
        t: *const c_char,
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
    fn bedrock_stream_converse_event_copy(ev: *const CEvent, out: *mut *mut CEvent, e: E)
        -> Status;
    fn bedrock_stream_converse_event_free(ev: *mut CEvent);
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
                // The unknown top-level member of every event is kept, as received.
                assert_eq!(
                    json,
                    json!({"role": "assistant", "futureMessageStart": {"of": "messageStart"}})
                );
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
                assert_eq!(
                    json["futureContentBlockStart"],
                    json!({"of": "contentBlockStart"})
                );
            }
            T_BLOCK_DELTA => {
                let index = s.index.unwrap();
                assert_eq!(json["contentBlockIndex"], index);
                assert_eq!(
                    json["futureContentBlockDelta"],
                    json!({"of": "contentBlockDelta"})
                );
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
                assert_eq!(
                    json,
                    json!({"contentBlockIndex": s.index.unwrap(),
                           "futureContentBlockStop": {"of": "contentBlockStop"}})
                );
                assert_eq!(s.delta_kind, D_NONE);
                assert!(s.delta.is_empty());
            }
            T_MESSAGE_STOP => {
                assert_eq!(s.stop_reason.as_deref(), Some("tool_use"));
                assert_eq!(json["stopReason"], "tool_use");
                assert_eq!(json["futureMessageStop"], json!({"of": "messageStop"}));
            }
            T_METADATA => {
                let u = s.usage.unwrap();
                assert_eq!(json["usage"]["inputTokens"], u.input_tokens);
                assert_eq!(json["usage"]["outputTokens"], u.output_tokens);
                assert_eq!(u.total_tokens, u.input_tokens + u.output_tokens);
                assert!(!u.has_cache_read_input_tokens && !u.has_cache_write_input_tokens);
                assert_eq!(json["metrics"]["latencyMs"], s.latency_ms.unwrap());
                // A member this library does not know is kept, as received.
                assert_eq!(json["futureMetadata"], json!({"carbonGrams": 1}), "{json}");
                // The service's padding member is not one.
                assert!(json.get("p").is_none(), "{json}");
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
    // The unknown top-level members of messageStart, messageStop and metadata are in the
    // message JSON, beside the known ones, as a ConverseResponse would carry them.
    assert_eq!(
        b.json["futureMessageStart"],
        json!({"of": "messageStart"}),
        "{}",
        b.json
    );
    assert_eq!(b.json["futureMessageStop"], json!({"of": "messageStop"}));
    assert_eq!(b.json["futureMetadata"], json!({"carbonGrams": 1}));
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
        // So is a response member it does not know.
        assert_eq!(b.json["futureMember"], json!({"x": 1}), "{}", b.json);
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

// ---------------------------------------------------------------------------------------------
// Every member of the service model has a C setter
// ---------------------------------------------------------------------------------------------

/// Call a builder function on the request, which must succeed (the C strings live until the
/// call returns).
macro_rules! set {
    ($f:ident($($a:expr),* $(,)?)) => {
        // SAFETY: a live request; every pointer argument is valid for the call.
        ok(|e| unsafe { $f($($a,)* e) })
    };
}

/// The shapes whose every member must have a C setter: the request, every union of content
/// blocks and what they hold.
const WALKED: &[&str] = &[
    "ConverseStreamRequest",
    "ConverseRequest",
    "ContentBlock",
    "SystemContentBlock",
    "ToolResultContentBlock",
    "ImageBlock",
    "ImageSource",
    "DocumentBlock",
    "DocumentSource",
    "DocumentContentBlock",
    "VideoBlock",
    "VideoSource",
    "AudioBlock",
    "AudioSource",
    "S3Location",
    "CitationsConfig",
    "CachePointBlock",
    "ToolUseBlock",
    "ToolResultBlock",
    "GuardrailConverseContentBlock",
    "GuardrailConverseTextBlock",
    "GuardrailConverseImageBlock",
    "GuardrailConverseImageSource",
    "ReasoningContentBlock",
    "ReasoningTextBlock",
    "CitationsContentBlock",
    "CitationGeneratedContent",
    "Citation",
    "CitationSourceContent",
    "CitationLocation",
    "WebLocation",
    "DocumentCharLocation",
    "DocumentPageLocation",
    "DocumentChunkLocation",
    "SearchResultLocation",
    "SearchResultBlock",
    "SearchResultContentBlock",
    "ToolAdditionBlock",
    "ToolRemovalBlock",
    "ToolReference",
    "InferenceConfiguration",
    "ToolConfiguration",
    "Tool",
    "ToolSpecification",
    "ToolInputSchema",
    "SystemTool",
    "ToolChoice",
    "SpecificToolChoice",
    "GuardrailStreamConfiguration",
    "GuardrailConfiguration",
    "PromptVariableValues",
    "PerformanceConfiguration",
    "ServiceTier",
    "OutputConfig",
    "OutputFormat",
    "OutputFormatStructure",
    "JsonSchemaDefinition",
];

/// Members deliberately without a setter, and why.
const LEFT_OUT: &[(&str, &str)] = &[
    (
        "ImageBlock.error",
        "ErrorBlock is the service's report on an image it could not process (responses only)",
    ),
    (
        "AudioBlock.error",
        "ErrorBlock is the service's report on audio it could not process (responses only)",
    ),
];

/// Shapes whose members are those of another (same names, same setters).
const SAME_AS: &[(&str, &str)] = &[
    ("ConverseRequest", "ConverseStreamRequest"),
    ("GuardrailConfiguration", "GuardrailStreamConfiguration"),
    ("DocumentPageLocation", "DocumentCharLocation"),
    ("DocumentChunkLocation", "DocumentCharLocation"),
];

/// One member: the C function that sets it, a request built with it (on top of a user
/// message saying "hi") and where the member is in the body (`*`: any array element or
/// object value).
struct Row {
    member: &'static str,
    function: &'static str,
    build: fn(*mut CRequest),
    at: &'static str,
}

const PNG: &[u8] = b"\x89PNG-ish";

fn b_plain(_: *mut CRequest) {}

fn b_image(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_image(
        r,
        c("PNG").as_ptr(),
        PNG.as_ptr(),
        PNG.len()
    ));
}

fn b_image_s3(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_image_s3(
        r,
        c("webp").as_ptr(),
        c("s3://my-bucket/a.webp").as_ptr(),
        c("123456789012").as_ptr(),
    ));
}

fn b_document(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_document(
        r,
        c("pdf").as_ptr(),
        c("report").as_ptr(),
        b"%PDF".as_ptr(),
        4,
    ));
    set!(bedrock_stream_converse_request_set_document_context(
        r,
        c("Q3 figures").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_citations_enabled(
        r, true
    ));
}

fn b_document_s3(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_document_s3(
        r,
        null(),
        c("big").as_ptr(),
        c("s3://docs.bucket/x/y.pdf").as_ptr(),
        null(),
    ));
}

fn b_document_text(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_document_text(
        r,
        c("txt").as_ptr(),
        c("memo").as_ptr(),
        c("Plain words.").as_ptr(),
    ));
}

fn b_document_content(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_document_content(
        r,
        null(),
        c("parts").as_ptr(),
        c("part one").as_ptr(),
    ));
    set!(bedrock_stream_converse_request_add_document_content_text(
        r,
        c("part two").as_ptr()
    ));
}

fn b_video(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_video(
        r,
        c("three_gp").as_ptr(),
        b"vid".as_ptr(),
        3
    ));
}

fn b_video_s3(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_video_s3(
        r,
        c("MP4").as_ptr(),
        c("s3://vids/clip.mp4").as_ptr(),
        c("123456789012").as_ptr(),
    ));
}

fn b_audio(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_audio(
        r,
        c("x-aac").as_ptr(),
        b"aud".as_ptr(),
        3
    ));
}

fn b_audio_s3(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_audio_s3(
        r,
        c("wav").as_ptr(),
        c("s3://sounds/a.wav").as_ptr(),
        null(),
    ));
}

fn b_tool_use(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_message(
        r,
        c("assistant").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_tool_use(
        r,
        c("tu_9").as_ptr(),
        c("web_search").as_ptr(),
        c(r#"{"q":"rust"}"#).as_ptr(),
    ));
    set!(bedrock_stream_converse_request_set_tool_block_type(
        r,
        c("Server_Tool_Use").as_ptr()
    ));
}

fn b_tool_result(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_begin_tool_result(
        r,
        c("tu_9").as_ptr(),
        c("error").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_json_content(
        r,
        c(r#"{"n":1}"#).as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_text(
        r,
        c("result text").as_ptr()
    ));
    b_image(r);
    b_document(r);
    b_video(r);
    b_search_result(r);
    set!(bedrock_stream_converse_request_end_tool_result(r));
    set!(bedrock_stream_converse_request_set_tool_block_type(
        r,
        c("custom").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_text(
        r,
        c("after the result").as_ptr()
    ));
}

fn b_guard(r: *mut CRequest) {
    let q = [c("grounding_source"), c("QUERY")];
    let p = [q[0].as_ptr(), q[1].as_ptr()];
    set!(bedrock_stream_converse_request_add_guard_content_text(
        r,
        c("check me").as_ptr(),
        p.as_ptr(),
        2
    ));
    set!(bedrock_stream_converse_request_add_guard_content_image(
        r,
        c("jpeg").as_ptr(),
        PNG.as_ptr(),
        PNG.len()
    ));
}

fn b_cache_ttl(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_cache_point_ttl(
        r,
        c("1H").as_ptr()
    ));
}

fn b_reasoning(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_message(
        r,
        c("assistant").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_reasoning_text(
        r,
        c("thinking").as_ptr(),
        c("sig==").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_reasoning_redacted(
        r,
        b"\x00\x01".as_ptr(),
        2
    ));
}

fn b_citations(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_message(
        r,
        c("assistant").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_citations_content(r));
    set!(bedrock_stream_converse_request_add_citation_generated_text(
        r,
        c("Paris.").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_citation(
        r,
        c("Atlas").as_ptr(),
        c("atlas.pdf").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_citation_source_text(
        r,
        c("the capital is Paris").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_citation_location(
        r,
        c("documentpage").as_ptr(),
        0,
        3,
        4
    ));
    set!(bedrock_stream_converse_request_add_citation(
        r,
        null(),
        null()
    ));
    set!(bedrock_stream_converse_request_set_citation_web_location(
        r,
        c("https://example.com/p").as_ptr(),
        c("example.com").as_ptr(),
    ));
    set!(bedrock_stream_converse_request_add_citation(
        r,
        null(),
        null()
    ));
    set!(bedrock_stream_converse_request_set_citation_location(
        r,
        c("documentChar").as_ptr(),
        1,
        10,
        20
    ));
    set!(bedrock_stream_converse_request_add_citation(
        r,
        null(),
        null()
    ));
    set!(bedrock_stream_converse_request_set_citation_location(
        r,
        c("documentChunk").as_ptr(),
        2,
        -1,
        7
    ));
    set!(bedrock_stream_converse_request_add_citation(
        r,
        null(),
        null()
    ));
    set!(bedrock_stream_converse_request_set_citation_location(
        r,
        c("searchResultLocation").as_ptr(),
        5,
        0,
        1
    ));
}

fn b_search_result(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_search_result(
        r,
        c("https://kb/1").as_ptr(),
        c("KB 1").as_ptr(),
        c("first").as_ptr(),
    ));
    set!(bedrock_stream_converse_request_add_search_result_text(
        r,
        c("second").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_citations_enabled(
        r, false
    ));
}

fn b_tool_add_remove(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_tool_addition(
        r,
        c("mcp").as_ptr(),
        c("lookup").as_ptr(),
        c("srv").as_ptr(),
    ));
    set!(bedrock_stream_converse_request_add_tool_removal(
        r,
        null(),
        c("lookup").as_ptr(),
        null()
    ));
}

fn b_system(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_system_text(
        r,
        c("Be brief.").as_ptr()
    ));
    set!(
        bedrock_stream_converse_request_add_system_guard_content_text(
            r,
            c("rules").as_ptr(),
            null(),
            0
        )
    );
    set!(
        bedrock_stream_converse_request_add_system_guard_content_image(
            r,
            c("png").as_ptr(),
            PNG.as_ptr(),
            PNG.len()
        )
    );
    set!(bedrock_stream_converse_request_add_system_cache_point(
        r,
        c("5m").as_ptr()
    ));
}

fn b_tools(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_add_tool(
        r,
        c("lookup").as_ptr(),
        c("Looks things up.").as_ptr(),
        c(SCHEMA).as_ptr(),
    ));
    set!(bedrock_stream_converse_request_set_tool_strict(r, true));
    set!(bedrock_stream_converse_request_add_system_tool(
        r,
        c("nova_grounding").as_ptr()
    ));
    set!(bedrock_stream_converse_request_add_tool_cache_point(
        r,
        null()
    ));
}

fn b_choice_auto(r: *mut CRequest) {
    b_tools(r);
    set!(bedrock_stream_converse_request_set_tool_choice(
        r,
        c("auto").as_ptr(),
        null()
    ));
}

fn b_choice_any(r: *mut CRequest) {
    b_tools(r);
    set!(bedrock_stream_converse_request_set_tool_choice(
        r,
        c("ANY").as_ptr(),
        null()
    ));
}

fn b_choice_tool(r: *mut CRequest) {
    b_tools(r);
    set!(bedrock_stream_converse_request_set_tool_choice(
        r,
        c("tool").as_ptr(),
        c("lookup").as_ptr()
    ));
}

fn b_inference(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_set_max_tokens(r, 10));
    set!(bedrock_stream_converse_request_set_temperature(r, 0.25));
    set!(bedrock_stream_converse_request_set_top_p(r, 0.5));
    set!(bedrock_stream_converse_request_add_stop_sequence(
        r,
        c("STOP").as_ptr()
    ));
}

fn b_guardrail(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_set_guardrail(
        r,
        c("gr1").as_ptr(),
        c("1").as_ptr(),
        c("enabled").as_ptr(),
        c("sync").as_ptr(),
    ));
}

fn b_top(r: *mut CRequest) {
    set!(bedrock_stream_converse_request_set_project_identifier(
        r,
        c("proj_1").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_prompt_variable(
        r,
        c("city").as_ptr(),
        c("Paris").as_ptr()
    ));
    set!(
        bedrock_stream_converse_request_set_additional_model_request_fields(
            r,
            c(r#"{"top_k":3}"#).as_ptr()
        )
    );
    set!(
        bedrock_stream_converse_request_add_additional_model_response_field_path(
            r,
            c("/x").as_ptr()
        )
    );
    set!(bedrock_stream_converse_request_set_request_metadata(
        r,
        c("k").as_ptr(),
        c("v").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_performance_config_latency(r, c("standard").as_ptr()));
    set!(bedrock_stream_converse_request_set_service_tier(
        r,
        c("flex").as_ptr()
    ));
    set!(bedrock_stream_converse_request_set_output_json_schema(
        r,
        c(SCHEMA).as_ptr(),
        c("city").as_ptr(),
        c("A city.").as_ptr(),
    ));
    set!(bedrock_stream_converse_request_set_output_effort(
        r,
        c("high").as_ptr()
    ));
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // ConverseStreamRequest
    Row { member: "ConverseStreamRequest.modelId", function: "bedrock_stream_converse_request_new", build: b_plain, at: "" },
    Row { member: "ConverseStreamRequest.messages", function: "bedrock_stream_converse_request_add_message", build: b_plain, at: "/messages/*/role" },
    Row { member: "ConverseStreamRequest.system", function: "bedrock_stream_converse_request_add_system_text", build: b_system, at: "/system/*/text" },
    Row { member: "ConverseStreamRequest.inferenceConfig", function: "bedrock_stream_converse_request_set_max_tokens", build: b_inference, at: "/inferenceConfig" },
    Row { member: "ConverseStreamRequest.toolConfig", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools" },
    Row { member: "ConverseStreamRequest.guardrailConfig", function: "bedrock_stream_converse_request_set_guardrail", build: b_guardrail, at: "/guardrailConfig" },
    Row { member: "ConverseStreamRequest.projectIdentifier", function: "bedrock_stream_converse_request_set_project_identifier", build: b_top, at: "/projectIdentifier" },
    Row { member: "ConverseStreamRequest.additionalModelRequestFields", function: "bedrock_stream_converse_request_set_additional_model_request_fields", build: b_top, at: "/additionalModelRequestFields/top_k" },
    Row { member: "ConverseStreamRequest.promptVariables", function: "bedrock_stream_converse_request_set_prompt_variable", build: b_top, at: "/promptVariables/city" },
    Row { member: "ConverseStreamRequest.additionalModelResponseFieldPaths", function: "bedrock_stream_converse_request_add_additional_model_response_field_path", build: b_top, at: "/additionalModelResponseFieldPaths/*" },
    Row { member: "ConverseStreamRequest.requestMetadata", function: "bedrock_stream_converse_request_set_request_metadata", build: b_top, at: "/requestMetadata/k" },
    Row { member: "ConverseStreamRequest.performanceConfig", function: "bedrock_stream_converse_request_set_performance_config_latency", build: b_top, at: "/performanceConfig" },
    Row { member: "ConverseStreamRequest.serviceTier", function: "bedrock_stream_converse_request_set_service_tier", build: b_top, at: "/serviceTier" },
    Row { member: "ConverseStreamRequest.outputConfig", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig" },
    // ContentBlock
    Row { member: "ContentBlock.text", function: "bedrock_stream_converse_request_add_text", build: b_plain, at: "/messages/*/content/*/text" },
    Row { member: "ContentBlock.image", function: "bedrock_stream_converse_request_add_image", build: b_image, at: "/messages/*/content/*/image" },
    Row { member: "ContentBlock.document", function: "bedrock_stream_converse_request_add_document", build: b_document, at: "/messages/*/content/*/document" },
    Row { member: "ContentBlock.video", function: "bedrock_stream_converse_request_add_video", build: b_video, at: "/messages/*/content/*/video" },
    Row { member: "ContentBlock.audio", function: "bedrock_stream_converse_request_add_audio", build: b_audio, at: "/messages/*/content/*/audio" },
    Row { member: "ContentBlock.toolUse", function: "bedrock_stream_converse_request_add_tool_use", build: b_tool_use, at: "/messages/*/content/*/toolUse" },
    Row { member: "ContentBlock.toolResult", function: "bedrock_stream_converse_request_begin_tool_result", build: b_tool_result, at: "/messages/*/content/*/toolResult" },
    Row { member: "ContentBlock.guardContent", function: "bedrock_stream_converse_request_add_guard_content_text", build: b_guard, at: "/messages/*/content/*/guardContent" },
    Row { member: "ContentBlock.cachePoint", function: "bedrock_stream_converse_request_add_cache_point_ttl", build: b_cache_ttl, at: "/messages/*/content/*/cachePoint" },
    Row { member: "ContentBlock.reasoningContent", function: "bedrock_stream_converse_request_add_reasoning_text", build: b_reasoning, at: "/messages/*/content/*/reasoningContent" },
    Row { member: "ContentBlock.citationsContent", function: "bedrock_stream_converse_request_add_citations_content", build: b_citations, at: "/messages/*/content/*/citationsContent" },
    Row { member: "ContentBlock.searchResult", function: "bedrock_stream_converse_request_add_search_result", build: b_search_result, at: "/messages/*/content/*/searchResult" },
    Row { member: "ContentBlock.toolAddition", function: "bedrock_stream_converse_request_add_tool_addition", build: b_tool_add_remove, at: "/messages/*/content/*/toolAddition" },
    Row { member: "ContentBlock.toolRemoval", function: "bedrock_stream_converse_request_add_tool_removal", build: b_tool_add_remove, at: "/messages/*/content/*/toolRemoval" },
    // SystemContentBlock
    Row { member: "SystemContentBlock.text", function: "bedrock_stream_converse_request_add_system_text", build: b_system, at: "/system/*/text" },
    Row { member: "SystemContentBlock.guardContent", function: "bedrock_stream_converse_request_add_system_guard_content_text", build: b_system, at: "/system/*/guardContent/text/text" },
    Row { member: "SystemContentBlock.cachePoint", function: "bedrock_stream_converse_request_add_system_cache_point", build: b_system, at: "/system/*/cachePoint/ttl" },
    // ToolResultContentBlock
    Row { member: "ToolResultContentBlock.json", function: "bedrock_stream_converse_request_add_json_content", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/json/n" },
    Row { member: "ToolResultContentBlock.text", function: "bedrock_stream_converse_request_add_text", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/text" },
    Row { member: "ToolResultContentBlock.image", function: "bedrock_stream_converse_request_add_image", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/image/source/bytes" },
    Row { member: "ToolResultContentBlock.document", function: "bedrock_stream_converse_request_add_document", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/document/context" },
    Row { member: "ToolResultContentBlock.video", function: "bedrock_stream_converse_request_add_video", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/video/format" },
    Row { member: "ToolResultContentBlock.searchResult", function: "bedrock_stream_converse_request_add_search_result", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*/searchResult/content/*/text" },
    // Media
    Row { member: "ImageBlock.format", function: "bedrock_stream_converse_request_add_image", build: b_image, at: "/messages/*/content/*/image/format" },
    Row { member: "ImageBlock.source", function: "bedrock_stream_converse_request_add_image", build: b_image, at: "/messages/*/content/*/image/source" },
    Row { member: "ImageSource.bytes", function: "bedrock_stream_converse_request_add_image", build: b_image, at: "/messages/*/content/*/image/source/bytes" },
    Row { member: "ImageSource.s3Location", function: "bedrock_stream_converse_request_add_image_s3", build: b_image_s3, at: "/messages/*/content/*/image/source/s3Location" },
    Row { member: "S3Location.uri", function: "bedrock_stream_converse_request_add_image_s3", build: b_image_s3, at: "/messages/*/content/*/image/source/s3Location/uri" },
    Row { member: "S3Location.bucketOwner", function: "bedrock_stream_converse_request_add_image_s3", build: b_image_s3, at: "/messages/*/content/*/image/source/s3Location/bucketOwner" },
    Row { member: "DocumentBlock.format", function: "bedrock_stream_converse_request_add_document", build: b_document, at: "/messages/*/content/*/document/format" },
    Row { member: "DocumentBlock.name", function: "bedrock_stream_converse_request_add_document", build: b_document, at: "/messages/*/content/*/document/name" },
    Row { member: "DocumentBlock.source", function: "bedrock_stream_converse_request_add_document", build: b_document, at: "/messages/*/content/*/document/source" },
    Row { member: "DocumentBlock.context", function: "bedrock_stream_converse_request_set_document_context", build: b_document, at: "/messages/*/content/*/document/context" },
    Row { member: "DocumentBlock.citations", function: "bedrock_stream_converse_request_set_citations_enabled", build: b_document, at: "/messages/*/content/*/document/citations" },
    Row { member: "CitationsConfig.enabled", function: "bedrock_stream_converse_request_set_citations_enabled", build: b_document, at: "/messages/*/content/*/document/citations/enabled" },
    Row { member: "DocumentSource.bytes", function: "bedrock_stream_converse_request_add_document", build: b_document, at: "/messages/*/content/*/document/source/bytes" },
    Row { member: "DocumentSource.s3Location", function: "bedrock_stream_converse_request_add_document_s3", build: b_document_s3, at: "/messages/*/content/*/document/source/s3Location/uri" },
    Row { member: "DocumentSource.text", function: "bedrock_stream_converse_request_add_document_text", build: b_document_text, at: "/messages/*/content/*/document/source/text" },
    Row { member: "DocumentSource.content", function: "bedrock_stream_converse_request_add_document_content", build: b_document_content, at: "/messages/*/content/*/document/source/content" },
    Row { member: "DocumentContentBlock.text", function: "bedrock_stream_converse_request_add_document_content_text", build: b_document_content, at: "/messages/*/content/*/document/source/content/*/text" },
    Row { member: "VideoBlock.format", function: "bedrock_stream_converse_request_add_video", build: b_video, at: "/messages/*/content/*/video/format" },
    Row { member: "VideoBlock.source", function: "bedrock_stream_converse_request_add_video", build: b_video, at: "/messages/*/content/*/video/source" },
    Row { member: "VideoSource.bytes", function: "bedrock_stream_converse_request_add_video", build: b_video, at: "/messages/*/content/*/video/source/bytes" },
    Row { member: "VideoSource.s3Location", function: "bedrock_stream_converse_request_add_video_s3", build: b_video_s3, at: "/messages/*/content/*/video/source/s3Location/bucketOwner" },
    Row { member: "AudioBlock.format", function: "bedrock_stream_converse_request_add_audio", build: b_audio, at: "/messages/*/content/*/audio/format" },
    Row { member: "AudioBlock.source", function: "bedrock_stream_converse_request_add_audio", build: b_audio, at: "/messages/*/content/*/audio/source" },
    Row { member: "AudioSource.bytes", function: "bedrock_stream_converse_request_add_audio", build: b_audio, at: "/messages/*/content/*/audio/source/bytes" },
    Row { member: "AudioSource.s3Location", function: "bedrock_stream_converse_request_add_audio_s3", build: b_audio_s3, at: "/messages/*/content/*/audio/source/s3Location/uri" },
    Row { member: "CachePointBlock.type", function: "bedrock_stream_converse_request_add_cache_point_ttl", build: b_cache_ttl, at: "/messages/*/content/*/cachePoint/type" },
    Row { member: "CachePointBlock.ttl", function: "bedrock_stream_converse_request_add_cache_point_ttl", build: b_cache_ttl, at: "/messages/*/content/*/cachePoint/ttl" },
    // Tool use and result
    Row { member: "ToolUseBlock.toolUseId", function: "bedrock_stream_converse_request_add_tool_use", build: b_tool_use, at: "/messages/*/content/*/toolUse/toolUseId" },
    Row { member: "ToolUseBlock.name", function: "bedrock_stream_converse_request_add_tool_use", build: b_tool_use, at: "/messages/*/content/*/toolUse/name" },
    Row { member: "ToolUseBlock.input", function: "bedrock_stream_converse_request_add_tool_use", build: b_tool_use, at: "/messages/*/content/*/toolUse/input/q" },
    Row { member: "ToolUseBlock.type", function: "bedrock_stream_converse_request_set_tool_block_type", build: b_tool_use, at: "/messages/*/content/*/toolUse/type" },
    Row { member: "ToolResultBlock.toolUseId", function: "bedrock_stream_converse_request_begin_tool_result", build: b_tool_result, at: "/messages/*/content/*/toolResult/toolUseId" },
    Row { member: "ToolResultBlock.content", function: "bedrock_stream_converse_request_add_json_content", build: b_tool_result, at: "/messages/*/content/*/toolResult/content/*" },
    Row { member: "ToolResultBlock.status", function: "bedrock_stream_converse_request_begin_tool_result", build: b_tool_result, at: "/messages/*/content/*/toolResult/status" },
    Row { member: "ToolResultBlock.type", function: "bedrock_stream_converse_request_set_tool_block_type", build: b_tool_result, at: "/messages/*/content/*/toolResult/type" },
    // Guard content
    Row { member: "GuardrailConverseContentBlock.text", function: "bedrock_stream_converse_request_add_guard_content_text", build: b_guard, at: "/messages/*/content/*/guardContent/text" },
    Row { member: "GuardrailConverseContentBlock.image", function: "bedrock_stream_converse_request_add_guard_content_image", build: b_guard, at: "/messages/*/content/*/guardContent/image" },
    Row { member: "GuardrailConverseTextBlock.text", function: "bedrock_stream_converse_request_add_guard_content_text", build: b_guard, at: "/messages/*/content/*/guardContent/text/text" },
    Row { member: "GuardrailConverseTextBlock.qualifiers", function: "bedrock_stream_converse_request_add_guard_content_text", build: b_guard, at: "/messages/*/content/*/guardContent/text/qualifiers/*" },
    Row { member: "GuardrailConverseImageBlock.format", function: "bedrock_stream_converse_request_add_guard_content_image", build: b_guard, at: "/messages/*/content/*/guardContent/image/format" },
    Row { member: "GuardrailConverseImageBlock.source", function: "bedrock_stream_converse_request_add_guard_content_image", build: b_guard, at: "/messages/*/content/*/guardContent/image/source" },
    Row { member: "GuardrailConverseImageSource.bytes", function: "bedrock_stream_converse_request_add_guard_content_image", build: b_guard, at: "/messages/*/content/*/guardContent/image/source/bytes" },
    // Reasoning
    Row { member: "ReasoningContentBlock.reasoningText", function: "bedrock_stream_converse_request_add_reasoning_text", build: b_reasoning, at: "/messages/*/content/*/reasoningContent/reasoningText" },
    Row { member: "ReasoningContentBlock.redactedContent", function: "bedrock_stream_converse_request_add_reasoning_redacted", build: b_reasoning, at: "/messages/*/content/*/reasoningContent/redactedContent" },
    Row { member: "ReasoningTextBlock.text", function: "bedrock_stream_converse_request_add_reasoning_text", build: b_reasoning, at: "/messages/*/content/*/reasoningContent/reasoningText/text" },
    Row { member: "ReasoningTextBlock.signature", function: "bedrock_stream_converse_request_add_reasoning_text", build: b_reasoning, at: "/messages/*/content/*/reasoningContent/reasoningText/signature" },
    // Citations
    Row { member: "CitationsContentBlock.content", function: "bedrock_stream_converse_request_add_citation_generated_text", build: b_citations, at: "/messages/*/content/*/citationsContent/content/*" },
    Row { member: "CitationGeneratedContent.text", function: "bedrock_stream_converse_request_add_citation_generated_text", build: b_citations, at: "/messages/*/content/*/citationsContent/content/*/text" },
    Row { member: "CitationsContentBlock.citations", function: "bedrock_stream_converse_request_add_citation", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*" },
    Row { member: "Citation.title", function: "bedrock_stream_converse_request_add_citation", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/title" },
    Row { member: "Citation.source", function: "bedrock_stream_converse_request_add_citation", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/source" },
    Row { member: "Citation.sourceContent", function: "bedrock_stream_converse_request_add_citation_source_text", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/sourceContent/*" },
    Row { member: "CitationSourceContent.text", function: "bedrock_stream_converse_request_add_citation_source_text", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/sourceContent/*/text" },
    Row { member: "Citation.location", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location" },
    Row { member: "CitationLocation.web", function: "bedrock_stream_converse_request_set_citation_web_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/web" },
    Row { member: "WebLocation.url", function: "bedrock_stream_converse_request_set_citation_web_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/web/url" },
    Row { member: "WebLocation.domain", function: "bedrock_stream_converse_request_set_citation_web_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/web/domain" },
    Row { member: "CitationLocation.documentChar", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentChar" },
    Row { member: "CitationLocation.documentPage", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentPage" },
    Row { member: "CitationLocation.documentChunk", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentChunk" },
    Row { member: "CitationLocation.searchResultLocation", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/searchResultLocation" },
    Row { member: "DocumentCharLocation.documentIndex", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentChar/documentIndex" },
    Row { member: "DocumentCharLocation.start", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentPage/start" },
    Row { member: "DocumentCharLocation.end", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/documentChunk/end" },
    Row { member: "SearchResultLocation.searchResultIndex", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/searchResultLocation/searchResultIndex" },
    Row { member: "SearchResultLocation.start", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/searchResultLocation/start" },
    Row { member: "SearchResultLocation.end", function: "bedrock_stream_converse_request_set_citation_location", build: b_citations, at: "/messages/*/content/*/citationsContent/citations/*/location/searchResultLocation/end" },
    // Search results, tool additions and removals
    Row { member: "SearchResultBlock.source", function: "bedrock_stream_converse_request_add_search_result", build: b_search_result, at: "/messages/*/content/*/searchResult/source" },
    Row { member: "SearchResultBlock.title", function: "bedrock_stream_converse_request_add_search_result", build: b_search_result, at: "/messages/*/content/*/searchResult/title" },
    Row { member: "SearchResultBlock.content", function: "bedrock_stream_converse_request_add_search_result_text", build: b_search_result, at: "/messages/*/content/*/searchResult/content/*" },
    Row { member: "SearchResultContentBlock.text", function: "bedrock_stream_converse_request_add_search_result_text", build: b_search_result, at: "/messages/*/content/*/searchResult/content/*/text" },
    Row { member: "SearchResultBlock.citations", function: "bedrock_stream_converse_request_set_citations_enabled", build: b_search_result, at: "/messages/*/content/*/searchResult/citations/enabled" },
    Row { member: "ToolAdditionBlock.tool", function: "bedrock_stream_converse_request_add_tool_addition", build: b_tool_add_remove, at: "/messages/*/content/*/toolAddition/tool" },
    Row { member: "ToolRemovalBlock.tool", function: "bedrock_stream_converse_request_add_tool_removal", build: b_tool_add_remove, at: "/messages/*/content/*/toolRemoval/tool/name" },
    Row { member: "ToolReference.type", function: "bedrock_stream_converse_request_add_tool_addition", build: b_tool_add_remove, at: "/messages/*/content/*/toolAddition/tool/type" },
    Row { member: "ToolReference.name", function: "bedrock_stream_converse_request_add_tool_addition", build: b_tool_add_remove, at: "/messages/*/content/*/toolAddition/tool/name" },
    Row { member: "ToolReference.serverName", function: "bedrock_stream_converse_request_add_tool_addition", build: b_tool_add_remove, at: "/messages/*/content/*/toolAddition/tool/serverName" },
    // Inference, tools, guardrail, the rest
    Row { member: "InferenceConfiguration.maxTokens", function: "bedrock_stream_converse_request_set_max_tokens", build: b_inference, at: "/inferenceConfig/maxTokens" },
    Row { member: "InferenceConfiguration.temperature", function: "bedrock_stream_converse_request_set_temperature", build: b_inference, at: "/inferenceConfig/temperature" },
    Row { member: "InferenceConfiguration.topP", function: "bedrock_stream_converse_request_set_top_p", build: b_inference, at: "/inferenceConfig/topP" },
    Row { member: "InferenceConfiguration.stopSequences", function: "bedrock_stream_converse_request_add_stop_sequence", build: b_inference, at: "/inferenceConfig/stopSequences/*" },
    Row { member: "ToolConfiguration.tools", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*" },
    Row { member: "ToolConfiguration.toolChoice", function: "bedrock_stream_converse_request_set_tool_choice", build: b_choice_auto, at: "/toolConfig/toolChoice" },
    Row { member: "Tool.toolSpec", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*/toolSpec" },
    Row { member: "Tool.systemTool", function: "bedrock_stream_converse_request_add_system_tool", build: b_tools, at: "/toolConfig/tools/*/systemTool/name" },
    Row { member: "Tool.cachePoint", function: "bedrock_stream_converse_request_add_tool_cache_point", build: b_tools, at: "/toolConfig/tools/*/cachePoint/type" },
    Row { member: "SystemTool.name", function: "bedrock_stream_converse_request_add_system_tool", build: b_tools, at: "/toolConfig/tools/*/systemTool/name" },
    Row { member: "ToolSpecification.name", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*/toolSpec/name" },
    Row { member: "ToolSpecification.description", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*/toolSpec/description" },
    Row { member: "ToolSpecification.inputSchema", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*/toolSpec/inputSchema" },
    Row { member: "ToolInputSchema.json", function: "bedrock_stream_converse_request_add_tool", build: b_tools, at: "/toolConfig/tools/*/toolSpec/inputSchema/json/type" },
    Row { member: "ToolSpecification.strict", function: "bedrock_stream_converse_request_set_tool_strict", build: b_tools, at: "/toolConfig/tools/*/toolSpec/strict" },
    Row { member: "ToolChoice.auto", function: "bedrock_stream_converse_request_set_tool_choice", build: b_choice_auto, at: "/toolConfig/toolChoice/auto" },
    Row { member: "ToolChoice.any", function: "bedrock_stream_converse_request_set_tool_choice", build: b_choice_any, at: "/toolConfig/toolChoice/any" },
    Row { member: "ToolChoice.tool", function: "bedrock_stream_converse_request_set_tool_choice", build: b_choice_tool, at: "/toolConfig/toolChoice/tool" },
    Row { member: "SpecificToolChoice.name", function: "bedrock_stream_converse_request_set_tool_choice", build: b_choice_tool, at: "/toolConfig/toolChoice/tool/name" },
    Row { member: "GuardrailStreamConfiguration.guardrailIdentifier", function: "bedrock_stream_converse_request_set_guardrail", build: b_guardrail, at: "/guardrailConfig/guardrailIdentifier" },
    Row { member: "GuardrailStreamConfiguration.guardrailVersion", function: "bedrock_stream_converse_request_set_guardrail", build: b_guardrail, at: "/guardrailConfig/guardrailVersion" },
    Row { member: "GuardrailStreamConfiguration.trace", function: "bedrock_stream_converse_request_set_guardrail", build: b_guardrail, at: "/guardrailConfig/trace" },
    Row { member: "GuardrailStreamConfiguration.streamProcessingMode", function: "bedrock_stream_converse_request_set_guardrail", build: b_guardrail, at: "/guardrailConfig/streamProcessingMode" },
    Row { member: "PromptVariableValues.text", function: "bedrock_stream_converse_request_set_prompt_variable", build: b_top, at: "/promptVariables/city/text" },
    Row { member: "PerformanceConfiguration.latency", function: "bedrock_stream_converse_request_set_performance_config_latency", build: b_top, at: "/performanceConfig/latency" },
    Row { member: "ServiceTier.type", function: "bedrock_stream_converse_request_set_service_tier", build: b_top, at: "/serviceTier/type" },
    Row { member: "OutputConfig.textFormat", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat" },
    Row { member: "OutputConfig.effort", function: "bedrock_stream_converse_request_set_output_effort", build: b_top, at: "/outputConfig/effort" },
    Row { member: "OutputFormat.type", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/type" },
    Row { member: "OutputFormat.structure", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/structure" },
    Row { member: "OutputFormatStructure.jsonSchema", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/structure/jsonSchema" },
    Row { member: "JsonSchemaDefinition.schema", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/structure/jsonSchema/schema" },
    Row { member: "JsonSchemaDefinition.name", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/structure/jsonSchema/name" },
    Row { member: "JsonSchemaDefinition.description", function: "bedrock_stream_converse_request_set_output_json_schema", build: b_top, at: "/outputConfig/textFormat/structure/jsonSchema/description" },
];

/// Whether `pattern` (`/a/*/b`; `*` is any array element or object value) leads to a value
/// in `v`.
fn reaches(v: &Value, pattern: &str) -> bool {
    fn walk(v: &Value, parts: &[&str]) -> bool {
        let Some((first, rest)) = parts.split_first() else {
            return true;
        };
        match (*first, v) {
            ("*", Value::Array(a)) => a.iter().any(|x| walk(x, rest)),
            ("*", Value::Object(o)) => o.values().any(|x| walk(x, rest)),
            (k, Value::Object(o)) => o.get(k).is_some_and(|x| walk(x, rest)),
            _ => false,
        }
    }
    let parts: Vec<&str> = pattern.split('/').skip(1).collect();
    walk(v, &parts)
}

#[test]
fn every_member_of_the_service_model_has_a_c_setter_that_sends_it() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let model: Value = serde_json::from_slice(
        &std::fs::read(format!("{dir}/tests/data/bedrock-runtime.service-2.json")).unwrap(),
    )
    .unwrap();
    let header = std::fs::read_to_string(format!("{dir}/include/bedrock_stream.h")).unwrap();
    let same_as = |shape: &str| {
        SAME_AS
            .iter()
            .find(|(s, _)| *s == shape)
            .map_or(shape.to_owned(), |(_, t)| (*t).to_owned())
    };
    // The walk: every member of every walked shape has a row or a reason.
    let mut missing = Vec::new();
    for shape in WALKED {
        let members = model["shapes"][*shape]["members"]
            .as_object()
            .unwrap_or_else(|| panic!("{shape} is not a structure of the service model"));
        for member in members.keys() {
            let key = format!("{}.{member}", same_as(shape));
            let has_row = ROWS.iter().any(|r| r.member == key);
            let left_out = LEFT_OUT
                .iter()
                .any(|(m, _)| *m == format!("{shape}.{member}"));
            if !has_row && !left_out {
                missing.push(format!("{shape}.{member}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "members without a C setter: {missing:?}"
    );
    // Every row names a member of the model and a function of the header.
    for row in ROWS {
        let (shape, member) = row.member.split_once('.').unwrap();
        assert!(
            WALKED.contains(&shape) && model["shapes"][shape]["members"].get(member).is_some(),
            "{}: not a member of a walked shape",
            row.member
        );
        assert!(
            header.contains(&format!(" {}(", row.function)),
            "{}: {} is not in include/bedrock_stream.h",
            row.member,
            row.function
        );
    }
    // Every row exercised: the body sent holds the member where the service model puts it.
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    for row in ROWS {
        let r = request(MODEL, "hi");
        (row.build)(r);
        let (_, status, d) = pull(client, r, null_mut());
        assert_eq!(status, OK, "{}: {d:?}", row.member);
        let sent = emu.requests().last().unwrap().clone();
        if row.at.is_empty() {
            assert!(
                sent.path.contains("/model/"),
                "{}: {}",
                row.member,
                sent.path
            );
        } else {
            let body: Value = serde_json::from_slice(&sent.body).unwrap();
            assert!(
                reaches(&body, row.at),
                "{} ({}): {} not in {body}",
                row.member,
                row.function,
                row.at
            );
            // The Rust request reads the same body back unchanged: names and types are the
            // service model's.
            let typed: ConverseRequest = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(
                serde_json::from_slice::<Value>(&typed.to_body().unwrap()).unwrap(),
                body,
                "{}",
                row.member
            );
        }
        // SAFETY: freed once.
        unsafe { bedrock_stream_converse_request_free(r) };
    }
    // SAFETY: freed once.
    unsafe { bedrock_stream_client_free(client) };
}

#[test]
fn the_new_setters_refuse_bad_values_and_misplaced_blocks_and_leave_the_request_unchanged() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    let r = request(MODEL, "hi");
    // SAFETY: a live request; the strings live across each call.
    unsafe {
        let bad = |words: &str, f: &dyn Fn(E) -> Status| refused(INVALID_INPUT, words, f);
        bad("s3://bucket/key", &|e| {
            bedrock_stream_converse_request_add_image_s3(
                r,
                c("png").as_ptr(),
                c("https://x/y").as_ptr(),
                null(),
                e,
            )
        });
        bad("s3://bucket/key", &|e| {
            bedrock_stream_converse_request_add_video_s3(
                r,
                c("mp4").as_ptr(),
                c("s3://UPPER/y").as_ptr(),
                null(),
                e,
            )
        });
        bad("12-digit", &|e| {
            bedrock_stream_converse_request_add_audio_s3(
                r,
                c("wav").as_ptr(),
                c("s3://ok-bucket/y").as_ptr(),
                c("12345").as_ptr(),
                e,
            )
        });
        bad("video format", &|e| {
            bedrock_stream_converse_request_add_video(r, c("avi").as_ptr(), b"v".as_ptr(), 1, e)
        });
        bad("empty", &|e| {
            bedrock_stream_converse_request_add_audio(r, c("mp3").as_ptr(), b"".as_ptr(), 0, e)
        });
        bad("qualifier", &|e| {
            let q = [c("everything")];
            let p = [q[0].as_ptr()];
            bedrock_stream_converse_request_add_guard_content_text(
                r,
                c("t").as_ptr(),
                p.as_ptr(),
                1,
                e,
            )
        });
        refused(NULL_ARGUMENT, "qualifiers", |e| {
            bedrock_stream_converse_request_add_guard_content_text(r, c("t").as_ptr(), null(), 1, e)
        });
        bad("guard content image format", &|e| {
            bedrock_stream_converse_request_add_system_guard_content_image(
                r,
                c("gif").as_ptr(),
                PNG.as_ptr(),
                PNG.len(),
                e,
            )
        });
        bad("ttl", &|e| {
            bedrock_stream_converse_request_add_cache_point_ttl(r, c("2h").as_ptr(), e)
        });
        refused(NULL_ARGUMENT, "ttl", |e| {
            bedrock_stream_converse_request_add_cache_point_ttl(r, null(), e)
        });
        bad("ttl", &|e| {
            bedrock_stream_converse_request_add_system_cache_point(r, c("10m").as_ptr(), e)
        });
        // Changes to the last block need the right kind of block.
        bad("not a document", &|e| {
            bedrock_stream_converse_request_set_document_context(r, c("x").as_ptr(), e)
        });
        bad("neither a document nor a search result", &|e| {
            bedrock_stream_converse_request_set_citations_enabled(r, true, e)
        });
        bad("citationsContent", &|e| {
            bedrock_stream_converse_request_add_citation(r, null(), null(), e)
        });
        bad("not a search result", &|e| {
            bedrock_stream_converse_request_add_search_result_text(r, c("x").as_ptr(), e)
        });
        bad("neither a toolUse nor a toolResult", &|e| {
            bedrock_stream_converse_request_set_tool_block_type(r, c("x").as_ptr(), e)
        });
        bad("not one added with", &|e| {
            bedrock_stream_converse_request_set_tool_strict(r, true, e)
        });
        ok(|e| bedrock_stream_converse_request_add_citations_content(r, e));
        bad("no citation yet", &|e| {
            bedrock_stream_converse_request_set_citation_location(
                r,
                c("documentPage").as_ptr(),
                0,
                0,
                0,
                e,
            )
        });
        ok(|e| bedrock_stream_converse_request_add_citation(r, null(), null(), e));
        bad("above 4294967295", &|e| {
            bedrock_stream_converse_request_set_citation_location(
                r,
                c("documentPage").as_ptr(),
                1 << 32,
                0,
                0,
                e,
            )
        });
        bad("location kind", &|e| {
            bedrock_stream_converse_request_set_citation_location(r, c("page").as_ptr(), 0, 0, 0, e)
        });
        // The tool result: json only inside it; other blocks than its content kinds refused.
        bad("tool result only", &|e| {
            bedrock_stream_converse_request_add_json_content(r, c("1").as_ptr(), e)
        });
        bad("no tool result is open", &|e| {
            bedrock_stream_converse_request_end_tool_result(r, e)
        });
        ok(|e| bedrock_stream_converse_request_begin_tool_result(r, c("tu_1").as_ptr(), null(), e));
        bad("already open", &|e| {
            bedrock_stream_converse_request_begin_tool_result(r, c("tu_2").as_ptr(), null(), e)
        });
        bad("a cachePoint block cannot go in a tool result", &|e| {
            bedrock_stream_converse_request_add_cache_point(r, e)
        });
        bad("a toolResult block cannot go in a tool result", &|e| {
            bedrock_stream_converse_request_add_tool_result_text(
                r,
                c("tu_1").as_ptr(),
                c("x").as_ptr(),
                null(),
                e,
            )
        });
        bad("not valid JSON", &|e| {
            bedrock_stream_converse_request_add_json_content(r, c("{").as_ptr(), e)
        });
        bad("empty", &|e| {
            bedrock_stream_converse_request_add_reasoning_redacted(r, b"".as_ptr(), 0, e)
        });
        // A tool result's type is free text (a tool use's is an enumeration: below).
        ok(|e| bedrock_stream_converse_request_set_tool_block_type(r, c("any text").as_ptr(), e));
        let r2 = request(MODEL, "hi");
        ok(|e| {
            bedrock_stream_converse_request_add_tool_use(
                r2,
                c("tu_1").as_ptr(),
                c("t").as_ptr(),
                c("{}").as_ptr(),
                e,
            )
        });
        bad("tool use type", &|e| {
            bedrock_stream_converse_request_set_tool_block_type(r2, c("client").as_ptr(), e)
        });
        bedrock_stream_converse_request_free(r2);
        // The top-level members.
        bad("projectIdentifier", &|e| {
            bedrock_stream_converse_request_set_project_identifier(r, c("has space").as_ptr(), e)
        });
        bad("must not be empty", &|e| {
            bedrock_stream_converse_request_set_prompt_variable(
                r,
                c("").as_ptr(),
                c("v").as_ptr(),
                e,
            )
        });
        bad("JSON object", &|e| {
            bedrock_stream_converse_request_set_output_json_schema(
                r,
                c("[1]").as_ptr(),
                null(),
                null(),
                e,
            )
        });
        bad("outputConfig.effort", &|e| {
            bedrock_stream_converse_request_set_output_effort(r, c("seventeen chars!!").as_ptr(), e)
        });
        refused(NULL_ARGUMENT, "request", |e| {
            bedrock_stream_converse_request_add_video(
                null_mut(),
                c("mp4").as_ptr(),
                b"v".as_ptr(),
                1,
                e,
            )
        });
        refused(INVALID_UTF8, "uri", |e| {
            bedrock_stream_converse_request_add_image_s3(
                r,
                c("png").as_ptr(),
                c"s3://a\xff".as_ptr(),
                null(),
                e,
            )
        });
        // After all the refusals the request holds exactly what succeeded.
        ok(|e| bedrock_stream_converse_request_end_tool_result(r, e));
        let (_, status, d) = pull(client, r, null_mut());
        assert_eq!(status, OK, "{d:?}");
        assert_eq!(
            last_body(&emu),
            json!({"messages": [{"role": "user", "content": [
                {"text": "hi"},
                {"citationsContent": {"citations": [{}]}},
                {"toolResult": {"toolUseId": "tu_1", "content": [], "type": "any text"}}
            ]}]})
        );
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}

#[test]
fn copied_events_outlive_the_stream_and_feed_the_accumulator() {
    let emu = Emulator::builder().start().unwrap();
    let client = new_client(&emu);
    // Text, a tool use split over deltas, reasoning, metadata and unknown members.
    let r = request(MODEL, "What is the weather in Zürich?");
    // SAFETY: live handles; valid out-pointers; every copy freed once.
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
        ok(|e| {
            bedrock_stream_converse_request_set_additional_model_request_fields(
                r,
                c(r#"{"reasoning_config":{"type":"enabled"},"emulator":{"future":true}}"#).as_ptr(),
                e,
            )
        });
        let live_acc = new_acc();
        let mut stream: *mut CStream = null_mut();
        ok(|e| bedrock_stream_client_converse_stream_open(client, r, null(), &mut stream, e));
        let mut seen = Vec::new();
        let mut copies: Vec<*mut CEvent> = Vec::new();
        loop {
            let mut ev: *const CEvent = null();
            ok(|e| bedrock_stream_converse_stream_next(stream, &mut ev, e));
            if ev.is_null() {
                break;
            }
            seen.push(read_event(ev));
            ok(|e| bedrock_stream_converse_accumulator_push(live_acc, ev, e));
            let mut copy: *mut CEvent = null_mut();
            ok(|e| bedrock_stream_converse_event_copy(ev, &mut copy, e));
            copies.push(copy);
        }
        bedrock_stream_converse_stream_free(stream);
        assert!(seen.len() >= 8, "{}", seen.len());
        // After the stream: every accessor of every copy says what the live event said, and
        // the accumulator fed with the copies builds the same message.
        let copied: Vec<Seen> = copies.iter().map(|&c| read_event(c)).collect();
        assert_eq!(copied, seen);
        let acc = new_acc();
        for &copy in &copies {
            ok(|e| bedrock_stream_converse_accumulator_push(acc, copy, e));
        }
        let (live, from_copies) = (finish(live_acc), finish(acc));
        let (a, b) = (read_message(live), read_message(from_copies));
        assert_eq!(a.json, b.json);
        assert_eq!(a.block_json, b.block_json);
        assert!(
            a.kinds.contains(&B_TOOL_USE) && a.kinds.contains(&B_REASONING),
            "{a:?}"
        );
        // A copy of a copy is a copy; NULLs are refused or ignored.
        let mut again: *mut CEvent = null_mut();
        ok(|e| bedrock_stream_converse_event_copy(copies[0], &mut again, e));
        assert_eq!(read_event(again), seen[0]);
        bedrock_stream_converse_event_free(again);
        refused(NULL_ARGUMENT, "event", |e| {
            bedrock_stream_converse_event_copy(null(), &mut again, e)
        });
        refused(NULL_ARGUMENT, "copy_out", |e| {
            bedrock_stream_converse_event_copy(copies[0], null_mut(), e)
        });
        bedrock_stream_converse_event_free(null_mut());
        for copy in copies {
            bedrock_stream_converse_event_free(copy);
        }
        bedrock_stream_converse_message_free(live);
        bedrock_stream_converse_message_free(from_copies);
        bedrock_stream_converse_accumulator_free(live_acc);
        bedrock_stream_converse_accumulator_free(acc);
        bedrock_stream_converse_request_free(r);
        bedrock_stream_client_free(client);
    }
}
