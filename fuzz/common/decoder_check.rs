//! The checks of the `decoder` fuzz target, shared with the corpus replay test in
//! `tests/eventstream_props.rs`: arbitrary bytes fed to the event-stream frame decoder in an
//! arbitrary chunking (taken from the first bytes of the input), under an arbitrary size cap.
//!
//! Input layout: byte 0 = number of chunk sizes `n` (mod 16); bytes 1..=n = chunk sizes (0
//! means an empty feed); byte n+1 selects the size cap (low bits) and, with its top bit set,
//! has the target rewrite every frame's CRCs so that mutations reach the header parser; the
//! rest is the stream.
//!
//! Checked on every input, besides "no panic, no overflow, no huge allocation":
//! * the chunked feed, a byte-at-a-time feed (short inputs), a single feed and `read_from`
//!   through a reader with the same chunking give the same messages and the same end;
//! * the decoded messages re-encode to exactly the bytes they were decoded from;
//! * after an error the decoder stays failed with the same error.
use std::io::{self, Read};

use bedrock_stream::eventstream::{
    DecodeError, DecodeErrorKind, Decoder, HeaderValue, Message, MAX_ENCODED_HEADER_VALUE_LEN,
};

struct Outcome {
    messages: Vec<Message>,
    frames: Vec<Vec<u8>>,
    end: Result<(), DecodeError>,
}

fn drain(d: &mut Decoder, out: &mut Outcome) -> bool {
    loop {
        match d.next_message() {
            Ok(Some(m)) => {
                out.messages.push(m.to_message());
                out.frames.push(m.frame().to_vec());
            }
            Ok(None) => return true,
            Err(e) => {
                d.feed(&[0, 0, 0, 16]);
                assert_eq!(d.next_message().unwrap_err(), e);
                assert_eq!(d.finish().unwrap_err(), e);
                out.end = Err(e);
                return false;
            }
        }
    }
}

fn by_feed<'a>(max: u32, chunks: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut d = Decoder::with_max_message_len(max);
    let mut out = Outcome {
        messages: vec![],
        frames: vec![],
        end: Ok(()),
    };
    for c in chunks {
        d.feed(c);
        if !drain(&mut d, &mut out) {
            return out;
        }
    }
    out.end = d.finish();
    out
}

struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [u8],
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = if self.sizes.is_empty() {
            4096
        } else {
            self.sizes[self.i % self.sizes.len()] as usize
        };
        self.i += 1;
        let k = s.max(1).min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn by_reader(max: u32, data: &[u8], sizes: &[u8]) -> Outcome {
    let mut d = Decoder::with_max_message_len(max);
    let mut r = Chunked { data, sizes, i: 0 };
    let mut out = Outcome {
        messages: vec![],
        frames: vec![],
        end: Ok(()),
    };
    loop {
        if !drain(&mut d, &mut out) {
            return out;
        }
        if d.read_from(&mut r).unwrap() == 0 {
            break;
        }
    }
    out.end = d.finish();
    out
}

fn same(a: &Outcome, b: &Outcome) {
    assert_eq!(a.messages, b.messages);
    assert_eq!(
        a.end.as_ref().map_err(|e| (e.kind(), e.offset())),
        b.end.as_ref().map_err(|e| (e.kind(), e.offset()))
    );
}

/// Cycle through `sizes` to cut `data` into chunks (a size of 0 is an empty feed).
fn chunks<'a>(data: &'a [u8], sizes: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = data;
    let mut i = 0;
    let mut empties = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut s = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[i % sizes.len()] as usize
        };
        i += 1;
        if s == 0 {
            // A few empty feeds, then the rest in one piece if the plan is all zeros.
            empties += 1;
            if empties > 64 {
                s = rest.len();
            }
        }
        let k = s.min(rest.len());
        let (a, b) = rest.split_at(k);
        rest = b;
        Some(a)
    })
    .chain(std::iter::once(&data[data.len()..]))
}

/// Rewrite the prelude and message CRCs of each frame the declared lengths delimit.
fn fix_crcs(b: &mut [u8]) {
    let mut at = 0;
    while b.len() - at >= 12 {
        let f = &mut b[at..];
        let total = u32::from_be_bytes([f[0], f[1], f[2], f[3]]) as usize;
        let crc = crc32(&f[..8]);
        f[8..12].copy_from_slice(&crc.to_be_bytes());
        if total < 16 || total > f.len() {
            return;
        }
        let crc = crc32(&f[..total - 4]);
        f[total - 4..total].copy_from_slice(&crc.to_be_bytes());
        at += total;
    }
}

/// Plain bitwise CRC-32 (IEEE), independent of the crate's `crc32fast`.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Run one fuzz input; panics if the decoder misbehaves. Returns the number of messages
/// decoded and how the stream ended (`None` if the input is too short to hold a plan).
pub fn run(input: &[u8]) -> Option<(usize, Result<(), DecodeErrorKind>)> {
    let (&n, rest) = input.split_first()?;
    let n = (n % 16) as usize;
    if rest.len() < n + 1 {
        return None;
    }
    let (sizes, rest) = rest.split_at(n);
    let cap = rest[0];
    let mut owned;
    let mut data = &rest[1..];
    if cap & 0x80 != 0 {
        // Reach the header parser: give every frame valid CRCs.
        owned = data.to_vec();
        fix_crcs(&mut owned);
        data = &owned;
    }
    // Caps: the default, tiny ones, and one just around typical frame sizes.
    let max = match cap % 4 {
        0 => bedrock_stream::eventstream::DEFAULT_MAX_MESSAGE_LEN,
        1 => 16 + (cap as u32),
        2 => 256 + 4 * (cap as u32),
        _ => u32::MAX,
    };

    let whole = by_feed(max, std::iter::once(data));
    // Re-encoding gives back exactly the consumed bytes.
    let mut consumed = 0;
    for (m, f) in whole.messages.iter().zip(&whole.frames) {
        match m.encode() {
            Ok(bytes) => assert_eq!(&bytes, f),
            // The decoder accepts the whole u16 range of value lengths; the encoder stops at
            // the Smithy grammar's 32,767.
            Err(_) => assert!(m.headers.iter().any(|h| match &h.value {
                HeaderValue::String(s) => s.len() > MAX_ENCODED_HEADER_VALUE_LEN,
                HeaderValue::ByteArray(b) => b.len() > MAX_ENCODED_HEADER_VALUE_LEN,
                _ => false,
            })),
        }
        assert_eq!(&data[consumed..consumed + f.len()], &f[..]);
        consumed += f.len();
    }
    if whole.end.is_ok() {
        assert_eq!(consumed, data.len());
    }
    same(&whole, &by_feed(max, chunks(data, sizes)));
    same(&whole, &by_reader(max, data, sizes));
    if data.len() <= 512 {
        same(&whole, &by_feed(max, data.chunks(1)));
    }
    Some((whole.messages.len(), whole.end.map_err(|e| e.kind())))
}
