//! Memory stays flat however long the stream is: a ≥ 1 GiB stream of 64 KiB chunks through the
//! client, measured with a counting global allocator (this test binary's own allocator, so the
//! emulator thread is counted too).
#![cfg(feature = "emulator")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

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

#[test]
fn a_one_gib_stream_keeps_memory_flat() {
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
