//! The AWS SDK for Rust peer of `benches/loopback.rs`: `aws-sdk-bedrockruntime` with
//! `endpoint_url` pointed at the loopback emulator and static test credentials, doing the same
//! consumer work per chunk as the bench (the SDK base64-decodes `bytes`; we parse the model's
//! JSON with the same typed serde struct).
//!
//! Usage (one result line of `key=value` pairs on stdout):
//!   sdk-peer stream   ENDPOINT MODEL_ID REPEATS JSON(0|1)   sequential streams, one client
//!   sdk-peer requests ENDPOINT MODEL_ID SECONDS             back-to-back calls, one client
//!   sdk-peer concurrent ENDPOINT MODEL_ID STREAMS           STREAMS streams at once, one client
//!
//!   sdk-peer rss256   ENDPOINT MODEL_ID STREAMS           as `concurrent`, for the RSS table
//!
//! Every mode prints `events bytes secs cpu_s vmhwm_kib` (plus `requests` for `requests`).
//!
//! The runtime (environment `SDK_PEER_RUNTIME`): `current` (default for `stream` and
//! `requests`: a current-thread runtime, the consumer and hyper's connection task on one
//! thread, as our client runs on the caller's thread), `multi` (`#[tokio::main]`'s
//! multi-thread runtime with the consumer in `block_on`: every HTTP chunk hops from a worker
//! thread to the main thread, a futex wake-up per event) or `multi-spawn` (multi-thread, the
//! consumer in a spawned task; the default for `concurrent` and `rss256`).
//! `SDK_PEER_STALLED_STREAM=off` turns the SDK's stalled-stream protection off (on by
//! default with `BehaviorVersion::latest()`).

use std::borrow::Cow;
use std::time::{Duration, Instant};

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use aws_sdk_bedrockruntime::Client;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Delta<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

/// The model JSON of a Claude chunk, the fields a consumer reads.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct ModelChunk<'a> {
    #[serde(borrow, rename = "type")]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    delta: Option<Delta<'a>>,
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes one struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn vmhwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn client(endpoint: &str) -> Client {
    let mut config = aws_sdk_bedrockruntime::Config::builder();
    if std::env::var("SDK_PEER_STALLED_STREAM").is_ok_and(|v| v == "off") {
        config = config.stalled_stream_protection(
            aws_sdk_bedrockruntime::config::StalledStreamProtectionConfig::disabled(),
        );
    }
    let config = config
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEMULATOR",
            "emulator-secret",
            None,
            None,
            "bench",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

const BODY: &str = r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"Say hello"}]}"#;

/// One stream: (events, decoded bytes).
async fn one_stream(client: &Client, model: &str, json: bool) -> (u64, u64) {
    let mut out = client
        .invoke_model_with_response_stream()
        .model_id(model)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(BODY))
        .send()
        .await
        .expect("stream opens");
    let (mut events, mut bytes) = (0u64, 0u64);
    while let Some(event) = out.body.recv().await.expect("stream event") {
        if let ResponseStream::Chunk(part) = event {
            let b = part.bytes().map(|b| b.as_ref()).unwrap_or(&[]);
            if json {
                let c: ModelChunk<'_> = serde_json::from_slice(b).expect("model JSON");
                std::hint::black_box(&c);
            }
            bytes += b.len() as u64;
        }
        events += 1;
    }
    (events, bytes)
}

const USAGE: &str = "usage: sdk-peer stream|requests|concurrent|rss256 ENDPOINT MODEL_ID N [JSON]";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).expect(USAGE).clone();
    let default = if matches!(mode.as_str(), "concurrent" | "rss256") {
        "multi-spawn"
    } else {
        "current"
    };
    let flavour = std::env::var("SDK_PEER_RUNTIME").unwrap_or_else(|_| default.into());
    let rt = match flavour.as_str() {
        "current" => tokio::runtime::Builder::new_current_thread(),
        "multi" | "multi-spawn" => tokio::runtime::Builder::new_multi_thread(),
        other => panic!("SDK_PEER_RUNTIME={other}: current, multi or multi-spawn"),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let line = if flavour == "multi-spawn" {
        rt.block_on(async move { tokio::spawn(run(args)).await.expect("main task") })
    } else {
        rt.block_on(run(args))
    };
    println!("{line} runtime={flavour}");
}

async fn run(args: Vec<String>) -> String {
    let (mode, endpoint, model) = match args.as_slice() {
        [_, m, e, id, ..] => (m.as_str(), e.as_str(), id.as_str()),
        _ => panic!("{USAGE}"),
    };
    let usage = USAGE;
    let n: u64 = args.get(4).and_then(|s| s.parse().ok()).expect(usage);
    let client = client(endpoint);
    // One warm-up call: connection, credentials and endpoint resolution.
    one_stream(&client, "emulator-fault:bulk:chunks=1:size=200", true).await;
    let (cpu0, t0) = (cpu_seconds(), Instant::now());
    let (mut events, mut bytes, mut requests) = (0u64, 0u64, 0u64);
    match mode {
        "stream" => {
            let json = args.get(5).map(|s| s == "1").unwrap_or(true);
            for _ in 0..n {
                let (e, b) = one_stream(&client, model, json).await;
                events += e;
                bytes += b;
            }
        }
        "requests" => {
            let until = t0 + Duration::from_secs(n);
            while Instant::now() < until {
                let (e, b) = one_stream(&client, model, true).await;
                events += e;
                bytes += b;
                requests += 1;
            }
        }
        "concurrent" | "rss256" => {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let (c, m) = (client.clone(), model.to_string());
                    tokio::spawn(async move { one_stream(&c, &m, true).await })
                })
                .collect();
            for t in tasks {
                let (e, b) = t.await.expect("task");
                events += e;
                bytes += b;
            }
        }
        _ => panic!("{usage}"),
    }
    let secs = t0.elapsed().as_secs_f64();
    format!(
        "events={events} bytes={bytes} secs={secs:.6} cpu_s={:.6} vmhwm_kib={} requests={requests}",
        cpu_seconds() - cpu0,
        vmhwm_kib()
    )
}
