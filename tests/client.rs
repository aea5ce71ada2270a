//! The blocking client against the loopback emulator: every scenario of issue 3 and one test per
//! bug that other Bedrock streaming clients have.
#![cfg(feature = "emulator")]

mod read_barrier;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bedrock_stream::emulator::{AuthOutcome, Emulator, RecordedRequest, Scenario};
use bedrock_stream::extract::{ModelFamily, TextExtractor};
use bedrock_stream::{
    CancelHandle, Client, ClientBuilder, Credentials, ErrorClass, ErrorKind, Event, InvokeRequest,
    PerformanceConfigLatency, ServiceTier, Timer, Trace,
};

const CLAUDE: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const PROMPT: &str = "Say hello";

fn emulator() -> Emulator {
    Emulator::builder()
        .start()
        .expect("emulator starts on 127.0.0.1:0")
}

fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
}

fn client(emu: &Emulator) -> Client {
    builder(emu).build().unwrap()
}

fn claude_body(prompt: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": prompt}]
    }))
    .unwrap()
}

fn claude() -> InvokeRequest {
    InvokeRequest::new(CLAUDE, claude_body(PROMPT))
}

fn fault(spec: &str) -> InvokeRequest {
    InvokeRequest::new(format!("emulator-fault:{spec}"), claude_body(PROMPT))
}

fn expected_reply(prompt: &str) -> String {
    format!("Hello from the Bedrock emulator! You said: “{prompt}”. 你好，世界！ 🦀")
}

/// Drain a stream: the chunk bytes, and the error that ended it (if any).
fn drain(
    stream: &mut bedrock_stream::EventStream,
) -> (Vec<Vec<u8>>, Option<bedrock_stream::Error>) {
    let mut chunks = Vec::new();
    for e in stream {
        match e {
            Ok(Event::Chunk(c)) => chunks.push(c.into_bytes()),
            Ok(_) => {}
            Err(e) => return (chunks, Some(e)),
        }
    }
    (chunks, None)
}

fn text_of(model_id: &str, chunks: &[Vec<u8>]) -> String {
    let mut x = TextExtractor::for_model_id(model_id);
    let mut s = String::new();
    for c in chunks {
        if let Some(t) = x.process(c).text() {
            s.push_str(t);
        }
    }
    if let Some(t) = x.finish() {
        s.push_str(&t);
    }
    s
}

fn invoke_requests(emu: &Emulator) -> Vec<RecordedRequest> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/model/"))
        .collect()
}

#[test]
fn every_family_streams_its_answer_and_the_text_reassembles() {
    let emu = emulator();
    let c = client(&emu);
    let ids = [
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "amazon.titan-text-express-v1",
        "amazon.nova-lite-v1:0",
        "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
        "mistral.mistral-large-2407-v1:0",
        "cohere.command-r-v1:0",
        "ai21.jamba-1-5-mini-v1:0",
        "us.deepseek.r1-v1:0",
        "openai.gpt-oss-20b-1:0",
    ];
    for id in ids {
        let family = ModelFamily::from_model_id(id);
        assert_ne!(family, ModelFamily::Unknown, "{id}");
        let body = family.example_body(PROMPT);
        let mut s = c
            .invoke_model_with_response_stream(&InvokeRequest::new(id, body))
            .unwrap();
        assert_eq!(s.http_status(), 200);
        assert_eq!(s.content_type(), Some("application/json"));
        assert!(s.request_id().is_some_and(|r| !r.is_empty()));
        let (chunks, err) = drain(&mut s);
        assert!(err.is_none(), "{id}: {err:?}");
        assert!(chunks.len() >= 2, "{id}");
        assert_eq!(
            text_of(id, &chunks),
            expected_reply(PROMPT),
            "{id} ({family})"
        );
        // The last chunk carries the invocation metrics, once.
        let mut x = TextExtractor::for_model_id(id);
        let metrics: Vec<_> = chunks
            .iter()
            .filter_map(|c| x.process(c).metrics())
            .collect();
        assert_eq!(metrics.len(), 1, "{id}");
        assert!(metrics[0].output_token_count.unwrap() > 0);
    }
}

#[test]
fn the_request_is_bound_exactly_as_the_service_model_says() {
    let emu = emulator();
    let c = client(&emu);
    let body = claude_body("exact bytes ✓");
    let req = InvokeRequest::new(CLAUDE, body.clone())
        .trace(Trace::EnabledFull)
        .guardrail("gr1abc", "DRAFT")
        .performance_config_latency(PerformanceConfigLatency::Optimized)
        .service_tier(ServiceTier::Priority)
        .request_metadata(r#"{"team":"search"}"#)
        .project_identifier("default");
    let mut s = c.invoke_model_with_response_stream(&req).unwrap();
    assert_eq!(
        s.performance_config_latency(),
        Some(PerformanceConfigLatency::Optimized)
    );
    assert_eq!(s.service_tier(), Some(ServiceTier::Priority));
    drain(&mut s);
    let r = &invoke_requests(&emu)[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.path,
        "/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke-with-response-stream"
    );
    assert_eq!(r.body, body, "the body is sent byte for byte");
    for (name, value) in [
        ("content-type", "application/json"),
        ("x-amzn-bedrock-accept", "application/json"),
        ("x-amzn-bedrock-trace", "ENABLED_FULL"),
        ("x-amzn-bedrock-guardrailidentifier", "gr1abc"),
        ("x-amzn-bedrock-guardrailversion", "DRAFT"),
        ("x-amzn-bedrock-performanceconfig-latency", "optimized"),
        ("x-amzn-bedrock-service-tier", "priority"),
        ("x-amzn-bedrock-request-metadata", r#"{"team":"search"}"#),
        ("x-amzn-bedrock-projectidentifier", "default"),
    ] {
        assert_eq!(r.header(name), Some(value), "{name}");
    }
    assert!(r
        .header("user-agent")
        .unwrap()
        .starts_with("bedrock-stream/"));
    // No duplicated signed headers, no duplicated content-type.
    match &r.auth {
        AuthOutcome::SigV4 {
            signed_headers,
            access_key_id,
            ..
        } => {
            assert_eq!(access_key_id, "AKIDEMULATOR");
            let mut sorted = signed_headers.clone();
            sorted.dedup();
            assert_eq!(&sorted, signed_headers, "SignedHeaders unique");
            assert!(signed_headers.iter().any(|h| h == "host"));
            assert!(!signed_headers.iter().any(|h| h == "user-agent"));
        }
        other => panic!("{other:?}"),
    }
    let content_types = r
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .count();
    assert_eq!(content_types, 1);
}

/// ARNs, inference profiles and odd characters reach the service intact,
/// as one path segment, and the signature (double-encoded canonical path) verifies.
#[test]
fn model_ids_with_colons_slashes_and_odd_characters_arrive_intact() {
    let emu = Emulator::builder().validate_bodies(false).start().unwrap();
    let c = client(&emu);
    let ids = [
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12AB:1",
        "weird/../id?x=1#frag%2F and spaces",
        "modèle-日本-🦀",
    ];
    for id in ids {
        let mut s = c
            .invoke_model_with_response_stream(&InvokeRequest::new(id, claude_body(PROMPT)))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        drain(&mut s);
    }
    let seen = invoke_requests(&emu);
    assert_eq!(seen.len(), ids.len());
    for (id, r) in ids.iter().zip(&seen) {
        assert_eq!(r.model_id.as_deref(), Some(*id));
        assert!(r.auth.is_accepted(), "{id}: {:?}", r.auth);
        assert_eq!(r.query, "");
        assert_eq!(r.path.matches('/').count(), 3, "{}", r.path);
    }
}

/// Bad input never reaches the wire.
#[test]
fn header_injection_and_bad_ids_are_refused_before_sending() {
    let emu = emulator();
    let c = client(&emu);
    let bad = [
        InvokeRequest::new("m\r\nX-Evil: 1", b"{}".to_vec()),
        InvokeRequest::new("", b"{}".to_vec()),
        InvokeRequest::new(CLAUDE, b"{}".to_vec()).accept("application/json\r\nX-Evil: 1"),
        InvokeRequest::new(CLAUDE, b"{}".to_vec()).guardrail_identifier("only-id"),
    ];
    for r in bad {
        let e = c.invoke_model_with_response_stream(&r).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(e.class(), ErrorClass::Client);
        assert_eq!(e.attempts(), 0);
    }
    assert_eq!(emu.request_count(), 0);
}

/// Every modeled HTTP error (and unmodeled ones) becomes its typed error; retryable ones are
/// retried up to max_attempts, the others are sent exactly once.
#[test]
fn http_errors_are_typed_and_only_transient_ones_are_retried() {
    let emu = emulator();
    let c = client(&emu);
    let table: &[(&str, ErrorKind, u16, &str, bool)] = &[
        (
            "http=403:AccessDeniedException",
            ErrorKind::AccessDenied,
            403,
            "AccessDeniedException",
            false,
        ),
        (
            "http=404:ResourceNotFoundException",
            ErrorKind::ResourceNotFound,
            404,
            "ResourceNotFoundException",
            false,
        ),
        (
            "http=429:ThrottlingException",
            ErrorKind::Throttling,
            429,
            "ThrottlingException",
            true,
        ),
        (
            "http=408:ModelTimeoutException",
            ErrorKind::ModelTimeout,
            408,
            "ModelTimeoutException",
            false,
        ),
        (
            "http=500:InternalServerException",
            ErrorKind::InternalServer,
            500,
            "InternalServerException",
            true,
        ),
        (
            "http=503:ServiceUnavailableException",
            ErrorKind::ServiceUnavailable,
            503,
            "ServiceUnavailableException",
            true,
        ),
        (
            "http=424:ModelStreamErrorException",
            ErrorKind::ModelStreamError,
            424,
            "ModelStreamErrorException",
            // "Retry your request", as in the stream form (issue 10).
            true,
        ),
        (
            "http=400:ValidationException",
            ErrorKind::Validation,
            400,
            "ValidationException",
            false,
        ),
        (
            "http=400:ServiceQuotaExceededException",
            ErrorKind::ServiceQuotaExceeded,
            400,
            "ServiceQuotaExceededException",
            false,
        ),
        (
            "http=429:ModelNotReadyException",
            ErrorKind::ModelNotReady,
            429,
            "ModelNotReadyException",
            true,
        ),
        (
            "http=424:ModelErrorException",
            ErrorKind::ModelError,
            424,
            "ModelErrorException",
            false,
        ),
        (
            "http=403:ExpiredTokenException",
            ErrorKind::UnmodeledService,
            403,
            "ExpiredTokenException",
            false,
        ),
        ("http=504", ErrorKind::UnmodeledService, 504, "504", true),
    ];
    for &(spec, kind, status, code, retried) in table {
        emu.clear_requests();
        let e = c
            .invoke_model_with_response_stream(&fault(spec))
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{spec}: {e}");
        assert_eq!(e.http_status(), Some(status), "{spec}");
        assert_eq!(e.code(), Some(code), "{spec}");
        assert_eq!(e.class(), ErrorClass::Service, "{spec}");
        assert!(!e.message().is_empty());
        assert!(e.request_id().is_some(), "{spec}: request id kept");
        let sent = invoke_requests(&emu).len() as u32;
        assert_eq!(sent, if retried { 3 } else { 1 }, "{spec}");
        assert_eq!(e.attempts(), sent);
        assert_eq!(e.is_retryable(), retried, "{spec}");
    }
}

/// A JSON or HTML body where an event stream was expected surfaces its
/// real message, never a checksum error.
#[test]
fn non_eventstream_bodies_surface_their_real_message() {
    let emu = emulator();
    let c = client(&emu);
    let e = c
        .invoke_model_with_response_stream(&fault("json-200"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedContentType, "{e}");
    assert!(e.decode_error_kind().is_none());
    assert!(!e.to_string().to_lowercase().contains("checksum"), "{e}");
    let e = c
        .invoke_model_with_response_stream(&fault("text-200"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedContentType, "{e}");
    let e = c
        .invoke_model_with_response_stream(&fault("html-502"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnmodeledService, "{e}");
    assert_eq!(e.http_status(), Some(502));
    assert!(
        e.message().contains("502") || e.message().to_lowercase().contains("bad gateway"),
        "{e}"
    );
}

/// Each stream exception at event 0, mid-stream and last is a
/// typed error with the right count; nothing is replayed once an event was delivered.
#[test]
fn stream_exceptions_are_typed_counted_and_never_replayed() {
    let emu = emulator();
    let c = builder(&emu).max_attempts(1).build().unwrap();
    let table = [
        (
            "internalServerException",
            ErrorKind::InternalServer,
            500,
            true,
        ),
        (
            "modelStreamErrorException",
            ErrorKind::ModelStreamError,
            424,
            true,
        ),
        ("validationException", ErrorKind::Validation, 400, false),
        ("throttlingException", ErrorKind::Throttling, 429, true),
        ("modelTimeoutException", ErrorKind::ModelTimeout, 408, false),
        (
            "serviceUnavailableException",
            ErrorKind::ServiceUnavailable,
            503,
            true,
        ),
    ];
    for (name, kind, status, retryable) in table {
        for after in [0u64, 3, 6] {
            emu.clear_requests();
            let spec = format!("exception={name}:after={after}:message=it broke:status=502:original-message=upstream down,chunks=6");
            let mut s = c.invoke_model_with_response_stream(&fault(&spec)).unwrap();
            let (chunks, err) = drain(&mut s);
            let e = err.unwrap_or_else(|| panic!("{spec}: no error"));
            assert_eq!(chunks.len() as u64, after, "{spec}");
            assert_eq!(e.kind(), kind, "{spec}");
            assert_eq!(e.code(), Some(name));
            assert_eq!(e.http_status(), Some(status));
            assert_eq!(e.class(), ErrorClass::Stream);
            assert_eq!(e.message(), "it broke");
            assert_eq!(e.events_delivered(), after);
            assert_eq!(e.is_retryable(), retryable, "{spec}");
            assert!(e.request_id().is_some());
            if kind == ErrorKind::ModelStreamError {
                assert_eq!(e.original_status_code(), Some(502));
                assert_eq!(e.original_message(), Some("upstream down"));
            }
            assert!(s.next().is_none(), "the stream ends after its error");
            assert_eq!(invoke_requests(&emu).len(), 1, "{spec}: never replayed");
        }
    }
    // With retries on, a throttle after 3 delivered events is still not retried.
    let c = client(&emu);
    emu.clear_requests();
    let mut s = c
        .invoke_model_with_response_stream(&fault("exception=throttlingException:after=3"))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    assert_eq!(chunks.len(), 3);
    assert!(err.unwrap().is_retryable());
    assert_eq!(invoke_requests(&emu).len(), 1);
}

/// Before anything was delivered, a transient exception frame may be retried safely.
#[test]
fn a_throttle_before_the_first_event_is_retried() {
    let emu = emulator();
    let c = client(&emu);
    emu.push_scenario(
        "exception=throttlingException:after=0"
            .parse::<Scenario>()
            .unwrap(),
    );
    let mut s = c.invoke_model_with_response_stream(&claude()).unwrap();
    let (chunks, err) = drain(&mut s);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
    assert_eq!(s.attempts(), 2);
    assert_eq!(invoke_requests(&emu).len(), 2);
}

/// The `error` message type.
#[test]
fn error_frames_are_typed() {
    let emu = emulator();
    let c = builder(&emu).max_attempts(1).build().unwrap();
    let mut s = c
        .invoke_model_with_response_stream(&fault(
            "error=InternalFailure:after=2:message=An internal error occurred.",
        ))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    let e = err.unwrap();
    assert_eq!(chunks.len(), 2);
    assert_eq!(e.kind(), ErrorKind::StreamError);
    assert_eq!(e.code(), Some("InternalFailure"));
    assert_eq!(e.message(), "An internal error occurred.");
    assert_eq!(e.events_delivered(), 2);
}

/// An unknown event type is delivered and the stream goes on.
#[test]
fn unknown_events_are_delivered_and_not_fatal() {
    let emu = emulator();
    let c = client(&emu);
    let mut s = c
        .invoke_model_with_response_stream(&fault("unknown-event=futureEvent:after=2"))
        .unwrap();
    let mut kinds = Vec::new();
    let mut chunks = Vec::new();
    for e in &mut s {
        match e.unwrap() {
            Event::Chunk(c) => {
                kinds.push("chunk".to_owned());
                chunks.push(c.into_bytes());
            }
            Event::Unknown(u) => kinds.push(u.event_type().to_owned()),
            _ => unreachable!(),
        }
    }
    assert_eq!(kinds[2], "futureEvent");
    assert_eq!(kinds.iter().filter(|k| *k == "futureEvent").count(), 1);
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
}

/// Corrupt and truncated streams end with an immediate typed error
/// carrying the count, never a hang or a silent end.
#[test]
fn corrupt_and_truncated_streams_are_errors_with_counts() {
    let emu = emulator();
    let c = builder(&emu).max_attempts(1).build().unwrap();
    let cases: &[(&str, ErrorKind, u64)] = &[
        ("bad-crc:after=2", ErrorKind::Protocol, 2),
        ("truncate:after=2", ErrorKind::Truncated, 2),
        ("truncate:after=2:abrupt", ErrorKind::Truncated, 2),
        ("reset:after=3", ErrorKind::Truncated, 3),
    ];
    for &(spec, kind, delivered) in cases {
        let mut s = c.invoke_model_with_response_stream(&fault(spec)).unwrap();
        let (chunks, err) = drain(&mut s);
        let e = err.unwrap_or_else(|| panic!("{spec}: ended without error"));
        assert_eq!(e.kind(), kind, "{spec}: {e}");
        assert_eq!(chunks.len() as u64, delivered, "{spec}");
        assert_eq!(e.events_delivered(), delivered, "{spec}");
        assert_eq!(e.class(), ErrorClass::Protocol, "{spec}");
    }
    let mut s = c
        .invoke_model_with_response_stream(&fault("bad-crc:after=0"))
        .unwrap();
    let e = drain(&mut s).1.unwrap();
    assert_eq!(
        e.decode_error_kind(),
        Some(bedrock_stream::eventstream::DecodeErrorKind::MessageChecksumMismatch)
    );
}

/// Connection failures before the headers are retried; N failures then success works and
/// nothing is duplicated.
#[test]
fn failures_before_the_headers_are_retried_then_succeed() {
    let emu = emulator();
    let c = client(&emu);
    emu.reset_fail_counters();
    let mut s = c
        .invoke_model_with_response_stream(&fault("fail=2:503"))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    assert!(err.is_none());
    assert_eq!(s.attempts(), 3);
    assert_eq!(invoke_requests(&emu).len(), 3);
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));

    emu.reset_fail_counters();
    emu.clear_requests();
    let e = c
        .invoke_model_with_response_stream(&fault("fail=5:500"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InternalServer);
    assert_eq!(e.attempts(), 3);
    assert_eq!(invoke_requests(&emu).len(), 3);

    // A refused connection is a transport error, retried, then reported.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let c = Client::builder()
        .region("us-east-1")
        .endpoint_url(format!("http://{dead}"))
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .build()
        .unwrap();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.attempts(), 3);
    assert!(e.message().contains(&format!("[host {dead}]")), "{e}");
}

/// Separate timers, each named when it fires, none cutting a
/// stream whose bytes flow.
#[test]
fn timers_fire_separately_and_say_which() {
    let emu = emulator();
    // read-idle: a stall after one event.
    let c = builder(&emu)
        .read_idle_timeout(Some(Duration::from_millis(300)))
        .max_attempts(1)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut s = c
        .invoke_model_with_response_stream(&fault("stall:after=1"))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    let e = err.unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        (e.kind(), e.timer()),
        (ErrorKind::Timeout, Some(Timer::ReadIdle)),
        "{e}"
    );
    assert_eq!(e.events_delivered(), 1);
    assert!(started.elapsed() < Duration::from_secs(30), "bounded");

    // after the last event, the body is never terminated: the idle timer still applies.
    let mut s = c
        .invoke_model_with_response_stream(&fault("hang-after-last"))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
    assert_eq!(err.unwrap().timer(), Some(Timer::ReadIdle));

    // response headers: silence before the status line.
    let c = builder(&emu)
        .response_headers_timeout(Some(Duration::from_millis(300)))
        .read_idle_timeout(Some(Duration::from_secs(60)))
        .max_attempts(1)
        .build()
        .unwrap();
    let e = c
        .invoke_model_with_response_stream(&fault("stall-headers"))
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.timer()),
        (ErrorKind::Timeout, Some(Timer::ResponseHeaders)),
        "{e}"
    );

    // deadline: a stream that keeps trickling is cut by the overall deadline...
    let c = builder(&emu)
        .deadline(Some(Duration::from_millis(400)))
        .max_attempts(1)
        .build()
        .unwrap();
    let mut s = c
        .invoke_model_with_response_stream(&fault("drip=100ms,chunks=40"))
        .unwrap();
    let e = drain(&mut s).1.unwrap();
    assert_eq!(
        (e.kind(), e.timer()),
        (ErrorKind::Timeout, Some(Timer::Deadline)),
        "{e}"
    );
    assert!(!e.is_retryable());

    // ...while an idle timer longer than the gaps lets a slow drip finish.
    let c = builder(&emu)
        .read_idle_timeout(Some(Duration::from_secs(5)))
        .build()
        .unwrap();
    let mut s = c
        .invoke_model_with_response_stream(&fault("drip=50ms,chunks=8"))
        .unwrap();
    let (chunks, err) = drain(&mut s);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
}

/// Issue 3: an event is delivered as soon as its last byte arrives,
/// while the server is still holding the stream.
#[test]
fn events_are_delivered_incrementally() {
    let emu = emulator();
    let c = client(&emu);
    let mut s = c
        .invoke_model_with_response_stream(&fault("stall:after=1"))
        .unwrap();
    let first = s.next().expect("an event").expect("not an error");
    assert!(first.as_chunk().is_some());
    assert_eq!(s.events_delivered(), 1);
    // The server is stalled; we got the event anyway. Cancel to end it.
    s.cancel_handle().cancel();
    let e = s.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
}

/// Cancel from another thread closes the socket promptly; the connection is not reused. The
/// cancel lands while the read is blocked (barrier), so only shutting the socket down can end it
/// within the bound.
#[test]
fn cancel_from_another_thread_closes_the_socket() {
    let emu = emulator();
    let c = client(&emu);
    let mut s = c
        .invoke_model_with_response_stream(&fault("stall:after=1"))
        .unwrap();
    assert!(s.next().unwrap().is_ok());
    let cancel = s.cancel_handle();
    let closed_before = emu.closed_connections();
    let reader = read_barrier::thread_id();
    let t = thread::spawn(move || {
        read_barrier::wait_blocked_in_read(reader);
        cancel.cancel();
        Instant::now()
    });
    let e = s.next().unwrap().unwrap_err();
    let returned = Instant::now();
    let cancelled_at = t.join().unwrap();
    assert!(
        returned.saturating_duration_since(cancelled_at) < Duration::from_secs(2),
        "the blocked read ended {:?} after the cancel",
        returned.saturating_duration_since(cancelled_at)
    );
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(e.events_delivered(), 1);
    assert!(!e.is_retryable());
    assert!(s.next().is_none());
    assert!(emu.wait_for_closed_connections(closed_before + 1, Duration::from_secs(10)));
    // The next call opens a new connection.
    emu.clear_requests();
    drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
    let r = &invoke_requests(&emu)[0];
    assert_eq!(r.sequence_on_connection, 1);

    // Cancelling before the call starts never sends anything.
    let cancel = CancelHandle::new();
    cancel.cancel();
    emu.clear_requests();
    let e = c
        .invoke_model_with_response_stream_cancellable(&claude(), cancel)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert_eq!(invoke_requests(&emu).len(), 0);

    // Cancelling while waiting for the response headers (the read blocked).
    let cancel = CancelHandle::new();
    let c2 = c.clone();
    let h = cancel.clone();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        tid_tx.send(read_barrier::thread_id()).unwrap();
        let r = c2.invoke_model_with_response_stream_cancellable(&fault("stall-headers"), h);
        (r, Instant::now())
    });
    assert!(emu.wait_for_requests(1, Duration::from_secs(10)));
    read_barrier::wait_blocked_in_read(tid_rx.recv().unwrap());
    let cancelled_at = Instant::now();
    cancel.cancel();
    let (r, returned) = t.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(returned.saturating_duration_since(cancelled_at) < Duration::from_secs(2));
}

/// Issue 10: several events arrive in one read; once `cancel` returned (called by the consumer
/// between two events, or by another thread), no further event is delivered. Likewise once the
/// deadline passed, from the iterator and from `invoke_with`.
#[test]
fn no_event_is_delivered_after_cancel_or_deadline() {
    let emu = emulator();
    let c = client(&emu);
    // 2000 small frames, written in blocks of hundreds: most arrive in the same read.
    let bulk = fault("bulk:chunks=2000:size=64");
    for other_thread in [false, true] {
        let mut s = c.invoke_model_with_response_stream(&bulk).unwrap();
        assert!(s.next().unwrap().is_ok());
        let cancel = s.cancel_handle();
        if other_thread {
            thread::spawn(move || cancel.cancel()).join().unwrap();
        } else {
            cancel.cancel();
        }
        let e = s.next().unwrap().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
        assert_eq!(e.events_delivered(), 1);
        assert_eq!(s.events_delivered(), 1);
        assert!(s.next().is_none());
    }

    let deadline = Duration::from_secs(3);
    let c = builder(&emu).deadline(Some(deadline)).build().unwrap();
    let started = Instant::now();
    let mut s = c.invoke_model_with_response_stream(&bulk).unwrap();
    assert!(s.next().unwrap().is_ok());
    thread::sleep(deadline.saturating_sub(started.elapsed()) + Duration::from_millis(50));
    let e = s.next().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timer(), Some(Timer::Deadline));
    assert_eq!(e.events_delivered(), 1);

    let started = Instant::now();
    let mut calls = 0;
    let e = c
        .invoke_with(&bulk, |_| {
            calls += 1;
            thread::sleep(deadline.saturating_sub(started.elapsed()) + Duration::from_millis(50));
            ControlFlow::Continue(())
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(calls, 1);
}

/// Issue 10: a call that read a 429 over keep-alive gives the connection back to the pool and
/// waits to retry; another call takes that connection for a long stream; cancelling the first
/// call must not touch the second call's stream.
#[test]
fn a_cancel_reaches_only_its_own_call() {
    let emu = emulator();
    let huge = Duration::from_secs(1_000_000_000);
    let c = builder(&emu)
        .max_attempts(2)
        .retry_backoff(huge, huge)
        .build()
        .unwrap();
    emu.clear_requests();
    emu.push_scenario("http=429".parse::<Scenario>().unwrap());
    emu.push_scenario("drip=40ms,chunks=300".parse::<Scenario>().unwrap());
    let cancel_a = CancelHandle::new();
    let (c_a, h) = (c.clone(), cancel_a.clone());
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let a = thread::spawn(move || {
        tid_tx.send(read_barrier::thread_id()).unwrap();
        let r = c_a.invoke_model_with_response_stream_cancellable(&claude(), h);
        (r.map(|_| ()), Instant::now())
    });
    // A has its 429 and sleeps in the (very long) backoff.
    assert!(emu.wait_for_requests(1, Duration::from_secs(10)));
    read_barrier::wait_blocked_in_wait(tid_rx.recv().unwrap());

    let (c_b, (tid_tx, tid_rx)) = (c.clone(), std::sync::mpsc::channel());
    let (first_tx, first_rx) = std::sync::mpsc::channel();
    let b = thread::spawn(move || {
        let mut s = c_b.invoke_model_with_response_stream(&claude()).unwrap();
        let first = s.next().unwrap().map(|_| ());
        tid_tx.send(read_barrier::thread_id()).unwrap();
        first_rx.recv().unwrap();
        let mut events = 1;
        for e in &mut s {
            e?;
            events += 1;
        }
        first.map(|()| events)
    });
    let tid_b = tid_rx.recv().unwrap();
    let reqs = invoke_requests(&emu);
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        (reqs[1].connection_id, reqs[1].sequence_on_connection),
        (reqs[0].connection_id, 2),
        "B took A's connection from the pool"
    );
    first_tx.send(()).unwrap();
    read_barrier::wait_blocked_in_read(tid_b);
    let cancelled_at = Instant::now();
    cancel_a.cancel();
    let (r, returned) = a.join().unwrap();
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Cancelled);
    assert!(returned.saturating_duration_since(cancelled_at) < Duration::from_secs(2));
    let events = b
        .join()
        .unwrap()
        .expect("B's stream is untouched by A's cancel");
    assert!(events > 20, "{events} events");
}

/// Issue 10: a cancel during the TCP connect returns at once (not after the connect timeout).
/// The listener's accept queue is full, so the connect hangs in SYN-SENT.
#[test]
fn a_cancel_during_the_connect_returns_at_once() {
    let listener = full_listener();
    let c = Client::builder()
        .region("us-east-1")
        .endpoint_url(format!("http://{}", listener.addr))
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .connect_timeout(Some(Duration::from_secs(120)))
        .build()
        .unwrap();
    let cancel = CancelHandle::new();
    let h = cancel.clone();
    let (tid_tx, tid_rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        tid_tx.send(read_barrier::thread_id()).unwrap();
        let r = c.invoke_model_with_response_stream_cancellable(&claude(), h);
        (r.map(|_| ()), Instant::now())
    });
    read_barrier::wait_blocked_in_connect(tid_rx.recv().unwrap(), "bs-connect");
    let cancelled_at = Instant::now();
    cancel.cancel();
    let (r, returned) = t.join().unwrap();
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    let took = returned.saturating_duration_since(cancelled_at);
    assert!(
        took < Duration::from_secs(2),
        "returned {took:?} after the cancel"
    );
    drop(listener);
}

/// A loopback listener whose accept queue is full: a new connect gets no answer.
struct FullListener {
    addr: std::net::SocketAddr,
    fd: i32,
    _fillers: Vec<std::net::TcpStream>,
}

impl Drop for FullListener {
    fn drop(&mut self) {
        // SAFETY: `fd` is the listening socket this struct owns.
        unsafe { libc::close(self.fd) };
    }
}

fn full_listener() -> FullListener {
    use std::net::{Ipv4Addr, SocketAddr, TcpStream};
    // SAFETY: plain socket calls on a socket this function owns; `sin` is a valid sockaddr_in
    // whose size is passed along, and `len` is its size.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr.s_addr = u32::from(Ipv4Addr::LOCALHOST).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(
            libc::bind(fd, (&sin as *const libc::sockaddr_in).cast(), len),
            0
        );
        assert_eq!(libc::listen(fd, 0), 0);
        let mut len = len;
        assert_eq!(
            libc::getsockname(fd, (&mut sin as *mut libc::sockaddr_in).cast(), &mut len),
            0
        );
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, u16::from_be(sin.sin_port)));
        // Fill the accept queue (backlog 0 holds one); later connects stay unanswered.
        let mut fillers = Vec::new();
        for _ in 0..2 {
            if let Ok(s) = TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                fillers.push(s);
            }
        }
        FullListener {
            addr,
            fd,
            _fillers: fillers,
        }
    }
}

/// Early stop from the callback: the connection is dropped, and the next request does not
/// reuse it; a clean end does return it to the pool.
#[test]
fn pool_reuse_only_after_a_clean_end() {
    let emu = emulator();
    let c = client(&emu);
    emu.clear_requests();
    let sum = c
        .invoke_with(&claude(), |_| ControlFlow::Continue(()))
        .unwrap();
    assert!(!sum.stopped_early);
    let sum2 = c
        .invoke_with(&claude(), |_| ControlFlow::Continue(()))
        .unwrap();
    assert_eq!(sum.events, sum2.events);
    let reqs = invoke_requests(&emu);
    assert_eq!(
        reqs[1].connection_id, reqs[0].connection_id,
        "clean end → reused"
    );
    assert_eq!(reqs[1].sequence_on_connection, 2);

    let closed_before = emu.closed_connections();
    let sum = c
        .invoke_with(&claude(), |_| ControlFlow::Break(()))
        .unwrap();
    assert!(sum.stopped_early);
    assert_eq!(sum.events, 1);
    assert!(emu.wait_for_closed_connections(closed_before + 1, Duration::from_secs(10)));
    drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
    let reqs = invoke_requests(&emu);
    assert_ne!(
        reqs[3].connection_id, reqs[2].connection_id,
        "stopped stream → not reused"
    );
}

/// Dropping streams early leaks neither sockets nor memory.
#[test]
fn dropping_streams_early_leaks_no_sockets() {
    fn fds() -> usize {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0)
    }
    let emu = emulator();
    let c = client(&emu);
    // Warm up.
    for _ in 0..5 {
        let mut s = c.invoke_model_with_response_stream(&claude()).unwrap();
        s.next();
    }
    let before = fds();
    for _ in 0..300 {
        let mut s = c.invoke_model_with_response_stream(&claude()).unwrap();
        assert!(s.next().unwrap().is_ok());
        drop(s);
    }
    assert!(emu.wait_for_closed_connections(305, Duration::from_secs(20)));
    let after = fds();
    assert!(after <= before + 4, "fds grew from {before} to {after}");
}

/// 64 threads share one client and stream concurrently with no loss.
#[test]
fn sixty_four_threads_share_one_client() {
    let emu = Arc::new(Emulator::builder().max_connections(512).start().unwrap());
    let c = client(&emu);
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let c = c.clone();
            thread::spawn(move || {
                let prompt = format!("thread {i}");
                let id = CLAUDE;
                let mut total = String::new();
                for _ in 0..3 {
                    let mut s = c
                        .invoke_model_with_response_stream(&InvokeRequest::new(
                            id,
                            claude_body(&prompt),
                        ))
                        .unwrap();
                    let (chunks, err) = drain(&mut s);
                    assert!(err.is_none(), "{err:?}");
                    total = text_of(id, &chunks);
                    assert_eq!(total, expected_reply(&prompt));
                }
                total
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), expected_reply(&format!("thread {i}")));
    }
    assert_eq!(invoke_requests(&emu).len(), 64 * 3);
}

/// Authentication: a wrong secret or key is refused with AWS's shapes and never retried; a
/// session token and a bearer token work; secrets never leak into Debug or errors.
#[test]
fn authentication_and_secrets() {
    let emu = Emulator::builder()
        .session_credentials("ASIATEMPORARY", "temp-secret-XYZ", "SESSION-TOKEN-SECRET")
        .bearer_token("bedrock-api-key-SECRET123")
        .start()
        .unwrap();
    let base = || {
        Client::builder()
            .region("us-east-1")
            .endpoint_url(emu.endpoint_url())
            .ignore_env_bearer_token(true)
            .no_proxy()
            .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
    };
    // Wrong secret → InvalidSignatureException, 403, one request.
    let c = base()
        .credentials(Credentials::new(
            "ASIATEMPORARY",
            "wrong-secret-VALUE",
            Some("SESSION-TOKEN-SECRET".into()),
        ))
        .build()
        .unwrap();
    emu.clear_requests();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.http_status(), Some(403));
    assert_eq!(e.code(), Some("InvalidSignatureException"));
    assert_eq!(invoke_requests(&emu).len(), 1);
    assert!(!format!("{e} {e:?} {c:?}").contains("wrong-secret-VALUE"));
    // Unknown key id.
    let c = base()
        .credentials(Credentials::new("AKIDUNKNOWN", "x", None))
        .build()
        .unwrap();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.code(), Some("UnrecognizedClientException"), "{e}");
    // Session credentials.
    let c = base()
        .credentials(Credentials::new(
            "ASIATEMPORARY",
            "temp-secret-XYZ",
            Some("SESSION-TOKEN-SECRET".into()),
        ))
        .build()
        .unwrap();
    emu.clear_requests();
    drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
    assert!(matches!(
        &invoke_requests(&emu)[0].auth,
        AuthOutcome::SigV4 {
            session_token: true,
            ..
        }
    ));
    let dbg = format!("{c:?}");
    assert!(
        !dbg.contains("temp-secret-XYZ") && !dbg.contains("SESSION-TOKEN-SECRET"),
        "{dbg}"
    );
    // Bearer token (takes precedence over credentials).
    let c = base()
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .bearer_token("bedrock-api-key-SECRET123")
        .build()
        .unwrap();
    emu.clear_requests();
    drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
    assert_eq!(invoke_requests(&emu)[0].auth, AuthOutcome::Bearer);
    assert!(!format!("{c:?}").contains("SECRET123"));
    let c = base()
        .bearer_token("bedrock-api-key-WRONG")
        .build()
        .unwrap();
    let e = c.invoke_model_with_response_stream(&claude()).unwrap_err();
    assert_eq!(e.http_status(), Some(403), "{e}");
    assert!(!format!("{e} {e:?}").contains("WRONG"));
}

/// The adaptive retry mode keeps working through throttling (its client-side rate limiter
/// slows the sending rate down, then lets it recover).
#[test]
fn adaptive_retry_mode_rides_out_throttling() {
    let emu = emulator();
    let c = builder(&emu)
        .retry_mode(bedrock_stream::RetryMode::Adaptive)
        .max_attempts(4)
        .build()
        .unwrap();
    for _ in 0..3 {
        drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
    }
    emu.push_scenarios(
        [
            "http=429:ThrottlingException",
            "http=429:ThrottlingException",
        ]
        .map(|s| s.parse::<Scenario>().unwrap()),
    );
    let mut s = c.invoke_model_with_response_stream(&claude()).unwrap();
    assert_eq!(s.attempts(), 3);
    let (chunks, err) = drain(&mut s);
    assert!(err.is_none());
    assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
    for _ in 0..5 {
        let (chunks, err) = drain(&mut c.invoke_model_with_response_stream(&claude()).unwrap());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
    }
}

/// A timer setting: off, zero, tiny, ordinary, huge, up to `Duration::MAX`.
fn any_timer() -> impl proptest::strategy::Strategy<Value = Option<Duration>> {
    use proptest::prelude::*;
    prop_oneof![
        Just(None),
        Just(Some(Duration::MAX)),
        Just(Some(Duration::ZERO)),
        Just(Some(Duration::from_secs(u64::MAX))),
        (0u64..=u64::MAX, 0u32..1_000_000_000).prop_map(|(s, n)| Some(Duration::new(s, n))),
        (1u64..3_600).prop_map(|s| Some(Duration::from_secs(s))),
        (0u64..2_000_000).prop_map(|n| Some(Duration::from_nanos(n))),
    ]
}

/// Issue 10: the backoff durations fuzzed too (`retry_backoff(Duration::MAX, ..)` with a
/// deadline and one retryable failure used to panic): any backoff pair with any timers, the
/// first attempt answered 503. The call never panics; it retries (and streams the answer), or
/// ends with a typed error, or waits in its backoff until cancelled: a call still running after
/// 2 s is cancelled and must then end promptly as `Cancelled`.
#[test]
fn any_backoff_with_any_timers_never_panics() {
    use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 32,
        rng_seed: RngSeed::Fixed(0x00ba_c0ff),
        ..Config::default()
    });
    let duration = || any_timer().prop_map(|t| t.unwrap_or(Duration::ZERO));
    use proptest::strategy::Strategy;
    let settings = (
        duration(),
        duration(),
        any_timer(),
        any_timer(),
        any_timer(),
    );
    runner
        .run(&settings, |(initial, max, connect, idle, deadline)| {
            let emu = emulator();
            emu.push_scenario("fail=1:503".parse::<Scenario>().unwrap());
            let c = builder(&emu)
                .max_attempts(2)
                .retry_backoff(initial, max)
                .connect_timeout(connect)
                .read_idle_timeout(idle)
                .deadline(deadline)
                .build()
                .unwrap();
            let cancel = CancelHandle::new();
            let (tx, rx) = std::sync::mpsc::channel();
            let h = cancel.clone();
            let call = thread::spawn(move || {
                let r = c
                    .invoke_model_with_response_stream_cancellable(&claude(), h)
                    .and_then(|mut s| match drain(&mut s) {
                        (chunks, None) => Ok((chunks, s.attempts())),
                        (_, Some(e)) => Err(e),
                    });
                let _ = tx.send(r);
            });
            let (r, cancelled) = match rx.recv_timeout(Duration::from_secs(2)) {
                Ok(r) => (r, false),
                Err(_) => {
                    cancel.cancel();
                    let r = rx.recv_timeout(Duration::from_secs(2));
                    // A panic in the call shows here (the sender was dropped).
                    match r {
                        Ok(r) => (r, true),
                        Err(_) => {
                            let panic = call.join().err();
                            return Err(TestCaseError::fail(format!(
                                "the call did not end on cancel: {panic:?}"
                            )));
                        }
                    }
                }
            };
            if let Err(p) = call.join() {
                return Err(TestCaseError::fail(format!("the call panicked: {p:?}")));
            }
            match r {
                Ok((chunks, attempts)) => {
                    proptest::prop_assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
                    proptest::prop_assert_eq!(attempts, 2);
                }
                Err(e) if cancelled => {
                    proptest::prop_assert_eq!(e.kind(), ErrorKind::Cancelled, "{}", e)
                }
                Err(e) => proptest::prop_assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::ServiceUnavailable
                    ),
                    "{e}"
                ),
            }
            Ok(())
        })
        .unwrap();
}

/// Issue 10: huge durations meant "panic at call time" (`overflow when adding duration to
/// instant`, in the deadline, the backoff sleep and inside ureq). Any value of any timer now
/// builds a client whose call ends normally: with the stream when the timers allow it, else
/// with a typed error.
#[test]
fn any_duration_for_any_timer_never_panics() {
    use proptest::test_runner::{Config, RngSeed, TestRunner};
    let emu = emulator();
    let mut runner = TestRunner::new(Config {
        cases: 48,
        rng_seed: RngSeed::Fixed(0x0d0a_7105),
        ..Config::default()
    });
    let timers = (any_timer(), any_timer(), any_timer(), any_timer());
    runner
        .run(&timers, |(connect, headers, idle, deadline)| {
            let c = builder(&emu)
                .connect_timeout(connect)
                .response_headers_timeout(headers)
                .read_idle_timeout(idle)
                .deadline(deadline)
                .max_attempts(1)
                .build()
                .unwrap();
            let r = c
                .invoke_model_with_response_stream(&claude())
                .and_then(|mut s| match drain(&mut s) {
                    (chunks, None) => Ok(chunks),
                    (_, Some(e)) => Err(e),
                });
            let generous = |t: Option<Duration>| t.is_none_or(|t| t >= Duration::from_secs(30));
            if [connect, headers, idle, deadline].into_iter().all(generous) {
                let chunks =
                    r.map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
                proptest::prop_assert_eq!(text_of(CLAUDE, &chunks), expected_reply(PROMPT));
            } else if let Err(e) = r {
                proptest::prop_assert!(
                    matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Transport),
                    "{e}"
                );
            }
            Ok(())
        })
        .unwrap();
}
