//! Memory stays flat however long the stream is: a ≥ 1 GiB stream of 64 KiB chunks through the
//! client, measured with a counting global allocator (this test binary's own allocator, so the
//! emulator thread is counted too).
#![cfg(feature = "emulator")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bedrock_stream::emulator::Emulator;
use bedrock_stream::{Client, Credentials, Event, InvokeRequest};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MIB: usize = 1024 * 1024;

/// The tests read the process-wide counters: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn a_one_gib_stream_keeps_memory_flat() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let emu = Emulator::builder().start().unwrap();
    let client = Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .build()
        .unwrap();
    let body =
        br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":8,"messages":[]}"#.to_vec();

    // Warm up (connection, buffers, lazily initialised statics), then measure growth.
    let small = InvokeRequest::new("emulator-fault:bulk:chunks=64:size=65536", body.clone());
    for e in client.invoke_model_with_response_stream(&small).unwrap() {
        e.unwrap();
    }
    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);

    let chunks = 16_384u64; // 16384 × 64 KiB frames = 1 GiB on the wire
    let req = InvokeRequest::new(
        format!("emulator-fault:bulk:chunks={chunks}:size=65536"),
        body,
    );
    let mut events = 0u64;
    let mut bytes = 0u64;
    let mut peak_mid = 0usize;
    for e in client.invoke_model_with_response_stream(&req).unwrap() {
        if let Event::Chunk(c) = e.unwrap() {
            bytes += c.bytes().len() as u64;
        }
        events += 1;
        if events == chunks / 8 {
            peak_mid = PEAK.load(Ordering::Relaxed);
        }
    }
    let peak = PEAK.load(Ordering::Relaxed);
    assert!(
        events > chunks,
        "all {chunks} chunks and the final one arrived ({events})"
    );
    assert!(bytes > 700 * MIB as u64, "decoded bytes {bytes}");
    let growth = peak.saturating_sub(baseline);
    eprintln!(
        "1 GiB stream: {events} events, {} MiB decoded; heap peak growth {} KiB (after 1/8 of the stream: {} KiB)",
        bytes / MIB as u64,
        growth / 1024,
        peak_mid.saturating_sub(baseline) / 1024
    );
    // Flat: at most a few MiB above the baseline, and no growth after the first eighth.
    assert!(growth < 4 * MIB, "heap grew by {} KiB", growth / 1024);
    assert!(
        peak <= peak_mid + 256 * 1024,
        "heap kept growing: {} KiB at 1/8, {} KiB at the end",
        (peak_mid - baseline) / 1024,
        growth / 1024
    );
}

/// An open stream's heap: ureq's per-connection buffers (128 KiB in and 128 KiB out by
/// default, zero-filled, so resident), the event decoder's buffer, the response; with the
/// emulator's side of the connection in this process too. 256 open streams multiply it
/// (benches/loopback.rs `rss256`).
#[test]
fn an_open_stream_costs_little_heap() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let emu = Emulator::builder().start().unwrap();
    let client = Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .build()
        .unwrap();
    let req = InvokeRequest::new(
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":8,"messages":[{"role":"user","content":"Hi"}]}"#.to_vec(),
    );
    // Warm up: lazily initialised statics, the first connection's one-time costs.
    for e in client.invoke_model_with_response_stream(&req).unwrap() {
        e.unwrap();
    }
    const STREAMS: usize = 8;
    let before = CURRENT.load(Ordering::Relaxed);
    // Each open stream holds its own connection (none is idle while the others are open).
    let mut open = Vec::new();
    for _ in 0..STREAMS {
        let mut s = client.invoke_model_with_response_stream(&req).unwrap();
        s.next().unwrap().unwrap();
        open.push(s);
    }
    let per_stream = CURRENT.load(Ordering::Relaxed).saturating_sub(before) / STREAMS;
    drop(open);
    eprintln!("heap per open stream: {} KiB", per_stream / 1024);
    // ureq's defaults alone were 256 KiB per connection.
    assert!(
        per_stream < 200 * 1024,
        "an open stream holds {} KiB of heap",
        per_stream / 1024
    );
}
