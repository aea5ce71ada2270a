//! Property tests of the event-stream codec: encode→decode round trips over all ten header
//! types, streams split anywhere, random corruption, and the replay of the fuzz corpus.
//!
//! The proptest RNG seed is fixed so that every run checks the same cases.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::Path;

use bedrock_stream::eventstream::{
    encode_frame, DecodeError, DecodeErrorKind, Decoder, Header, HeaderValue, Message,
    MAX_ENCODED_HEADER_VALUE_LEN, MIN_MESSAGE_LEN, PRELUDE_LEN,
};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};

#[path = "../fuzz/common/decoder_check.rs"]
mod decoder_check;

fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x0e5e_57a1_2025),
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// strategies
// ---------------------------------------------------------------------------------------------

/// Deterministic filler bytes (proptest would build one value tree per byte otherwise).
fn fill(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A UTF-8 string of exactly `n` bytes mixing 1-, 2-, 3- and 4-byte characters.
fn text_of_len(n: usize, seed: u64) -> String {
    const POOL: [&str; 6] = ["a", "é", "€", "😀", "\0", "Z"];
    let mut s = String::with_capacity(n);
    for b in fill(n, seed) {
        let c = POOL[b as usize % POOL.len()];
        if s.len() + c.len() > n {
            break;
        }
        s.push_str(c);
    }
    while s.len() < n {
        s.push('x');
    }
    s
}

fn byte_array() -> impl Strategy<Value = Vec<u8>> {
    let max = MAX_ENCODED_HEADER_VALUE_LEN;
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..48),
        1 => (0..=max, any::<u64>()).prop_map(|(n, s)| fill(n, s)),
        1 => (max - 8..=max, any::<u64>()).prop_map(|(n, s)| fill(n, s)),
    ]
}

fn string_value() -> impl Strategy<Value = String> {
    let max = MAX_ENCODED_HEADER_VALUE_LEN;
    prop_oneof![
        8 => "\\PC{0,24}",
        1 => (0..=max, any::<u64>()).prop_map(|(n, s)| text_of_len(n, s)),
        1 => (max - 8..=max, any::<u64>()).prop_map(|(n, s)| text_of_len(n, s)),
    ]
}

/// Any of the ten wire types.
fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        Just(HeaderValue::Bool(true)),
        Just(HeaderValue::Bool(false)),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Int16),
        any::<i32>().prop_map(HeaderValue::Int32),
        any::<i64>().prop_map(HeaderValue::Int64),
        byte_array().prop_map(HeaderValue::ByteArray),
        string_value().prop_map(HeaderValue::String),
        any::<i64>().prop_map(HeaderValue::Timestamp),
        any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
    ]
}

/// Header names of 1..=255 bytes of UTF-8.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z:-]{1,24}",
        2 => "\\PC{1,63}", // at most 252 bytes
        1 => "[a-zA-Z0-9]{200,255}",
        1 => (1usize..=255, any::<u64>()).prop_map(|(n, s)| text_of_len(n, s)),
    ]
}

fn unique_headers(
    max: usize,
    value: BoxedStrategy<HeaderValue>,
) -> impl Strategy<Value = Vec<Header>> {
    proptest::collection::vec((header_name(), value), 0..max).prop_map(|hs| {
        let mut seen = HashSet::new();
        hs.into_iter()
            .filter(|(n, _)| seen.insert(n.clone()))
            .map(|(name, value)| Header { name, value })
            .collect()
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => (0usize..300_000, any::<u64>()).prop_map(|(n, s)| fill(n, s)),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (unique_headers(12, header_value().boxed()), payload()).prop_map(|(h, p)| Message::new(h, p))
}

/// Small headers only, so that streams stay short enough to split at every byte.
fn small_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        any::<bool>().prop_map(HeaderValue::Bool),
        any::<i8>().prop_map(HeaderValue::Byte),
        any::<i16>().prop_map(HeaderValue::Int16),
        any::<i32>().prop_map(HeaderValue::Int32),
        any::<i64>().prop_map(HeaderValue::Int64),
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(HeaderValue::ByteArray),
        "\\PC{0,8}".prop_map(HeaderValue::String),
        any::<i64>().prop_map(HeaderValue::Timestamp),
        any::<[u8; 16]>().prop_map(HeaderValue::Uuid),
    ]
}

fn small_message() -> impl Strategy<Value = Message> {
    (
        unique_headers(4, small_value().boxed()),
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(h, p)| Message::new(h, p))
}

/// A stream of messages: its bytes, the messages and the end offset of each frame.
#[derive(Debug, Clone)]
struct Stream {
    bytes: Vec<u8>,
    messages: Vec<Message>,
    ends: Vec<usize>,
}

fn stream_of(
    m: impl Strategy<Value = Message>,
    n: std::ops::Range<usize>,
) -> impl Strategy<Value = Stream> {
    proptest::collection::vec(m, n).prop_map(|messages| {
        let mut bytes = Vec::new();
        let mut ends = Vec::new();
        for m in &messages {
            m.encode_into(&mut bytes).unwrap();
            ends.push(bytes.len());
        }
        Stream {
            bytes,
            messages,
            ends,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// decoding helpers
// ---------------------------------------------------------------------------------------------

#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<Message>,
    end: Result<(), DecodeError>,
}

fn drain(d: &mut Decoder, out: &mut Vec<Message>) -> Result<(), DecodeError> {
    while let Some(m) = d.next_message()? {
        out.push(m.to_message());
    }
    Ok(())
}

fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut d = Decoder::new();
    let mut messages = Vec::new();
    for c in chunks {
        d.feed(c);
        if let Err(e) = drain(&mut d, &mut messages) {
            return Outcome {
                messages,
                end: Err(e),
            };
        }
    }
    Outcome {
        messages,
        end: d.finish(),
    }
}

/// A reader that returns the given read sizes in turn (0 is taken as 1).
struct Reads<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Reads<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let s = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let k = s.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn decode_reads(data: &[u8], sizes: Vec<usize>) -> Outcome {
    let mut d = Decoder::new();
    let mut r = Reads { data, sizes, i: 0 };
    let mut messages = Vec::new();
    loop {
        if let Err(e) = drain(&mut d, &mut messages) {
            return Outcome {
                messages,
                end: Err(e),
            };
        }
        if d.read_from(&mut r).unwrap() == 0 {
            break;
        }
    }
    Outcome {
        messages,
        end: d.finish(),
    }
}

fn kinds(o: &Outcome) -> (usize, Result<(), (DecodeErrorKind, u64)>) {
    (
        o.messages.len(),
        o.end
            .as_ref()
            .map(|_| ())
            .map_err(|e| (e.kind(), e.offset())),
    )
}

// ---------------------------------------------------------------------------------------------
// round trip
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn encode_then_decode_round_trips(m in message()) {
        let bytes = m.encode().unwrap();
        let headers_len: usize = m
            .headers
            .iter()
            .map(|h| {
                2 + h.name.len()
                    + match &h.value {
                        HeaderValue::Bool(_) => 0,
                        HeaderValue::Byte(_) => 1,
                        HeaderValue::Int16(_) => 2,
                        HeaderValue::Int32(_) => 4,
                        HeaderValue::Int64(_) | HeaderValue::Timestamp(_) => 8,
                        HeaderValue::ByteArray(b) => 2 + b.len(),
                        HeaderValue::String(s) => 2 + s.len(),
                        HeaderValue::Uuid(_) => 16,
                    }
            })
            .sum();
        prop_assert_eq!(bytes.len(), MIN_MESSAGE_LEN + headers_len + m.payload.len());
        prop_assert_eq!(u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize, bytes.len());
        prop_assert_eq!(u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize, headers_len);

        // encode_frame appends the same frame.
        let mut out = vec![0xAA];
        encode_frame(&mut out, m.headers.iter().map(|h| (h.name.as_str(), h.value.as_ref())), &m.payload).unwrap();
        prop_assert_eq!(&out[1..], &bytes[..]);

        let mut d = Decoder::new();
        d.feed(&bytes);
        {
            let r = d.next_message().unwrap().unwrap();
            prop_assert_eq!(r.frame(), &bytes[..]);
            prop_assert_eq!(r.headers_len(), headers_len);
            prop_assert_eq!(r.payload(), &m.payload[..]);
            prop_assert_eq!(r.headers().len(), m.headers.len());
            for (got, want) in r.headers().zip(&m.headers) {
                prop_assert_eq!(got.name, want.name.as_str());
                prop_assert_eq!(got.value, want.value.as_ref());
                prop_assert_eq!(got.value.type_id(), want.value.as_ref().type_id());
                prop_assert_eq!(r.header(&want.name), Some(want.value.as_ref()));
                if let HeaderValue::String(s) = &want.value {
                    prop_assert_eq!(r.header_str(&want.name), Some(s.as_str()));
                }
            }
            prop_assert_eq!(r.to_message(), m.clone());
        }
        prop_assert!(d.next_message().unwrap().is_none());
        prop_assert!(d.finish().is_ok());
        prop_assert_eq!(Decoder::decode_all(&bytes).unwrap(), vec![m]);
    }

    #[test]
    fn encoder_refuses_what_it_cannot_write(
        m in small_message(),
        extra in 1usize..300,
        which in 0..3u8,
    ) {
        let mut bad = m.clone();
        let value = match which {
            0 => HeaderValue::String("x".repeat(MAX_ENCODED_HEADER_VALUE_LEN + extra)),
            1 => HeaderValue::ByteArray(vec![0; MAX_ENCODED_HEADER_VALUE_LEN + extra]),
            _ => HeaderValue::Bool(true),
        };
        let name = if which == 2 { "n".repeat(255 + extra) } else { "ok".to_owned() };
        bad.headers.retain(|h| h.name != name);
        bad.headers.push(Header { name, value });
        prop_assert!(bad.encode().is_err());
        // A duplicate name is refused too.
        if let Some(first) = m.headers.first().cloned() {
            let mut dup = m.clone();
            dup.headers.push(first);
            prop_assert!(dup.encode().is_err());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// splits
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn a_stream_split_at_every_point_gives_the_same_messages(s in stream_of(small_message(), 1..6)) {
        for cut in 0..=s.bytes.len() {
            let (a, b) = s.bytes.split_at(cut);
            let mut d = Decoder::new();
            let mut got = Vec::new();
            d.feed(a);
            drain(&mut d, &mut got).unwrap();
            // Every message wholly inside the first part comes out before the second is fed.
            prop_assert_eq!(got.len(), s.ends.iter().filter(|&&e| e <= cut).count(), "cut {}", cut);
            let whole_before = s.ends.contains(&cut) || cut == 0;
            prop_assert_eq!(d.finish().is_ok(), whole_before, "cut {}", cut);
            d.feed(b);
            drain(&mut d, &mut got).unwrap();
            prop_assert!(d.finish().is_ok());
            prop_assert_eq!(&got, &s.messages);
            prop_assert_eq!(d.buffered_len(), 0);
        }
    }
}

fn cuts_strategy() -> impl Strategy<Value = (Stream, Vec<Index>, Vec<usize>)> {
    (
        stream_of(small_message(), 1..12),
        proptest::collection::vec(any::<Index>(), 0..40),
        proptest::collection::vec(0usize..300, 1..8),
    )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_multi_way_splits_give_the_same_messages((s, cuts, reads) in cuts_strategy()) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(s.bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for p in points {
            chunks.push(&s.bytes[prev..p]); // may be empty
            prev = p;
        }
        chunks.push(&s.bytes[prev..]);
        let out = decode_chunks(chunks);
        prop_assert_eq!(&out.messages, &s.messages);
        prop_assert!(out.end.is_ok());
        let out = decode_reads(&s.bytes, reads);
        prop_assert_eq!(&out.messages, &s.messages);
        prop_assert!(out.end.is_ok());
    }

    #[test]
    fn big_messages_split_anywhere((s, cuts) in (stream_of(message(), 1..4), proptest::collection::vec(any::<Index>(), 0..12))) {
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(s.bytes.len() + 1)).collect();
        points.sort_unstable();
        points.push(s.bytes.len());
        let mut prev = 0;
        let chunks: Vec<&[u8]> = points.iter().map(|&p| { let c = &s.bytes[prev..p]; prev = p; c }).collect();
        let out = decode_chunks(chunks);
        prop_assert_eq!(&out.messages, &s.messages);
        prop_assert!(out.end.is_ok());
        let out = decode_reads(&s.bytes, vec![1 << 14]);
        prop_assert_eq!(&out.messages, &s.messages);
        prop_assert!(out.end.is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// corruption
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0..8u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (
            any::<Index>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Flip(i, bit) if len > 0 => bytes[i.index(len)] ^= 1 << bit,
        Mutation::Set(i, b) if len > 0 => bytes[i.index(len)] = *b,
        Mutation::Insert(i, v) => {
            let at = i.index(len + 1);
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::Delete(i, n) if len > 0 => {
            let at = i.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
        _ => {}
    }
}

/// Which frame holds byte `pos`, and where that frame starts.
fn frame_of(s: &Stream, pos: usize) -> (usize, usize) {
    let k = s.ends.iter().position(|&e| pos < e).unwrap();
    (k, if k == 0 { 0 } else { s.ends[k - 1] })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn corruption_yields_an_error_or_identical_output(
        s in stream_of(small_message(), 1..6),
        muts in proptest::collection::vec(mutation(), 1..4),
        cuts in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        let mut bad = s.bytes.clone();
        for m in &muts {
            apply(&mut bad, m);
        }
        let whole = decode_chunks([&bad[..]]);
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bad.len() + 1)).collect();
        points.sort_unstable();
        points.push(bad.len());
        let mut prev = 0;
        let chunks: Vec<&[u8]> = points.iter().map(|&p| { let c = &bad[prev..p]; prev = p; c }).collect();
        let chunked = decode_chunks(chunks);
        prop_assert_eq!(kinds(&whole), kinds(&chunked));
        prop_assert_eq!(&whole.messages, &chunked.messages);
        prop_assert_eq!(kinds(&whole), kinds(&decode_reads(&bad, vec![3, 17, 1])));
        // Whatever was decoded is byte-exact input, and made of original messages only.
        let mut re = Vec::new();
        for m in &whole.messages {
            prop_assert!(s.messages.contains(m), "a forged message {:?}", m);
            m.encode_into(&mut re).unwrap();
        }
        prop_assert_eq!(&bad[..re.len()], &re[..]);
        if whole.end.is_ok() {
            prop_assert_eq!(re.len(), bad.len());
        }
        if bad == s.bytes {
            prop_assert!(whole.end.is_ok());
            prop_assert_eq!(&whole.messages, &s.messages);
        }
    }

    #[test]
    fn a_changed_byte_is_always_caught_by_the_right_checksum(
        s in stream_of(small_message(), 1..6),
        at in any::<Index>(),
        xor in 1..=255u8,
        feed_by in 1usize..40,
    ) {
        let pos = at.index(s.bytes.len());
        let mut bad = s.bytes.clone();
        bad[pos] ^= xor;
        let (k, start) = frame_of(&s, pos);
        let out = decode_chunks(bad.chunks(feed_by));
        prop_assert_eq!(&out.messages[..], &s.messages[..k]);
        let e = out.end.unwrap_err();
        let want = if pos - start < PRELUDE_LEN {
            DecodeErrorKind::PreludeChecksumMismatch
        } else {
            DecodeErrorKind::MessageChecksumMismatch
        };
        prop_assert_eq!(e.kind(), want);
        prop_assert_eq!(e.offset(), start as u64);
    }

    #[test]
    fn truncation_is_a_clean_end_only_at_a_frame_boundary(
        s in stream_of(small_message(), 1..6),
        at in any::<Index>(),
    ) {
        let n = at.index(s.bytes.len() + 1);
        let out = decode_chunks(s.bytes[..n].chunks(5));
        let whole = s.ends.iter().filter(|&&e| e <= n).count();
        prop_assert_eq!(&out.messages[..], &s.messages[..whole]);
        if n == 0 || s.ends.contains(&n) {
            prop_assert!(out.end.is_ok());
        } else {
            let e = out.end.unwrap_err();
            prop_assert_eq!(e.kind(), DecodeErrorKind::Truncated);
            prop_assert_eq!(e.offset() as usize, if whole == 0 { 0 } else { s.ends[whole - 1] });
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..400),
        sizes in proptest::collection::vec(0u8..=255, 0..6),
        cap in any::<u8>(),
    ) {
        // The fuzz target's checks, on proptest's inputs: [n, sizes.., cap, data..].
        let mut input = vec![sizes.len() as u8];
        input.extend_from_slice(&sizes);
        input.push(cap);
        input.extend_from_slice(&data);
        decoder_check::run(&input);
    }
}

// ---------------------------------------------------------------------------------------------
// hostile lengths and the error state (allocation is measured in eventstream_alloc.rs)
// ---------------------------------------------------------------------------------------------

fn prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut p = total.to_be_bytes().to_vec();
    p.extend_from_slice(&headers.to_be_bytes());
    let crc = crc32fast::hash(&p);
    p.extend_from_slice(&crc.to_be_bytes());
    p
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn declared_lengths_are_checked_with_checked_arithmetic(total in any::<u32>(), headers in any::<u32>()) {
        let mut d = Decoder::new();
        d.feed(&prelude(total, headers));
        let r = d.next_message().map(|m| m.is_some());
        let max = bedrock_stream::eventstream::DEFAULT_MAX_MESSAGE_LEN;
        let want = if (total as usize) < MIN_MESSAGE_LEN {
            Err(DecodeErrorKind::InvalidMessageLength)
        } else if total > max {
            Err(DecodeErrorKind::MessageTooLarge)
        } else if headers as u64 > total as u64 - MIN_MESSAGE_LEN as u64 {
            Err(DecodeErrorKind::InvalidHeadersLength)
        } else {
            Ok(false) // waits for the rest of the frame
        };
        prop_assert_eq!(r.map_err(|e| e.kind()), want);
        prop_assert!(d.capacity() <= 64 * 1024);
    }
}

// ---------------------------------------------------------------------------------------------
// fuzz corpus replay
// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_corpus_replays_cleanly() {
    // Each file is named after the outcome it produced when it was saved: the error kind (or
    // `ok`), with `_after_messages` if whole messages came out first.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus/decoder");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let input = std::fs::read(&path).unwrap();
        let (messages, end) = decoder_check::run(&input).expect("a complete input");
        let (kind, after) = match name.strip_suffix("_after_messages") {
            Some(k) => (k, true),
            None => (name.as_str(), false),
        };
        assert_eq!(end.map_or_else(|k| k.as_str(), |()| "ok"), kind, "{name}");
        assert_eq!(messages > 0, after, "{name}: {messages} messages");
        n += 1;
    }
    assert!(n >= 10, "{} holds {n} inputs", dir.display());
}
