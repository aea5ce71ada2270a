//! The incremental frame decoder.

use std::fmt;
use std::io::{self, Read};

use super::header::*;
use super::{DEFAULT_MAX_MESSAGE_LEN, MESSAGE_CRC_LEN, MIN_MESSAGE_LEN, PRELUDE_LEN};

/// Why a byte stream is not a valid event stream. The names follow the kinds of the public test
/// vectors' manifest (`as_str`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// CRC32 of the first 8 bytes differs from the prelude CRC.
    PreludeChecksumMismatch,
    /// CRC32 of the message (all but its last 4 bytes) differs from the message CRC.
    MessageChecksumMismatch,
    /// The declared total length is below the 16-byte minimum.
    InvalidMessageLength,
    /// The declared headers length does not fit in the message.
    InvalidHeadersLength,
    /// The declared total length exceeds the decoder's cap.
    MessageTooLarge,
    /// A header name of length 0, running past the headers block, or not UTF-8.
    InvalidHeaderName,
    /// A header value type id outside 0..=9.
    InvalidHeaderType,
    /// A header value (or its length field) running past the headers block, or a string value
    /// that is not UTF-8.
    InvalidHeaderValue,
    /// The same header name twice in one message.
    DuplicateHeader,
    /// The input ended inside a message.
    Truncated,
}

impl DecodeErrorKind {
    /// The snake_case name used by the test-vector manifest (`prelude_checksum_mismatch`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DecodeErrorKind::PreludeChecksumMismatch => "prelude_checksum_mismatch",
            DecodeErrorKind::MessageChecksumMismatch => "message_checksum_mismatch",
            DecodeErrorKind::InvalidMessageLength => "invalid_message_length",
            DecodeErrorKind::InvalidHeadersLength => "invalid_headers_length",
            DecodeErrorKind::MessageTooLarge => "message_too_large",
            DecodeErrorKind::InvalidHeaderName => "invalid_header_name",
            DecodeErrorKind::InvalidHeaderType => "invalid_header_type",
            DecodeErrorKind::InvalidHeaderValue => "invalid_header_value",
            DecodeErrorKind::DuplicateHeader => "duplicate_header",
            DecodeErrorKind::Truncated => "truncated",
        }
    }
}

/// A decoding failure: its kind, the stream offset of the message it concerns, and a detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    kind: DecodeErrorKind,
    offset: u64,
    detail: String,
}

impl DecodeError {
    fn new(kind: DecodeErrorKind, offset: u64, detail: String) -> DecodeError {
        DecodeError {
            kind,
            offset,
            detail,
        }
    }

    /// What is wrong.
    pub fn kind(&self) -> DecodeErrorKind {
        self.kind
    }

    /// Byte offset, from the start of the stream, of the message that failed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The specifics (lengths, CRC values, header names).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DecodeErrorKind::PreludeChecksumMismatch => "prelude checksum mismatch",
            DecodeErrorKind::MessageChecksumMismatch => "message checksum mismatch",
            DecodeErrorKind::InvalidMessageLength => "invalid message length",
            DecodeErrorKind::InvalidHeadersLength => "invalid headers length",
            DecodeErrorKind::MessageTooLarge => "message too large",
            DecodeErrorKind::InvalidHeaderName => "invalid header name",
            DecodeErrorKind::InvalidHeaderType => "invalid header value type",
            DecodeErrorKind::InvalidHeaderValue => "invalid header value",
            DecodeErrorKind::DuplicateHeader => "duplicate header",
            DecodeErrorKind::Truncated => "stream ended inside a message",
        };
        write!(
            f,
            "{what} in the message at byte {}: {}",
            self.offset, self.detail
        )
    }
}

impl std::error::Error for DecodeError {}

/// Where one header sits: its value inside the frame (offsets from the frame start), its name
/// and a string value inside the decoder's text (validated once, when the block was parsed, so
/// reading a header never validates UTF-8 again).
#[derive(Debug, Clone, Copy)]
struct RawHeader {
    /// Offset of the name in the text.
    name_text: u32,
    name_len: u8,
    ty: u8,
    val_off: u32,
    val_len: u32,
    /// Offset of a string value in the text (0 for other types).
    val_text: u32,
}

/// One decoded message, borrowed from the decoder until its next call.
#[derive(Clone, Copy)]
pub struct MessageRef<'a> {
    frame: &'a [u8],
    headers_len: usize,
    headers: &'a [RawHeader],
    /// The names and string values of `headers`.
    text: &'a str,
    /// Where `:message-type` and `:event-type` are in `headers`, when they are strings.
    types: Types,
    offset: u64,
}

/// Where the routing headers (`:message-type`, `:event-type`) are among a block's headers,
/// found once per parsed block so that routing a message costs no name comparisons.
#[derive(Debug, Clone, Copy, Default)]
struct Types {
    message_type: Option<u8>,
    event_type: Option<u8>,
}

impl Types {
    fn of(headers: &[RawHeader], text: &str) -> Types {
        let find = |name: &str| {
            headers
                .iter()
                .position(|h| h.ty == TYPE_STRING && name_at(text, h) == name)
                .and_then(|i| u8::try_from(i).ok())
        };
        Types {
            message_type: find(":message-type"),
            event_type: find(":event-type"),
        }
    }
}

impl<'a> MessageRef<'a> {
    /// The headers, in wire order.
    pub fn headers(&self) -> impl ExactSizeIterator<Item = HeaderRef<'a>> + 'a {
        let (frame, text) = (self.frame, self.text);
        self.headers.iter().map(move |h| header_at(frame, text, h))
    }

    /// The value of the header called `name`, if present.
    pub fn header(&self, name: &str) -> Option<HeaderValueRef<'a>> {
        let (frame, text) = (self.frame, self.text);
        self.headers
            .iter()
            .find(|h| name_at(text, h) == name)
            .map(|h| value_at(frame, text, h))
    }

    /// The value of the string header called `name`; `None` if absent or of another type.
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.header(name).and_then(|v| v.as_str())
    }

    /// The `:message-type` string header (`event`, `exception`, `error`), if present: the same
    /// as `header_str(":message-type")`, found when the headers were parsed.
    pub fn message_type(&self) -> Option<&'a str> {
        self.string_at(self.types.message_type)
    }

    /// The `:event-type` string header, if present (as `header_str(":event-type")`).
    pub fn event_type(&self) -> Option<&'a str> {
        self.string_at(self.types.event_type)
    }

    fn string_at(&self, at: Option<u8>) -> Option<&'a str> {
        let h = self.headers.get(usize::from(at?))?;
        Some(text_at(self.text, h.val_text, h.val_len as usize))
    }

    /// The payload bytes.
    pub fn payload(&self) -> &'a [u8] {
        &self.frame[PRELUDE_LEN + self.headers_len..self.frame.len() - MESSAGE_CRC_LEN]
    }

    /// The whole frame as it was on the wire.
    pub fn frame(&self) -> &'a [u8] {
        self.frame
    }

    /// Byte offset of this message from the start of the stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The declared headers length.
    pub fn headers_len(&self) -> usize {
        self.headers_len
    }

    /// An owned copy.
    pub fn to_message(&self) -> super::Message {
        super::Message {
            headers: self
                .headers()
                .map(|h| Header {
                    name: h.name.to_owned(),
                    value: h.value.to_owned_value(),
                })
                .collect(),
            payload: self.payload().to_vec(),
        }
    }
}

impl fmt::Debug for MessageRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageRef")
            .field("offset", &self.offset)
            .field("headers", &self.headers().collect::<Vec<_>>())
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

/// `len` bytes of the text from `at` (whole strings were pushed there, so the fallback cannot
/// be reached).
fn text_at(text: &str, at: u32, len: usize) -> &str {
    text.get(at as usize..at as usize + len).unwrap_or("")
}

fn name_at<'a>(text: &'a str, h: &RawHeader) -> &'a str {
    text_at(text, h.name_text, h.name_len as usize)
}

fn header_at<'a>(frame: &'a [u8], text: &'a str, h: &RawHeader) -> HeaderRef<'a> {
    HeaderRef {
        name: name_at(text, h),
        value: value_at(frame, text, h),
    }
}

fn value_at<'a>(frame: &'a [u8], text: &'a str, h: &RawHeader) -> HeaderValueRef<'a> {
    let v = &frame[h.val_off as usize..h.val_off as usize + h.val_len as usize];
    match h.ty {
        TYPE_TRUE => HeaderValueRef::Bool(true),
        TYPE_FALSE => HeaderValueRef::Bool(false),
        TYPE_BYTE => HeaderValueRef::Byte(v[0] as i8),
        TYPE_SHORT => HeaderValueRef::Int16(i16::from_be_bytes([v[0], v[1]])),
        TYPE_INT => HeaderValueRef::Int32(i32::from_be_bytes([v[0], v[1], v[2], v[3]])),
        TYPE_LONG => HeaderValueRef::Int64(i64::from_be_bytes(be8(v))),
        TYPE_BYTES => HeaderValueRef::ByteArray(v),
        TYPE_STRING => HeaderValueRef::String(text_at(text, h.val_text, v.len())),
        TYPE_TIMESTAMP => HeaderValueRef::Timestamp(i64::from_be_bytes(be8(v))),
        _ => {
            let mut u = [0u8; 16];
            u.copy_from_slice(v);
            HeaderValueRef::Uuid(u)
        }
    }
}

fn be8(v: &[u8]) -> [u8; 8] {
    let mut b = [0u8; 8];
    b.copy_from_slice(&v[..8]);
    b
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The largest headers block whose parse is kept for reuse.
const MAX_CACHED_HEADERS_BLOCK: usize = 512;

/// Smallest read the decoder asks a reader for.
const MIN_READ: usize = 8 * 1024;
/// Initial buffer size: twice the smallest read, so that a partial message kept at the end of
/// a read (Bedrock's token frames are a few hundred bytes) never makes the buffer grow. Every
/// open stream holds one, zero-filled (so resident): 256 streams on one client cost 4 MiB here
/// (64 KiB before: 16 MiB). Bigger messages grow it, geometrically.
const INITIAL_BUFFER: usize = 2 * MIN_READ;

/// The incremental event-stream decoder. See the [module documentation](super).
///
/// Memory: the buffer holds the bytes fed but not yet consumed, so with [`Decoder::read_from`]
/// it stays at most one message plus one read; bytes handed to [`Decoder::feed`] are kept until
/// the messages in them are taken with [`Decoder::next_message`].
pub struct Decoder {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Length of the message handed out last; dropped at the next call.
    handed_out: usize,
    /// Stream offset of `buf[start]`.
    offset: u64,
    max_message_len: u32,
    /// The parse of the last headers block (offsets from the frame start).
    headers: Vec<RawHeader>,
    /// The names and string values of `headers`, validated UTF-8.
    header_text: String,
    /// Where the routing headers are in `headers`.
    types: Types,
    /// A copy of that headers block, when it is small: a message whose block is byte-identical
    /// reuses the parse (Bedrock repeats the same three headers on every chunk).
    last_block: Vec<u8>,
    /// Whether `headers` is the parse of `last_block`.
    last_block_valid: bool,
    failed: Option<DecodeError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("offset", &self.offset)
            .field("buffered", &self.buffered_len())
            .field("max_message_len", &self.max_message_len)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Decoder {
    /// A decoder with the default message-size cap ([`DEFAULT_MAX_MESSAGE_LEN`]).
    pub fn new() -> Decoder {
        Decoder::with_max_message_len(DEFAULT_MAX_MESSAGE_LEN)
    }

    /// A decoder that refuses any message whose declared total length exceeds `max` bytes
    /// (values below the 16-byte minimum are raised to it).
    pub fn with_max_message_len(max: u32) -> Decoder {
        Decoder {
            buf: Vec::new(),
            start: 0,
            end: 0,
            handed_out: 0,
            offset: 0,
            max_message_len: max.max(MIN_MESSAGE_LEN as u32),
            headers: Vec::new(),
            header_text: String::new(),
            types: Types::default(),
            last_block: Vec::new(),
            last_block_valid: false,
            failed: None,
        }
    }

    /// The message-size cap.
    pub fn max_message_len(&self) -> u32 {
        self.max_message_len
    }

    /// Bytes buffered and not yet handed out as messages.
    pub fn buffered_len(&self) -> usize {
        self.end - self.start - self.handed_out
    }

    /// Stream offset of the next message.
    pub fn offset(&self) -> u64 {
        self.offset + self.handed_out as u64
    }

    /// Current size of the internal buffer (for memory accounting).
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn release_handed_out(&mut self) {
        if self.handed_out > 0 {
            self.start += self.handed_out;
            self.offset += self.handed_out as u64;
            self.handed_out = 0;
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Make room for at least `extra` more bytes after `end`; when the buffer must grow, it
    /// grows to exactly `len` bytes (or `end + extra`, or the initial size, if larger).
    fn reserve(&mut self, extra: usize, len: usize) {
        if self.buf.len() - self.end >= extra {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < extra {
            let target = (self.end + extra).max(len).max(INITIAL_BUFFER);
            self.buf.reserve_exact(target - self.buf.len());
            self.buf.resize(target, 0);
        }
    }

    /// Append bytes (of any size, split anywhere) to the input.
    pub fn feed(&mut self, data: &[u8]) {
        self.release_handed_out();
        // Geometric growth, so that many small feeds of a big message stay linear.
        self.reserve(data.len(), 2 * self.buf.len());
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// The number of bytes the message being assembled still needs, when its prelude is in
    /// and valid; otherwise how many bytes complete the prelude.
    fn wanted(&self) -> usize {
        let avail = self.end - self.start;
        if avail < PRELUDE_LEN {
            return PRELUDE_LEN - avail;
        }
        let p = &self.buf[self.start..];
        let total = be32(p, 0);
        if crc32fast::hash(&p[..8]) != be32(p, 8) || total > self.max_message_len {
            return 0;
        }
        (total as usize).saturating_sub(avail)
    }

    /// Read once from `reader` straight into the buffer (no intermediate copy). Returns the
    /// number of bytes read; 0 means end of input (then call [`Decoder::finish`]).
    ///
    /// The buffer grows only to hold a message whose prelude has been verified, and then at
    /// most geometrically (to twice the bytes buffered, or 64 KiB): a declared length is never
    /// reserved before its bytes arrive, so the buffer stays below about twice one message
    /// plus one read, and a stalled or lying peer costs about twice what it sent (three times
    /// while a reallocation copies).
    pub fn read_from<R: Read + ?Sized>(&mut self, reader: &mut R) -> io::Result<usize> {
        self.release_handed_out();
        // Grow only when less than MIN_READ is free: to twice what is buffered, but no more
        // than the message being assembled still needs.
        let buffered = self.end - self.start;
        let grow_by = buffered.min(self.wanted()).max(MIN_READ);
        self.reserve(MIN_READ, buffered + grow_by);
        let n = reader.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }

    fn fail(&mut self, kind: DecodeErrorKind, detail: String) -> DecodeError {
        let e = DecodeError::new(kind, self.offset, detail);
        self.failed = Some(e.clone());
        e
    }

    /// The next whole message, `Ok(None)` if more input is needed, or the first error. The
    /// returned message borrows the decoder until the next call.
    pub fn next_message(&mut self) -> Result<Option<MessageRef<'_>>, DecodeError> {
        self.release_handed_out();
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let avail = self.end - self.start;
        if avail < PRELUDE_LEN {
            return Ok(None);
        }
        let s = self.start;
        let total = be32(&self.buf, s);
        let headers_len = be32(&self.buf, s + 4);
        let prelude_crc = be32(&self.buf, s + 8);
        // One running CRC: over the first 8 bytes for the prelude CRC, then on over the rest
        // for the message CRC (which covers everything before it, prelude CRC included).
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&self.buf[s..s + 8]);
        let computed = hasher.clone().finalize();
        if computed != prelude_crc {
            return Err(self.fail(
                DecodeErrorKind::PreludeChecksumMismatch,
                format!("prelude CRC is {prelude_crc:#010x}, computed {computed:#010x}"),
            ));
        }
        if (total as usize) < MIN_MESSAGE_LEN {
            return Err(self.fail(
                DecodeErrorKind::InvalidMessageLength,
                format!("total_length {total} is below the minimum of {MIN_MESSAGE_LEN}"),
            ));
        }
        if total > self.max_message_len {
            return Err(self.fail(
                DecodeErrorKind::MessageTooLarge,
                format!(
                    "total_length {total} exceeds the limit of {} bytes",
                    self.max_message_len
                ),
            ));
        }
        if headers_len as u64 > total as u64 - MIN_MESSAGE_LEN as u64 {
            return Err(self.fail(
                DecodeErrorKind::InvalidHeadersLength,
                format!("headers_length {headers_len} does not fit in total_length {total}"),
            ));
        }
        let total = total as usize;
        if avail < total {
            return Ok(None);
        }
        let frame = &self.buf[s..s + total];
        hasher.update(&frame[8..total - MESSAGE_CRC_LEN]);
        let computed = hasher.finalize();
        let message_crc = be32(frame, total - MESSAGE_CRC_LEN);
        if computed != message_crc {
            return Err(self.fail(
                DecodeErrorKind::MessageChecksumMismatch,
                format!("message CRC is {message_crc:#010x}, computed {computed:#010x}"),
            ));
        }
        let block = &frame[PRELUDE_LEN..PRELUDE_LEN + headers_len as usize];
        if !(self.last_block_valid && self.last_block == block) {
            self.last_block_valid = false;
            self.headers.clear();
            self.header_text.clear();
            let parsed =
                parse_headers(frame, block.len(), &mut self.headers, &mut self.header_text);
            if let Err((kind, detail)) = parsed {
                return Err(self.fail(kind, detail));
            }
            self.types = Types::of(&self.headers, &self.header_text);
            if block.len() <= MAX_CACHED_HEADERS_BLOCK {
                self.last_block.clear();
                self.last_block.extend_from_slice(block);
                self.last_block_valid = true;
            }
        }
        self.handed_out = total;
        Ok(Some(MessageRef {
            frame: &self.buf[s..s + total],
            headers_len: headers_len as usize,
            headers: &self.headers,
            text: &self.header_text,
            types: self.types,
            offset: self.offset,
        }))
    }

    /// Call at the end of input, after [`Decoder::next_message`] returned `Ok(None)`: `Ok` for
    /// a clean end at a message boundary, [`DecodeErrorKind::Truncated`] if part of a message
    /// is buffered, or the error already reported.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let left = self.buffered_len();
        if left == 0 {
            return Ok(());
        }
        let detail = if left >= PRELUDE_LEN {
            let total = be32(&self.buf, self.start + self.handed_out);
            format!("{left} bytes of a {total}-byte message arrived")
        } else {
            format!("{left} bytes of a 12-byte prelude arrived")
        };
        Err(DecodeError::new(
            DecodeErrorKind::Truncated,
            self.offset(),
            detail,
        ))
    }

    /// Decode a complete buffer into owned messages (for tests and tools); a trailing partial
    /// message is a [`DecodeErrorKind::Truncated`] error.
    pub fn decode_all(bytes: &[u8]) -> Result<Vec<super::Message>, DecodeError> {
        let mut d = Decoder::new();
        d.feed(bytes);
        let mut out = Vec::new();
        while let Some(m) = d.next_message()? {
            out.push(m.to_message());
        }
        d.finish()?;
        Ok(out)
    }
}

/// Parse the headers block of a CRC-checked frame strictly, recording offsets; names and string
/// values are appended to `text`.
fn parse_headers(
    frame: &[u8],
    headers_len: usize,
    out: &mut Vec<RawHeader>,
    text: &mut String,
) -> Result<(), (DecodeErrorKind, String)> {
    let end = PRELUDE_LEN + headers_len;
    let mut pos = PRELUDE_LEN;
    while pos < end {
        let name_len = frame[pos] as usize;
        pos += 1;
        if name_len == 0 {
            return Err((
                DecodeErrorKind::InvalidHeaderName,
                format!(
                    "header name of length 0 at header byte {}",
                    pos - 1 - PRELUDE_LEN
                ),
            ));
        }
        if pos + name_len > end {
            return Err((
                DecodeErrorKind::InvalidHeaderName,
                format!("a {name_len}-byte header name runs past the headers block"),
            ));
        }
        let name_raw = &frame[pos..pos + name_len];
        let Ok(name) = std::str::from_utf8(name_raw) else {
            return Err((
                DecodeErrorKind::InvalidHeaderName,
                "a header name is not UTF-8".to_owned(),
            ));
        };
        pos += name_len;
        if pos >= end {
            return Err((
                DecodeErrorKind::InvalidHeaderValue,
                format!("header {:?} has no value type", name),
            ));
        }
        let ty = frame[pos];
        pos += 1;
        let fixed = match ty {
            TYPE_TRUE | TYPE_FALSE => Some(0),
            TYPE_BYTE => Some(1),
            TYPE_SHORT => Some(2),
            TYPE_INT => Some(4),
            TYPE_LONG | TYPE_TIMESTAMP => Some(8),
            TYPE_UUID => Some(16),
            TYPE_BYTES | TYPE_STRING => None,
            _ => {
                return Err((
                    DecodeErrorKind::InvalidHeaderType,
                    format!(
                        "header {:?} has value type {ty}; valid types are 0..=9",
                        name
                    ),
                ))
            }
        };
        let val_len = match fixed {
            Some(n) => n,
            None => {
                if pos + 2 > end {
                    return Err((
                        DecodeErrorKind::InvalidHeaderValue,
                        format!(
                            "the length of header {:?} runs past the headers block",
                            name
                        ),
                    ));
                }
                let n = u16::from_be_bytes([frame[pos], frame[pos + 1]]) as usize;
                pos += 2;
                n
            }
        };
        if pos + val_len > end {
            return Err((
                DecodeErrorKind::InvalidHeaderValue,
                format!(
                    "the {val_len}-byte value of header {:?} runs past the headers block",
                    name
                ),
            ));
        }
        let value = &frame[pos..pos + val_len];
        let string_value = if ty == TYPE_STRING {
            let Ok(v) = std::str::from_utf8(value) else {
                return Err((
                    DecodeErrorKind::InvalidHeaderValue,
                    format!("the string value of header {:?} is not UTF-8", name),
                ));
            };
            Some(v)
        } else {
            None
        };
        if out.iter().any(|h| name_at(text, h) == name) {
            return Err((
                DecodeErrorKind::DuplicateHeader,
                format!("header {:?} appears twice", name),
            ));
        }
        let name_text = text.len() as u32;
        text.push_str(name);
        let val_text = text.len() as u32;
        if let Some(v) = string_value {
            text.push_str(v);
        }
        out.push(RawHeader {
            name_text,
            name_len: name_len as u8,
            ty,
            val_off: pos as u32,
            val_len: val_len as u32,
            val_text,
        });
        pos += val_len;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::{Header, HeaderValue, Message};
    use super::*;

    fn sample() -> Vec<u8> {
        Message::new(
            vec![
                Header::new(":event-type", "chunk"),
                Header::new(":message-type", "event"),
                Header {
                    name: "n".into(),
                    value: HeaderValue::Int64(-5),
                },
            ],
            b"{\"bytes\":\"aGk=\"}".to_vec(),
        )
        .encode()
        .unwrap()
    }

    #[test]
    fn smallest_message_from_the_spec() {
        let bytes = hex("000000100000000005c248eb7d98c8ff");
        let msgs = Decoder::decode_all(&bytes).unwrap();
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].headers.is_empty() && msgs[0].payload.is_empty());
    }

    #[test]
    fn byte_at_a_time_and_clean_end() {
        let mut stream = sample();
        stream.extend(sample());
        let mut d = Decoder::new();
        let mut n = 0;
        for b in &stream {
            d.feed(std::slice::from_ref(b));
            while let Some(m) = d.next_message().unwrap() {
                assert_eq!(m.header_str(":event-type"), Some("chunk"));
                assert_eq!(m.header("n"), Some(HeaderValueRef::Int64(-5)));
                n += 1;
            }
        }
        assert_eq!(n, 2);
        d.finish().unwrap();
    }

    #[test]
    fn truncated_is_distinguished_from_clean_end() {
        let stream = sample();
        let mut d = Decoder::new();
        d.feed(&stream[..stream.len() - 1]);
        assert!(d.next_message().unwrap().is_none());
        assert_eq!(d.finish().unwrap_err().kind(), DecodeErrorKind::Truncated);
        let mut d = Decoder::new();
        d.feed(&stream[..5]);
        assert!(d.next_message().unwrap().is_none());
        assert_eq!(d.finish().unwrap_err().kind(), DecodeErrorKind::Truncated);
    }

    #[test]
    fn huge_declared_length_costs_nothing() {
        let mut p = vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
        let crc = crc32fast::hash(&p);
        p.extend_from_slice(&crc.to_be_bytes());
        let mut d = Decoder::new();
        d.feed(&p);
        let e = d.next_message().unwrap_err();
        assert_eq!(e.kind(), DecodeErrorKind::MessageTooLarge);
        assert!(d.capacity() <= INITIAL_BUFFER);
        // poisoned: the same error again, no resynchronisation
        d.feed(&sample());
        assert_eq!(d.next_message().unwrap_err(), e);
    }

    #[test]
    fn read_from_grows_only_to_one_message() {
        let big = Message::new(vec![], vec![7u8; 200_000]).encode().unwrap();
        let mut stream = Vec::new();
        for _ in 0..20 {
            stream.extend_from_slice(&big);
        }
        let mut r = &stream[..];
        let mut d = Decoder::new();
        let mut n = 0;
        loop {
            if d.read_from(&mut r).unwrap() == 0 {
                break;
            }
            while let Some(m) = d.next_message().unwrap() {
                assert_eq!(m.payload().len(), 200_000);
                n += 1;
            }
        }
        d.finish().unwrap();
        assert_eq!(n, 20);
        assert!(d.capacity() < 2 * big.len() + MIN_READ, "{}", d.capacity());
    }

    #[test]
    fn a_repeated_headers_block_reuses_its_parse_and_a_new_one_is_parsed() {
        let msg = |event: &str, n: i64, payload: &[u8]| {
            Message::new(
                vec![
                    Header::new(":event-type", event),
                    Header {
                        name: "n".into(),
                        value: HeaderValue::Int64(n),
                    },
                ],
                payload.to_vec(),
            )
        };
        let big = Message::new(vec![Header::new("big", "x".repeat(600))], b"b".to_vec());
        let messages = [
            msg("chunk", 1, b"a"),
            msg("chunk", 1, b"bb"), // same block
            msg("chunx", 1, b"c"),  // same length, other bytes
            msg("chunx", 2, b""),   // other value
            big.clone(),            // too big to keep
            msg("chunx", 2, b"d"),
            big.clone(),
            big,
        ];
        let mut stream = Vec::new();
        for m in &messages {
            m.encode_into(&mut stream).unwrap();
        }
        for size in [1, 7, stream.len()] {
            let mut d = Decoder::new();
            let mut got = Vec::new();
            for c in stream.chunks(size) {
                d.feed(c);
                while let Some(m) = d.next_message().unwrap() {
                    got.push(m.to_message());
                }
            }
            d.finish().unwrap();
            assert_eq!(got, messages);
        }
    }

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn routing_headers_match_header_str_across_cached_and_new_blocks() {
        let blocks: Vec<Vec<Header>> = vec![
            vec![
                Header::new(":event-type", "chunk"),
                Header::new(":message-type", "event"),
            ],
            // The same block again (the cached parse is reused), then different ones.
            vec![
                Header::new(":event-type", "chunk"),
                Header::new(":message-type", "event"),
            ],
            vec![
                Header::new(":message-type", "exception"),
                Header::new(":exception-type", "throttlingException"),
            ],
            vec![Header {
                name: ":event-type".into(),
                value: HeaderValue::Int32(7),
            }],
            vec![
                Header::new("x", "y"),
                Header::new(":event-type", "contentBlockDelta"),
                Header::new(":message-type", "event"),
            ],
            vec![],
        ];
        let mut body = Vec::new();
        for b in &blocks {
            body.extend(Message::new(b.clone(), b"{}".to_vec()).encode().unwrap());
        }
        let mut d = Decoder::new();
        d.feed(&body);
        let mut seen = Vec::new();
        while let Some(m) = d.next_message().unwrap() {
            assert_eq!(m.message_type(), m.header_str(":message-type"));
            assert_eq!(m.event_type(), m.header_str(":event-type"));
            seen.push(format!("{:?} {:?}", m.message_type(), m.event_type()));
        }
        assert_eq!(
            seen,
            [
                r#"Some("event") Some("chunk")"#,
                r#"Some("event") Some("chunk")"#,
                r#"Some("exception") None"#,
                "None None",
                r#"Some("event") Some("contentBlockDelta")"#,
                "None None",
            ]
        );
    }

    #[test]
    fn small_messages_split_across_reads_never_grow_the_initial_buffer() {
        // Reads of odd sizes leave part of a message at the end of nearly every read; the
        // buffer must absorb that without growing (an open stream's memory stays put).
        let one = Message::new(vec![Header::new(":message-type", "event")], vec![b'x'; 230])
            .encode()
            .unwrap();
        let body: Vec<u8> = one.iter().copied().cycle().take(one.len() * 3000).collect();
        struct Odd<'a>(&'a [u8], usize);
        impl Read for Odd<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.1 = self.1 % 7919 + 1237;
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut d = Decoder::new();
        let mut r = Odd(&body, 0);
        let mut seen = 0;
        loop {
            while d.next_message().unwrap().is_some() {
                seen += 1;
            }
            if d.read_from(&mut r).unwrap() == 0 {
                break;
            }
            assert_eq!(d.capacity(), INITIAL_BUFFER, "after {seen} messages");
        }
        d.finish().unwrap();
        assert_eq!(seen, 3000);
    }
}
