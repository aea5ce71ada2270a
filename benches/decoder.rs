//! Throughput of the event-stream decoder on realistic in-memory Bedrock response bodies,
//! against a floor measured in the same run.
//!
//! Workloads:
//! * `claude_tokens`: 5,000 Claude-style `chunk` frames of ~100-300 bytes, each payload
//!   `{"bytes":"<base64 of a content_block_delta JSON>","p":"abcd..."}`;
//! * `chunks_64k`: 64 `chunk` frames whose decoded `bytes` are 64 KiB each.
//!
//! Measured, per workload, with both bytes/s and messages/s throughput:
//! * `library`: the library's own chunk path, [`EventDecoder`] (the decoding
//!   [`EventStream`](bedrock_stream::EventStream) runs on the socket's bytes): `read_from` the
//!   in-memory body, both CRCs, headers, routing on `:event-type`, the `bytes` value located
//!   and base64-decoded into the event's reused buffer;
//! * `library+text`: the same, and each chunk's text read through the event (Claude's
//!   `delta.text`, the lenient family extraction);
//! * `floor (scalar base64)` / `floor (SIMD base64)`: each frame's prelude and message CRC-32
//!   (`crc32fast`, one running hash per frame) + base64-decoding the same `bytes` strings,
//!   already extracted, with the `base64` crate or with `base64-simd` (which the library uses):
//!   what any correct client must at least do. (Until this change the floor hashed the whole
//!   body in one call, a check no client can make: each frame has its own checksums, and one
//!   call over 1 MB is 4-5x faster than 5,000 calls over 200 bytes; see `crc32 only` vs
//!   `crc32 per frame`.)
//!
//! After the criterion runs, a short interleaved timing prints MB/s, messages/s and the ratio
//! of each variant to both floors, and the same for the framing alone (decoder, no JSON
//! or base64) against CRC-32 frame by frame (skipped in `cargo test --benches` mode).
//!
//! Run: `cargo bench --bench decoder` (about a minute and a half).

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::eventstream::{Decoder, Header, Message};
use bedrock_stream::extract::ModelFamily;
use bedrock_stream::EventDecoder;
use criterion::{Criterion, Throughput};

struct Workload {
    name: &'static str,
    body: Vec<u8>,
    /// The base64 `bytes` field of every frame, as the floor consumes it.
    b64: Vec<String>,
    /// Total decoded (inner) bytes, to check every variant does the full work.
    inner_len: usize,
}

/// A small xorshift generator so that the workloads are the same in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> usize {
        (self.next() % n) as usize
    }
}

const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const WORDS: [&str; 12] = [
    "Hello", " world", ",", " the", " quick", " brown", " fox", " jumps", "\\n", " over", " lazy",
    " dog.",
];

fn chunk_frame(inner: &[u8], pad: usize, body: &mut Vec<u8>, b64: &mut Vec<String>) {
    let enc = B64.encode(inner);
    let payload = if pad == 0 {
        format!(r#"{{"bytes":"{enc}"}}"#)
    } else {
        format!(r#"{{"bytes":"{enc}","p":"{}"}}"#, &PAD[..pad])
    };
    Message::new(
        vec![
            Header::new(":event-type", "chunk"),
            Header::new(":content-type", "application/json"),
            Header::new(":message-type", "event"),
        ],
        payload.into_bytes(),
    )
    .encode_into(body)
    .unwrap();
    b64.push(enc);
}

fn claude_tokens() -> Workload {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let (mut body, mut b64, mut inner_len) = (Vec::new(), Vec::new(), 0);
    for _ in 0..5_000 {
        let mut text = String::new();
        for _ in 0..1 + rng.below(3) {
            text.push_str(WORDS[rng.below(WORDS.len() as u64)]);
        }
        let inner = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"{text}"}}}}"#
        );
        inner_len += inner.len();
        chunk_frame(
            inner.as_bytes(),
            rng.below(PAD.len() as u64 + 1),
            &mut body,
            &mut b64,
        );
    }
    let w = Workload {
        name: "claude_tokens",
        body,
        b64,
        inner_len,
    };
    let avg = w.body.len() / w.b64.len();
    assert!((100..=300).contains(&avg), "average frame {avg} bytes");
    w
}

fn chunks_64k() -> Workload {
    let mut rng = Rng(0x64_6b_6b);
    let (mut body, mut b64, mut inner_len) = (Vec::new(), Vec::new(), 0);
    for _ in 0..64 {
        let prefix =
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""#;
        let suffix = r#""}}"#;
        let mut inner = String::from(prefix);
        while inner.len() < 64 * 1024 - suffix.len() {
            inner.push_str(WORDS[rng.below(WORDS.len() as u64)]);
        }
        inner.truncate(64 * 1024 - suffix.len());
        inner.push_str(suffix);
        inner_len += inner.len();
        chunk_frame(
            inner.as_bytes(),
            rng.below(PAD.len() as u64 + 1),
            &mut body,
            &mut b64,
        );
    }
    Workload {
        name: "chunks_64k",
        body,
        b64,
        inner_len,
    }
}

/// The library's own chunk path, as the client runs it on the socket's bytes: frames (both
/// CRCs, headers), routing, the `bytes` value base64-decoded into the event's reused buffer.
fn library(body: &[u8]) -> usize {
    let mut events = EventDecoder::new(ModelFamily::Unknown);
    let mut reader = body;
    let mut total = 0;
    loop {
        while let Some(e) = events.next_event().expect("valid stream") {
            total += e.chunk().expect("a chunk").len();
        }
        if events.read_from(&mut reader).unwrap() == 0 {
            break;
        }
    }
    events.finish().expect("clean end");
    total
}

/// The same, and each chunk's text read through the event (the model-family extraction).
fn library_text(body: &[u8]) -> usize {
    let mut events = EventDecoder::new(ModelFamily::AnthropicClaude);
    let mut reader = body;
    let mut total = 0;
    loop {
        while let Some(e) = events.next_event().expect("valid stream") {
            total += e.chunk().expect("a chunk").len();
            black_box(e.text());
        }
        if events.read_from(&mut reader).unwrap() == 0 {
            break;
        }
    }
    events.finish().expect("clean end");
    total
}

/// What any correct client must at least do: check each frame's prelude and message CRC-32
/// (one running hash per frame, as the spec's two checksums allow), and base64-decode the
/// `bytes` strings (already extracted) with `decode`.
fn floor(w: &Workload, out: &mut Vec<u8>, decode: fn(&[u8], &mut Vec<u8>)) -> usize {
    let body = &w.body[..];
    let mut at = 0;
    let mut total = 0;
    for s in &w.b64 {
        let total_len = u32::from_be_bytes(body[at..at + 4].try_into().unwrap()) as usize;
        let frame = &body[at..at + total_len];
        let mut h = crc32fast::Hasher::new();
        h.update(&frame[..8]);
        assert_eq!(
            h.clone().finalize().to_be_bytes(),
            frame[8..12],
            "prelude CRC"
        );
        h.update(&frame[8..total_len - 4]);
        assert_eq!(
            h.finalize().to_be_bytes(),
            frame[total_len - 4..],
            "message CRC"
        );
        at += total_len;
        out.clear();
        decode(s.as_bytes(), out);
        total += out.len();
    }
    total
}

fn scalar(b64: &[u8], out: &mut Vec<u8>) {
    B64.decode_vec(b64, out).expect("base64");
}

fn simd(b64: &[u8], out: &mut Vec<u8>) {
    base64_simd::STANDARD
        .decode_append(b64, out)
        .expect("base64");
}

type Variant = (&'static str, fn(&Workload, &mut Vec<u8>) -> usize);

/// The floors last: each ratio is reported against both.
const VARIANTS: [Variant; 4] = [
    ("library", |w, _| library(&w.body)),
    ("library+text", |w, _| library_text(&w.body)),
    ("floor (scalar base64)", |w, out| floor(w, out, scalar)),
    ("floor (SIMD base64)", |w, out| floor(w, out, simd)),
];

fn bench(c: &mut Criterion, w: &Workload) {
    let mut out = Vec::with_capacity(128 * 1024);
    for (name, f) in VARIANTS {
        assert_eq!(f(w, &mut out), w.inner_len, "{} {name}", w.name);
    }
    for (unit, throughput) in [
        ("bytes", Throughput::Bytes(w.body.len() as u64)),
        ("messages", Throughput::Elements(w.b64.len() as u64)),
    ] {
        let mut g = c.benchmark_group(format!("{}/{unit}", w.name));
        g.throughput(throughput);
        for (name, f) in VARIANTS {
            g.bench_function(name, |b| b.iter(|| f(black_box(w), &mut out)));
        }
        g.finish();
    }
}

/// Report-only variants: the framing alone against CRC-32 alone, over the whole body in one
/// pass and frame by frame (the least a decoder must do: each frame has its own CRC).
const FRAMING: [Variant; 3] = [
    ("frames only", |w, _| frames_only(&w.body)),
    ("crc32 only", |w, _| crc32fast::hash(&w.body) as usize),
    ("crc32 per frame", |w, _| crc32_per_frame(&w.body)),
];

fn crc32_per_frame(body: &[u8]) -> usize {
    let (mut at, mut x) = (0, 0u32);
    while at < body.len() {
        let total = u32::from_be_bytes(body[at..at + 4].try_into().unwrap()) as usize;
        x ^= crc32fast::hash(&body[at..at + total - 4]);
        at += total;
    }
    x as usize
}

/// Decode the frames (both CRCs, headers) and route on `:event-type`, nothing more.
fn frames_only(body: &[u8]) -> usize {
    let mut d = Decoder::new();
    let mut reader = body;
    let mut total = 0;
    loop {
        while let Some(m) = d.next_message().expect("valid stream") {
            if m.header_str(":event-type") == Some("chunk") {
                total += m.payload().len();
            }
        }
        if d.read_from(&mut reader).unwrap() == 0 {
            break;
        }
    }
    d.finish().expect("clean end");
    total
}

/// Interleaved rounds of each variant; the best round's time per pass, in seconds.
fn best_times(w: &Workload, variants: &[Variant]) -> Vec<f64> {
    let mut out = Vec::with_capacity(128 * 1024);
    let mut best = vec![f64::INFINITY; variants.len()];
    for _ in 0..5 {
        for (i, (_, f)) in variants.iter().enumerate() {
            let start = Instant::now();
            let mut passes = 0u32;
            while start.elapsed() < Duration::from_millis(150) {
                black_box(f(w, &mut out));
                passes += 1;
            }
            best[i] = best[i].min(start.elapsed().as_secs_f64() / passes as f64);
        }
    }
    best
}

fn report(workloads: &[Workload]) {
    println!();
    println!("ratio to the floor (each frame's two CRC-32s + base64 of the same payloads):");
    println!();
    println!(
        "| workload | variant | MB/s | msg/s | vs floor, scalar base64 | vs floor, SIMD base64 |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for w in workloads {
        let (mb, n) = (w.body.len() as f64 / 1e6, w.b64.len() as f64);
        let t = best_times(w, &VARIANTS);
        let (scalar, simd) = (t[VARIANTS.len() - 2], t[VARIANTS.len() - 1]);
        for (i, (name, _)) in VARIANTS.iter().enumerate() {
            println!(
                "| {} | {name} | {:.0} | {:.0} | {:.2}x | {:.2}x |",
                w.name,
                mb / t[i],
                n / t[i],
                scalar / t[i],
                simd / t[i]
            );
        }
        let t = best_times(w, &FRAMING);
        let per_frame = t[FRAMING.len() - 1];
        for (i, (name, _)) in FRAMING.iter().enumerate() {
            println!(
                "| {} | {name} | {:.0} | {:.0} | {:.2}x crc32 per frame | |",
                w.name,
                mb / t[i],
                n / t[i],
                per_frame / t[i]
            );
        }
    }
}

fn main() {
    let workloads = [claude_tokens(), chunks_64k()];
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    for w in &workloads {
        bench(&mut c, w);
    }
    c.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` does not (criterion's test mode).
    // Profiling runs (`--profile-time`) skip the report too.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") {
        report(&workloads);
    }
}
