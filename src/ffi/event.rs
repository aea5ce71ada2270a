//! Events (`bedrock_stream_event` and its accessors) and the pull API
//! (`bedrock_stream_stream`).

use std::ffi::{c_char, CStr, CString};

use super::args::{arg_mut, arg_ref, out_ptr, write_out};
use super::error::{bedrock_stream_error, c_string, Fail};
use super::status::bedrock_stream_status;
use crate::client::EventRef;
use crate::extract::{ChunkInfo, TextExtractor};
use crate::{CancelHandle, Client, Error, EventStream};

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
    kind: bedrock_stream_event_kind,
    /// Points into the stream's buffers (chunk bytes or the unknown event's payload).
    payload: *const u8,
    payload_len: usize,
    unknown_type: Option<CString>,
    info: ChunkInfo,
    stop_reason: Option<CString>,
}

impl bedrock_stream_event {
    fn new() -> bedrock_stream_event {
        bedrock_stream_event {
            kind: bedrock_stream_event_kind::None,
            payload: std::ptr::null(),
            payload_len: 0,
            unknown_type: None,
            info: ChunkInfo::default(),
            stop_reason: None,
        }
    }

    fn payload(&self) -> bedrock_stream_bytes {
        if self.payload.is_null() || self.payload_len == 0 {
            return bedrock_stream_bytes::empty();
        }
        bedrock_stream_bytes {
            data: self.payload,
            len: self.payload_len,
        }
    }
}

/// An open response plus the state the C view of its events needs. Shared by the push and
/// pull APIs.
pub(crate) struct Reader {
    stream: EventStream,
    extractor: TextExtractor,
    event: bedrock_stream_event,
    request_id: Option<CString>,
    content_type: Option<CString>,
}

// SAFETY: the only non-`Send` part is the raw payload pointer of `event`, which points into
// heap buffers owned by `stream` (its chunk scratch buffer or its last unknown event). Those
// buffers move with the `Reader`, and the pointer is only dereferenced through the `Reader`
// (or by the C caller while it holds the stream), so sending the whole `Reader` to another
// thread cannot leave the pointer behind or share it.
unsafe impl Send for Reader {}

impl Reader {
    /// Send the request; returns once the response headers are in (retries included).
    pub(crate) fn open(
        client: &Client,
        request: &super::request::bedrock_stream_request,
        cancel: CancelHandle,
    ) -> Result<Reader, Error> {
        let stream =
            client.invoke_model_with_response_stream_cancellable(request.inner(), cancel)?;
        Ok(Reader {
            request_id: stream.request_id().map(c_string),
            content_type: stream.content_type().map(c_string),
            extractor: request.extractor(),
            event: bedrock_stream_event::new(),
            stream,
        })
    }

    /// The next event, or `None` at the clean end of the stream. The event (and the bytes it
    /// points to) is valid until the next call.
    pub(crate) fn next(&mut self) -> Result<Option<&bedrock_stream_event>, Error> {
        let event = &mut self.event;
        match self.stream.next_ref()? {
            None => {
                *event = bedrock_stream_event::new();
                return Ok(None);
            }
            Some(EventRef::Chunk(bytes)) => {
                let info = self.extractor.process(bytes);
                event.kind = bedrock_stream_event_kind::Chunk;
                event.payload = bytes.as_ptr();
                event.payload_len = bytes.len();
                event.unknown_type = None;
                event.stop_reason = info.stop_reason().map(c_string);
                event.info = info;
            }
            Some(EventRef::Unknown(u)) => {
                event.kind = bedrock_stream_event_kind::Unknown;
                event.payload = u.payload().as_ptr();
                event.payload_len = u.payload().len();
                event.unknown_type = Some(c_string(u.event_type()));
                event.stop_reason = None;
                event.info = ChunkInfo::default();
            }
        }
        Ok(Some(&self.event))
    }

    pub(crate) fn events_delivered(&self) -> u64 {
        self.stream.events_delivered()
    }

    pub(crate) fn request_id(&self) -> Option<&str> {
        self.stream.request_id()
    }
}

enum State {
    /// Ready for `next`.
    Ready,
    /// Inside `next` (seen on entry only if a previous call panicked).
    InCall,
    /// The stream ended cleanly.
    Ended,
    /// A previous `next` failed with this status.
    Failed(bedrock_stream_status),
}

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
    reader: Reader,
    state: State,
}

impl bedrock_stream_stream {
    pub(crate) fn new(reader: Reader) -> bedrock_stream_stream {
        bedrock_stream_stream {
            reader,
            state: State::Ready,
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
        let event: *const bedrock_stream_event = match s.state {
            State::InCall => {
                return Err(Fail::new(
                    bedrock_stream_status::Panic,
                    "the stream is unusable: a previous call on it panicked",
                ))
            }
            State::Failed(status) => {
                return Err(Fail::new(
                    status,
                    format!(
                        "the stream already failed ({}); see the error returned then",
                        status.name().to_str().unwrap_or("?")
                    ),
                ))
            }
            State::Ended => std::ptr::null(),
            State::Ready => {
                s.state = State::InCall;
                match s.reader.next() {
                    Ok(Some(event)) => {
                        s.state = State::Ready;
                        event
                    }
                    Ok(None) => {
                        s.state = State::Ended;
                        std::ptr::null()
                    }
                    Err(e) => {
                        let fail = Fail::from(e);
                        s.state = State::Failed(fail.status());
                        return Err(fail);
                    }
                }
            }
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
        if !stream.is_null() {
            // SAFETY: from `Box::into_raw` in `bedrock_stream_client_open`, not freed yet.
            drop(unsafe { Box::from_raw(stream) });
        }
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
        match unsafe { arg_ref(stream, "stream") } {
            Ok(s) => s
                .reader
                .request_id
                .as_deref()
                .map_or(std::ptr::null(), CStr::as_ptr),
            Err(_) => std::ptr::null(),
        }
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
        match unsafe { arg_ref(stream, "stream") } {
            Ok(s) => s
                .reader
                .content_type
                .as_deref()
                .map_or(std::ptr::null(), CStr::as_ptr),
            Err(_) => std::ptr::null(),
        }
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
        unsafe { arg_ref(stream, "stream") }.map_or(0, |s| s.reader.events_delivered())
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
        unsafe { event_ref(event) }.map_or(bedrock_stream_event_kind::None, |e| e.kind)
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
        unsafe { event_ref(event) }.map_or(bedrock_stream_bytes::empty(), |e| e.payload())
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
            Some(e) => match (&e.kind, &e.unknown_type) {
                (bedrock_stream_event_kind::Unknown, Some(t)) => t.as_ptr(),
                (bedrock_stream_event_kind::Chunk, _) => c"chunk".as_ptr(),
                _ => std::ptr::null(),
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
/// # Safety
///
/// `event` is NULL or an event lent by this library and still valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bedrock_stream_event_text(
    event: *const bedrock_stream_event,
) -> bedrock_stream_bytes {
    ffi_boundary!({
        // SAFETY: caller contract.
        match unsafe { event_ref(event) }.and_then(|e| e.info.text()) {
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
        unsafe { event_ref(event) }
            .and_then(|e| e.stop_reason.as_deref())
            .map_or(std::ptr::null(), CStr::as_ptr)
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
        let usage = unsafe { event_ref(event) }.and_then(|e| e.info.usage());
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
        let metrics = unsafe { event_ref(event) }.and_then(|e| e.info.metrics());
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
