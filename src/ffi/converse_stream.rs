//! ConverseStream from C (push callback and pull `next`), the converse event view and its
//! accessors, the message accumulator, the finished message (`bedrock_stream_converse_message`,
//! also the answer of Converse) and the non-streaming InvokeModel.
//!
//! Thin: the events, accumulation, retries and cancellation are the Rust core's
//! (`crate::converse`, `crate::client`); this file converts.

use std::borrow::Cow;
use std::ffi::{c_char, c_void, CStr, CString};

use serde_json::Value;

use super::args::{
    arg_mut, arg_ref, free_boxed, lend_str, out_ptr, unless_poisoned, write_boxed, write_out,
};
use super::client::{
    bedrock_stream_client, callback_flow, cancel_for_call, push_result, BEDROCK_STREAM_CONTINUE,
};
use super::converse::bedrock_stream_converse_request;
use super::error::{bedrock_stream_error, c_string, Fail};
use super::event::bedrock_stream_bytes;
use super::panic::PanicValue;
use super::request::bedrock_stream_request;
use super::status::bedrock_stream_status;
use crate::converse::{
    ContentBlock, ContentBlockDelta, ContentBlockStart, ConverseEventStream, ConverseJson,
    ConverseResponse, ConverseStreamEvent, ConverseStreamResult, Message, MessageAccumulator,
    ReasoningContentBlock, ReasoningContentBlockDelta, TokenUsage,
};
use crate::{CancelHandle, Client, InvokeModelResponse};

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// The type of a ConverseStream event (its `:event-type`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum bedrock_stream_converse_event_type {
    /// Not an event: returned for a NULL event pointer.
    None = 0,
    /// `messageStart`: the role of the message (`bedrock_stream_converse_event_role`).
    MessageStart = 1,
    /// `contentBlockStart`: a block that has a start (a tool use: its id and name).
    ContentBlockStart = 2,
    /// `contentBlockDelta`: the next piece of a block (`bedrock_stream_converse_event_delta`).
    ContentBlockDelta = 3,
    /// `contentBlockStop`: the block is complete.
    ContentBlockStop = 4,
    /// `messageStop`: the stop reason (`bedrock_stream_converse_event_stop_reason`).
    MessageStop = 5,
    /// `metadata`: usage and latency (`bedrock_stream_converse_event_usage`, `_latency_ms`).
    Metadata = 6,
    /// An event type this library does not know (the service added one). Not an error:
    /// `bedrock_stream_converse_event_type_name` names it and `bedrock_stream_converse_event_json`
    /// has its payload.
    Unknown = 7,
}

/// What a `contentBlockDelta` event carries (its `delta` member), and what
/// `bedrock_stream_converse_event_delta` returns for it.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum bedrock_stream_converse_delta_kind {
    /// Not a `contentBlockDelta` event (or a NULL event).
    None = 0,
    /// `text`: the next piece of the answer's text (UTF-8).
    Text = 1,
    /// `toolUse.input`: the next fragment of a tool use's input JSON text. Fragments split the
    /// text anywhere (even inside an escape sequence): join them, or let the accumulator do it.
    ToolUse = 2,
    /// `reasoningContent.text`: the next piece of the model's reasoning (UTF-8).
    ReasoningText = 3,
    /// `reasoningContent.signature`: the next piece of the reasoning's signature.
    ReasoningSignature = 4,
    /// `reasoningContent.redactedContent`: encrypted reasoning (raw bytes, decoded from base64).
    ReasoningRedacted = 5,
    /// `citation`: a citation, as JSON text (`CitationsDelta`).
    Citation = 6,
    /// `toolResult`: tool result pieces, as JSON text (a list of `ToolResultBlockDelta`).
    ToolResult = 7,
    /// `image`: an image piece, as JSON text (`ImageBlockDelta`).
    Image = 8,
    /// A delta member this library does not know: its value as JSON text;
    /// `bedrock_stream_converse_event_member_name` names it.
    Unknown = 9,
}

impl PanicValue for bedrock_stream_converse_event_type {
    fn panic_value() -> Self {
        bedrock_stream_converse_event_type::None
    }
}

impl PanicValue for bedrock_stream_converse_delta_kind {
    fn panic_value() -> Self {
        bedrock_stream_converse_delta_kind::None
    }
}

/// The `usage` of a ConverseStream `metadata` event or of a finished message (`TokenUsage`).
/// `inputTokens`, `outputTokens` and `totalTokens` are always present in the service's
/// answer; the cache counts only when the request used prompt caching (their `has_` flag).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct bedrock_stream_converse_usage {
    /// `inputTokens`
    pub input_tokens: u64,
    /// `outputTokens`
    pub output_tokens: u64,
    /// `totalTokens`
    pub total_tokens: u64,
    /// `cache_read_input_tokens` is set.
    pub has_cache_read_input_tokens: bool,
    /// `cacheReadInputTokens`: input tokens read from the prompt cache.
    pub cache_read_input_tokens: u64,
    /// `cache_write_input_tokens` is set.
    pub has_cache_write_input_tokens: bool,
    /// `cacheWriteInputTokens`: input tokens written to the prompt cache.
    pub cache_write_input_tokens: u64,
}

impl From<&TokenUsage> for bedrock_stream_converse_usage {
    fn from(u: &TokenUsage) -> Self {
        bedrock_stream_converse_usage {
            input_tokens: u.input_tokens.into(),
            output_tokens: u.output_tokens.into(),
            total_tokens: u.total_tokens.into(),
            has_cache_read_input_tokens: u.cache_read_input_tokens.is_some(),
            cache_read_input_tokens: u.cache_read_input_tokens.unwrap_or(0).into(),
            has_cache_write_input_tokens: u.cache_write_input_tokens.is_some(),
            cache_write_input_tokens: u.cache_write_input_tokens.unwrap_or(0).into(),
        }
    }
}

/// Write `usage` (all zero when absent) through `usage_out` when it is not NULL; return
/// whether there was one.
///
/// # Safety
///
/// `usage_out` is NULL or valid for writing one `bedrock_stream_converse_usage`.
unsafe fn write_usage(
    usage: Option<&TokenUsage>,
    usage_out: *mut bedrock_stream_converse_usage,
) -> bool {
    if !usage_out.is_null() {
        let u = usage.map(Into::into).unwrap_or_default();
        // SAFETY: not NULL, writable per the contract.
        unsafe { usage_out.write(u) };
    }
    usage.is_some()
}

/// Write `value` through `out` when it is not NULL; return whether there was one.
///
/// # Safety
///
/// `out` is NULL or valid for writing one `T`.
unsafe fn write_opt<T: Copy>(value: Option<T>, out: *mut T) -> bool {
    if let (Some(v), false) = (value, out.is_null()) {
        // SAFETY: not NULL, writable per the contract.
        unsafe { out.write(v) };
    }
    value.is_some()
}

/// The wire name of a known union member, or a copy of an unknown one's.
fn member_cstr(name: &str) -> Cow<'static, CStr> {
    const KNOWN: &[&CStr] = &[
        c"text",
        c"toolUse",
        c"toolResult",
        c"reasoningContent",
        c"citation",
        c"image",
    ];
    KNOWN
        .iter()
        .find(|k| k.to_bytes() == name.as_bytes())
        .map_or_else(|| Cow::Owned(c_string(name)), |k| Cow::Borrowed(*k))
}

/// One event of a ConverseStream response, read with the `bedrock_stream_converse_event_*`
/// accessors.
///
/// Owned by the library and lent to the caller: to the callback of
/// `bedrock_stream_client_converse_stream` for the duration of that callback call only, or by
/// `bedrock_stream_converse_stream_next` until the next call to
/// `bedrock_stream_converse_stream_next` or `bedrock_stream_converse_stream_free` on that
/// stream. Every pointer obtained from an event has the same lifetime. Never free an event
/// lent by the library. Read it on the thread it was given to.
///
/// `bedrock_stream_converse_event_copy` makes a copy the caller owns (every accessor works
/// on it, and `bedrock_stream_converse_accumulator_push` takes it), freed with
/// `bedrock_stream_converse_event_free`.
pub struct bedrock_stream_converse_event {
    event: ConverseStreamEvent,
    type_name: Cow<'static, CStr>,
    member_name: Option<Cow<'static, CStr>>,
    role: Option<CString>,
    tool_use_id: Option<CString>,
    tool_use_name: Option<CString>,
    stop_reason: Option<CString>,
    /// The delta as JSON text, for the kinds that are not one string or blob.
    delta_json: Vec<u8>,
    /// The event's members as JSON (or an unknown event's payload), made when first asked for.
    json: std::cell::OnceCell<Vec<u8>>,
}

impl bedrock_stream_converse_event {
    fn new(event: ConverseStreamEvent) -> bedrock_stream_converse_event {
        let type_name = match &event {
            ConverseStreamEvent::MessageStart(_) => Cow::Borrowed(c"messageStart"),
            ConverseStreamEvent::ContentBlockStart(_) => Cow::Borrowed(c"contentBlockStart"),
            ConverseStreamEvent::ContentBlockDelta(_) => Cow::Borrowed(c"contentBlockDelta"),
            ConverseStreamEvent::ContentBlockStop(_) => Cow::Borrowed(c"contentBlockStop"),
            ConverseStreamEvent::MessageStop(_) => Cow::Borrowed(c"messageStop"),
            ConverseStreamEvent::Metadata(_) => Cow::Borrowed(c"metadata"),
            other => Cow::Owned(c_string(other.event_type())),
        };
        let mut member_name = None;
        let mut role = None;
        let mut tool_use_id = None;
        let mut tool_use_name = None;
        let mut stop_reason = None;
        let mut delta_json = Vec::new();
        match &event {
            ConverseStreamEvent::MessageStart(m) => role = Some(c_string(m.role.as_str())),
            ConverseStreamEvent::ContentBlockStart(s) => {
                member_name = Some(member_cstr(s.start.member_name()));
                match &s.start {
                    ContentBlockStart::ToolUse(t) => {
                        tool_use_id = Some(c_string(&t.tool_use_id));
                        tool_use_name = Some(c_string(&t.name));
                    }
                    ContentBlockStart::ToolResult(t) => {
                        tool_use_id = Some(c_string(&t.tool_use_id));
                    }
                    _ => {}
                }
            }
            ConverseStreamEvent::ContentBlockDelta(d) => {
                member_name = Some(member_cstr(d.delta.member_name()));
                let json = |v: Value| serde_json::to_vec(&v).unwrap_or_default();
                delta_json = match &d.delta {
                    ContentBlockDelta::Citation(c) => json(to_value(c)),
                    ContentBlockDelta::ToolResult(t) => json(to_value(t)),
                    ContentBlockDelta::Image(i) => json(to_value(i)),
                    ContentBlockDelta::Unknown(u) => json(u.value.clone()),
                    ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Unknown(u)) => {
                        json(u.value.clone())
                    }
                    _ => Vec::new(),
                };
            }
            ConverseStreamEvent::MessageStop(m) => {
                stop_reason = Some(c_string(m.stop_reason.as_str()))
            }
            _ => {}
        }
        bedrock_stream_converse_event {
            event,
            type_name,
            member_name,
            role,
            tool_use_id,
            tool_use_name,
            stop_reason,
            delta_json,
            json: std::cell::OnceCell::new(),
        }
    }

    fn delta_kind(&self) -> bedrock_stream_converse_delta_kind {
        use bedrock_stream_converse_delta_kind as K;
        let ConverseStreamEvent::ContentBlockDelta(d) = &self.event else {
            return K::None;
        };
        match &d.delta {
            ContentBlockDelta::Text(_) => K::Text,
            ContentBlockDelta::ToolUse(_) => K::ToolUse,
            ContentBlockDelta::ReasoningContent(r) => match r {
                ReasoningContentBlockDelta::Text(_) => K::ReasoningText,
                ReasoningContentBlockDelta::Signature(_) => K::ReasoningSignature,
                ReasoningContentBlockDelta::RedactedContent(_) => K::ReasoningRedacted,
                _ => K::Unknown,
            },
            ContentBlockDelta::Citation(_) => K::Citation,
            ContentBlockDelta::ToolResult(_) => K::ToolResult,
            ContentBlockDelta::Image(_) => K::Image,
            _ => K::Unknown,
        }
    }

    fn delta_bytes(&self) -> &[u8] {
        let ConverseStreamEvent::ContentBlockDelta(d) = &self.event else {
            return &[];
        };
        match &d.delta {
            ContentBlockDelta::Text(t) => t.as_bytes(),
            ContentBlockDelta::ToolUse(t) => t.input.as_bytes(),
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Text(t)) => {
                t.as_bytes()
            }
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::Signature(s)) => {
                s.as_bytes()
            }
            ContentBlockDelta::ReasoningContent(ReasoningContentBlockDelta::RedactedContent(b)) => {
                b.as_bytes()
            }
            _ => &self.delta_json,
        }
    }

    fn json(&self) -> &[u8] {
        self.json.get_or_init(|| match &self.event {
            ConverseStreamEvent::Unknown(u) => u.payload().to_vec(),
            e => e
                .members()
                .and_then(|v| serde_json::to_vec(&v).ok())
                .unwrap_or_default(),
        })
    }
}

/// `&event` from a pointer that may be NULL.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
unsafe fn event_ref<'a>(
    event: *const bedrock_stream_converse_event,
) -> Option<&'a bedrock_stream_converse_event> {
    // SAFETY: forwarded contract.
    unsafe { event.as_ref() }
}

/// Copy `event` (lent by the library, or a copy) into an event the caller owns: valid until
/// `bedrock_stream_converse_event_free`, on any thread (one thread at a time), after the
/// stream and the callback are gone. Every `bedrock_stream_converse_event_*` accessor reads
/// it and `bedrock_stream_converse_accumulator_push` takes it, so that events kept for later
/// can still be folded into the message.
///
/// `event` and `copy_out` must not be NULL. On success `*copy_out` receives the copy.
/// `err_out` may be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `event` is NULL or a valid event; `copy_out` is NULL or valid for writing one pointer;
/// `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_copy(
    event: *const bedrock_stream_converse_event,
    copy_out: *mut *mut bedrock_stream_converse_event,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(copy_out, "copy_out")?;
        // SAFETY: caller contract.
        let e = unsafe { arg_ref(event, "event") }?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(copy_out, bedrock_stream_converse_event::new(e.event.clone())) };
        Ok(())
    })
}

/// Free a copy made by `bedrock_stream_converse_event_copy`. `event` may be NULL (nothing
/// happens). Never pass an event lent by the library (the callback's, or
/// `bedrock_stream_converse_stream_next`'s).
///
/// # Safety
///
/// `event` is NULL or a copy from `bedrock_stream_converse_event_copy` not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_free(
    event: *mut bedrock_stream_converse_event,
) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(event) }
    })
}

/// The type of `event`: `BEDROCK_STREAM_CONVERSE_EVENT_TYPE_NONE` when `event` is NULL.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_get_type(
    event: *const bedrock_stream_converse_event,
) -> bedrock_stream_converse_event_type {
    ffi_boundary!({
        use bedrock_stream_converse_event_type as T;
        // SAFETY: caller contract.
        match unsafe { event_ref(event) }.map(|e| &e.event) {
            None => T::None,
            Some(ConverseStreamEvent::MessageStart(_)) => T::MessageStart,
            Some(ConverseStreamEvent::ContentBlockStart(_)) => T::ContentBlockStart,
            Some(ConverseStreamEvent::ContentBlockDelta(_)) => T::ContentBlockDelta,
            Some(ConverseStreamEvent::ContentBlockStop(_)) => T::ContentBlockStop,
            Some(ConverseStreamEvent::MessageStop(_)) => T::MessageStop,
            Some(ConverseStreamEvent::Metadata(_)) => T::Metadata,
            Some(_) => T::Unknown,
        }
    })
}

/// The `:event-type` of `event` as on the wire (`"messageStart"`, `"contentBlockDelta"`, ...,
/// or the name of an event type this library does not know), or NULL when `event` is NULL.
/// NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_type_name(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { event_ref(event) }.map_or(std::ptr::null(), |e| e.type_name.as_ptr())
    })
}

/// `contentBlockIndex` of a `contentBlockStart`, `contentBlockDelta` or `contentBlockStop`
/// event: returns true and writes it to `*index_out` (when not NULL). Returns false for other
/// events and a NULL `event` (`*index_out` untouched).
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid; `index_out` is NULL or
/// valid for writing one `uint32_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_content_block_index(
    event: *const bedrock_stream_converse_event,
    index_out: *mut u32,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let index = match unsafe { event_ref(event) }.map(|e| &e.event) {
            Some(ConverseStreamEvent::ContentBlockStart(s)) => Some(s.content_block_index),
            Some(ConverseStreamEvent::ContentBlockDelta(d)) => Some(d.content_block_index),
            Some(ConverseStreamEvent::ContentBlockStop(s)) => Some(s.content_block_index),
            _ => None,
        };
        // SAFETY: caller contract.
        unsafe { write_opt(index, index_out) }
    })
}

/// The role of a `messageStart` event (`"assistant"`), else NULL. NUL-terminated, valid as
/// long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_role(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| e.role.as_deref()))
    })
}

/// The union member a `contentBlockStart` (its `start`) or `contentBlockDelta` (its `delta`)
/// carries, as on the wire: `"toolUse"`, `"text"`, `"reasoningContent"`, `"citation"`,
/// `"toolResult"`, `"image"`, or the name of a member this library does not know. NULL for
/// other events and a NULL `event`. NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_member_name(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| e.member_name.as_deref()))
    })
}

/// What a `contentBlockDelta` event carries; `BEDROCK_STREAM_CONVERSE_DELTA_KIND_NONE` for
/// other events and a NULL `event`.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_delta_kind(
    event: *const bedrock_stream_converse_event,
) -> bedrock_stream_converse_delta_kind {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { event_ref(event) }
            .map_or(bedrock_stream_converse_delta_kind::None, |e| e.delta_kind())
    })
}

/// The bytes of a `contentBlockDelta` event, by its kind (`bedrock_stream_converse_event_delta_kind`):
/// the text piece (TEXT, REASONING_TEXT), the input JSON fragment (TOOL_USE), the signature
/// piece (REASONING_SIGNATURE), the raw redacted bytes (REASONING_REDACTED), or the member's
/// value as JSON text (CITATION, TOOL_RESULT, IMAGE, UNKNOWN). Empty for other events and a
/// NULL `event`. Not NUL-terminated; valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_delta(
    event: *const bedrock_stream_converse_event,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { event_ref(event) }.map_or_else(bedrock_stream_bytes::empty, |e| {
            bedrock_stream_bytes::of(e.delta_bytes())
        })
    })
}

/// The `toolUseId` of a `contentBlockStart` event that starts a tool use (or a tool result),
/// else NULL. NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_tool_use_id(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| e.tool_use_id.as_deref()))
    })
}

/// The tool `name` of a `contentBlockStart` event that starts a tool use, else NULL.
/// NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_tool_use_name(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| e.tool_use_name.as_deref()))
    })
}

/// The `stopReason` of a `messageStop` event as on the wire (`"end_turn"`, `"tool_use"`,
/// `"max_tokens"`, `"stop_sequence"`, `"guardrail_intervened"`, `"content_filtered"`, ... or a
/// value this library does not know), else NULL. NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_stop_reason(
    event: *const bedrock_stream_converse_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| e.stop_reason.as_deref()))
    })
}

/// The `usage` of a `metadata` event: returns true and, when `usage_out` is not NULL, writes
/// it. For other events and a NULL `event` returns false and writes all zeros (when
/// `usage_out` is not NULL).
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid; `usage_out` is NULL or
/// valid for writing one `bedrock_stream_converse_usage`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_usage(
    event: *const bedrock_stream_converse_event,
    usage_out: *mut bedrock_stream_converse_usage,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let usage = match unsafe { event_ref(event) }.map(|e| &e.event) {
            Some(ConverseStreamEvent::Metadata(m)) => Some(&m.usage),
            _ => None,
        };
        // SAFETY: caller contract.
        unsafe { write_usage(usage, usage_out) }
    })
}

/// `metrics.latencyMs` of a `metadata` event: returns true and writes it to `*latency_ms_out`
/// (when not NULL). False for other events and a NULL `event` (`*latency_ms_out` untouched).
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid; `latency_ms_out` is NULL
/// or valid for writing one `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_latency_ms(
    event: *const bedrock_stream_converse_event,
    latency_ms_out: *mut u64,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let latency = match unsafe { event_ref(event) }.map(|e| &e.event) {
            Some(ConverseStreamEvent::Metadata(m)) => Some(m.metrics.latency_ms),
            _ => None,
        };
        // SAFETY: caller contract.
        unsafe { write_opt(latency, latency_ms_out) }
    })
}

/// The event's members as JSON text, under the service model's names (e.g.
/// `{"contentBlockIndex":0,"delta":{"text":"Hel"}}`; `messageStop` with its
/// `additionalModelResponseFields`, `metadata` with its `trace`, `performanceConfig` and
/// `serviceTier`): the way to read what has no accessor. Union members this library does not
/// know are included as received; other members it does not know are not. For an event type
/// this library does not know, the event's raw payload. Empty for a NULL `event`. Not
/// NUL-terminated; valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_event_json(
    event: *const bedrock_stream_converse_event,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { event_ref(event) }.map_or_else(bedrock_stream_bytes::empty, |e| {
            bedrock_stream_bytes::of(e.json())
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

/// The callback of `bedrock_stream_client_converse_stream`, called once per event, in order.
///
/// The same contract as `bedrock_stream_event_cb`: `user_data` is passed through untouched;
/// `event` (and every pointer obtained from it) is valid only until the callback returns;
/// return `BEDROCK_STREAM_CONTINUE` (0) for the next event, any other value stops the stream
/// (`BEDROCK_STREAM_STATUS_ABORTED_BY_CALLBACK`). It runs on the calling thread, must not free
/// the client, request or cancel handle of the running call, and must not unwind.
pub type bedrock_stream_converse_event_cb = Option<
    unsafe extern "C-unwind" fn(
        user_data: *mut c_void,
        event: *const bedrock_stream_converse_event,
    ) -> i32,
>;

/// The arguments of a ConverseStream call, checked: the client, the request body (validated,
/// nothing sent yet) and the call's cancel handle.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library.
unsafe fn converse_stream_args<'a>(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_converse_request,
    cancel: *const super::client::bedrock_stream_cancel,
) -> Result<(&'a Client, ConverseJson, CancelHandle), Fail> {
    // SAFETY: caller contract.
    let client = unsafe { arg_ref(client, "client") }?;
    // SAFETY: caller contract.
    let request = unsafe { arg_ref(request, "request") }?;
    // SAFETY: caller contract.
    let cancel = unsafe { cancel_for_call(cancel) };
    let body = request.body(true)?;
    Ok((&client.inner, body, cancel))
}

/// Send `request` as ConverseStream.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library.
unsafe fn open(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_converse_request,
    cancel: *const super::client::bedrock_stream_cancel,
) -> Result<ConverseEventStream, Fail> {
    // SAFETY: caller contract.
    let (client, body, cancel) = unsafe { converse_stream_args(client, request, cancel) }?;
    Ok(client.converse_stream_json(&body, cancel)?)
}

/// ConverseStream, push API: send `request` and call `callback` once per event as it arrives,
/// on this thread, until the stream ends, fails, is cancelled or the callback stops it. The
/// ConverseStream twin of `bedrock_stream_client_invoke`, with the same rules: return values,
/// retries (before the first event only), the cancel handle (NULL, or one handle per call) and
/// thread safety. Feed the events to a `bedrock_stream_converse_accumulator` (from the
/// callback) to get the finished message.
///
/// The request is checked first (`BEDROCK_STREAM_STATUS_INVALID_INPUT`, nothing sent): at least
/// one tool when a tool choice is set, at most 10 response field paths, the model id.
///
/// `client`, `request` and `callback` must not be NULL; `user_data` and `cancel` may be NULL.
/// `err_out` may be NULL; when not NULL, `*err_out` is set only on failure (an exception in the
/// stream carries its code, message and the events delivered before it).
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `callback`
/// follows the contract of `bedrock_stream_converse_event_cb`; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_converse_stream(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_converse_request,
    callback: bedrock_stream_converse_event_cb,
    user_data: *mut c_void,
    cancel: *const super::client::bedrock_stream_cancel,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        let Some(callback) = callback else {
            return Err(Fail::null("callback"));
        };
        // SAFETY: caller contract.
        let (client, body, cancel) = unsafe { converse_stream_args(client, request, cancel) }?;
        let mut stopped_with = BEDROCK_STREAM_CONTINUE;
        let summary = client.converse_stream_with_events(&body, cancel, |e| {
            let view = bedrock_stream_converse_event::new(e);
            // SAFETY: the callback follows `bedrock_stream_converse_event_cb`'s contract;
            // `view` is valid for the duration of the call.
            stopped_with = unsafe { callback(user_data, &view) };
            callback_flow(stopped_with)
        })?;
        push_result(&summary, stopped_with)
    })
}

/// An open ConverseStream response read with `bedrock_stream_converse_stream_next` (the pull
/// API).
///
/// Created by `bedrock_stream_client_converse_stream_open`, freed by
/// `bedrock_stream_converse_stream_free` (freeing it before the end closes the connection).
/// The same rules as `bedrock_stream_stream`: one thread at a time (it may move between
/// threads); cancel it from another thread through its cancel handle; it stays usable after
/// its client was freed.
pub struct bedrock_stream_converse_stream {
    inner: ConverseEventStream,
    event: Option<bedrock_stream_converse_event>,
    request_id: Option<CString>,
    /// Set while `next` runs: seen on entry only if a previous call panicked.
    poisoned: bool,
}

/// ConverseStream, pull API: send `request` and return once the response headers are in
/// (retries included), with a stream to read with `bedrock_stream_converse_stream_next`. The
/// ConverseStream twin of `bedrock_stream_client_open`, with the same rules.
///
/// `client`, `request` and `stream_out` must not be NULL; `cancel` may be NULL (a handle serves
/// one call only). On success `*stream_out` receives a stream the caller frees with
/// `bedrock_stream_converse_stream_free`. `err_out` may be NULL; `*err_out` is set only on
/// failure.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `stream_out` is
/// NULL or valid for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_converse_stream_open(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_converse_request,
    cancel: *const super::client::bedrock_stream_cancel,
    stream_out: *mut *mut bedrock_stream_converse_stream,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(stream_out, "stream_out")?;
        // SAFETY: caller contract.
        let inner = unsafe { open(client, request, cancel) }?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(stream_out, bedrock_stream_converse_stream {
            request_id: inner.request_id().map(c_string),
            inner,
            event: None,
            poisoned: false,
        }) };
        Ok(())
    })
}

/// Read the next event of a ConverseStream response, waiting for it (the read-idle timer
/// applies). The same contract as `bedrock_stream_stream_next`:
///
/// * an event: returns `BEDROCK_STREAM_STATUS_OK` and sets `*event_out` to it, valid until the
///   next call to `bedrock_stream_converse_stream_next` or `bedrock_stream_converse_stream_free`;
/// * the clean end: returns `BEDROCK_STREAM_STATUS_OK` and sets `*event_out` to NULL (again on
///   every later call);
/// * a failure (an exception in the stream, truncation, corruption, a timeout, cancellation):
///   returns its status, `*event_out` untouched, `*err_out` (when not NULL) set; later calls
///   return the same status again.
///
/// `stream` and `event_out` must not be NULL. `err_out` may be NULL.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using; `event_out` is NULL or valid
/// for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_stream_next(
    stream: *mut bedrock_stream_converse_stream,
    event_out: *mut *const bedrock_stream_converse_event,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let s = unsafe { arg_mut(stream, "stream") }?;
        out_ptr(event_out, "event_out")?;
        // The core's state machine answers every call: the end again, or the failure again
        // with its counters (a failed stream never reads as ended).
        let next = unless_poisoned(&mut s.poisoned, || {
            s.event = None;
            s.inner.next_event()
        })?;
        s.event = next?.map(bedrock_stream_converse_event::new);
        let event = s
            .event
            .as_ref()
            .map_or(std::ptr::null(), |e| e as *const bedrock_stream_converse_event);
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_out(event_out, event) };
        Ok(())
    })
}

/// Free a ConverseStream stream, closing its connection if it did not end. `stream` may be
/// NULL (nothing happens). Events obtained from the stream are invalid afterwards.
///
/// # Safety
///
/// `stream` is NULL or a stream from `bedrock_stream_client_converse_stream_open` not freed yet
/// and not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_stream_free(
    stream: *mut bedrock_stream_converse_stream,
) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(stream) }
    })
}

/// The `x-amzn-RequestId` of the response, or NULL when the service sent none (or `stream` is
/// NULL). NUL-terminated; valid until `bedrock_stream_converse_stream_free`.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_stream_request_id(
    stream: *const bedrock_stream_converse_stream,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { stream.as_ref() }.and_then(|s| s.request_id.as_deref()))
    })
}

/// How many events `bedrock_stream_converse_stream_next` has returned so far (0 when `stream`
/// is NULL): the ConverseStream twin of `bedrock_stream_stream_events_delivered`.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_stream_events_delivered(
    stream: *const bedrock_stream_converse_stream,
) -> u64 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { stream.as_ref() }.map_or(0, |s| s.inner.events_delivered())
    })
}

/// How many HTTP attempts the call made before the stream opened (retries included; 0 when
/// `stream` is NULL), as `bedrock_stream_error_attempts` counts them.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_stream_attempts(
    stream: *const bedrock_stream_converse_stream,
) -> u32 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { stream.as_ref() }.map_or(0, |s| s.inner.attempts())
    })
}

// ---------------------------------------------------------------------------------------------
// The accumulator and the finished message
// ---------------------------------------------------------------------------------------------

/// Folds the events of one ConverseStream response into the finished assistant message: text,
/// tool uses (input fragments joined and parsed as JSON), reasoning with its signature, stop
/// reason and usage.
///
/// Created by `bedrock_stream_converse_accumulator_new`, fed with
/// `bedrock_stream_converse_accumulator_push` (every event, in order), finished with
/// `bedrock_stream_converse_accumulator_finish`, freed with
/// `bedrock_stream_converse_accumulator_free`. One thread at a time (it may move between
/// threads).
pub struct bedrock_stream_converse_accumulator {
    inner: MessageAccumulator,
}

/// Create an empty accumulator. `accumulator_out` must not be NULL; on success it receives an
/// accumulator the caller frees with `bedrock_stream_converse_accumulator_free`. `err_out` may
/// be NULL; `*err_out` is set only on failure.
///
/// # Safety
///
/// `accumulator_out` is NULL or valid for writing one pointer; `err_out` is NULL or valid for
/// writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_accumulator_new(
    accumulator_out: *mut *mut bedrock_stream_converse_accumulator,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        out_ptr(accumulator_out, "accumulator_out")?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(accumulator_out, bedrock_stream_converse_accumulator {
            inner: MessageAccumulator::new(),
        }) };
        Ok(())
    })
}

/// Fold in one event (call it for every event of the stream, in order, typically from the
/// callback or after each `bedrock_stream_converse_stream_next`). Events of types this library
/// does not know are kept, never an error.
///
/// Fails with `BEDROCK_STREAM_STATUS_PROTOCOL` when the events contradict each other (a delta of
/// one kind for a block of another, a tool use whose joined input is not JSON...).
/// `accumulator` and `event` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure.
///
/// # Safety
///
/// `accumulator` is NULL or a live accumulator no other thread uses; `event` is NULL or an
/// event lent by this library and still valid (or a copy of one); `err_out` is NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_accumulator_push(
    accumulator: *mut bedrock_stream_converse_accumulator,
    event: *const bedrock_stream_converse_event,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let acc = unsafe { arg_mut(accumulator, "accumulator") }?;
        // SAFETY: caller contract.
        let event = unsafe { arg_ref(event, "event") }?;
        acc.inner.push(&event.event)?;
        Ok(())
    })
}

/// Finish the message from the events pushed so far (normally after the stream ended with
/// `BEDROCK_STREAM_STATUS_OK`). On success `*message_out` receives the message, which the caller
/// frees with `bedrock_stream_converse_message_free`; the accumulator is then empty again,
/// ready for the next response. Fails with `BEDROCK_STREAM_STATUS_PROTOCOL` when the events do
/// not make a message (a tool use's input is not JSON...).
///
/// `accumulator` and `message_out` must not be NULL. `err_out` may be NULL; `*err_out` is set
/// only on failure.
///
/// # Safety
///
/// `accumulator` is NULL or a live accumulator no other thread uses; `message_out` is NULL or
/// valid for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_accumulator_finish(
    accumulator: *mut bedrock_stream_converse_accumulator,
    message_out: *mut *mut bedrock_stream_converse_message,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let acc = unsafe { arg_mut(accumulator, "accumulator") }?;
        out_ptr(message_out, "message_out")?;
        let result = std::mem::take(&mut acc.inner).finish()?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(message_out, bedrock_stream_converse_message::from_stream(
            result,
        )) };
        Ok(())
    })
}

/// Free an accumulator. `accumulator` may be NULL (nothing happens).
///
/// # Safety
///
/// `accumulator` is NULL or an accumulator from this library not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_accumulator_free(
    accumulator: *mut bedrock_stream_converse_accumulator,
) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(accumulator) }
    })
}

/// The kind of one content block of a finished message.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum bedrock_stream_converse_block_kind {
    /// No such block (index out of range, NULL message).
    None = 0,
    /// `text`: `bedrock_stream_converse_message_block_text`.
    Text = 1,
    /// `toolUse`: the model asks for a tool to be run (`_block_tool_use_id`, `_name`, `_input`).
    ToolUse = 2,
    /// `reasoningContent.reasoningText`: the model's reasoning (`_block_text`) and its
    /// signature (`_block_reasoning_signature`).
    Reasoning = 3,
    /// `reasoningContent.redactedContent`: encrypted reasoning (`_block_redacted_reasoning`).
    RedactedReasoning = 4,
    /// `citationsContent`: generated text with citations (`_block_text`; the citations in
    /// `_block_json`).
    Citations = 5,
    /// `toolResult` (a server-side tool's result; `_block_tool_use_id`, content in
    /// `_block_json`).
    ToolResult = 6,
    /// `image` (`_block_json`).
    Image = 7,
    /// Any other block, including members this library does not know (`_block_json`).
    Other = 8,
}

impl PanicValue for bedrock_stream_converse_block_kind {
    fn panic_value() -> Self {
        bedrock_stream_converse_block_kind::None
    }
}

/// The C view of one content block, made once per message.
struct BlockView {
    kind: bedrock_stream_converse_block_kind,
    text: String,
    tool_use_id: Option<CString>,
    tool_use_name: Option<CString>,
    /// A tool use's input as JSON text.
    input: Vec<u8>,
    signature: Option<CString>,
    redacted: Vec<u8>,
    json: Vec<u8>,
}

impl BlockView {
    fn new(block: &ContentBlock) -> BlockView {
        use bedrock_stream_converse_block_kind as K;
        let mut v = BlockView {
            kind: K::Other,
            text: String::new(),
            tool_use_id: None,
            tool_use_name: None,
            input: Vec::new(),
            signature: None,
            redacted: Vec::new(),
            json: serde_json::to_vec(block).unwrap_or_default(),
        };
        match block {
            ContentBlock::Text(t) => {
                v.kind = K::Text;
                v.text = t.clone();
            }
            ContentBlock::ToolUse(t) => {
                v.kind = K::ToolUse;
                v.tool_use_id = Some(c_string(&t.tool_use_id));
                v.tool_use_name = Some(c_string(&t.name));
                v.input = serde_json::to_vec(&t.input).unwrap_or_default();
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock::ReasoningText(r)) => {
                v.kind = K::Reasoning;
                v.text = r.text.clone();
                v.signature = r.signature.as_deref().map(c_string);
            }
            ContentBlock::ReasoningContent(ReasoningContentBlock::RedactedContent(b)) => {
                v.kind = K::RedactedReasoning;
                v.redacted = b.as_bytes().to_vec();
            }
            ContentBlock::CitationsContent(c) => {
                v.kind = K::Citations;
                v.text = c
                    .content
                    .iter()
                    .flatten()
                    .filter_map(|g| match g {
                        crate::converse::CitationGeneratedContent::Text(t) => Some(t.as_str()),
                        _ => None,
                    })
                    .collect();
            }
            ContentBlock::ToolResult(t) => {
                v.kind = K::ToolResult;
                v.tool_use_id = Some(c_string(&t.tool_use_id));
            }
            ContentBlock::Image(_) => v.kind = K::Image,
            _ => {}
        }
        v
    }
}

/// A finished assistant message with what came with it: the answer of one ConverseStream
/// response (from `bedrock_stream_converse_accumulator_finish`) or of one Converse call (from
/// `bedrock_stream_client_converse`). Read with the `bedrock_stream_converse_message_*`
/// accessors; append it to the conversation with
/// `bedrock_stream_converse_request_append_message`.
///
/// Owned by the caller, freed with `bedrock_stream_converse_message_free`. Every pointer
/// obtained from it is valid until then. Immutable: any number of threads may read it at once.
pub struct bedrock_stream_converse_message {
    message: Option<Message>,
    blocks: Vec<BlockView>,
    text: String,
    stop_reason: Option<CString>,
    usage: Option<TokenUsage>,
    latency_ms: Option<u64>,
    request_id: Option<CString>,
    json: Vec<u8>,
}

impl bedrock_stream_converse_message {
    fn new(message: Option<Message>, json: Vec<u8>) -> bedrock_stream_converse_message {
        let (blocks, text) = match &message {
            Some(m) => (m.content.iter().map(BlockView::new).collect(), m.text()),
            None => (Vec::new(), String::new()),
        };
        bedrock_stream_converse_message {
            message,
            blocks,
            text,
            stop_reason: None,
            usage: None,
            latency_ms: None,
            request_id: None,
            json,
        }
    }

    fn from_stream(r: ConverseStreamResult) -> bedrock_stream_converse_message {
        // The members a ConverseResponse would have, under the service model's names.
        let mut doc = serde_json::Map::new();
        let mut put = |name: &str, v: Option<Value>| {
            if let Some(v) = v {
                doc.insert(name.to_owned(), v);
            }
        };
        put(
            "output",
            Some(serde_json::json!({ "message": to_value(&r.message) })),
        );
        put("stopReason", r.stop_reason.as_ref().map(to_value));
        put("usage", r.usage.as_ref().map(to_value));
        put("metrics", r.metrics.as_ref().map(to_value));
        put(
            "additionalModelResponseFields",
            r.additional_model_response_fields.clone(),
        );
        put("trace", r.trace.as_ref().map(to_value));
        put(
            "performanceConfig",
            r.performance_config.as_ref().map(to_value),
        );
        put("serviceTier", r.service_tier.as_ref().map(to_value));
        for (name, value) in &r.other {
            doc.entry(name.clone()).or_insert_with(|| value.clone());
        }
        let json = serde_json::to_vec(&doc).unwrap_or_default();
        let mut m = bedrock_stream_converse_message::new(Some(r.message), json);
        m.stop_reason = r.stop_reason.as_ref().map(|s| c_string(s.as_str()));
        m.usage = r.usage;
        m.latency_ms = r.metrics.map(|m| m.latency_ms);
        m
    }

    fn from_response(r: ConverseResponse) -> bedrock_stream_converse_message {
        let json = serde_json::to_vec(&r).unwrap_or_default();
        let mut m = bedrock_stream_converse_message::new(r.message().cloned(), json);
        m.stop_reason = Some(c_string(r.stop_reason.as_str()));
        m.usage = Some(r.usage);
        m.latency_ms = Some(r.metrics.latency_ms);
        m.request_id = r.request_id.as_deref().map(c_string);
        m
    }

    fn block(&self, index: usize) -> Option<&BlockView> {
        self.blocks.get(index)
    }
}

/// A member's JSON value (`Null` if it cannot be serialised, which the Converse types never
/// are).
fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `&message` from a pointer that may be NULL.
///
/// # Safety
///
/// `message` is NULL or a live message.
unsafe fn message_ref<'a>(
    message: *const bedrock_stream_converse_message,
) -> Option<&'a bedrock_stream_converse_message> {
    // SAFETY: forwarded contract.
    unsafe { message.as_ref() }
}

/// Block `index` of `message` (`None` for a NULL message or an index out of range).
///
/// # Safety
///
/// `message` is NULL or a live message.
unsafe fn block_ref<'a>(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> Option<&'a BlockView> {
    // SAFETY: forwarded contract.
    unsafe { message_ref(message) }.and_then(|m| m.block(index))
}

/// The bytes `field` picks from block `index` (empty when there is no such block).
///
/// # Safety
///
/// `message` is NULL or a live message.
unsafe fn block_bytes(
    message: *const bedrock_stream_converse_message,
    index: usize,
    field: fn(&BlockView) -> &[u8],
) -> bedrock_stream_bytes {
    // SAFETY: forwarded contract.
    unsafe { block_ref(message, index) }.map_or_else(bedrock_stream_bytes::empty, |b| {
        bedrock_stream_bytes::of(field(b))
    })
}

/// The string `field` picks from block `index` (NULL when there is none).
///
/// # Safety
///
/// `message` is NULL or a live message.
unsafe fn block_str(
    message: *const bedrock_stream_converse_message,
    index: usize,
    field: fn(&BlockView) -> &Option<CString>,
) -> *const c_char {
    // SAFETY: forwarded contract.
    lend_str(unsafe { block_ref(message, index) }.and_then(|b| field(b).as_deref()))
}

/// Free a message. `message` may be NULL (nothing happens). Pointers obtained from it are
/// invalid afterwards.
///
/// # Safety
///
/// `message` is NULL or a message from this library not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_free(
    message: *mut bedrock_stream_converse_message,
) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(message) }
    })
}

/// `stopReason` as on the wire (`"end_turn"`, `"tool_use"`, `"max_tokens"`, ...), or NULL when
/// the stream had no `messageStop` (or `message` is NULL). Compare with `"tool_use"` to know
/// whether the model asks for tools. NUL-terminated, valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_stop_reason(
    message: *const bedrock_stream_converse_message,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { message_ref(message) }.and_then(|m| m.stop_reason.as_deref()))
    })
}

/// The text of all `text` blocks, concatenated (UTF-8). Empty when there is none or `message`
/// is NULL. Not NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_text(
    message: *const bedrock_stream_converse_message,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { message_ref(message) }.map_or_else(bedrock_stream_bytes::empty, |m| {
            bedrock_stream_bytes::of(m.text.as_bytes())
        })
    })
}

/// `usage`: returns true and, when `usage_out` is not NULL, writes it. Returns false when the
/// stream had no `metadata` event (or `message` is NULL), writing all zeros.
///
/// # Safety
///
/// `message` is NULL or a live message; `usage_out` is NULL or valid for writing one
/// `bedrock_stream_converse_usage`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_usage(
    message: *const bedrock_stream_converse_message,
    usage_out: *mut bedrock_stream_converse_usage,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let usage = unsafe { message_ref(message) }.and_then(|m| m.usage.as_ref());
        // SAFETY: caller contract.
        unsafe { write_usage(usage, usage_out) }
    })
}

/// `metrics.latencyMs`: returns true and writes it to `*latency_ms_out` (when not NULL); false
/// when absent or `message` is NULL (`*latency_ms_out` untouched).
///
/// # Safety
///
/// `message` is NULL or a live message; `latency_ms_out` is NULL or valid for writing one
/// `uint64_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_latency_ms(
    message: *const bedrock_stream_converse_message,
    latency_ms_out: *mut u64,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let latency = unsafe { message_ref(message) }.and_then(|m| m.latency_ms);
        // SAFETY: caller contract.
        unsafe { write_opt(latency, latency_ms_out) }
    })
}

/// The `x-amzn-RequestId` of a Converse response, or NULL (a message from the accumulator, or
/// none sent, or `message` NULL; for a stream see `bedrock_stream_converse_stream_request_id`).
/// NUL-terminated, valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_request_id(
    message: *const bedrock_stream_converse_message,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { message_ref(message) }.and_then(|m| m.request_id.as_deref()))
    })
}

/// The whole answer as JSON text, under the ConverseResponse member names: `output.message`,
/// `stopReason`, `usage`, `metrics`, and when present `additionalModelResponseFields`,
/// `trace`, `performanceConfig`, `serviceTier` (for a stream: what its `messageStop` and
/// `metadata` events said). The way to read what has no accessor. Members this library does
/// not know are included as received (for a stream: the top-level ones of its `messageStart`,
/// `messageStop` and `metadata` events, beside the others). Empty when
/// `message` is NULL. Not NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_json(
    message: *const bedrock_stream_converse_message,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { message_ref(message) }.map_or_else(bedrock_stream_bytes::empty, |m| {
            bedrock_stream_bytes::of(&m.json)
        })
    })
}

/// The number of content blocks of the message (0 when `message` is NULL, or when a Converse
/// answer's `output` is a member this library does not know: see
/// `bedrock_stream_converse_message_json`).
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_count(
    message: *const bedrock_stream_converse_message,
) -> usize {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { message_ref(message) }.map_or(0, |m| m.blocks.len())
    })
}

/// The kind of block `index` (0-based); `BEDROCK_STREAM_CONVERSE_BLOCK_KIND_NONE` when out of
/// range or `message` is NULL.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_kind(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> bedrock_stream_converse_block_kind {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_ref(message, index) }
            .map_or(bedrock_stream_converse_block_kind::None, |b| b.kind)
    })
}

/// The text of block `index`: a TEXT block's text, a REASONING block's reasoning, a CITATIONS
/// block's generated text (UTF-8). Empty for other kinds, an index out of range or a NULL
/// `message`. Not NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_text(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_bytes(message, index, |b| b.text.as_bytes()) }
    })
}

/// The `toolUseId` of a TOOL_USE (or TOOL_RESULT) block `index`, else NULL. Pass it to
/// `bedrock_stream_converse_request_add_tool_result_json` with the tool's result.
/// NUL-terminated, valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_tool_use_id(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_str(message, index, |b| &b.tool_use_id) }
    })
}

/// The tool `name` of a TOOL_USE block `index`, else NULL. NUL-terminated, valid as long as
/// the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_tool_use_name(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_str(message, index, |b| &b.tool_use_name) }
    })
}

/// The input of a TOOL_USE block `index` as JSON text (the model's fragments joined and
/// checked; compact, with non-ASCII characters as UTF-8), e.g. `{"city":"Zürich"}`. Empty for
/// other kinds. Not NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_tool_use_input(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_bytes(message, index, |b| &b.input) }
    })
}

/// The signature of a REASONING block `index` (send it back unchanged: appending the message
/// does), or NULL when the block has none or is not a REASONING block. NUL-terminated, valid
/// as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_reasoning_signature(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_str(message, index, |b| &b.signature) }
    })
}

/// The encrypted bytes of a REDACTED_REASONING block `index` (decoded from base64). Empty for
/// other kinds. Not NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_redacted_reasoning(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_bytes(message, index, |b| &b.redacted) }
    })
}

/// Block `index` as JSON text, as on the wire (e.g. `{"toolUse":{"toolUseId":...}}`): the way
/// to read any kind, including OTHER. Empty for an index out of range or a NULL `message`. Not
/// NUL-terminated; valid as long as the message.
///
/// # Safety
///
/// `message` is NULL or a live message.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_message_block_json(
    message: *const bedrock_stream_converse_message,
    index: usize,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { block_bytes(message, index, |b| &b.json) }
    })
}

/// Append `message` (a copy of it, the model's own turn, reasoning signatures included) to the
/// request's conversation: the next turn. Then start the user's answer with
/// `bedrock_stream_converse_request_add_message(request, "user", ...)` and add a tool result per
/// tool use. `message` stays valid and owned by the caller.
///
/// Fails with `BEDROCK_STREAM_STATUS_INVALID_INPUT` when the message has no content this
/// library can send (a Converse answer whose `output` is a member it does not know).
/// `request` and `message` must not be NULL. `err_out` may be NULL; `*err_out` is set only on
/// failure (the request is then unchanged).
///
/// # Safety
///
/// `request` is NULL or a live request no other thread uses; `message` is NULL or a live
/// message; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_converse_request_append_message(
    request: *mut bedrock_stream_converse_request,
    message: *const bedrock_stream_converse_message,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: caller contract.
        let message = unsafe { arg_ref(message, "message") }?;
        let Some(m) = &message.message else {
            return Err(Fail::invalid_input(
                "the answer's output is not a message this library knows; it cannot be \
                 appended (see bedrock_stream_converse_message_json)",
            ));
        };
        request.push_message(m.clone());
        Ok(())
    })
}

/// Converse (not streamed): send `request` and return the whole answer once it is in, as a
/// message (`bedrock_stream_converse_message_*` accessors: blocks, stop reason, usage,
/// latency, request id, the whole response as JSON). Retried like a stream that delivered
/// nothing; cancellable through `cancel` (NULL, or one handle per call) from any thread.
///
/// `client`, `request` and `message_out` must not be NULL. On success `*message_out` receives
/// a message the caller frees with `bedrock_stream_converse_message_free`. `err_out` may be
/// NULL; `*err_out` is set only on failure. Thread-safe like `bedrock_stream_client_invoke`.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `message_out` is
/// NULL or valid for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_converse(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_converse_request,
    cancel: *const super::client::bedrock_stream_cancel,
    message_out: *mut *mut bedrock_stream_converse_message,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let request = unsafe { arg_ref(request, "request") }?;
        out_ptr(message_out, "message_out")?;
        // SAFETY: caller contract.
        let cancel = unsafe { cancel_for_call(cancel) };
        let body = request.body(false)?;
        let response = client.inner.converse_json(&body, cancel)?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(message_out, bedrock_stream_converse_message::from_response(
            response,
        )) };
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// InvokeModel
// ---------------------------------------------------------------------------------------------

/// The answer of InvokeModel (`bedrock_stream_client_invoke_model`): the model's whole
/// response body and the response headers. Owned by the caller, freed with
/// `bedrock_stream_invoke_response_free`; every pointer obtained from it is valid until then.
/// Immutable: any number of threads may read it at once.
pub struct bedrock_stream_invoke_response {
    inner: InvokeModelResponse,
    content_type: Option<CString>,
    request_id: Option<CString>,
    performance_config_latency: Option<CString>,
    service_tier: Option<CString>,
}

/// InvokeModel (not streamed): send `request` (the same request object as the streaming
/// calls: model id, the model's own JSON body and the optional headers) and return the model's
/// whole answer once it is in. Retried like a stream that delivered nothing; cancellable
/// through `cancel` (NULL, or one handle per call).
///
/// `client`, `request` and `response_out` must not be NULL. On success `*response_out`
/// receives a response the caller frees with `bedrock_stream_invoke_response_free`. `err_out`
/// may be NULL; `*err_out` is set only on failure. Thread-safe like
/// `bedrock_stream_client_invoke`.
///
/// # Safety
///
/// `client`, `request` and `cancel` are NULL or live handles of this library; `response_out`
/// is NULL or valid for writing one pointer; `err_out` is NULL or valid for writing one
/// pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_client_invoke_model(
    client: *const bedrock_stream_client,
    request: *const bedrock_stream_request,
    cancel: *const super::client::bedrock_stream_cancel,
    response_out: *mut *mut bedrock_stream_invoke_response,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: caller contract.
        let request = unsafe { arg_ref(request, "request") }?;
        out_ptr(response_out, "response_out")?;
        // SAFETY: caller contract.
        let cancel = unsafe { cancel_for_call(cancel) };
        let inner = client
            .inner
            .invoke_model_cancellable(request.inner(), cancel)?;
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_boxed(response_out, bedrock_stream_invoke_response {
            content_type: inner.content_type.as_deref().map(c_string),
            request_id: inner.request_id.as_deref().map(c_string),
            performance_config_latency: inner
                .performance_config_latency
                .map(|l| c_string(l.as_str())),
            service_tier: inner.service_tier.map(|t| c_string(t.as_str())),
            inner,
        }) };
        Ok(())
    })
}

/// Free an InvokeModel response. `response` may be NULL (nothing happens).
///
/// # Safety
///
/// `response` is NULL or a response from this library not freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_free(
    response: *mut bedrock_stream_invoke_response,
) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(response) }
    })
}

/// `body`: the model's answer, byte for byte (usually JSON in the model's own format). Empty
/// when `response` is NULL. Not NUL-terminated; valid as long as the response.
///
/// # Safety
///
/// `response` is NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_body(
    response: *const bedrock_stream_invoke_response,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { response.as_ref() }.map_or_else(bedrock_stream_bytes::empty, |r| {
            bedrock_stream_bytes::of(&r.inner.body)
        })
    })
}

/// `contentType` (`Content-Type`): the MIME type of the body, or NULL when absent (or
/// `response` is NULL). NUL-terminated, valid as long as the response.
///
/// # Safety
///
/// `response` is NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_content_type(
    response: *const bedrock_stream_invoke_response,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { response.as_ref() }.and_then(|r| r.content_type.as_deref()))
    })
}

/// The `x-amzn-RequestId` of the response, or NULL when absent (or `response` is NULL).
/// NUL-terminated, valid as long as the response.
///
/// # Safety
///
/// `response` is NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_request_id(
    response: *const bedrock_stream_invoke_response,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { response.as_ref() }.and_then(|r| r.request_id.as_deref()))
    })
}

/// `performanceConfigLatency` (`X-Amzn-Bedrock-PerformanceConfig-Latency`): `"standard"` or
/// `"optimized"`, or NULL when the service did not say (or `response` is NULL).
/// NUL-terminated, valid as long as the response.
///
/// # Safety
///
/// `response` is NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_performance_config_latency(
    response: *const bedrock_stream_invoke_response,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { response.as_ref() }.and_then(|r| r.performance_config_latency.as_deref()))
    })
}

/// `serviceTier` (`X-Amzn-Bedrock-Service-Tier`): `"priority"`, `"default"`, `"flex"` or
/// `"reserved"`, or NULL when the service did not say (or `response` is NULL). NUL-terminated,
/// valid as long as the response.
///
/// # Safety
///
/// `response` is NULL or a live response.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_invoke_response_service_tier(
    response: *const bedrock_stream_invoke_response,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { response.as_ref() }.and_then(|r| r.service_tier.as_deref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::{ContentBlockDeltaEvent, ContentBlockStartEvent, ContentBlockStopEvent};
    use serde_json::json;

    fn delta(v: Value) -> bedrock_stream_converse_event {
        let d: ContentBlockDeltaEvent =
            serde_json::from_value(json!({"contentBlockIndex": 1, "delta": v})).unwrap();
        bedrock_stream_converse_event::new(ConverseStreamEvent::ContentBlockDelta(d))
    }

    fn start(v: Value) -> bedrock_stream_converse_event {
        let s: ContentBlockStartEvent =
            serde_json::from_value(json!({"contentBlockIndex": 1, "start": v})).unwrap();
        bedrock_stream_converse_event::new(ConverseStreamEvent::ContentBlockStart(s))
    }

    fn bytes(b: bedrock_stream_bytes) -> Vec<u8> {
        // SAFETY: the library lends `len` readable bytes at `data`.
        unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
    }

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: NULL or a NUL-terminated string of a live object.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
    }

    /// The delta kinds the emulator never sends (citations, tool results and images come from
    /// server-side tools and some models): kind, member name and the JSON value as bytes.
    #[test]
    fn citation_tool_result_image_and_unknown_reasoning_deltas() {
        use bedrock_stream_converse_delta_kind as K;
        for (value, kind, member, want) in [
            (
                json!({"citation": {"title": "T", "location": {"web": {"url": "https://x"}}}}),
                K::Citation,
                "citation",
                json!({"title": "T", "location": {"web": {"url": "https://x"}}}),
            ),
            (
                json!({"toolResult": [{"text": "a"}, {"json": {"n": 1}}]}),
                K::ToolResult,
                "toolResult",
                json!([{"text": "a"}, {"json": {"n": 1}}]),
            ),
            (
                json!({"image": {"source": {"bytes": "aGk="}}}),
                K::Image,
                "image",
                json!({"source": {"bytes": "aGk="}}),
            ),
            (
                json!({"reasoningContent": {"futureReasoning": {"x": 2}}}),
                K::Unknown,
                "reasoningContent",
                json!({"x": 2}),
            ),
        ] {
            let ev = delta(value.clone());
            // SAFETY: `ev` lives across the calls.
            unsafe {
                assert_eq!(
                    bedrock_stream_converse_event_delta_kind(&ev),
                    kind,
                    "{value}"
                );
                assert_eq!(
                    text(bedrock_stream_converse_event_member_name(&ev)).unwrap(),
                    member
                );
                let got: Value =
                    serde_json::from_slice(&bytes(bedrock_stream_converse_event_delta(&ev)))
                        .unwrap();
                assert_eq!(got, want, "{value}");
                let all: Value =
                    serde_json::from_slice(&bytes(bedrock_stream_converse_event_json(&ev)))
                        .unwrap();
                assert_eq!(all, json!({"contentBlockIndex": 1, "delta": value}));
            }
        }
    }

    #[test]
    fn tool_result_and_image_starts_and_a_block_stop() {
        // SAFETY: each event lives across the calls on it.
        unsafe {
            let ev = start(json!({"toolResult": {"toolUseId": "tu_9", "status": "error"}}));
            assert_eq!(
                bedrock_stream_converse_event_get_type(&ev),
                bedrock_stream_converse_event_type::ContentBlockStart
            );
            assert_eq!(
                text(bedrock_stream_converse_event_tool_use_id(&ev)).unwrap(),
                "tu_9"
            );
            assert_eq!(text(bedrock_stream_converse_event_tool_use_name(&ev)), None);
            assert_eq!(
                text(bedrock_stream_converse_event_member_name(&ev)).unwrap(),
                "toolResult"
            );
            let ev = start(json!({"image": {"format": "png"}}));
            assert_eq!(
                text(bedrock_stream_converse_event_member_name(&ev)).unwrap(),
                "image"
            );
            assert_eq!(text(bedrock_stream_converse_event_tool_use_id(&ev)), None);
            let ev = start(json!({"futureStart": {}}));
            assert_eq!(
                text(bedrock_stream_converse_event_member_name(&ev)).unwrap(),
                "futureStart"
            );
            let stop = bedrock_stream_converse_event::new(ConverseStreamEvent::ContentBlockStop(
                ContentBlockStopEvent {
                    content_block_index: 4,
                    other: Default::default(),
                },
            ));
            let mut i = 0;
            assert!(bedrock_stream_converse_event_content_block_index(
                &stop, &mut i
            ));
            assert_eq!(i, 4);
            assert_eq!(bedrock_stream_converse_event_delta(&stop).len, 0);
            assert!(bedrock_stream_converse_event_member_name(&stop).is_null());
        }
    }

    #[test]
    fn the_accumulator_reports_contradicting_events_as_protocol_errors() {
        let mut acc: *mut bedrock_stream_converse_accumulator = std::ptr::null_mut();
        let mut err: *mut bedrock_stream_error = std::ptr::null_mut();
        // SAFETY: valid out-pointers; the accumulator and events live across the calls.
        unsafe {
            assert_eq!(
                bedrock_stream_converse_accumulator_new(&mut acc, &mut err),
                bedrock_stream_status::Ok
            );
            let push = |ev: &bedrock_stream_converse_event, err: &mut *mut bedrock_stream_error| {
                bedrock_stream_converse_accumulator_push(acc, ev, err)
            };
            let tool = start(json!({"toolUse": {"toolUseId": "t1", "name": "f"}}));
            assert_eq!(push(&tool, &mut err), bedrock_stream_status::Ok);
            let piece = delta(json!({"toolUse": {"input": "{\"a\": "}}));
            assert_eq!(push(&piece, &mut err), bedrock_stream_status::Ok);
            // The joined input is not JSON: the block's stop says so.
            let stop = bedrock_stream_converse_event::new(ConverseStreamEvent::ContentBlockStop(
                ContentBlockStopEvent {
                    content_block_index: 1,
                    other: Default::default(),
                },
            ));
            assert_eq!(push(&stop, &mut err), bedrock_stream_status::Protocol);
            let e = Box::from_raw(err);
            assert!(e.message().contains("not JSON"), "{}", e.message());
            drop(e);
            // A text delta for a tool-use block contradicts it too.
            let mut err: *mut bedrock_stream_error = std::ptr::null_mut();
            let text_piece = delta(json!({"text": "x"}));
            assert_eq!(push(&text_piece, &mut err), bedrock_stream_status::Protocol);
            drop(Box::from_raw(err));
            bedrock_stream_converse_accumulator_free(acc);
        }
    }
}
