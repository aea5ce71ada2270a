//! The stream core every front end shares (issue 11): its state machine (streaming, ended,
//! failed, cancelled: a failure is never read back as an end, every call after the end, a
//! failure or a cancel answers the same), the borrowed event view with text, stop reason,
//! usage and metrics computed on demand, and the one-handle-one-call rule of `CancelHandle`.
//! The C side of the same rules is in tests/ffi.rs.
#![cfg(feature = "emulator")]

use std::ops::ControlFlow;
use std::time::Duration;

use bedrock_stream::converse::{ConverseRequest, Message};
use bedrock_stream::emulator::Emulator;
use bedrock_stream::extract::ModelFamily;
use bedrock_stream::{
    CancelHandle, Client, Credentials, ErrorKind, EventStream, InvokeRequest, StreamState,
};

const CLAUDE: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const PROMPT: &str = "Say hello";

fn emulator() -> Emulator {
    Emulator::builder().text_chunks(5).start().unwrap()
}

fn client(emu: &Emulator) -> Client {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
        .build()
        .unwrap()
}

fn body() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": PROMPT}]
    }))
    .unwrap()
}

fn request(model: &str) -> InvokeRequest {
    InvokeRequest::new(model, body())
}

fn expected_reply() -> String {
    format!("Hello from the Bedrock emulator! You said: “{PROMPT}”. 你好，世界！ 🦀")
}

/// Read with `next_event` until it stops; the events read and how it stopped.
fn pull(stream: &mut EventStream) -> (u64, bedrock_stream::Result<()>) {
    let mut n = 0;
    loop {
        match stream.next_event() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return (n, Ok(())),
            Err(e) => return (n, Err(e)),
        }
    }
}

#[test]
fn a_failure_is_never_read_as_an_end_and_every_later_call_repeats_it() {
    let emu = emulator();
    let c = client(&emu);
    for (spec, kind, events) in [
        (
            "exception=throttlingException:after=2",
            ErrorKind::Throttling,
            2,
        ),
        ("error=InternalFailure:after=1", ErrorKind::StreamError, 1),
        ("truncate:after=1", ErrorKind::Truncated, 1),
        ("truncate:after=1:abrupt", ErrorKind::Truncated, 1),
        ("reset:after=1", ErrorKind::Truncated, 1),
    ] {
        let model = format!("emulator-fault:{spec}");
        // The borrowed reader: the error, then the same kind on every later call.
        let mut stream = c
            .invoke_model_with_response_stream(&request(&model))
            .unwrap();
        assert_eq!(stream.state(), StreamState::Streaming);
        let (n, end) = pull(&mut stream);
        let first = end.expect_err(spec);
        assert_eq!((n, first.kind()), (events, kind), "{spec}: {first}");
        assert_eq!(stream.state(), StreamState::Failed, "{spec}");
        for _ in 0..3 {
            let again = stream.next_event().expect_err(spec);
            assert_eq!(again.kind(), kind, "{spec}");
            assert!(again.message().contains("already failed"), "{again}");
            assert_eq!(again.events_delivered(), events, "{spec}");
            assert!(!again.is_retryable(), "{spec}");
        }
        assert_eq!(stream.state(), StreamState::Failed, "{spec}");
        assert_eq!(stream.events_delivered(), events, "{spec}");

        // The iterator: the error once, then nothing (fused), and the state says Failed.
        let mut stream = c
            .invoke_model_with_response_stream(&request(&model))
            .unwrap();
        let items: Vec<_> = stream.by_ref().collect();
        assert_eq!(items.len() as u64, events + 1, "{spec}");
        assert_eq!(items.last().unwrap().as_ref().unwrap_err().kind(), kind);
        assert!(stream.next().is_none());
        assert_eq!(stream.state(), StreamState::Failed, "{spec}");
        // Switching to the borrowed reader after the iterator still reports the failure.
        assert_eq!(stream.next_event().unwrap_err().kind(), kind, "{spec}");
    }
}

#[test]
fn the_end_is_sticky_and_a_cancel_after_it_changes_nothing() {
    let emu = emulator();
    let c = client(&emu);
    let mut stream = c
        .invoke_model_with_response_stream(&request(CLAUDE))
        .unwrap();
    let (n, end) = pull(&mut stream);
    end.unwrap();
    assert!(n > 5, "{n}");
    assert_eq!(stream.state(), StreamState::Ended);
    stream.cancel_handle().cancel();
    for _ in 0..3 {
        assert!(stream.next_event().unwrap().is_none());
        assert!(stream.next().is_none());
    }
    assert_eq!(stream.state(), StreamState::Ended);
    assert_eq!(stream.events_delivered(), n);
}

#[test]
fn a_cancel_ends_the_stream_and_every_later_call_says_cancelled() {
    let emu = emulator();
    let c = client(&emu);
    // Borrowed reader; the cancel lands between two buffered events.
    let cancel = CancelHandle::new();
    let mut stream = c
        .invoke_model_with_response_stream_cancellable(&request(CLAUDE), cancel.clone())
        .unwrap();
    assert!(stream.next_event().unwrap().is_some());
    cancel.cancel();
    // Seen at once, before the next call.
    assert_eq!(stream.state(), StreamState::Cancelled);
    for _ in 0..3 {
        let e = stream.next_event().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
        assert_eq!(e.events_delivered(), 1);
    }
    assert_eq!(stream.state(), StreamState::Cancelled);

    // The iterator: Cancelled once, then nothing; still Cancelled, never Ended.
    let mut stream = c
        .invoke_model_with_response_stream(&request(CLAUDE))
        .unwrap();
    assert!(stream.next().unwrap().is_ok());
    stream.cancel_handle().cancel();
    assert_eq!(
        stream.next().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert!(stream.next().is_none());
    assert_eq!(stream.state(), StreamState::Cancelled);
    assert_eq!(
        stream.next_event().unwrap_err().kind(),
        ErrorKind::Cancelled
    );

    // ConverseStream runs on the same core.
    let json = ConverseRequest::new(CLAUDE)
        .message(Message::user(PROMPT))
        .to_json(true)
        .unwrap();
    let cancel = CancelHandle::new();
    let mut stream = c.converse_stream_json(&json, cancel.clone()).unwrap();
    assert!(stream.next().unwrap().is_ok());
    cancel.cancel();
    assert_eq!(stream.state(), StreamState::Cancelled);
    assert_eq!(
        stream.next().unwrap().unwrap_err().kind(),
        ErrorKind::Cancelled
    );
    assert!(stream.next().is_none());
    assert_eq!(stream.state(), StreamState::Cancelled);
    // And ends the same way.
    let mut stream = c.converse_stream_json(&json, CancelHandle::new()).unwrap();
    assert!(stream.by_ref().all(|e| e.is_ok()));
    assert_eq!(stream.state(), StreamState::Ended);
}

#[test]
fn a_cancel_handle_serves_one_call_in_every_operation() {
    let emu = emulator();
    let c = client(&emu);
    let handle = CancelHandle::new();
    let mut stream = c
        .invoke_model_with_response_stream_cancellable(&request(CLAUDE), handle.clone())
        .unwrap();
    pull(&mut stream).1.unwrap();
    let sent = emu.request_count();
    let json = ConverseRequest::new(CLAUDE)
        .message(Message::user(PROMPT))
        .to_json(true)
        .unwrap();
    let converse = ConverseRequest::new(CLAUDE)
        .message(Message::user(PROMPT))
        .to_json(false)
        .unwrap();
    // The same handle, a clone of it, or the stream's own: refused, nothing sent. (Before,
    // the second call ran, and a cancel no longer reached its connection.)
    let refusals = [
        c.invoke_model_with_response_stream_cancellable(&request(CLAUDE), handle.clone())
            .map(|_| ())
            .unwrap_err(),
        c.invoke_model_with_response_stream_cancellable(&request(CLAUDE), stream.cancel_handle())
            .map(|_| ())
            .unwrap_err(),
        c.invoke_model_cancellable(&request(CLAUDE), handle.clone())
            .map(|_| ())
            .unwrap_err(),
        c.converse_stream_json(&json, handle.clone())
            .map(|_| ())
            .unwrap_err(),
        c.converse_json(&converse, handle.clone())
            .map(|_| ())
            .unwrap_err(),
        c.invoke_with_events(&request(CLAUDE), handle.clone(), |_| {
            ControlFlow::Continue(())
        })
        .map(|_| ())
        .unwrap_err(),
    ];
    for e in refusals {
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.message().contains("already given"), "{e}");
        assert_eq!(e.attempts(), 0);
    }
    assert_eq!(emu.request_count(), sent, "nothing was sent");

    // A handle cancelled before its call: that call is cancelled, nothing sent; the handle
    // is then used up like any other.
    let early = CancelHandle::new();
    early.cancel();
    let e = c
        .invoke_model_with_response_stream_cancellable(&request(CLAUDE), early.clone())
        .unwrap_err();
    assert_eq!((e.kind(), e.attempts()), (ErrorKind::Cancelled, 0));
    let e = c
        .invoke_model_with_response_stream_cancellable(&request(CLAUDE), early)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    // A call refused for its request still takes its handle.
    let taken = CancelHandle::new();
    let e = c
        .invoke_model_with_response_stream_cancellable(&request(""), taken.clone())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(!e.message().contains("already given"), "{e}");
    let e = c
        .invoke_model_with_response_stream_cancellable(&request(CLAUDE), taken)
        .unwrap_err();
    assert!(e.message().contains("already given"), "{e}");
    assert_eq!(emu.request_count(), sent);
}

#[test]
fn the_borrowed_event_reads_text_stop_reason_usage_and_metrics_on_demand() {
    let emu = emulator();
    let c = client(&emu);
    let mut stream = c
        .invoke_model_with_response_stream(&request(CLAUDE))
        .unwrap();
    let (mut text, mut stop, mut usage, mut metrics) = (String::new(), None, None, None);
    while let Some(e) = stream.next_event().unwrap() {
        assert_eq!(e.event_type(), "chunk");
        assert_eq!(e.chunk(), Some(e.payload()));
        assert_eq!(e.family(), ModelFamily::AnthropicClaude);
        text.push_str(e.text().unwrap_or(""));
        stop = stop.or(e.stop_reason().map(str::to_owned));
        usage = usage.or(e.usage().and_then(|u| u.output_tokens));
        metrics = metrics.or(e.metrics().and_then(|m| m.output_token_count));
        // Asked twice, read once: the same borrowed answer.
        assert!(std::ptr::eq(e.info(), e.info()));
    }
    assert_eq!(stream.finish_text(), None);
    assert_eq!(text, expected_reply());
    assert_eq!(stop.as_deref(), Some("end_turn"));
    assert!(
        usage.is_some() && metrics.is_some(),
        "{usage:?} {metrics:?}"
    );

    // The callback form, through the same view.
    let mut text = String::new();
    let summary = c
        .invoke_with_events(&request(CLAUDE), CancelHandle::new(), |e| {
            text.push_str(e.text().unwrap_or(""));
            ControlFlow::Continue(())
        })
        .unwrap();
    assert_eq!(text, expected_reply());
    assert!(!summary.stopped_early);
}

#[test]
fn the_family_comes_from_the_request_and_is_recognised_only_when_asked() {
    let emu = emulator();
    let c = client(&emu);
    // The model id names no family: recognised from the chunks, but only once text is
    // asked for (nothing is parsed for a caller that reads bytes only).
    let titan = "emulator-fault:family=titan";
    let request = |model: &str| {
        InvokeRequest::new(
            model,
            serde_json::to_vec(&serde_json::json!({ "inputText": PROMPT })).unwrap(),
        )
    };
    let mut stream = c
        .invoke_model_with_response_stream(&request(titan))
        .unwrap();
    let mut chunks = 0;
    while let Some(e) = stream.next_event().unwrap() {
        assert_eq!(e.family(), ModelFamily::Unknown, "nothing parsed");
        chunks += 1;
    }
    assert!(chunks > 1);
    let mut stream = c
        .invoke_model_with_response_stream(&request(titan))
        .unwrap();
    let mut text = String::new();
    let mut families = Vec::new();
    while let Some(e) = stream.next_event().unwrap() {
        text.push_str(e.text().unwrap_or(""));
        families.push(e.family());
    }
    assert_eq!(text, expected_reply());
    assert_eq!(families.last(), Some(&ModelFamily::AmazonTitanText));
    // Set on the request: used from the first chunk.
    let r = request(titan).model_family(ModelFamily::AmazonTitanText);
    assert_eq!(r.model_family_value(), ModelFamily::AmazonTitanText);
    let mut stream = c.invoke_model_with_response_stream(&r).unwrap();
    let e = stream.next_event().unwrap().unwrap();
    assert_eq!(e.family(), ModelFamily::AmazonTitanText);
    // A family that does not fit the chunks reads no text (never guessed).
    let r = request(titan).model_family(ModelFamily::MetaLlama);
    let mut stream = c.invoke_model_with_response_stream(&r).unwrap();
    while let Some(e) = stream.next_event().unwrap() {
        assert_eq!(e.text(), None);
    }
    assert_eq!(
        self::request(CLAUDE).model_family_value(),
        ModelFamily::AnthropicClaude
    );
}

/// What the C config had and the Rust builder lacked (issue 11): the C config is now a
/// `ClientBuilder`, so both read a CA bundle file the same way (now, bounded) and can switch
/// the proxy off and on again.
#[test]
fn the_builder_reads_a_ca_bundle_file_and_switches_the_proxy_both_ways() {
    let emu = Emulator::builder()
        .tls(true)
        .text_chunks(5)
        .start()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bedrock-stream-core-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    emu.write_ca_pem(&ca).unwrap();
    let base = || {
        Client::builder()
            .region("us-east-1")
            .endpoint_url(emu.endpoint_url())
            .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
            .ignore_env_bearer_token(true)
            .no_proxy()
    };
    // Without the emulator's CA the TLS handshake fails; with it, the call goes through.
    let e = base()
        .max_attempts(1)
        .build()
        .unwrap()
        .invoke_model_with_response_stream(&request(CLAUDE))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let c = base().ca_bundle_file(&ca).unwrap().build().unwrap();
    let mut stream = c
        .invoke_model_with_response_stream(&request(CLAUDE))
        .unwrap();
    let mut text = String::new();
    while let Some(e) = stream.next_event().unwrap() {
        text.push_str(e.text().unwrap_or(""));
    }
    assert_eq!(text, expected_reply());
    // A file that cannot be read is refused at once, naming it.
    let missing = dir.join("missing.pem");
    let e = base().ca_bundle_file(&missing).map(|_| ()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.message().contains("missing.pem"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();

    // The proxy: switched off, an invalid explicit proxy is not even parsed; on again, it is.
    let proxied = || base().proxy("::not a proxy::");
    assert!(proxied().proxy_disabled(true).build().is_ok());
    let e = proxied()
        .proxy_disabled(true)
        .proxy_disabled(false)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
}
