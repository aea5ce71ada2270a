//! The Bedrock event model on top of event-stream messages (the `ResponseStream` union of the
//! service model): chunks, unknown events for forward compatibility, and typed errors for
//! `exception` and `error` messages.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::io;

use serde::Deserialize;

use crate::converse::ConverseStreamEvent;
use crate::error::{self, Error, ErrorKind, Phase, Result};
use crate::eventstream::{DecodeError, DecodeErrorKind, Decoder, Header, MessageRef};
use crate::extract::{ChunkInfo, InvocationMetrics, ModelFamily, TextExtractor, Usage};
use crate::redact;

/// One event of the response stream.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A `chunk` event: the model's own output document (base64-decoded `bytes`).
    Chunk(Chunk),
    /// An event type this library does not know (a newer member of the union). Never fatal.
    Unknown(UnknownEvent),
}

impl Event {
    /// The chunk, if this is one.
    pub fn as_chunk(&self) -> Option<&Chunk> {
        match self {
            Event::Chunk(c) => Some(c),
            Event::Unknown(_) => None,
        }
    }

    /// The `:event-type` header value (`chunk` for chunks).
    pub fn event_type(&self) -> &str {
        match self {
            Event::Chunk(_) => "chunk",
            Event::Unknown(u) => &u.event_type,
        }
    }

    /// Interprets one decoded event-stream message exactly as [`EventStream`](crate::EventStream)
    /// does: a `chunk` event, an unknown event, or the typed [`Error`] of an `exception` or
    /// `error` message or of a protocol violation (for tools that read captured streams).
    pub fn from_message(msg: &MessageRef<'_>) -> Result<Event> {
        let mut current = Current::new(ModelFamily::Unknown);
        current.decode_invoke(msg, 0)?;
        current
            .take_event()
            .ok_or_else(|| Error::internal("a decoded message gave no event"))
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Chunk(c) => c.fmt(f),
            Event::Unknown(u) => u.fmt(f),
        }
    }
}

/// A `chunk` event (`PayloadPart`): the decoded bytes of the model's JSON document.
#[derive(Clone, PartialEq, Eq)]
pub struct Chunk {
    bytes: Vec<u8>,
}

impl Chunk {
    /// A chunk with these (already decoded) bytes.
    pub fn new(bytes: Vec<u8>) -> Chunk {
        Chunk { bytes }
    }

    /// The model's output document, exactly as the model produced it.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Take the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The bytes as UTF-8 text (model documents are JSON, hence UTF-8).
    pub fn as_str(&self) -> std::result::Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.bytes)
    }

    /// Parse the bytes as JSON.
    pub fn json(&self) -> std::result::Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.bytes)
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `PayloadPart` is `sensitive` in the service model: show the size only.
        write!(f, "Chunk(<{} bytes>)", self.bytes.len())
    }
}

/// An event whose `:event-type` this library does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent {
    event_type: String,
    headers: Vec<Header>,
    payload: Vec<u8>,
}

impl UnknownEvent {
    pub(crate) fn from_message(event_type: &str, msg: &MessageRef<'_>) -> UnknownEvent {
        UnknownEvent {
            event_type: event_type.to_owned(),
            headers: msg.to_message().headers,
            payload: msg.payload().to_vec(),
        }
    }

    /// The `:event-type` header value.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// All headers of the message.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The raw payload.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// The event a stream delivered last. The stream keeps it (boxed, so that its address does not
/// change while the C API lends it) and lends it as an [`EventRef`]; a chunk's document is
/// decoded into a buffer reused from event to event.
pub(crate) struct Current {
    what: What,
    /// A chunk's document (base64-decoded).
    bytes: Vec<u8>,
    /// Reads chunks with the request's model family; run only when an event's text, stop
    /// reason, usage or metrics are asked for.
    extractor: RefCell<TextExtractor>,
    /// What the extractor read from this chunk, once asked.
    info: OnceCell<ChunkInfo>,
}

/// What [`Current`] holds.
enum What {
    /// No event (before the first, after the end or a failure).
    Nothing,
    /// A chunk whose document is in [`Current::bytes`].
    Chunk,
    Unknown(UnknownEvent),
    Converse(ConverseStreamEvent),
}

impl Current {
    pub(crate) fn new(family: ModelFamily) -> Current {
        Current {
            what: What::Nothing,
            bytes: Vec::new(),
            extractor: RefCell::new(TextExtractor::new(family)),
            info: OnceCell::new(),
        }
    }

    /// Forget the event (the stream ended or failed).
    pub(crate) fn clear(&mut self) {
        self.what = What::Nothing;
        self.info = OnceCell::new();
    }

    /// Interpret an InvokeModelWithResponseStream message: a chunk (decoded into the reused
    /// buffer: nothing allocated once it has grown), an unknown event, or the typed error of
    /// an `exception` or `error` message.
    pub(crate) fn decode_invoke(&mut self, msg: &MessageRef<'_>, delivered: u64) -> Result<()> {
        self.clear();
        let event_type = event_type(msg, delivered)?;
        if event_type == "chunk" {
            decode_chunk(msg, &mut self.bytes, delivered)?;
            self.what = What::Chunk;
        } else {
            self.what = What::Unknown(UnknownEvent::from_message(event_type, msg));
        }
        Ok(())
    }

    /// Interpret a ConverseStream message.
    pub(crate) fn decode_converse(&mut self, msg: &MessageRef<'_>, delivered: u64) -> Result<()> {
        self.clear();
        self.what = What::Converse(crate::converse::decode(msg, delivered)?);
        Ok(())
    }

    /// The event, borrowed (`None` when there is none, or for a ConverseStream event).
    pub(crate) fn view(&self) -> Option<EventRef<'_>> {
        match self.what {
            What::Chunk | What::Unknown(_) => Some(EventRef { current: self }),
            What::Nothing | What::Converse(_) => None,
        }
    }

    /// The event, owned (`None` when there is none, or for a ConverseStream event).
    pub(crate) fn take_event(&mut self) -> Option<Event> {
        self.info = OnceCell::new();
        match std::mem::replace(&mut self.what, What::Nothing) {
            What::Chunk => Some(Event::Chunk(Chunk::new(std::mem::take(&mut self.bytes)))),
            What::Unknown(u) => Some(Event::Unknown(u)),
            other => {
                self.what = other;
                None
            }
        }
    }

    /// The ConverseStream event, owned.
    pub(crate) fn take_converse(&mut self) -> Option<ConverseStreamEvent> {
        match std::mem::replace(&mut self.what, What::Nothing) {
            What::Converse(e) => Some(e),
            other => {
                self.what = other;
                None
            }
        }
    }

    /// End of the text: U+FFFD when an incomplete character is still held.
    pub(crate) fn finish_text(&mut self) -> Option<String> {
        self.extractor.get_mut().finish()
    }
}

/// InvokeModelWithResponseStream events decoded from bytes the caller already has (a captured
/// response body, a test fixture, a body read by another HTTP stack), exactly as
/// [`EventStream`](crate::EventStream) decodes them off the socket: the same frame checks
/// (both CRCs, header rules, size cap), the same chunk decoding into a reused buffer, the same
/// typed errors for `exception` and `error` messages, and the same borrowed [`EventRef`].
///
/// ```
/// use bedrock_stream::eventstream::{Header, Message};
/// use bedrock_stream::extract::ModelFamily;
/// use bedrock_stream::EventDecoder;
///
/// let frame = Message::new(
///     vec![
///         Header::new(":message-type", "event"),
///         Header::new(":event-type", "chunk"),
///         Header::new(":content-type", "application/json"),
///     ],
///     br#"{"bytes":"eyJ0eXBlIjoiY29udGVudF9ibG9ja19kZWx0YSIsImluZGV4IjowLCJkZWx0YSI6eyJ0eXBlIjoidGV4dF9kZWx0YSIsInRleHQiOiJIaSJ9fQ=="}"#.to_vec(),
/// )
/// .encode()?;
/// let mut events = EventDecoder::new(ModelFamily::AnthropicClaude);
/// events.feed(&frame);
/// let event = events.next_event()?.expect("a whole frame was fed");
/// assert_eq!(event.text(), Some("Hi"));
/// assert!(events.next_event()?.is_none()); // needs more input
/// events.finish()?; // a clean end: nothing left over
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct EventDecoder {
    frames: Decoder,
    current: Current,
    delivered: u64,
    /// The error every call after a failed event returns again.
    failure: Option<Error>,
}

impl fmt::Debug for EventDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventDecoder")
            .field("frames", &self.frames)
            .field("events_delivered", &self.delivered)
            .finish()
    }
}

impl EventDecoder {
    /// A decoder whose events read their text, stop reason and usage as `family` writes them
    /// ([`ModelFamily::Unknown`]: recognised from the chunks' shapes).
    pub fn new(family: ModelFamily) -> EventDecoder {
        EventDecoder {
            frames: Decoder::new(),
            current: Current::new(family),
            delivered: 0,
            failure: None,
        }
    }

    /// Append bytes (split anywhere) to the input.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.frames.feed(bytes);
    }

    /// Read once from `reader` straight into the decoder's buffer; 0 means the end of the input
    /// (then call [`EventDecoder::finish`]).
    pub fn read_from<R: io::Read + ?Sized>(&mut self, reader: &mut R) -> io::Result<usize> {
        self.frames.read_from(reader)
    }

    /// The next event, borrowed until the next call; `Ok(None)` when more input is needed.
    /// After an error (a corrupt frame, an exception message), every later call returns an
    /// error again.
    pub fn next_event(&mut self) -> Result<Option<EventRef<'_>>> {
        if let Some(e) = &self.failure {
            return Err(e.copy_repeated());
        }
        match self.frames.next_message() {
            Ok(Some(msg)) => {
                if let Err(e) = self.current.decode_invoke(&msg, self.delivered) {
                    self.failure = Some(e.repeated());
                    return Err(e);
                }
                self.delivered += 1;
                Ok(self.current.view())
            }
            Ok(None) => Ok(None),
            Err(e) => Err(decode_error(e)),
        }
    }

    /// Call at the end of the input: `Ok` for a clean end at a message boundary, a
    /// [`Truncated`](ErrorKind::Truncated) error if part of a message is left over, or the
    /// error already reported.
    pub fn finish(&self) -> Result<()> {
        match &self.failure {
            Some(e) => Err(e.copy_repeated()),
            None => self.frames.finish().map_err(decode_error),
        }
    }

    /// Events returned so far.
    pub fn events_delivered(&self) -> u64 {
        self.delivered
    }
}

/// The error a frame-level [`DecodeError`] is to a caller: a truncated stream or a protocol
/// violation, in the stream.
pub(crate) fn decode_error(e: DecodeError) -> Error {
    let kind = if e.kind() == DecodeErrorKind::Truncated {
        ErrorKind::Truncated
    } else {
        ErrorKind::Protocol
    };
    Error::new(kind, e.to_string())
        .with_decode(e.kind())
        .with_phase(Phase::InStream)
}

/// An event borrowed from its stream ([`EventStream::next_event`](crate::EventStream::next_event)),
/// valid until the stream's next call. Reading it allocates nothing per chunk.
///
/// The text, stop reason, usage and metrics of a chunk are read from its document only when
/// asked (once per event, with the request's
/// [`model_family`](crate::InvokeRequest::model_family)). The reading keeps state from chunk to
/// chunk (a character split across two chunks, a family recognised from the chunks' shapes):
/// to get the whole text, ask every chunk for it, in order.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    current: &'a Current,
}

impl<'a> EventRef<'a> {
    /// The `:event-type` header value (`chunk` for chunks).
    pub fn event_type(&self) -> &'a str {
        match &self.current.what {
            What::Unknown(u) => &u.event_type,
            _ => "chunk",
        }
    }

    /// The chunk's document (the model's own output, base64-decoded), if this is a chunk.
    pub fn chunk(&self) -> Option<&'a [u8]> {
        match self.current.what {
            What::Chunk => Some(&self.current.bytes),
            _ => None,
        }
    }

    /// The event, if it is of a type this library does not know.
    pub fn unknown(&self) -> Option<&'a UnknownEvent> {
        match &self.current.what {
            What::Unknown(u) => Some(u),
            _ => None,
        }
    }

    /// A chunk's document, or an unknown event's raw payload.
    pub fn payload(&self) -> &'a [u8] {
        match &self.current.what {
            What::Unknown(u) => &u.payload,
            _ => &self.current.bytes,
        }
    }

    /// Everything the chunk's document says (empty for unknown events), read on first use.
    pub fn info(&self) -> &'a ChunkInfo {
        let current = self.current;
        current.info.get_or_init(|| match current.what {
            What::Chunk => current.extractor.borrow_mut().process(&current.bytes),
            _ => ChunkInfo::default(),
        })
    }

    /// The text this chunk adds to the model's output (Claude's `delta.text`, Titan's
    /// `outputText`, Llama's `generation`, …), if any.
    pub fn text(&self) -> Option<&'a str> {
        self.info().text()
    }

    /// The stop reason when this chunk ends the generation (the model's own value).
    pub fn stop_reason(&self) -> Option<&'a str> {
        self.info().stop_reason()
    }

    /// Token counts the model reported in this chunk.
    pub fn usage(&self) -> Option<Usage> {
        self.info().usage()
    }

    /// The `amazon-bedrock-invocationMetrics` of this chunk (normally the last one).
    pub fn metrics(&self) -> Option<InvocationMetrics> {
        self.info().metrics()
    }

    /// The family chunks are read with: the request's, or the one recognised so far.
    pub fn family(&self) -> ModelFamily {
        self.current.extractor.borrow().family()
    }

    /// An owned copy of the event.
    pub fn to_event(&self) -> Event {
        match &self.current.what {
            What::Unknown(u) => Event::Unknown(u.clone()),
            _ => Event::Chunk(Chunk::new(self.current.bytes.clone())),
        }
    }

    /// Where the event lives (for the C API, which lends it by address).
    #[cfg(feature = "capi")]
    pub(crate) fn current(&self) -> &'a Current {
        self.current
    }
}

impl fmt::Debug for EventRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.current.what {
            What::Unknown(u) => u.fmt(f),
            // `PayloadPart` is `sensitive` in the service model: show the size only.
            _ => write!(f, "Chunk(<{} bytes>)", self.current.bytes.len()),
        }
    }
}

#[derive(Deserialize)]
struct PayloadPart<'a> {
    #[serde(borrow, default)]
    bytes: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ExceptionBody {
    #[serde(default, alias = "Message")]
    message: Option<String>,
    /// Kept raw: [`error::original_status_code`] applies the same range rule as the HTTP form.
    #[serde(default)]
    original_status_code: Option<serde_json::Value>,
    #[serde(default)]
    original_message: Option<String>,
    #[serde(default)]
    resource_name: Option<String>,
}

/// The hot path for the payload Bedrock actually sends: exactly `{"bytes":"<base64>"}` or
/// `{"bytes":"<base64>","p":"<letters and digits>"}`, no whitespace. Returns the candidate
/// base64 value; the caller's base64 decoding validates it (a quote, a backslash or any other
/// byte outside the alphabet fails it), and on failure the payload goes through serde_json.
/// So this narrow grammar keeps one obvious meaning (other keys, whitespace, escapes,
/// duplicates all end up in serde_json) while the value itself is scanned once, by base64:
/// only the short tail is searched for the `"p"` member.
fn fast_chunk_bytes(payload: &[u8]) -> Option<&[u8]> {
    const HEAD: &[u8] = br#"{"bytes":""#;
    const PAD: &[u8] = br#"","p":""#;
    /// How far from the end the `"p"` member is looked for (Bedrock's padding is far shorter;
    /// a longer one still parses, through serde_json).
    const TAIL: usize = 512;
    let rest = payload.strip_prefix(HEAD)?.strip_suffix(br#""}"#)?;
    let from = rest.len().saturating_sub(TAIL);
    match memchr::memrchr(b'"', &rest[from..]) {
        // No quote near the end: the whole rest is the value (or base64 rejects it).
        None => Some(rest),
        Some(q) => {
            let (value, pad) = rest.split_at(from + q + 1);
            let value = value.strip_suffix(PAD)?;
            // Without short-circuit, so that the check runs on whole vectors of bytes.
            pad.iter()
                .fold(true, |ok, b| ok & b.is_ascii_alphanumeric())
                .then_some(value)
        }
    }
}

/// Decode a chunk's `bytes` into `scratch` (cleared first), so the hot path allocates nothing
/// once the scratch buffer has grown.
fn decode_chunk(msg: &MessageRef<'_>, scratch: &mut Vec<u8>, events_delivered: u64) -> Result<()> {
    let protocol = |m: String| {
        Error::protocol(m)
            .with_phase(Phase::InStream)
            .with_events_delivered(events_delivered)
    };
    scratch.clear();
    let fast = fast_chunk_bytes(msg.payload())
        .is_some_and(|b64| base64_simd::STANDARD.decode_append(b64, scratch).is_ok());
    if !fast {
        scratch.clear();
        let part: PayloadPart<'_> = serde_json::from_slice(msg.payload()).map_err(|e| {
            protocol(format!(
                "the chunk at byte {} is not the documented JSON {{\"bytes\": ...}}: {e}",
                msg.offset()
            ))
        })?;
        if let Some(b64) = part.bytes {
            base64_simd::STANDARD
                .decode_append(b64.as_bytes(), scratch)
                .map_err(|e| {
                    protocol(format!(
                        "the chunk at byte {} has invalid base64 in \"bytes\": {e}",
                        msg.offset()
                    ))
                })?;
        }
    }
    Ok(())
}

/// The `:event-type` of an `event` message; the typed [`Error`] of an `exception` or `error`
/// message or of a message without the protocol headers. Shared by every event-stream
/// operation (the exception and error frames are the same in all of them).
pub(crate) fn event_type<'a>(msg: &MessageRef<'a>, events_delivered: u64) -> Result<&'a str> {
    let protocol = |m: String| {
        Error::protocol(m)
            .with_phase(Phase::InStream)
            .with_events_delivered(events_delivered)
    };
    let message_type = msg.message_type().ok_or_else(|| {
        protocol(format!(
            "the message at byte {} has no :message-type string header",
            msg.offset()
        ))
    })?;
    match message_type {
        "event" => msg.event_type().ok_or_else(|| {
            protocol(format!(
                "the event at byte {} has no :event-type string header",
                msg.offset()
            ))
        }),
        "exception" => {
            let name = msg.header_str(":exception-type").ok_or_else(|| {
                protocol(format!(
                    "the exception at byte {} has no :exception-type header",
                    msg.offset()
                ))
            })?;
            let body: ExceptionBody = serde_json::from_slice(msg.payload()).unwrap_or_default();
            // Text from the server is cleaned: no control or invisible characters.
            let clean = |t: &str| redact::remote_text(t, redact::MAX_MESSAGE_CHARS);
            let message = match body.message.as_deref().map(clean) {
                Some(m) => m,
                None => {
                    let raw = redact::remote_text(&String::from_utf8_lossy(msg.payload()), 512);
                    if raw.is_empty() {
                        format!(
                            "the service sent a {} without a message",
                            redact::excerpt(name)
                        )
                    } else {
                        raw
                    }
                }
            };
            let (kind, status, retryable) = match error::modeled_by_stream_member(name) {
                Some(m) => (
                    m.kind,
                    Some(m.status),
                    error::service_error_retryable(m.kind, Some(m.status)),
                ),
                None => (ErrorKind::UnmodeledService, None, false),
            };
            let mut e = Error::new(kind, message)
                .with_phase(Phase::InStream)
                .with_code(redact::excerpt(name))
                .with_retryable(retryable)
                .with_events_delivered(events_delivered)
                .with_original(
                    body.original_status_code
                        .as_ref()
                        .and_then(error::original_status_code),
                    body.original_message.as_deref().map(clean),
                )
                .with_resource_name(
                    body.resource_name
                        .as_deref()
                        .map(|r| redact::remote_text(r, 2048)),
                );
            if let Some(s) = status {
                e = e.with_http_status(s);
            }
            Err(e)
        }
        "error" => {
            let code = msg.header_str(":error-code").unwrap_or("UnknownError");
            let message = match msg.header_str(":error-message") {
                Some(m) => redact::remote_text(m, redact::MAX_MESSAGE_CHARS),
                None => redact::remote_text(
                    &String::from_utf8_lossy(msg.payload()),
                    redact::MAX_MESSAGE_CHARS,
                ),
            };
            let retryable = code.contains("Throttl")
                || code.contains("InternalFailure")
                || code.contains("ServiceUnavailable")
                || code.contains("InternalServer");
            Err(Error::new(ErrorKind::StreamError, message)
                .with_phase(Phase::InStream)
                .with_code(redact::excerpt(code))
                .with_retryable(retryable)
                .with_events_delivered(events_delivered))
        }
        other => Err(protocol(format!(
            "the message at byte {} has the unknown :message-type {other:?}",
            msg.offset()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventstream::{Decoder, Header, Message};

    pub(super) fn frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
        Message::new(
            headers.iter().map(|(k, v)| Header::new(*k, *v)).collect(),
            payload.to_vec(),
        )
        .encode()
        .unwrap()
    }

    fn decode(bytes: &[u8]) -> Result<Event> {
        let mut d = Decoder::new();
        d.feed(bytes);
        let m = d.next_message().unwrap().unwrap();
        let mut current = Current::new(ModelFamily::Unknown);
        current.decode_invoke(&m, 2)?;
        Ok(current.take_event().unwrap())
    }

    #[test]
    fn chunk_bytes_are_base64_decoded_and_padding_ignored() {
        let b = frame(
            &[
                (":event-type", "chunk"),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            br#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0=","p":"abcdefgh","other":1}"#,
        );
        let e = decode(&b).unwrap();
        assert_eq!(e.as_chunk().unwrap().bytes(), br#"{"type":"message_stop"}"#);
        let empty = frame(
            &[(":event-type", "chunk"), (":message-type", "event")],
            b"{}",
        );
        assert_eq!(decode(&empty).unwrap().as_chunk().unwrap().bytes(), b"");
    }

    #[test]
    fn the_fast_path_agrees_with_serde_json_or_declines() {
        let cases: &[&[u8]] = &[
            br#"{"bytes":"aGk="}"#,
            br#"{"bytes":"aGk=","p":"abcdefXYZ0123"}"#,
            br#"{"bytes":""}"#,
            br#"{ "bytes":"aGk="}"#,
            br#"{"bytes":"aGk=","p":"a b"}"#,
            br#"{"bytes":"aGk=","bytes":"eA=="}"#,
            br#"{"bytes":"aGk=","q":"x"}"#,
            br#"{"bytes":"aG\u006b="}"#,
            br#"{"bytes":"aGk="} "#,
            br#"{"bytes":"aGk=","p":"x"}}"#,
            br#"{"bytes":"aGk="#,
        ];
        // A candidate the base64 decoder accepts is exactly serde_json's value; any other
        // candidate (e.g. with an escape) is rejected by base64 and goes through serde_json.
        for c in cases {
            let fast = fast_chunk_bytes(c).filter(|f| base64_simd::STANDARD.check(f).is_ok());
            if let Some(fast) = fast {
                let slow: PayloadPart<'_> = serde_json::from_slice(c).unwrap();
                assert_eq!(
                    slow.bytes.as_deref().map(str::as_bytes),
                    Some(fast),
                    "{}",
                    String::from_utf8_lossy(c)
                );
            }
        }
        assert_eq!(
            fast_chunk_bytes(br#"{"bytes":"aGk=","p":"abc"}"#),
            Some(&b"aGk="[..])
        );
        assert_eq!(fast_chunk_bytes(br#"{ "bytes":"aGk="}"#), None);
        assert_eq!(
            fast_chunk_bytes(br#"{"bytes":"aGk=","bytes":"eA=="}"#),
            None
        );
        assert_eq!(fast_chunk_bytes(br#"{"bytes":"aGk=","p":"x"}}"#), None);
    }

    #[test]
    fn unknown_event_types_are_surfaced_not_turned_into_chunks() {
        let b = frame(
            &[(":event-type", "metadataEvent"), (":message-type", "event")],
            b"{\"x\":1}",
        );
        match decode(&b).unwrap() {
            Event::Unknown(u) => {
                assert_eq!(u.event_type(), "metadataEvent");
                assert_eq!(u.payload(), b"{\"x\":1}");
                assert_eq!(u.headers().len(), 2);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_stream_exception_is_typed_with_its_status_and_retryability() {
        let table = [
            (
                "internalServerException",
                ErrorKind::InternalServer,
                500,
                true,
            ),
            (
                "modelStreamErrorException",
                ErrorKind::ModelStreamError,
                424,
                true,
            ),
            ("validationException", ErrorKind::Validation, 400, false),
            ("throttlingException", ErrorKind::Throttling, 429, true),
            ("modelTimeoutException", ErrorKind::ModelTimeout, 408, false),
            (
                "serviceUnavailableException",
                ErrorKind::ServiceUnavailable,
                503,
                true,
            ),
        ];
        for (name, kind, status, retryable) in table {
            let b = frame(
                &[
                    (":exception-type", name),
                    (":content-type", "application/json"),
                    (":message-type", "exception"),
                ],
                br#"{"message":"it broke","originalStatusCode":502,"originalMessage":"upstream"}"#,
            );
            let e = decode(&b).unwrap_err();
            assert_eq!(e.kind(), kind, "{name}");
            assert_eq!(e.code(), Some(name));
            assert_eq!(e.http_status(), Some(status));
            assert_eq!(e.is_retryable(), retryable, "{name}");
            assert_eq!(e.message(), "it broke");
            assert_eq!(e.events_delivered(), 2);
            assert_eq!(e.class(), crate::ErrorClass::Stream);
            assert_eq!(e.original_status_code(), Some(502));
        }
        let b = frame(
            &[
                (":exception-type", "brandNewException"),
                (":message-type", "exception"),
            ],
            b"{\"message\":\"m\"}",
        );
        let e = decode(&b).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnmodeledService);
        assert_eq!(e.code(), Some("brandNewException"));
    }

    #[test]
    fn error_messages_and_protocol_violations_are_errors() {
        let b = frame(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure"),
                (":error-message", "An internal error occurred."),
            ],
            b"",
        );
        let e = decode(&b).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StreamError);
        assert_eq!(e.code(), Some("InternalFailure"));
        assert_eq!(e.message(), "An internal error occurred.");
        for (headers, payload) in [
            (vec![(":event-type", "chunk")], &b"{}"[..]),
            (vec![(":message-type", "event")], &b"{}"[..]),
            (vec![(":message-type", "bogus")], &b"{}"[..]),
            (
                vec![(":message-type", "event"), (":event-type", "chunk")],
                &b"not json"[..],
            ),
            (
                vec![(":message-type", "event"), (":event-type", "chunk")],
                &br#"{"bytes":"!!!"}"#[..],
            ),
        ] {
            let e = decode(&frame(&headers, payload)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{headers:?}");
        }
    }

    #[test]
    fn an_original_status_code_outside_i32_is_dropped_not_the_error() {
        for (value, want) in [
            ("500", Some(500)),
            ("2147483647", Some(i32::MAX)),
            ("-2147483648", Some(i32::MIN)),
            ("1011380923018", None),
            ("2147483648", None),
            ("-2147483649", None),
            ("500.5", None),
            ("\"500\"", None),
        ] {
            let payload = format!(
                r#"{{"message":"kept","originalStatusCode":{value},"originalMessage":"o"}}"#
            );
            let b = frame(
                &[
                    (":exception-type", "modelStreamErrorException"),
                    (":message-type", "exception"),
                ],
                payload.as_bytes(),
            );
            let e = decode(&b).unwrap_err();
            assert_eq!(e.original_status_code(), want, "{value}");
            assert_eq!(e.message(), "kept", "{value}");
            assert_eq!(e.original_message(), Some("o"), "{value}");
        }
    }

    #[test]
    fn text_from_exception_and_error_frames_is_cleaned() {
        let b = frame(
            &[
                (":exception-type", "validationException\u{1b}[2J"),
                (":message-type", "exception"),
            ],
            b"{\"message\":\"a\\u0000b\\r\\nFORGED\\u001b[31m\",\"originalMessage\":\"x\\ny\"}",
        );
        let e = decode(&b).unwrap_err();
        assert_eq!(e.message(), "a b  FORGED [31m");
        assert_eq!(e.original_message(), Some("x y"));
        assert_eq!(e.code(), Some("validationException [2J"));
        let b = frame(
            &[
                (":message-type", "error"),
                (":error-code", "InternalFailure\r\n"),
                (":error-message", "line1\nline2\u{0}"),
            ],
            b"",
        );
        let e = decode(&b).unwrap_err();
        assert_eq!(e.code(), Some("InternalFailure"));
        assert_eq!(e.message(), "line1 line2");
    }
}

#[cfg(test)]
mod event_decoder_tests {
    use super::tests::frame;
    use super::*;
    use base64::Engine as _;

    fn chunk(doc: &str) -> Vec<u8> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(doc);
        frame(
            &[(":message-type", "event"), (":event-type", "chunk")],
            format!(r#"{{"bytes":"{b64}","p":"abc"}}"#).as_bytes(),
        )
    }

    fn claude(text: &str) -> String {
        format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        )
    }

    #[test]
    fn events_split_anywhere_decode_as_whole_ones() {
        let mut body = Vec::new();
        for t in ["Hel", "lo", " wor", "ld"] {
            body.extend(chunk(&claude(t)));
        }
        let whole = {
            let mut d = EventDecoder::new(ModelFamily::AnthropicClaude);
            d.feed(&body);
            let mut text = String::new();
            while let Some(e) = d.next_event().unwrap() {
                text.push_str(e.text().unwrap());
            }
            d.finish().unwrap();
            assert_eq!(d.events_delivered(), 4);
            text
        };
        assert_eq!(whole, "Hello world");
        // One byte at a time, through read_from.
        let mut d = EventDecoder::new(ModelFamily::AnthropicClaude);
        let mut text = String::new();
        for piece in body.chunks(1) {
            let mut r: &[u8] = piece;
            assert_eq!(d.read_from(&mut r).unwrap(), 1);
            while let Some(e) = d.next_event().unwrap() {
                assert_eq!(e.event_type(), "chunk");
                text.push_str(e.text().unwrap());
            }
        }
        assert_eq!(d.read_from(&mut &[][..]).unwrap(), 0);
        d.finish().unwrap();
        assert_eq!(text, whole);
    }

    #[test]
    fn a_cut_stream_is_truncated_and_a_corrupt_one_a_protocol_error() {
        let body = chunk(&claude("Hi"));
        let mut d = EventDecoder::new(ModelFamily::Unknown);
        d.feed(&body[..body.len() - 1]);
        assert!(d.next_event().unwrap().is_none());
        assert_eq!(d.finish().unwrap_err().kind(), ErrorKind::Truncated);

        let mut bad = body.clone();
        let n = bad.len();
        bad[n - 10] ^= 1;
        let mut d = EventDecoder::new(ModelFamily::Unknown);
        d.feed(&bad);
        let e = d.next_event().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
        assert_eq!(
            e.decode_error_kind(),
            Some(DecodeErrorKind::MessageChecksumMismatch)
        );
        // Every later call fails again; a failed input never reads as a clean end.
        d.feed(&body);
        assert_eq!(d.next_event().unwrap_err().kind(), ErrorKind::Protocol);
        assert!(d.finish().is_err());
    }

    #[test]
    fn an_exception_is_its_typed_error_and_stays_failed() {
        let mut body = chunk(&claude("Hi"));
        body.extend(frame(
            &[
                (":message-type", "exception"),
                (":exception-type", "throttlingException"),
            ],
            br#"{"message":"slow down"}"#,
        ));
        body.extend(chunk(&claude("never")));
        let mut d = EventDecoder::new(ModelFamily::AnthropicClaude);
        d.feed(&body);
        assert_eq!(d.next_event().unwrap().unwrap().text(), Some("Hi"));
        let e = d.next_event().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Throttling);
        assert!(e.message().contains("slow down"), "{e}");
        assert_eq!(e.events_delivered(), 1);
        let again = d.next_event().unwrap_err();
        assert_eq!(again.kind(), ErrorKind::Throttling);
        assert_eq!(d.finish().unwrap_err().kind(), ErrorKind::Throttling);
        assert_eq!(d.events_delivered(), 1);
    }
}
