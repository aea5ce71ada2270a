//! Table-driven tests of the event-stream frame decoder over every public test vector in
//! `tests/data/eventstream` (aws-sdk-go, smithy-rs and botocore vectors, described by
//! `manifest.json`) and over `tests/data/vectors/eventstream_vectors.json`.
//!
//! Where each file comes from, and its licence: `tests/data/README.md`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::eventstream::{
    DecodeError, DecodeErrorKind, Decoder, HeaderValueRef, Message, MessageRef,
    DEFAULT_MAX_MESSAGE_LEN, PRELUDE_LEN,
};
use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn testdata() -> PathBuf {
    data().join("eventstream")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// One manifest entry.
struct Entry {
    name: String,
    positive: bool,
    size: u64,
    acceptable: Vec<String>,
}

fn manifest() -> Vec<Entry> {
    let m = read_json(&testdata().join("manifest.json"));
    m["entries"]
        .as_array()
        .expect("manifest entries")
        .iter()
        .map(|e| {
            let class = e["class"].as_str().unwrap();
            assert!(class == "positive" || class == "negative", "class {class}");
            Entry {
                name: e["name"].as_str().unwrap().to_owned(),
                positive: class == "positive",
                size: e["size"].as_u64().unwrap(),
                acceptable: e["acceptable_errors"]
                    .as_array()
                    .map(|a| a.iter().map(|k| k.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn encoded(entry: &Entry) -> Vec<u8> {
    let class = if entry.positive {
        "positive"
    } else {
        "negative"
    };
    let path = testdata().join("encoded").join(class).join(&entry.name);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.len() as u64, entry.size, "{}: size", entry.name);
    bytes
}

/// Everything a decoder can say about a byte stream fed in the given chunks: the messages, in
/// order, and how it ended (`Ok` for a clean end).
#[derive(Debug, PartialEq)]
struct Outcome {
    messages: Vec<Message>,
    end: Result<(), DecodeError>,
}

fn decode_chunked<'a>(mut d: Decoder, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut messages = Vec::new();
    for chunk in chunks {
        d.feed(chunk);
        loop {
            match d.next_message() {
                Ok(Some(m)) => messages.push(m.to_message()),
                Ok(None) => break,
                Err(e) => {
                    // Poisoned: the same error again, whatever follows.
                    d.feed(b"\0\0\0\x10");
                    assert_eq!(d.next_message().unwrap_err(), e);
                    assert_eq!(d.finish().unwrap_err(), e);
                    return Outcome {
                        messages,
                        end: Err(e),
                    };
                }
            }
        }
    }
    Outcome {
        messages,
        end: d.finish(),
    }
}

fn decode_whole(bytes: &[u8]) -> Outcome {
    decode_chunked(Decoder::new(), [bytes])
}

/// A reader that hands out at most `n` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    n: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fn decode_reader(data: &[u8], n: usize) -> Outcome {
    let mut d = Decoder::new();
    let mut r = Trickle { data, n };
    let mut messages = Vec::new();
    loop {
        loop {
            match d.next_message() {
                Ok(Some(m)) => messages.push(m.to_message()),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        messages,
                        end: Err(e),
                    }
                }
            }
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

// ---------------------------------------------------------------------------------------------
// tests/data/eventstream
// ---------------------------------------------------------------------------------------------

#[test]
fn manifest_lists_exactly_the_files_on_disk() {
    let entries = manifest();
    for class in ["positive", "negative"] {
        let listed: BTreeSet<String> = entries
            .iter()
            .filter(|e| e.positive == (class == "positive"))
            .map(|e| e.name.clone())
            .collect();
        for dir in ["encoded", "decoded"] {
            let on_disk: BTreeSet<String> = fs::read_dir(testdata().join(dir).join(class))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(listed, on_disk, "{dir}/{class}");
        }
    }
    assert_eq!(entries.iter().filter(|e| e.positive).count(), 14);
    assert_eq!(entries.iter().filter(|e| !e.positive).count(), 19);
    for e in entries.iter().filter(|e| !e.positive) {
        assert!(!e.acceptable.is_empty(), "{}: no acceptable_errors", e.name);
    }
}

/// Compare one decoded header value with the `decoded/positive` JSON (aws-sdk-go layout:
/// strings, byte arrays and UUIDs as base64 of the raw bytes).
fn check_testdata_value(ctx: &str, ty: u64, want: &Value, got: HeaderValueRef<'_>) {
    let b64 = |v: &Value| B64.decode(v.as_str().expect("base64 text")).unwrap();
    match got {
        HeaderValueRef::Bool(b) => {
            assert!(ty <= 1, "{ctx}");
            assert_eq!(Some(b), want.as_bool(), "{ctx}");
        }
        HeaderValueRef::Byte(v) => assert_eq!(Some(v as i64), want.as_i64(), "{ctx}"),
        HeaderValueRef::Int16(v) => assert_eq!(Some(v as i64), want.as_i64(), "{ctx}"),
        HeaderValueRef::Int32(v) => assert_eq!(Some(v as i64), want.as_i64(), "{ctx}"),
        HeaderValueRef::Int64(v) | HeaderValueRef::Timestamp(v) => {
            assert_eq!(Some(v), want.as_i64(), "{ctx}")
        }
        HeaderValueRef::ByteArray(v) => assert_eq!(v, &b64(want)[..], "{ctx}"),
        HeaderValueRef::String(v) => {
            assert_eq!(v, String::from_utf8(b64(want)).unwrap(), "{ctx}")
        }
        HeaderValueRef::Uuid(v) => assert_eq!(&v[..], &b64(want)[..], "{ctx}"),
    }
}

fn check_testdata_positive(name: &str, m: &MessageRef<'_>, want: &Value) {
    let frame = m.frame();
    let crc = |k: &str| (want[k].as_i64().unwrap() & 0xFFFF_FFFF) as u32;
    assert_eq!(
        frame.len() as u64,
        want["total_length"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(be32(frame, 0) as usize, frame.len(), "{name}");
    assert_eq!(
        m.headers_len() as u64,
        want["headers_length"].as_u64().unwrap(),
        "{name}"
    );
    assert_eq!(be32(frame, 8), crc("prelude_crc"), "{name}: prelude_crc");
    assert_eq!(
        be32(frame, frame.len() - 4),
        crc("message_crc"),
        "{name}: message_crc"
    );
    assert_eq!(crc32fast::hash(&frame[..8]), crc("prelude_crc"), "{name}");
    assert_eq!(
        crc32fast::hash(&frame[..frame.len() - 4]),
        crc("message_crc"),
        "{name}"
    );
    assert_eq!(m.offset(), 0, "{name}");

    let want_headers = want["headers"].as_array().unwrap();
    let got: Vec<_> = m.headers().collect();
    assert_eq!(got.len(), want_headers.len(), "{name}: header count");
    for (i, (g, w)) in got.iter().zip(want_headers).enumerate() {
        let ctx = format!("{name}: header {i} {:?}", g.name);
        assert_eq!(g.name, w["name"].as_str().unwrap(), "{ctx}");
        let ty = w["type"].as_u64().unwrap();
        assert_eq!(g.value.type_id() as u64, ty, "{ctx}: type id");
        check_testdata_value(&ctx, ty, &w["value"], g.value);
        // lookup by name finds the same value
        assert_eq!(m.header(g.name), Some(g.value), "{ctx}");
    }
    let payload = B64.decode(want["payload"].as_str().unwrap()).unwrap();
    assert_eq!(m.payload(), &payload[..], "{name}: payload");
}

#[test]
fn positive_vectors_decode_to_exactly_their_description() {
    let mut checked = 0;
    for e in manifest().iter().filter(|e| e.positive) {
        let bytes = encoded(e);
        let want = read_json(&testdata().join("decoded/positive").join(&e.name));
        let mut d = Decoder::new();
        d.feed(&bytes);
        {
            let m = d
                .next_message()
                .unwrap_or_else(|err| panic!("{}: {err}", e.name))
                .unwrap_or_else(|| panic!("{}: no message", e.name));
            check_testdata_positive(&e.name, &m, &want);
        }
        assert!(
            d.next_message().unwrap().is_none(),
            "{}: a second message",
            e.name
        );
        d.finish().unwrap();
        checked += 1;
    }
    assert_eq!(checked, 14);
}

#[test]
fn positive_vectors_at_every_chunk_size_and_every_two_way_split() {
    for e in manifest().iter().filter(|e| e.positive) {
        let bytes = encoded(e);
        let reference = decode_whole(&bytes);
        assert_eq!(reference.messages.len(), 1, "{}", e.name);
        assert_eq!(reference.end, Ok(()), "{}", e.name);
        // The owned copy re-encodes to the same bytes.
        assert_eq!(reference.messages[0].encode().unwrap(), bytes, "{}", e.name);

        for size in 1..=bytes.len() {
            let got = decode_chunked(Decoder::new(), bytes.chunks(size));
            assert_eq!(got, reference, "{}: chunks of {size}", e.name);
            assert_eq!(
                decode_reader(&bytes, size),
                reference,
                "{}: reads of {size}",
                e.name
            );
        }
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            let mut d = Decoder::new();
            d.feed(a);
            // Nothing comes out before the last byte is in.
            if cut < bytes.len() {
                assert!(d.next_message().unwrap().is_none(), "{}: cut {cut}", e.name);
            }
            let got = decode_chunked(d, [b]);
            assert_eq!(got, reference, "{}: split at {cut}", e.name);
        }
    }
}

#[test]
fn positive_vectors_back_to_back_in_one_stream() {
    let entries = manifest();
    let mut stream = Vec::new();
    let mut starts = Vec::new();
    let mut expected = Vec::new();
    for e in entries.iter().filter(|e| e.positive) {
        let bytes = encoded(e);
        starts.push(stream.len() as u64);
        stream.extend_from_slice(&bytes);
        expected.extend(decode_whole(&bytes).messages);
    }
    let mut d = Decoder::new();
    let mut got = Vec::new();
    for chunk in stream.chunks(7) {
        d.feed(chunk);
        while let Some(m) = d.next_message().unwrap() {
            assert_eq!(m.offset(), starts[got.len()]);
            got.push(m.to_message());
        }
    }
    d.finish().unwrap();
    assert_eq!(got, expected);
    assert_eq!(decode_reader(&stream, 13).messages, expected);
}

/// Assert that a negative vector is rejected, under the decoder `d`, with an acceptable kind.
fn check_rejected(name: &str, acceptable: &[String], max: u32, bytes: &[u8]) -> DecodeError {
    let out = decode_chunked(Decoder::with_max_message_len(max), [bytes]);
    assert!(
        out.messages.is_empty(),
        "{name}: accepted a message: {out:?}"
    );
    let err = out
        .end
        .expect_err(&format!("{name}: accepted as a clean stream"));
    assert!(
        acceptable.iter().any(|k| k == err.kind().as_str()),
        "{name}: {:?} ({err}) not in {acceptable:?}",
        err.kind().as_str()
    );
    if err.kind() != DecodeErrorKind::Truncated {
        // Reported by next_message itself, i.e. from the bytes, not from the end of input.
        let mut d2 = Decoder::with_max_message_len(max);
        d2.feed(bytes);
        assert_eq!(d2.next_message().unwrap_err().kind(), err.kind(), "{name}");
    }
    err
}

#[test]
fn negative_vectors_are_rejected_with_an_acceptable_kind() {
    let mut checked = 0;
    for e in manifest().iter().filter(|e| !e.positive) {
        let bytes = encoded(e);
        let reason = fs::read_to_string(testdata().join("decoded/negative").join(&e.name)).unwrap();
        assert!(!reason.trim().is_empty(), "{}", e.name);
        let err = check_rejected(&e.name, &e.acceptable, DEFAULT_MAX_MESSAGE_LEN, &bytes);
        assert_eq!(err.offset(), 0, "{}", e.name);
        // "Waiting for more input" is acceptable only where `truncated` is listed.
        if err.kind() == DecodeErrorKind::Truncated {
            assert_eq!(e.name, "botocore_invalid_payload_length");
        }
        checked += 1;
    }
    assert_eq!(checked, 19);
}

#[test]
fn negative_vectors_under_other_size_limits() {
    // The manifest's kinds hold under each of the limits the README names.
    for max in [16 * 1024 * 1024, 24 * 1024 * 1024, 25_296_912] {
        for e in manifest().iter().filter(|e| !e.positive) {
            let bytes = encoded(e);
            let err = check_rejected(&e.name, &e.acceptable, max, &bytes);
            if e.name == "botocore_invalid_payload_length" {
                let want = if max < 25_165_857 {
                    DecodeErrorKind::MessageTooLarge
                } else {
                    DecodeErrorKind::Truncated
                };
                assert_eq!(err.kind(), want, "limit {max}");
            }
        }
    }
}

#[test]
fn oversized_vector_is_refused_from_its_prelude_alone() {
    let e = manifest()
        .into_iter()
        .find(|e| e.name == "botocore_invalid_payload_length")
        .unwrap();
    let bytes = encoded(&e);
    assert_eq!(be32(&bytes, 0), 25_165_857);
    let mut d = Decoder::with_max_message_len(24 * 1024 * 1024);
    d.feed(&bytes[..PRELUDE_LEN]);
    let err = d.next_message().unwrap_err();
    assert_eq!(err.kind(), DecodeErrorKind::MessageTooLarge);
    assert!(d.capacity() <= 100 * 1024, "buffer {}", d.capacity());
    // Under the default cap the same prelude is trusted, but nothing is reserved for it
    // before the bytes arrive, whether fed or read.
    let mut d = Decoder::new();
    d.feed(&bytes[..PRELUDE_LEN]);
    assert!(d.next_message().unwrap().is_none());
    assert!(d.capacity() <= 100 * 1024, "buffer {}", d.capacity());
    let mut d = Decoder::new();
    let mut r = Trickle {
        data: &bytes[..PRELUDE_LEN],
        n: PRELUDE_LEN,
    };
    assert_eq!(d.read_from(&mut r).unwrap(), PRELUDE_LEN);
    assert!(d.next_message().unwrap().is_none());
    assert_eq!(d.read_from(&mut r).unwrap(), 0);
    assert!(d.capacity() <= 100 * 1024, "buffer {}", d.capacity());
    assert_eq!(d.finish().unwrap_err().kind(), DecodeErrorKind::Truncated);
}

#[test]
fn prelude_checksum_errors_are_reported_as_soon_as_the_prelude_is_in() {
    let mut checked = 0;
    for e in manifest().iter().filter(|e| !e.positive) {
        if e.acceptable != ["prelude_checksum_mismatch"] {
            continue;
        }
        let bytes = encoded(e);
        let mut d = Decoder::new();
        for (i, b) in bytes[..PRELUDE_LEN].iter().enumerate() {
            d.feed(std::slice::from_ref(b));
            let r = d.next_message();
            if i + 1 < PRELUDE_LEN {
                assert!(r.unwrap().is_none(), "{}: byte {i}", e.name);
            } else {
                let kind = r.unwrap_err().kind();
                assert_eq!(kind, DecodeErrorKind::PreludeChecksumMismatch, "{}", e.name);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 5);
}

#[test]
fn small_negative_vectors_at_every_chunk_size() {
    for e in manifest().iter().filter(|e| !e.positive && e.size < 4096) {
        let bytes = encoded(e);
        let reference = decode_whole(&bytes);
        for size in 1..=bytes.len() {
            let got = decode_chunked(Decoder::new(), bytes.chunks(size));
            assert_eq!(got, reference, "{}: chunks of {size}", e.name);
            let got = decode_reader(&bytes, size);
            assert_eq!(got.messages, reference.messages, "{}", e.name);
            assert_eq!(
                got.end.map_err(|e| e.kind()),
                reference.end.clone().map_err(|e| e.kind()),
                "{}: reads of {size}",
                e.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tests/data/vectors/eventstream_vectors.json
// ---------------------------------------------------------------------------------------------

fn spec_vectors() -> Value {
    read_json(&data().join("vectors/eventstream_vectors.json"))
}

fn parse_hex_u32(v: &Value) -> u32 {
    let s = v.as_str().unwrap();
    u32::from_str_radix(s.strip_prefix("0x").unwrap(), 16).unwrap()
}

fn spec_bytes(v: &Value) -> Vec<u8> {
    match (v.as_str(), v.get("utf8"), v.get("base64")) {
        (Some(s), _, _) => s.as_bytes().to_vec(),
        (None, Some(u), _) => u.as_str().unwrap().as_bytes().to_vec(),
        (None, None, Some(b)) => B64.decode(b.as_str().unwrap()).unwrap(),
        _ => panic!("unknown byte encoding {v}"),
    }
}

fn parse_uuid(s: &str) -> [u8; 16] {
    let h: String = s.chars().filter(|c| *c != '-').collect();
    unhex(&h).try_into().unwrap()
}

#[test]
fn spec_frames_decode_to_their_expectation() {
    let v = spec_vectors();
    let frames = v["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 6);
    let mut types_seen = BTreeSet::new();
    for f in frames {
        let name = f["name"].as_str().unwrap();
        let x = &f["expect"];
        let bytes = unhex(f["hex"].as_str().unwrap());
        let mut d = Decoder::new();
        d.feed(&bytes);
        {
            let m = d.next_message().unwrap().expect(name);
            let frame = m.frame();
            assert_eq!(
                frame.len() as u64,
                x["total_length"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                m.headers_len() as u64,
                x["headers_length"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(be32(frame, 8), parse_hex_u32(&x["prelude_crc"]), "{name}");
            assert_eq!(
                be32(frame, frame.len() - 4),
                parse_hex_u32(&x["message_crc"]),
                "{name}"
            );
            let want_headers = x["headers"].as_array().unwrap();
            let got: Vec<_> = m.headers().collect();
            assert_eq!(got.len(), want_headers.len(), "{name}");
            for (g, w) in got.iter().zip(want_headers) {
                let ctx = format!("{name}: {}", g.name);
                assert_eq!(g.name, w["name"].as_str().unwrap(), "{ctx}");
                let ty = w["type"].as_u64().unwrap();
                assert_eq!(g.value.type_id() as u64, ty, "{ctx}");
                types_seen.insert(ty);
                let wv = &w["value"];
                match g.value {
                    HeaderValueRef::Bool(b) => assert_eq!(Some(b), wv.as_bool(), "{ctx}"),
                    HeaderValueRef::Byte(n) => assert_eq!(Some(n as i64), wv.as_i64(), "{ctx}"),
                    HeaderValueRef::Int16(n) => assert_eq!(Some(n as i64), wv.as_i64(), "{ctx}"),
                    HeaderValueRef::Int32(n) => assert_eq!(Some(n as i64), wv.as_i64(), "{ctx}"),
                    HeaderValueRef::Int64(n) | HeaderValueRef::Timestamp(n) => {
                        assert_eq!(Some(n), wv.as_i64(), "{ctx}")
                    }
                    HeaderValueRef::ByteArray(b) => assert_eq!(b, &spec_bytes(wv)[..], "{ctx}"),
                    HeaderValueRef::String(s) => assert_eq!(Some(s), wv.as_str(), "{ctx}"),
                    HeaderValueRef::Uuid(u) => {
                        assert_eq!(u, parse_uuid(wv.as_str().unwrap()), "{ctx}")
                    }
                }
            }
            assert_eq!(m.payload(), &spec_bytes(&x["payload"])[..], "{name}");
        }
        assert!(d.next_message().unwrap().is_none(), "{name}");
        d.finish().unwrap();
        // and in every chunking
        let reference = decode_whole(&bytes);
        for size in 1..=bytes.len() {
            assert_eq!(
                decode_chunked(Decoder::new(), bytes.chunks(size)),
                reference,
                "{name}: chunks of {size}"
            );
        }
        for cut in 0..=bytes.len() {
            let (a, b) = bytes.split_at(cut);
            assert_eq!(
                decode_chunked(Decoder::new(), [a, b]),
                reference,
                "{name}: {cut}"
            );
        }
    }
    assert_eq!(types_seen, (0..=9).collect::<BTreeSet<u64>>());
}

/// The decoder's kind for the spec file's `expect_error` text (smithy-rs error names).
fn spec_error_kind(expect: &str) -> DecodeErrorKind {
    let table = [
        (
            "PreludeChecksumMismatch",
            DecodeErrorKind::PreludeChecksumMismatch,
        ),
        (
            "MessageChecksumMismatch",
            DecodeErrorKind::MessageChecksumMismatch,
        ),
        ("Incomplete", DecodeErrorKind::Truncated),
        ("InvalidHeaderValueType", DecodeErrorKind::InvalidHeaderType),
        (
            "InvalidHeadersLength",
            DecodeErrorKind::InvalidHeadersLength,
        ),
        ("InvalidHeaderValue", DecodeErrorKind::InvalidHeaderValue),
        (
            "InvalidMessageLength",
            DecodeErrorKind::InvalidMessageLength,
        ),
    ];
    table
        .iter()
        .find(|(prefix, _)| {
            expect.starts_with(prefix)
                && !expect[prefix.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
        })
        .map(|(_, k)| *k)
        .unwrap_or_else(|| panic!("unmapped expect_error {expect:?}"))
}

#[test]
fn spec_negative_vectors_fail_with_their_exact_kind() {
    let v = spec_vectors();
    let negatives = v["negative"].as_array().unwrap();
    assert_eq!(negatives.len(), 8);
    for n in negatives {
        let name = n["name"].as_str().unwrap();
        let want = spec_error_kind(n["expect_error"].as_str().unwrap());
        let bytes = unhex(n["hex"].as_str().unwrap());
        for size in 1..=bytes.len() {
            let out = decode_chunked(Decoder::new(), bytes.chunks(size));
            assert!(out.messages.is_empty(), "{name}: accepted");
            let err = out.end.expect_err(name);
            assert_eq!(err.kind(), want, "{name}: chunks of {size}: {err}");
            assert_eq!(err.offset(), 0, "{name}");
        }
        // Only the truncated vector may wait for more input; it then ends as Truncated.
        let mut d = Decoder::new();
        d.feed(&bytes);
        match d.next_message() {
            Ok(None) => {
                assert_eq!(want, DecodeErrorKind::Truncated, "{name}: waits for more");
                assert_eq!(d.finish().unwrap_err().kind(), want, "{name}");
            }
            Ok(Some(m)) => panic!("{name}: accepted {m:?}"),
            Err(e) => assert_eq!(e.kind(), want, "{name}"),
        }
    }
}

#[test]
fn spec_bedrock_streams_frame_decode_into_the_expected_number_of_messages() {
    let v = spec_vectors();
    let streams = v["bedrock_streams"].as_array().unwrap();
    assert_eq!(streams.len(), 5);
    for s in streams {
        let name = s["name"].as_str().unwrap();
        let bytes = B64.decode(s["base64"].as_str().unwrap()).unwrap();
        assert_eq!(bytes.len() as u64, s["length"].as_u64().unwrap(), "{name}");
        let events = s["expect_events"].as_array().unwrap();
        let messages = Decoder::decode_all(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(messages.len(), events.len(), "{name}");
        // The framing-level routing headers agree with the expected item kinds.
        for (m, ev) in messages.iter().zip(events) {
            let header = |n: &str| match m.header(n) {
                Some(bedrock_stream::eventstream::HeaderValue::String(s)) => Some(s.as_str()),
                _ => None,
            };
            match ev["kind"].as_str().unwrap() {
                "chunk" => {
                    assert_eq!(header(":message-type"), Some("event"), "{name}");
                    assert_eq!(header(":event-type"), Some("chunk"), "{name}");
                }
                "exception" => {
                    assert_eq!(header(":message-type"), Some("exception"), "{name}");
                    assert_eq!(header(":exception-type"), ev["exception_type"].as_str());
                }
                "unknown_event" => {
                    assert_eq!(header(":message-type"), Some("event"), "{name}");
                    assert_eq!(header(":event-type"), ev["event_type"].as_str());
                }
                other => panic!("{name}: unknown kind {other}"),
            }
        }
        let reference = decode_whole(&bytes);
        assert_eq!(reference.messages, messages);
        for size in [1, 2, 3, 5, 7, 11, 12, 13, 64, 1000] {
            assert_eq!(
                decode_chunked(Decoder::new(), bytes.chunks(size)),
                reference,
                "{name}: chunks of {size}"
            );
            assert_eq!(
                decode_reader(&bytes, size),
                reference,
                "{name}: reads of {size}"
            );
        }
    }
}
