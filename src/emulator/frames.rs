//! The event-stream frames the emulator writes: events (`chunk`, ConverseStream events, unknown
//! events), exceptions and error messages, all through one encoder call ([`frame`]).

use base64::Engine as _;
use serde_json::{json, Value};

use super::scenario::StreamException;
use crate::eventstream::{encode_frame, HeaderValueRef, MAX_ENCODED_HEADER_VALUE_LEN};

/// What the `p` padding members are made of (the service pads events to hide their lengths).
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// One frame with string headers. Every header value passed here fits (names are constants,
/// values are cut by [`header_value`]) and payloads stay far below the frame limit.
fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 96);
    encode_frame(
        &mut out,
        headers.iter().map(|(n, v)| (*n, HeaderValueRef::String(v))),
        payload,
    )
    .expect("emulator frames are always encodable");
    out
}

/// An event frame (`:message-type` `event`) of type `event_type` with a JSON payload.
pub(super) fn event_frame(event_type: &str, payload: &[u8]) -> Vec<u8> {
    frame(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

/// `len` characters of padding.
pub(super) fn padding(len: usize) -> String {
    PADDING.chars().cycle().take(len).collect()
}

/// A `chunk` event whose payload is `{"bytes": base64(inner)}`, plus a `p` member when `pad`
/// is given.
fn chunk_event(inner: &[u8], pad: Option<&str>) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
    let payload = match pad {
        None => format!("{{\"bytes\":\"{b64}\"}}"),
        Some(p) => format!("{{\"bytes\":\"{b64}\",\"p\":\"{p}\"}}"),
    };
    event_frame("chunk", payload.as_bytes())
}

/// A `chunk` event frame for an inner document. `index` varies the `p` padding.
pub(crate) fn chunk_frame(inner: &[u8], index: usize) -> Vec<u8> {
    if index % 4 == 3 {
        chunk_event(inner, None)
    } else {
        chunk_event(inner, Some(&padding((index * 37 + 11) % PADDING.len() + 1)))
    }
}

/// `s` cut to what a string header may hold.
fn header_value(s: &str) -> &str {
    let mut end = s.len().min(MAX_ENCODED_HEADER_VALUE_LEN);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A modeled exception in the stream (`:message-type` `exception`).
pub(super) fn exception_frame(name: &str, payload: &Value) -> Vec<u8> {
    frame(
        &[
            (":exception-type", header_value(name)),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload.to_string().as_bytes(),
    )
}

/// An error message (`:message-type` `error`), without a payload.
pub(super) fn error_frame(code: &str, message: &str) -> Vec<u8> {
    frame(
        &[
            (":message-type", "error"),
            (":error-code", header_value(code)),
            (":error-message", header_value(message)),
        ],
        b"",
    )
}

/// An event of a type no client knows yet.
pub(super) fn unknown_event_frame(event_type: &str) -> Vec<u8> {
    let event_type = if event_type.is_empty() {
        "futureEvent"
    } else {
        header_value(event_type)
    };
    event_frame(
        event_type,
        br#"{"note":"an event type this client does not know yet"}"#,
    )
}

/// The JSON payload of an in-stream exception.
pub(super) fn exception_payload(
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
        chunk_event(inner(filler).as_bytes(), pad.map(padding).as_deref())
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
