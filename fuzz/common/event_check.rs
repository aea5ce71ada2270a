//! The checks of the `event` fuzz target, shared with the corpus replay in
//! `tests/fuzz_regressions.rs`: a stream of event-stream messages, split into arbitrary chunks,
//! decoded, and every message interpreted as the client does (`Event::from_message`), each
//! chunk's document then run through a `TextExtractor`.
//!
//! Input layout:
//! ```text
//! byte 0          n = number of chunk sizes (mod 16)
//! bytes 1..=n     chunk sizes, cycled over the stream (0 = an empty feed)
//! byte n+1        mode: top bit set = the rest is raw stream bytes (every frame's CRCs are
//!                 rewritten first so mutations reach the event layer); else structured.
//!                 Low 4 bits: the model family of the text extractor (index into ALL, mod).
//! rest            raw: the stream. structured: records, each
//!                 [message-type sel, type sel, payload mode, payload len, payload bytes...]
//!                 message-type sel & 7: 0-3 from a table, 4-5 a name from the input,
//!                 6 no header, 7 an int header. type sel: bits 0-1 the event type from a
//!                 table (bit 7: from the input instead), bit 3 no `:event-type`, bit 2 no
//!                 `:exception-type`, bits 4-6 the exception type (7: from the input).
//!                 payload mode: bits 0-2 the payload's shape (raw, `{"bytes":..}` forms, a
//!                 `message`), bit 5 a `:content-type`, bit 6 an `:error-code` (its length
//!                 from bits 0-2), bit 7 a non-string `:error-message`.
//!                 A name from the input is a length byte (mod 16), then that many bytes.
//! ```
//!
//! Checked on every input, besides "no panic, no overflow":
//! * each message's outcome is what the Bedrock event model says: a chunk exactly when
//!   `:message-type` is `event` and `:event-type` is `chunk`, its bytes the base64 of the
//!   payload's `"bytes"` as serde would read it (so the fast path agrees with serde); an
//!   unknown event keeps its type, headers and payload; an exception carries its type as code
//!   and the modeled kind, an `error` message is a `StreamError` with its `:error-code`;
//!   anything else is a protocol error;
//! * the chunked feed and a single feed give the same outcomes;
//! * the extractor never panics and its `ChunkInfo` is consistent (text never empty).
use base64::Engine as _;
use bedrock_stream::eventstream::{Decoder, Header, HeaderValue, Message, MessageRef};
use bedrock_stream::extract::{ModelFamily, TextExtractor};
use bedrock_stream::{ErrorKind, Event};
use serde::Deserialize;

const MESSAGE_TYPES: [&str; 4] = ["event", "exception", "error", "Event"];
const EVENT_TYPES: [&str; 4] = ["chunk", "metadata", "Chunk", ""];
const EXCEPTIONS: [(&str, ErrorKind); 7] = [
    ("throttlingException", ErrorKind::Throttling),
    ("modelTimeoutException", ErrorKind::ModelTimeout),
    ("internalServerException", ErrorKind::InternalServer),
    ("serviceUnavailableException", ErrorKind::ServiceUnavailable),
    ("modelStreamErrorException", ErrorKind::ModelStreamError),
    ("validationException", ErrorKind::Validation),
    ("accessDeniedException", ErrorKind::UnmodeledService),
];

/// The documented chunk payload, read the slow (serde) way.
#[derive(Deserialize)]
struct PayloadPart {
    #[serde(default)]
    bytes: Option<String>,
}

/// An exception's body, with the fields (and types) the library reads: a body whose known
/// fields have other types is not read at all.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct ExceptionBody {
    #[serde(default, alias = "Message")]
    message: Option<String>,
    #[serde(default)]
    original_status_code: Option<i32>,
    #[serde(default)]
    original_message: Option<String>,
    #[serde(default)]
    resource_name: Option<String>,
}

/// Takes `n` bytes (fewer at the end).
fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (a, b) = data.split_at(n.min(data.len()));
    *data = b;
    a
}

fn byte(data: &mut &[u8]) -> u8 {
    take(data, 1).first().copied().unwrap_or(0)
}

/// A name from `table` (`sel & 7` below its length), else from the input (a length byte, then
/// that many bytes mod 16).
fn name(data: &mut &[u8], sel: u8, table: &[&str]) -> String {
    match table.get(usize::from(sel & 7)) {
        Some(s) => (*s).to_string(),
        None => {
            let n = usize::from(byte(data) % 16);
            String::from_utf8_lossy(take(data, n)).into_owned()
        }
    }
}

/// Builds the stream of a structured input.
fn structured(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let mt = byte(&mut data);
        let ts = byte(&mut data);
        let pm = byte(&mut data);
        let len = usize::from(byte(&mut data));
        let raw = take(&mut data, len);
        let mut headers = Vec::new();
        match mt % 8 {
            6 => {}
            7 => headers.push(Header::new(":message-type", HeaderValue::Int32(1))),
            _ => {
                let m = name(&mut data, mt, &MESSAGE_TYPES);
                headers.push(Header::new(":message-type", m));
            }
        }
        if ts & 8 == 0 {
            let sel = if ts & 0x80 != 0 { 7 } else { ts & 3 };
            let t = name(&mut data, sel, &EVENT_TYPES);
            headers.push(Header::new(":event-type", t));
        }
        if ts & 4 == 0 {
            let i = usize::from(ts >> 4) & 7;
            let e = match EXCEPTIONS.get(i) {
                Some((n, _)) => (*n).to_string(),
                None => name(&mut data, 7, &[]),
            };
            headers.push(Header::new(":exception-type", e));
        }
        if pm & 0x40 != 0 {
            let code = String::from_utf8_lossy(take(&mut data, usize::from(pm & 7))).into_owned();
            headers.push(Header::new(":error-code", code));
        }
        if pm & 0x80 != 0 {
            headers.push(Header::new(
                ":error-message",
                HeaderValue::ByteArray(vec![1, 2]),
            ));
        }
        if pm & 0x20 != 0 {
            headers.push(Header::new(":content-type", "application/json"));
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        let payload: Vec<u8> = match pm & 7 {
            0 => raw.to_vec(),
            1 => format!(r#"{{"bytes":"{b64}"}}"#).into_bytes(),
            2 => format!(r#"{{"bytes":"{b64}","p":"abcdefgh"}}"#).into_bytes(),
            3 => [br#"{"bytes":""#, raw, br#""}"#].concat(),
            4 => format!(r#"{{ "bytes" : "{b64}" , "p" : "x" }}"#).into_bytes(),
            5 => [
                br#"{"bytes":""#,
                b64.as_bytes(),
                br#"","p":""#,
                raw,
                br#""}"#,
            ]
            .concat(),
            6 => [br#"{"message":""#, raw, br#""}"#].concat(),
            _ => format!(r#"{{"p":"x","bytes":"{b64}"}}"#).into_bytes(),
        };
        // Encoding fails only for oversized header values, which these never are.
        let _ = Message::new(headers, payload).encode_into(&mut out);
    }
    out
}

/// Rewrites the prelude and message CRCs of every whole frame in `data`.
fn fix_crcs(data: &mut [u8]) {
    let mut at = 0;
    while data.len() - at >= 16 {
        let total = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        if total < 16 || total > data.len() - at {
            return;
        }
        let crc = crc32fast::hash(&data[at..at + 8]);
        data[at + 8..at + 12].copy_from_slice(&crc.to_be_bytes());
        let crc = crc32fast::hash(&data[at..at + total - 4]);
        data[at + total - 4..at + total].copy_from_slice(&crc.to_be_bytes());
        at += total;
    }
}

/// The outcome of one message, as text (events compare equal when their Debug forms do, and
/// the Debug form of a chunk shows only its size, so the bytes are added).
fn check_message(m: &MessageRef<'_>, ex: &mut TextExtractor) -> String {
    let r = Event::from_message(m);
    let protocol = |r: &bedrock_stream::Result<Event>| {
        let e = r.as_ref().expect_err("a protocol error");
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e:?}");
    };
    match m.header_str(":message-type") {
        Some("event") => match m.header_str(":event-type") {
            Some("chunk") => {
                let expected = serde_json::from_slice::<PayloadPart>(m.payload())
                    .ok()
                    .and_then(|p| match p.bytes {
                        None => Some(Vec::new()),
                        Some(s) => base64::engine::general_purpose::STANDARD.decode(s).ok(),
                    });
                match expected {
                    Some(bytes) => {
                        let ev = r.as_ref().expect("a chunk");
                        let chunk = ev.as_chunk().expect("a chunk");
                        assert_eq!(chunk.bytes(), &bytes[..]);
                        assert_eq!(ev.event_type(), "chunk");
                        let info = ex.process(chunk.bytes());
                        assert!(info.text().is_none_or(|t| !t.is_empty()));
                        assert!(info.stop_reason().is_none_or(|t| !t.is_empty()));
                    }
                    None => protocol(&r),
                }
            }
            Some(t) => {
                let ev = r.as_ref().expect("an unknown event");
                let Event::Unknown(u) = ev else {
                    panic!("not unknown: {ev:?}")
                };
                assert_eq!(u.event_type(), t);
                assert_eq!(ev.event_type(), t);
                assert_eq!(u.payload(), m.payload());
                assert_eq!(u.headers(), &m.to_message().headers[..]);
            }
            None => protocol(&r),
        },
        Some("exception") => match m.header_str(":exception-type") {
            Some(name) => {
                let e = r.as_ref().expect_err("an exception");
                assert_eq!(e.code(), Some(name));
                let kind = EXCEPTIONS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or(ErrorKind::UnmodeledService, |(_, k)| *k);
                assert_eq!(e.kind(), kind);
                match serde_json::from_slice::<ExceptionBody>(m.payload()) {
                    Ok(ExceptionBody {
                        message: Some(msg), ..
                    }) => assert_eq!(e.message(), msg),
                    _ => assert!(!e.message().is_empty()),
                }
            }
            None => protocol(&r),
        },
        Some("error") => {
            let e = r.as_ref().expect_err("an error message");
            assert_eq!(e.kind(), ErrorKind::StreamError);
            assert_eq!(
                e.code(),
                Some(m.header_str(":error-code").unwrap_or("UnknownError"))
            );
            if let Some(msg) = m.header_str(":error-message") {
                assert_eq!(e.message(), msg);
            }
        }
        _ => protocol(&r),
    }
    match &r {
        Ok(ev) => format!("{ev:?} {:?}", ev.as_chunk().map(|c| c.bytes())),
        Err(e) => format!("{e:?} / {e}"),
    }
}

fn decode(stream: &[u8], sizes: &[u8], family: ModelFamily) -> Vec<String> {
    let mut d = Decoder::new();
    let mut ex = TextExtractor::new(family);
    let mut out = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    loop {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            usize::from(sizes[i % sizes.len()])
        };
        // A plan of only zeros would never make progress: feed at least one byte per cycle.
        let n = if i % sizes.len().max(1) == sizes.len().max(1) - 1 {
            n.max(1)
        } else {
            n
        };
        i += 1;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        d.feed(chunk);
        loop {
            match d.next_message() {
                Ok(Some(m)) => out.push(check_message(&m, &mut ex)),
                Ok(None) => break,
                Err(e) => {
                    out.push(format!("decode error {}", e.kind().as_str()));
                    return out;
                }
            }
        }
        if rest.is_empty() {
            break;
        }
    }
    if let Some(t) = ex.finish() {
        assert_eq!(t, "\u{FFFD}");
    }
    match d.finish() {
        Ok(()) => out.push("end".into()),
        Err(e) => out.push(format!("end {}", e.kind().as_str())),
    }
    out
}

/// Runs one input; returns the outcomes (one line per message, then the end).
pub fn run(input: &[u8]) -> Vec<String> {
    let mut data = input;
    let n = usize::from(byte(&mut data) % 16);
    let sizes = take(&mut data, n);
    let mode = byte(&mut data);
    let family = ModelFamily::ALL[usize::from(mode & 15) % ModelFamily::ALL.len()];
    let stream = if mode & 0x80 != 0 {
        let mut s = data.to_vec();
        fix_crcs(&mut s);
        s
    } else {
        structured(data)
    };
    let chunked = decode(&stream, sizes, family);
    let whole = decode(&stream, &[], family);
    assert_eq!(chunked, whole);
    chunked
}
