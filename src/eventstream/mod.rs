//! `application/vnd.amazon.eventstream`: a sans-IO incremental frame decoder and an encoder.
//!
//! The wire format: every message is a 12-byte prelude (total length, headers length, prelude CRC32), a block of
//! typed headers, a payload and a CRC32 of everything before it. All integers are big-endian.
//!
//! [`Decoder`] is fed bytes of any size ([`Decoder::feed`], or [`Decoder::read_from`] straight
//! from a reader) and hands out whole messages as borrowed [`MessageRef`]s that stay valid until
//! the next call. It checks the prelude CRC before it trusts any length, refuses a declared
//! length above its cap before buffering it, checks the message CRC, and parses headers strictly.
//! It never resynchronises: after the first error every later call returns that error.
//!
//! ```
//! use bedrock_stream::eventstream::{Decoder, Header, Message};
//! let frame = Message::new(vec![Header::new(":message-type", "event")], b"hi".to_vec())
//!     .encode()
//!     .unwrap();
//! let mut decoder = Decoder::new();
//! decoder.feed(&frame[..5]);
//! assert!(decoder.next_message().unwrap().is_none()); // a partial frame: need more bytes
//! decoder.feed(&frame[5..]);
//! let message = decoder.next_message().unwrap().unwrap();
//! assert_eq!(message.header_str(":message-type"), Some("event"));
//! assert_eq!(message.payload(), b"hi");
//! decoder.finish().unwrap(); // a clean end at a frame boundary
//! ```

mod decoder;
mod encoder;
mod header;

pub use decoder::{DecodeError, DecodeErrorKind, Decoder, MessageRef};
pub use encoder::{encode_frame, EncodeError, Message};
pub use header::{Header, HeaderRef, HeaderValue, HeaderValueRef};

/// Length of the prelude (total length, headers length, prelude CRC).
pub const PRELUDE_LEN: usize = 12;
/// Length of the trailing message CRC.
pub const MESSAGE_CRC_LEN: usize = 4;
/// The smallest legal message: a prelude and a message CRC, no headers, no payload.
pub const MIN_MESSAGE_LEN: usize = PRELUDE_LEN + MESSAGE_CRC_LEN;
/// Default cap on a message's declared total length: 24 MiB of payload + 128 KiB of headers +
/// 16 bytes of framing (botocore's limits). A CRC-valid prelude declaring more is
/// refused before anything is buffered for it.
pub const DEFAULT_MAX_MESSAGE_LEN: u32 = 24 * 1024 * 1024 + 128 * 1024 + 16;
/// The largest string or byte-array header value the encoder writes (the Smithy grammar's
/// `2^15 - 1`); the decoder accepts the whole u16 range.
pub const MAX_ENCODED_HEADER_VALUE_LEN: usize = 32_767;
