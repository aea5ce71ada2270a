//! The encoder: owned messages and the frame writer used by tests, the emulator and users' own
//! test servers.

use std::fmt;

use super::header::*;
use super::{MAX_ENCODED_HEADER_VALUE_LEN, MESSAGE_CRC_LEN, PRELUDE_LEN};

/// An owned event-stream message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// Headers, in wire order. Names must be unique.
    pub headers: Vec<Header>,
    /// Payload bytes.
    pub payload: Vec<u8>,
}

/// Why a message cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot encode event-stream message: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

impl Message {
    /// A message with these headers and payload.
    pub fn new(headers: Vec<Header>, payload: Vec<u8>) -> Message {
        Message { headers, payload }
    }

    /// The value of the header called `name`.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|h| h.name == name)
            .map(|h| &h.value)
    }

    /// Encode to a new buffer.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode_into(&mut out)?;
        Ok(out)
    }

    /// Append the encoded frame to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        encode_frame(
            out,
            self.headers
                .iter()
                .map(|h| (h.name.as_str(), h.value.as_ref())),
            &self.payload,
        )
    }
}

/// Append one frame with the given headers and payload to `out`.
///
/// Refuses (and leaves `out` unchanged) names of 0 or more than 255 bytes, duplicate names,
/// string/byte-array values over 32,767 bytes, and frames over 4 GiB.
pub fn encode_frame<'a>(
    out: &mut Vec<u8>,
    headers: impl IntoIterator<Item = (&'a str, HeaderValueRef<'a>)>,
    payload: &[u8],
) -> Result<(), EncodeError> {
    let base = out.len();
    out.extend_from_slice(&[0u8; PRELUDE_LEN]);
    let result = write_headers(out, headers);
    if let Err(e) = result {
        out.truncate(base);
        return Err(e);
    }
    let headers_len = out.len() - base - PRELUDE_LEN;
    let total = headers_len + payload.len() + PRELUDE_LEN + MESSAGE_CRC_LEN;
    if total > u32::MAX as usize {
        out.truncate(base);
        return Err(EncodeError(format!("a {total}-byte message exceeds 4 GiB")));
    }
    out.extend_from_slice(payload);
    let frame = &mut out[base..];
    frame[0..4].copy_from_slice(&(total as u32).to_be_bytes());
    frame[4..8].copy_from_slice(&(headers_len as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&frame[0..8]);
    frame[8..12].copy_from_slice(&prelude_crc.to_be_bytes());
    let mut h = crc32fast::Hasher::new_with_initial(prelude_crc);
    h.update(&frame[8..]);
    let crc = h.finalize();
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(())
}

fn write_headers<'a>(
    out: &mut Vec<u8>,
    headers: impl IntoIterator<Item = (&'a str, HeaderValueRef<'a>)>,
) -> Result<(), EncodeError> {
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in headers {
        if name.is_empty() || name.len() > 255 {
            return Err(EncodeError(format!(
                "header name {name:?} must be 1..=255 bytes"
            )));
        }
        if seen.contains(&name) {
            return Err(EncodeError(format!("header {name:?} appears twice")));
        }
        seen.push(name);
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.push(value.type_id());
        match value {
            HeaderValueRef::Bool(_) => {}
            HeaderValueRef::Byte(v) => out.push(v as u8),
            HeaderValueRef::Int16(v) => out.extend_from_slice(&v.to_be_bytes()),
            HeaderValueRef::Int32(v) => out.extend_from_slice(&v.to_be_bytes()),
            HeaderValueRef::Int64(v) | HeaderValueRef::Timestamp(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            HeaderValueRef::ByteArray(b) => put_var(out, name, b)?,
            HeaderValueRef::String(s) => put_var(out, name, s.as_bytes())?,
            HeaderValueRef::Uuid(u) => out.extend_from_slice(&u),
        }
    }
    Ok(())
}

fn put_var(out: &mut Vec<u8>, name: &str, b: &[u8]) -> Result<(), EncodeError> {
    if b.len() > MAX_ENCODED_HEADER_VALUE_LEN {
        return Err(EncodeError(format!(
            "the {}-byte value of header {name:?} exceeds {MAX_ENCODED_HEADER_VALUE_LEN} bytes",
            b.len()
        )));
    }
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_chunk_minimal_matches_the_spec_bytes() {
        let m = Message::new(
            vec![
                Header::new(":event-type", "chunk"),
                Header::new(":content-type", "application/json"),
                Header::new(":message-type", "event"),
            ],
            br#"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdG9wIn0="}"#.to_vec(),
        );
        let b = m.encode().unwrap();
        assert_eq!(b.len(), 135);
        assert_eq!(
            &b[..12],
            &[0, 0, 0, 0x87, 0, 0, 0, 0x4b, 0x87, 0xea, 0x2b, 0xf3]
        );
        assert_eq!(&b[131..], &[0xba, 0x48, 0xab, 0x22]);
    }

    #[test]
    fn refuses_bad_headers_and_leaves_output_unchanged() {
        let mut out = vec![1, 2, 3];
        let long = "x".repeat(256);
        assert!(
            encode_frame(&mut out, [(long.as_str(), HeaderValueRef::Bool(true))], b"").is_err()
        );
        assert!(encode_frame(
            &mut out,
            [
                ("a", HeaderValueRef::Bool(true)),
                ("a", HeaderValueRef::Bool(false))
            ],
            b""
        )
        .is_err());
        let big = vec![0u8; 40_000];
        assert!(encode_frame(&mut out, [("a", HeaderValueRef::ByteArray(&big))], b"").is_err());
        assert_eq!(out, vec![1, 2, 3]);
    }
}
