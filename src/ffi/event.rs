//! Events (`bedrock_stream_event` and its accessors) and the pull API
//! (`bedrock_stream_stream`).

use std::cell::OnceCell;
use std::ffi::{c_char, CString};

use super::args::{arg_mut, arg_ref, free_boxed, lend_str, out_ptr, unless_poisoned, write_out};
use super::error::{bedrock_stream_error, c_string};
use super::status::bedrock_stream_status;
use crate::event::{Current, EventRef};
use crate::EventStream;

/// Borrowed bytes: `len` bytes at `data`, not NUL-terminated.
///
/// `data` is never NULL (it points to a valid empty buffer when `len` is 0), so it can be
/// passed to `fwrite` or `printf("%.*s", (int)len, data)` as is. The bytes belong to the
/// object they were obtained from and are valid as long as that object says.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct bedrock_stream_bytes {
    /// The first byte.
    pub data: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl bedrock_stream_bytes {
    pub(crate) fn empty() -> bedrock_stream_bytes {
        bedrock_stream_bytes {
            data: c"".as_ptr().cast(),
            len: 0,
        }
    }

    pub(crate) fn of(bytes: &[u8]) -> bedrock_stream_bytes {
        if bytes.is_empty() {
            bedrock_stream_bytes::empty()
        } else {
            bedrock_stream_bytes {
                data: bytes.as_ptr(),
                len: bytes.len(),
            }
        }
    }
}

/// What an event is.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum bedrock_stream_event_kind {
    /// Not an event: returned for a NULL event pointer.
    None = 0,
    /// A `chunk` event: the payload is the model's output document (decoded from base64),
    /// usually JSON.
    Chunk = 1,
    /// An event type this library does not know (a newer member of the service's stream). Not
    /// an error: the payload is the raw event-stream payload; `bedrock_stream_event_type` names
    /// it.
    Unknown = 2,
}

/// Token counts a model reported in one chunk, in the model family's own fields (Claude's
/// `usage`, Llama's `prompt_token_count`, ...). Values are copied, never summed or derived:
/// some families report running totals, some per-stream totals. For what was billed prefer
/// `bedrock_stream_metrics`. A value is meaningful only when its `has_` flag is true.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct bedrock_stream_usage {
    /// `input_tokens` is set.
    pub has_input_tokens: bool,
    /// Input (prompt) tokens.
    pub input_tokens: u64,
    /// `output_tokens` is set.
    pub has_output_tokens: bool,
    /// Output (generated) tokens.
    pub output_tokens: u64,
    /// `cache_read_input_tokens` is set.
    pub has_cache_read_input_tokens: bool,
    /// Input tokens read from the prompt cache.
    pub cache_read_input_tokens: u64,
    /// `cache_write_input_tokens` is set.
    pub has_cache_write_input_tokens: bool,
    /// Input tokens written to the prompt cache.
    pub cache_write_input_tokens: u64,
}

/// The `amazon-bedrock-invocationMetrics` object Bedrock adds to the last chunk of a successful
/// stream (for every model family). A value is meaningful only when its `has_` flag is true.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct bedrock_stream_metrics {
    /// `input_token_count` is set.
    pub has_input_token_count: bool,
    /// `inputTokenCount`: input tokens billed.
    pub input_token_count: u64,
    /// `output_token_count` is set.
    pub has_output_token_count: bool,
    /// `outputTokenCount`: output tokens billed.
    pub output_token_count: u64,
    /// `invocation_latency_ms` is set.
    pub has_invocation_latency_ms: bool,
    /// `invocationLatency`: milliseconds from the request to the last token.
    pub invocation_latency_ms: u64,
    /// `first_byte_latency_ms` is set.
    pub has_first_byte_latency_ms: bool,
    /// `firstByteLatency`: milliseconds from the request to the first byte of output.
    pub first_byte_latency_ms: u64,
    /// `cache_read_input_token_count` is set.
    pub has_cache_read_input_token_count: bool,
    /// `cacheReadInputTokenCount`.
    pub cache_read_input_token_count: u64,
    /// `cache_write_input_token_count` is set.
    pub has_cache_write_input_token_count: bool,
    /// `cacheWriteInputTokenCount`.
    pub cache_write_input_token_count: u64,
}

/// One event of a response stream, read with the `bedrock_stream_event_*` accessors.
///
/// Owned by the library and lent to the caller: to the callback of
/// `bedrock_stream_client_invoke` for the duration of that callback call only, or by
/// `bedrock_stream_stream_next` until the next call to `bedrock_stream_stream_next` or
/// `bedrock_stream_stream_free` on that stream. Every pointer obtained from an event has the
/// same lifetime. Never free an event. Read it on the thread it was given to.
pub struct bedrock_stream_event {
    /// The core stream's current event (boxed inside the stream, so its address is stable),
    /// or NULL for no event.
    current: *const Current,
    /// `bedrock_stream_event_type` of an unknown event, NUL-terminated on first use.
    unknown_type: OnceCell<CString>,
    /// `bedrock_stream_event_stop_reason`, NUL-terminated on first use.
    stop_reason: OnceCell<Option<CString>>,
}

impl bedrock_stream_event {
    pub(crate) fn new() -> bedrock_stream_event {
        bedrock_stream_event {
            current: std::ptr::null(),
            unknown_type: OnceCell::new(),
            stop_reason: OnceCell::new(),
        }
    }

    /// Lend `event` (until the core stream's next call).
    pub(crate) fn lend(&mut self, event: EventRef<'_>) -> &bedrock_stream_event {
        self.current = event.current();
        self.unknown_type = OnceCell::new();
        self.stop_reason = OnceCell::new();
        self
    }

    /// The core's view of the event.
    fn view(&self) -> Option<EventRef<'_>> {
        // SAFETY: `current` is NULL or was set by `lend` from a live event of a stream; the
        // C contract makes this event valid only until that stream's next call (or its free),
        // and the stream keeps its current event boxed (a stable address) and unchanged
        // until then.
        unsafe { self.current.as_ref() }.and_then(Current::view)
    }
}

// SAFETY: the only non-`Send` part is the raw pointer to the core stream's current event, which
// lives in a box owned by the same `bedrock_stream_stream` (it moves with it and is only read
// through it, by the one thread using the stream).
unsafe impl Send for bedrock_stream_stream {}

/// An open response read with `bedrock_stream_stream_next` (the pull API, for event loops
/// that cannot be called back).
///
/// Created by `bedrock_stream_client_open`, freed by `bedrock_stream_stream_free` (freeing it
/// before the end closes the connection: the model stops generating). Not thread-safe: one
/// thread at a time may call the `bedrock_stream_stream_*` functions on a stream (it may move
/// between threads). To stop it from another thread, cancel the `bedrock_stream_cancel`
/// handle given to `bedrock_stream_client_open`. A stream stays usable after its client was
/// freed.
pub struct bedrock_stream_stream {
    stream: EventStream,
    event: bedrock_stream_event,
    request_id: Option<CString>,
    content_type: Option<CString>,
    /// A previous call panicked inside the core: the stream may be half-updated.
    poisoned: bool,
}

impl bedrock_stream_stream {
    pub(crate) fn new(stream: EventStream) -> bedrock_stream_stream {
        bedrock_stream_stream {
            request_id: stream.request_id().map(c_string),
            content_type: stream.content_type().map(c_string),
            event: bedrock_stream_event::new(),
            stream,
            poisoned: false,
        }
    }
}

/// Read the next event of the stream, waiting for it (the read-idle timer applies).
///
/// * An event: returns `BEDROCK_STREAM_STATUS_OK` and sets `*event_out` to it. The event is
///   owned by the stream and valid until the next call to `bedrock_stream_stream_next` or
///   `bedrock_stream_stream_free` on this stream.
/// * The clean end of the stream: returns `BEDROCK_STREAM_STATUS_OK` and sets `*event_out` to
///   NULL (again on every later call). There is no separate "end" status, so `rc != 0` always
///   means failure.
/// * A failure (an exception in the stream, a truncated or corrupt stream, a timeout,
///   cancellation...): returns its status; `*event_out` is not written; `*err_out` (when not
///   NULL) receives the error, including how many events were delivered before it. The
///   connection is closed. Later calls return the same status again (with a short error).
///
/// `stream` and `event_out` must not be NULL (`BEDROCK_STREAM_STATUS_NULL_ARGUMENT`).
/// `err_out` may be NULL. After a panic inside this function (`BEDROCK_STREAM_STATUS_PANIC`)
/// the stream only returns `BEDROCK_STREAM_STATUS_PANIC`; free it.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using; `event_out` is NULL or valid
/// for writing one pointer; `err_out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_stream_next(
    stream: *mut bedrock_stream_stream,
    event_out: *mut *const bedrock_stream_event,
    err_out: *mut *mut bedrock_stream_error,
) -> bedrock_stream_status {
    ffi_boundary!(err_out: err_out, {
        // SAFETY: caller contract.
        let s = unsafe { arg_mut(stream, "stream") }?;
        out_ptr(event_out, "event_out")?;
        let next = unless_poisoned(&mut s.poisoned, || s.stream.next_event())?;
        let event: *const bedrock_stream_event = match next? {
            Some(e) => s.event.lend(e),
            None => std::ptr::null(),
        };
        // SAFETY: checked not NULL; writable per the contract.
        unsafe { write_out(event_out, event) };
        Ok(())
    })
}

/// Free a stream, closing its connection if the stream did not end (the service stops the
/// generation; nothing is returned to the connection pool). `stream` may be NULL (nothing
/// happens). Events obtained from the stream are invalid afterwards.
///
/// # Safety
///
/// `stream` is NULL or a stream from `bedrock_stream_client_open` not freed yet and not in use
/// by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_stream_free(stream: *mut bedrock_stream_stream) {
    ffi_boundary!({
        // SAFETY: NULL or handed out by this library and not freed yet (caller contract).
        unsafe { free_boxed(stream) }
    })
}

/// The `x-amzn-RequestId` of the response, or NULL when the service sent none (or `stream`
/// is NULL). NUL-terminated; owned by the stream, valid until `bedrock_stream_stream_free`.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_stream_request_id(
    stream: *const bedrock_stream_stream,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { stream.as_ref() }.and_then(|s| s.request_id.as_deref()))
    })
}

/// `X-Amzn-Bedrock-Content-Type` of the response (the MIME type of the chunks), or NULL
/// when absent (or `stream` is NULL). Owned by the stream, valid until
/// `bedrock_stream_stream_free`.
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_stream_content_type(
    stream: *const bedrock_stream_stream,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { stream.as_ref() }.and_then(|s| s.content_type.as_deref()))
    })
}

/// How many events `bedrock_stream_stream_next` has returned so far (0 when `stream` is
/// NULL).
///
/// # Safety
///
/// `stream` is NULL or a live stream no other thread is using.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_stream_events_delivered(
    stream: *const bedrock_stream_stream,
) -> u64 {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { arg_ref(stream, "stream") }.map_or(0, |s| s.stream.events_delivered())
    })
}

/// The event behind `event`, or None for NULL.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
unsafe fn event_ref<'a>(event: *const bedrock_stream_event) -> Option<&'a bedrock_stream_event> {
    // SAFETY: forwarded contract.
    unsafe { event.as_ref() }
}

/// What the event is: `BEDROCK_STREAM_EVENT_KIND_CHUNK` or `_UNKNOWN`;
/// `BEDROCK_STREAM_EVENT_KIND_NONE` when `event` is NULL.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_kind_of(
    event: *const bedrock_stream_event,
) -> bedrock_stream_event_kind {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { event_ref(event) }.and_then(|e| e.view()) {
            None => bedrock_stream_event_kind::None,
            Some(v) if v.unknown().is_some() => bedrock_stream_event_kind::Unknown,
            Some(_) => bedrock_stream_event_kind::Chunk,
        }
    })
}

/// The event's payload: for a chunk, the model's output document exactly as the model produced
/// it (base64-decoded; usually JSON, not NUL-terminated); for an unknown event, the raw
/// event-stream payload. Empty (`len` 0) when `event` is NULL. Valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_payload(
    event: *const bedrock_stream_event,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        unsafe { event_ref(event) }
            .and_then(|e| e.view())
            .map_or(bedrock_stream_bytes::empty(), |v| {
                bedrock_stream_bytes::of(v.payload())
            })
    })
}

/// The event's `:event-type` header: `"chunk"` for chunks, the raw name for unknown events.
/// NUL-terminated, valid as long as the event. NULL when `event` is NULL.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_type(
    event: *const bedrock_stream_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { event_ref(event) } {
            None => std::ptr::null(),
            Some(e) => match e.view().and_then(|v| v.unknown()) {
                Some(u) => e
                    .unknown_type
                    .get_or_init(|| c_string(u.event_type()))
                    .as_ptr(),
                None if e.view().is_some() => c"chunk".as_ptr(),
                None => std::ptr::null(),
            },
        }
    })
}

/// The text this chunk adds to the model's output (Claude's `delta.text`, Titan's
/// `outputText`, Llama's `generation`, ...), read according to the model family (from the
/// model id, or recognised from the chunks; see `bedrock_stream_request_set_model_family`).
/// Valid UTF-8, not NUL-terminated; a character split across two chunks is delivered whole
/// with the second one. Empty (`len` 0) when the chunk carries no text, for unknown events,
/// while the family is not known yet and when `event` is NULL. Valid as long as the event.
///
/// The chunk's document is read when one of `bedrock_stream_event_text`, `_stop_reason`,
/// `_usage` or `_metrics` is first called on the event (a caller reading bytes only pays
/// nothing for it). The reading carries state from chunk to chunk (a split character, a
/// recognised family): for the whole text, ask every chunk, in order.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_text(
    event: *const bedrock_stream_event,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { event_ref(event) }.and_then(|e| e.view()?.text()) {
            Some(t) => bedrock_stream_bytes::of(t.as_bytes()),
            None => bedrock_stream_bytes::empty(),
        }
    })
}

/// The stop reason when this chunk ends the generation (`"end_turn"`, `"stop"`,
/// `"max_tokens"`, ... — the model's own value, unnormalized), else NULL (also when `event` is
/// NULL). NUL-terminated, valid as long as the event.
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_stop_reason(
    event: *const bedrock_stream_event,
) -> *const c_char {
    ffi_boundary!({
        // SAFETY: caller contract.
        lend_str(unsafe { event_ref(event) }.and_then(|e| {
            let reason = e.view()?.stop_reason();
            e.stop_reason
                .get_or_init(|| reason.map(c_string))
                .as_deref()
        }))
    })
}

/// The token counts the model reported in this chunk. Returns true when the chunk reported
/// any. When `usage_out` is not NULL the whole struct is written (all `has_` flags false when
/// the chunk reported nothing or `event` is NULL).
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid; `usage_out` is NULL or
/// valid for writing one `bedrock_stream_usage`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_usage(
    event: *const bedrock_stream_event,
    usage_out: *mut bedrock_stream_usage,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let usage = unsafe { event_ref(event) }.and_then(|e| e.view()?.usage());
        let mut out = bedrock_stream_usage::default();
        if let Some(u) = usage {
            (out.has_input_tokens, out.input_tokens) = flag(u.input_tokens);
            (out.has_output_tokens, out.output_tokens) = flag(u.output_tokens);
            (out.has_cache_read_input_tokens, out.cache_read_input_tokens) =
                flag(u.cache_read_input_tokens);
            (
                out.has_cache_write_input_tokens,
                out.cache_write_input_tokens,
            ) = flag(u.cache_write_input_tokens);
        }
        if !usage_out.is_null() {
            // SAFETY: not NULL, writable per the contract.
            unsafe { usage_out.write(out) };
        }
        usage.is_some()
    })
}

/// The `amazon-bedrock-invocationMetrics` of this chunk (normally the last chunk of a
/// successful stream). Returns true when the chunk has them. When `metrics_out` is not NULL
/// the whole struct is written (all `has_` flags false when absent or `event` is NULL).
///
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid; `metrics_out` is NULL or
/// valid for writing one `bedrock_stream_metrics`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_metrics(
    event: *const bedrock_stream_event,
    metrics_out: *mut bedrock_stream_metrics,
) -> bool {
    ffi_boundary!({
        // SAFETY: caller contract.
        let metrics = unsafe { event_ref(event) }.and_then(|e| e.view()?.metrics());
        let mut out = bedrock_stream_metrics::default();
        if let Some(m) = metrics {
            (out.has_input_token_count, out.input_token_count) = flag(m.input_token_count);
            (out.has_output_token_count, out.output_token_count) = flag(m.output_token_count);
            (out.has_invocation_latency_ms, out.invocation_latency_ms) =
                flag(m.invocation_latency_ms);
            (out.has_first_byte_latency_ms, out.first_byte_latency_ms) =
                flag(m.first_byte_latency_ms);
            (
                out.has_cache_read_input_token_count,
                out.cache_read_input_token_count,
            ) = flag(m.cache_read_input_token_count);
            (
                out.has_cache_write_input_token_count,
                out.cache_write_input_token_count,
            ) = flag(m.cache_write_input_token_count);
        }
        if !metrics_out.is_null() {
            // SAFETY: not NULL, writable per the contract.
            unsafe { metrics_out.write(out) };
        }
        metrics.is_some()
    })
}

/// A C "has_ flag + value" pair from an optional count.
fn flag(v: Option<u64>) -> (bool, u64) {
    (v.is_some(), v.unwrap_or(0))
}
