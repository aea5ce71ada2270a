//! Allocation bounds of the event-stream decoder, measured with a counting global allocator
//! (its own test binary, so that nothing else shares the allocator). Counters are per thread,
//! so tests running in parallel do not disturb each other.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Read};

use bedrock_stream::eventstream::{
    DecodeErrorKind, Decoder, Header, Message, DEFAULT_MAX_MESSAGE_LEN,
};

struct Counting;

thread_local! {
    /// Bytes requested by alloc and realloc (the whole new block) on this thread.
    static REQUESTED: Cell<u64> = const { Cell::new(0) };
    /// Number of alloc and realloc calls on this thread.
    static CALLS: Cell<u64> = const { Cell::new(0) };
    /// Bytes currently allocated by this thread, and the high-water mark.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = REQUESTED.try_with(|c| c.set(c.get() + size as u64));
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
    note_live(size as i64);
}

fn note_live(delta: i64) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + delta;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_live(-(layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc(new_size);
        note_live(-(layout.size() as i64));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Debug, Clone, Copy)]
struct Stats {
    /// Bytes requested from the allocator.
    requested: u64,
    /// Allocation calls.
    calls: u64,
    /// Peak of live bytes above the level at the start.
    peak: i64,
}

fn measure<R>(f: impl FnOnce() -> R) -> (R, Stats) {
    let r0 = REQUESTED.with(Cell::get);
    let c0 = CALLS.with(Cell::get);
    let live0 = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(live0));
    let r = f();
    let stats = Stats {
        requested: REQUESTED.with(Cell::get) - r0,
        calls: CALLS.with(Cell::get) - c0,
        peak: PEAK.with(Cell::get) - live0,
    };
    (r, stats)
}

const BUDGET: u64 = 100 * 1024;

fn prelude(total: u32, headers: u32) -> Vec<u8> {
    let mut p = total.to_be_bytes().to_vec();
    p.extend_from_slice(&headers.to_be_bytes());
    let crc = crc32fast::hash(&p);
    p.extend_from_slice(&crc.to_be_bytes());
    p
}

/// A reader that serves `head`, then endless filler bytes, `n` bytes per read, stopping after
/// `limit` bytes in all.
struct Hostile {
    head: Vec<u8>,
    pos: usize,
    n: usize,
    limit: usize,
}

impl Read for Hostile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.n.min(buf.len()).min(self.limit - self.pos);
        for (i, b) in buf[..k].iter_mut().enumerate() {
            *b = self.head.get(self.pos + i).copied().unwrap_or(0x5a);
        }
        self.pos += k;
        Ok(k)
    }
}

#[test]
fn measuring_works() {
    // The counter sees a plain allocation, so the bounds below can fail.
    let (v, s) = measure(|| vec![1u8; 200_000]);
    assert_eq!(v.len(), 200_000);
    assert!(
        s.requested >= 200_000 && s.calls >= 1 && s.peak >= 200_000,
        "{s:?}"
    );
}

#[test]
fn declared_lengths_above_the_cap_cost_almost_nothing() {
    let over_cap = [
        u32::MAX,
        0x8000_0000,
        DEFAULT_MAX_MESSAGE_LEN + 1,
        24 * 1024 * 1024 + 128 * 1024 + 17,
        100 * 1024 * 1024,
    ];
    for total in over_cap {
        let p = prelude(total, 0);
        // fed
        let (kind, s) = measure(|| {
            let mut d = Decoder::new();
            d.feed(&p);
            let k = d.next_message().unwrap_err().kind();
            // and again: poisoned, nothing more buffered for it
            d.feed(&[0u8; 4096]);
            assert_eq!(d.next_message().unwrap_err().kind(), k);
            k
        });
        assert_eq!(kind, DecodeErrorKind::MessageTooLarge, "{total}");
        assert!(s.requested <= BUDGET, "{total}: fed: {s:?}");
        // read from a peer that keeps sending
        let (kind, s) = measure(|| {
            let mut d = Decoder::new();
            let mut r = Hostile {
                head: p.clone(),
                pos: 0,
                n: 1 << 20,
                limit: usize::MAX,
            };
            for _ in 0..100 {
                d.read_from(&mut r).unwrap();
                if let Err(e) = d.next_message() {
                    return e.kind();
                }
            }
            panic!("never refused");
        });
        assert_eq!(kind, DecodeErrorKind::MessageTooLarge, "{total}");
        assert!(s.requested <= BUDGET, "{total}: read: {s:?}");
    }
    // A lower cap refuses the botocore vector's 25,165,857 bytes from the prelude.
    let (kind, s) = measure(|| {
        let mut d = Decoder::with_max_message_len(24 * 1024 * 1024);
        d.feed(&prelude(25_165_857, 0));
        d.next_message().unwrap_err().kind()
    });
    assert_eq!(kind, DecodeErrorKind::MessageTooLarge);
    assert!(s.requested <= BUDGET, "{s:?}");
}

#[test]
fn a_trusted_declared_length_is_not_reserved_before_its_bytes_arrive() {
    // Within the cap, a CRC-valid prelude is believed, but memory follows the bytes received.
    let p = prelude(DEFAULT_MAX_MESSAGE_LEN, 0);
    let (_, s) = measure(|| {
        let mut d = Decoder::new();
        d.feed(&p);
        assert!(d.next_message().unwrap().is_none());
    });
    assert!(s.requested <= BUDGET, "fed: {s:?}");
    for sent in [12, 4096, 70_000, 1 << 20] {
        let (_, s) = measure(|| {
            let mut d = Decoder::new();
            let mut r = Hostile {
                head: p.clone(),
                pos: 0,
                n: 16 * 1024,
                limit: sent,
            };
            while d.read_from(&mut r).unwrap() > 0 {
                assert!(d.next_message().unwrap().is_none());
            }
            assert_eq!(d.finish().unwrap_err().kind(), DecodeErrorKind::Truncated);
            // The buffer: at most about twice what arrived, plus the initial buffer.
            assert!(
                d.capacity() as u64 <= 2 * sent as u64 + BUDGET,
                "{}",
                d.capacity()
            );
        });
        // Peak: three times while a reallocation copies the old block into the new one.
        let bound = 3 * sent as u64 + BUDGET;
        assert!(s.peak as u64 <= bound, "sent {sent}: {s:?}");
        assert!(s.requested <= 2 * bound, "sent {sent}: {s:?}");
    }
}

fn chunk_frame(i: usize) -> Vec<u8> {
    let text = format!(
        r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"token {i}"}}}}"#
    );
    let b64 = base64_encode(text.as_bytes());
    let pad = &"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[..i % 62];
    Message::new(
        vec![
            Header::new(":event-type", "chunk"),
            Header::new(":content-type", "application/json"),
            Header::new(":message-type", "event"),
        ],
        format!(r#"{{"bytes":"{b64}","p":"{pad}"}}"#).into_bytes(),
    )
    .encode()
    .unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

#[test]
fn ten_thousand_messages_keep_the_buffer_flat() {
    let mut stream = Vec::new();
    for i in 0..10_000 {
        stream.extend_from_slice(&chunk_frame(i));
    }
    // Fed in uneven pieces, as HTTP reads would deliver them.
    let pieces = [1000, 7, 333, 4096, 61, 129, 2500];
    let mut d = Decoder::new();
    let mut seen = 0usize;
    let mut rest = &stream[..];
    let mut k = 0;
    let mut steady = None;
    let mut steady_capacity = 0;
    while !rest.is_empty() {
        let n = pieces[k % pieces.len()].min(rest.len());
        k += 1;
        let (a, b) = rest.split_at(n);
        rest = b;
        if steady.is_none() && seen >= 100 {
            steady_capacity = d.capacity();
            steady = Some((REQUESTED.with(Cell::get), CALLS.with(Cell::get)));
        }
        d.feed(a);
        while let Some(m) = d.next_message().unwrap() {
            assert_eq!(m.header_str(":event-type"), Some("chunk"));
            seen += 1;
        }
        if steady.is_some() {
            assert_eq!(d.capacity(), steady_capacity, "after {seen} messages");
        }
    }
    let (r0, c0) = steady.unwrap();
    let (r1, c1) = (REQUESTED.with(Cell::get), CALLS.with(Cell::get));
    d.finish().unwrap();
    assert_eq!(seen, 10_000);
    assert_eq!(
        (r1 - r0, c1 - c0),
        (0, 0),
        "allocations in the steady state"
    );
    assert!(steady_capacity <= 64 * 1024, "{steady_capacity}");

    // The same through read_from.
    let mut d = Decoder::new();
    let mut r = &stream[..];
    let mut seen = 0usize;
    let mut steady = None;
    loop {
        if steady.is_none() && seen >= 100 {
            steady = Some((d.capacity(), CALLS.with(Cell::get)));
        }
        if d.read_from(&mut r).unwrap() == 0 {
            break;
        }
        while d.next_message().unwrap().is_some() {
            seen += 1;
        }
        if let Some((cap, _)) = steady {
            assert_eq!(d.capacity(), cap, "after {seen} messages");
        }
    }
    d.finish().unwrap();
    assert_eq!(seen, 10_000);
    let (_, c0) = steady.unwrap();
    assert_eq!(
        CALLS.with(Cell::get) - c0,
        0,
        "allocations in the steady state"
    );
}

/// The stream core's borrowed path (issue 11): reading events with `next_event` (bytes, and
/// the event type) allocates nothing per event once the buffers have grown; the owned
/// iterator, which hands out a `Vec` per chunk, does (which shows the counter sees it).
#[cfg(feature = "emulator")]
mod stream_core {
    use std::time::Duration;

    use bedrock_stream::emulator::Emulator;
    use bedrock_stream::extract::ModelFamily;
    use bedrock_stream::{Client, Credentials, EventStream, InvokeRequest};

    use super::measure;

    fn open(client: &Client, chunks: usize) -> EventStream {
        let body = br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[]}"#;
        let model = format!("emulator-fault:bulk:chunks={chunks}:size=400");
        client
            .invoke_model_with_response_stream(
                // Chunks in Claude's format: asking for their text would allocate it.
                &InvokeRequest::new(model, body.to_vec())
                    .model_family(ModelFamily::AnthropicClaude),
            )
            .unwrap()
    }

    #[test]
    fn borrowed_events_cost_no_allocation_per_event() {
        let emu = Emulator::start().unwrap();
        let client = Client::builder()
            .region("us-east-1")
            .endpoint_url(emu.endpoint_url())
            .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
            .ignore_env_bearer_token(true)
            .no_proxy()
            .read_idle_timeout(Some(Duration::from_secs(30)))
            .build()
            .unwrap();
        const N: usize = 20_000;
        // Warm up: the first events grow the decoder's and the chunk's buffers.
        let read_borrowed = |stream: &mut EventStream| {
            let mut bytes = 0;
            while let Some(e) = stream.next_event().unwrap() {
                bytes += e.payload().len() + e.event_type().len();
            }
            bytes
        };
        let mut stream = open(&client, N);
        for _ in 0..16 {
            stream.next_event().unwrap().unwrap();
        }
        let (bytes, borrowed) = measure(|| read_borrowed(&mut stream));
        assert!(bytes > N * 50, "{bytes}");
        assert_eq!(stream.events_delivered(), N as u64 + 1);
        // Reads from the socket may allocate now and then (not per event).
        assert!(
            borrowed.calls < (N / 20) as u64,
            "{} allocations for {N} borrowed events: {borrowed:?}",
            borrowed.calls
        );

        let mut stream = open(&client, N);
        for _ in 0..16 {
            stream.next().unwrap().unwrap();
        }
        let (n, owned) = measure(|| stream.by_ref().map(Result::unwrap).count());
        assert_eq!(n, N + 1 - 16);
        assert!(owned.calls >= n as u64, "{owned:?}");
    }
}
