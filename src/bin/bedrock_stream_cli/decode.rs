//! `decode`: a captured `application/vnd.amazon.eventstream` body as JSON lines, frame by frame
//! or as Bedrock events.

use std::fs::File;
use std::io::{self, Read};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::eventstream::{
    DecodeError, Decoder, HeaderValueRef, MessageRef, DEFAULT_MAX_MESSAGE_LEN,
};
use bedrock_stream::extract::TextExtractor;
use bedrock_stream::{ErrorClass, Event};

use super::args::DecodeArgs;
use super::exit;
use super::output::{error_fields, output_failed, JsonObj, Out};
use super::setup::family;

/// Runs `decode`; returns the exit code.
pub fn run(a: &DecodeArgs) -> u8 {
    let mut out = Out::new();
    match decode(a, &mut out) {
        Ok(code) => code,
        Err(e) => output_failed(&e),
    }
}

/// How reading the capture ended, when not cleanly.
enum Damage {
    Frame(DecodeError),
    Event {
        offset: u64,
        message: String,
    },
    Io {
        offset: u64,
        message: String,
    },
    /// The file is text ("JSON", "HTML" or "text"), not an event stream.
    NotEventStream(&'static str),
}

/// How many bytes are looked at to tell text from an event stream.
const HEAD_LEN: usize = 64;

/// `Some("JSON" | "HTML" | "text")` when `head`, the start of a file, is text. An event stream
/// cannot start so: its first byte is the high byte of a frame length (0 below 16 MiB, never
/// printable under the 24 MiB cap).
fn looks_like_text(head: &[u8]) -> Option<&'static str> {
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    // A multi-byte character may be cut at the end of the head.
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !c.is_ascii_whitespace())
    {
        return None;
    }
    Some(match head[start] {
        b'{' | b'[' => "JSON",
        b'<' => "HTML",
        _ => "text",
    })
}

fn decode(a: &DecodeArgs, out: &mut Out) -> io::Result<u8> {
    let mut extractor = if a.bedrock {
        match family(a.model_id.as_deref(), a.family.as_deref()) {
            Ok(f) => Some(TextExtractor::new(f)),
            Err(f) => {
                eprintln!("bedrock-stream: {f}");
                return Ok(f.exit_code());
            }
        }
    } else {
        None
    };
    let mut input: Box<dyn Read> = match a.file.as_deref() {
        None => Box::new(io::stdin().lock()),
        Some(p) if p.as_os_str() == "-" => Box::new(io::stdin().lock()),
        Some(p) => match File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let damage = Damage::Io {
                    offset: 0,
                    message: format!("cannot open {}: {e}", p.display()),
                };
                return finish_with(out, damage);
            }
        },
    };
    let mut decoder =
        Decoder::with_max_message_len(a.max_message_len.unwrap_or(DEFAULT_MAX_MESSAGE_LEN));
    // A frame starts with its length, big-endian: a file starting with text is something else
    // (a saved JSON error body, an HTML error page).
    let mut head = Vec::with_capacity(HEAD_LEN);
    if let Err(e) = (&mut input).take(HEAD_LEN as u64).read_to_end(&mut head) {
        let damage = Damage::Io {
            offset: 0,
            message: format!("cannot read the capture: {e}"),
        };
        return finish_with(out, damage);
    }
    if let Some(what) = looks_like_text(&head) {
        return finish_with(out, Damage::NotEventStream(what));
    }
    decoder.feed(&head);
    loop {
        loop {
            let msg = match decoder.next_message() {
                Ok(Some(msg)) => msg,
                Ok(None) => break,
                Err(e) => return finish_with(out, Damage::Frame(e)),
            };
            let line = match extractor.as_mut() {
                None => Ok(frame_line(&msg)),
                Some(ex) => event_line(&msg, ex),
            };
            match line {
                Ok(line) => out.line(&line.finish())?,
                Err(damage) => return finish_with(out, damage),
            }
        }
        match decoder.read_from(&mut input) {
            Ok(0) => {
                return match decoder.finish() {
                    Ok(()) => Ok(exit::OK),
                    Err(e) => finish_with(out, Damage::Frame(e)),
                }
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let damage = Damage::Io {
                    offset: decoder.offset() + decoder.buffered_len() as u64,
                    message: format!("cannot read the capture: {e}"),
                };
                return finish_with(out, damage);
            }
        }
    }
}

/// Writes the final `{"error":...}` line; returns the exit code.
fn finish_with(out: &mut Out, damage: Damage) -> io::Result<u8> {
    let (kind, message, offset, code) = match damage {
        Damage::Frame(e) => (e.kind().as_str(), e.to_string(), e.offset(), exit::PROTOCOL),
        Damage::Event { offset, message } => ("invalid_event", message, offset, exit::PROTOCOL),
        Damage::Io { offset, message } => ("io", message, offset, exit::LOCAL_IO),
        Damage::NotEventStream(what) => (
            "not_an_event_stream",
            format!(
                "this file looks like {what}, not an event stream (an error body, not a \
                 captured stream?): read it as it is"
            ),
            0,
            exit::PROTOCOL,
        ),
    };
    let error = JsonObj::new()
        .field("kind", kind)
        .field("message", &message)
        .field("offset", &offset);
    out.line(&JsonObj::new().obj("error", error).finish())?;
    Ok(code)
}

/// `{"offset":N,"headers":{...},"payload_b64":"..."}`.
fn frame_line(msg: &MessageRef<'_>) -> JsonObj {
    let mut headers = JsonObj::new();
    for h in msg.headers() {
        let value = match h.value {
            HeaderValueRef::Bool(b) => serde_json::to_string(&b),
            HeaderValueRef::Byte(v) => serde_json::to_string(&v),
            HeaderValueRef::Int16(v) => serde_json::to_string(&v),
            HeaderValueRef::Int32(v) => serde_json::to_string(&v),
            HeaderValueRef::Int64(v) => serde_json::to_string(&v),
            HeaderValueRef::String(s) => serde_json::to_string(s),
            HeaderValueRef::ByteArray(b) => {
                Ok(JsonObj::new().field("bytes_b64", &B64.encode(b)).finish())
            }
            HeaderValueRef::Timestamp(ms) => Ok(JsonObj::new().field("timestamp_ms", &ms).finish()),
            HeaderValueRef::Uuid(u) => Ok(JsonObj::new().field("uuid", &uuid(&u)).finish()),
        };
        headers.raw(h.name, &value.unwrap_or_else(|_| "null".to_owned()));
    }
    JsonObj::new()
        .field("offset", &msg.offset())
        .obj("headers", headers)
        .field("payload_b64", &B64.encode(msg.payload()))
}

/// The Bedrock view of one message, or the damage that ends the capture.
fn event_line(msg: &MessageRef<'_>, ex: &mut TextExtractor) -> Result<JsonObj, Damage> {
    let base = JsonObj::new().field("offset", &msg.offset());
    match Event::from_message(msg) {
        Ok(Event::Chunk(chunk)) => {
            let info = ex.process(chunk.bytes());
            Ok(base
                .field("event", "chunk")
                .field("bytes_b64", &B64.encode(chunk.bytes()))
                .opt("text", info.text()))
        }
        Ok(other) => Ok(base
            .field("event", "unknown")
            .field("event_type", other.event_type())
            .field("payload_b64", &B64.encode(msg.payload()))),
        Err(e) => {
            if e.class() == ErrorClass::Protocol {
                return Err(Damage::Event {
                    offset: msg.offset(),
                    message: e.message().to_owned(),
                });
            }
            let event = match msg.header_str(":message-type") {
                Some("error") => "error",
                _ => "exception",
            };
            Ok(base
                .field("event", event)
                .field("kind", e.class().as_str())
                .field("code", &e.code())
                .field("message", e.message())
                .field("http_status", &e.http_status())
                .field("retryable", &e.is_retryable())
                .obj("fields", error_fields(&e)))
        }
    }
}

/// 8-4-4-4-12 lower-case hex.
fn uuid(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_printed_in_the_usual_form() {
        let b: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        assert_eq!(uuid(&b), "01020304-0506-0708-090a-0b0c0d0e0f10");
    }
}
