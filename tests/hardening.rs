//! Issue 10, "Precedence and configuration" and "Secrets and hostile input": empty settings,
//! attempts and retryable flags, enum-valued settings, error bodies cut by a timer, the retry
//! quota, URL redaction, text from the server, dot-segment model ids and CA bundles. Each test
//! fails on the code before the fix.
#![cfg(feature = "emulator")]

use std::time::{Duration, Instant};

use bedrock_stream::credentials::ProcessProvider;
use bedrock_stream::emulator::{Emulator, StreamException};
use bedrock_stream::{
    Client, ClientBuilder, Credentials, ErrorKind, InvokeRequest, PerformanceConfigLatency,
    ServiceTier, Timeouts, Timer, Trace, DEFAULT_READ_IDLE_TIMEOUT,
};

const CLAUDE: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

fn emulator() -> Emulator {
    Emulator::builder().start().expect("emulator starts")
}

fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .retry_backoff(Duration::ZERO, Duration::ZERO)
}

/// [`builder`] with the proxy settings left alone (not `no_proxy`).
fn proxied(emu: &Emulator, proxy: &str) -> ClientBuilder {
    Client::builder()
        .region("us-east-1")
        .endpoint_url(emu.endpoint_url())
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .ignore_env_bearer_token(true)
        .proxy(proxy)
}

fn body() -> Vec<u8> {
    br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#.to_vec()
}

fn claude() -> InvokeRequest {
    InvokeRequest::new(CLAUDE, body())
}

fn fault(spec: &str) -> InvokeRequest {
    InvokeRequest::new(format!("emulator-fault:{spec}"), body())
}

/// Run a request to its end; the error that ended it, if any.
fn run(client: &Client, req: &InvokeRequest) -> Option<bedrock_stream::Error> {
    match client.invoke_model_with_response_stream(req) {
        Err(e) => Some(e),
        Ok(stream) => {
            for e in stream {
                if let Err(e) = e {
                    return Some(e);
                }
            }
            None
        }
    }
}

/// Issue 10: the read-idle timer defaults to 60 s (botocore's read timeout), not 300 s: a
/// silent stream no longer holds a thread for five minutes. A client built without timer
/// settings runs with it.
#[test]
fn the_default_read_idle_timeout_is_60_s() {
    assert_eq!(DEFAULT_READ_IDLE_TIMEOUT, Duration::from_secs(60));
    assert_eq!(Timeouts::default().read_idle, Some(Duration::from_secs(60)));
    let emu = emulator();
    let client = builder(&emu).build().unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("read_idle: Some(60s)"), "{shown}");
}

// ---- 1. empty strings ---------------------------------------------------------------------

#[test]
fn an_explicit_empty_region_or_endpoint_is_a_configuration_error() {
    let emu = emulator();
    for (what, b) in [
        ("region", builder(&emu).region("")),
        ("blank region", builder(&emu).region("  ")),
        ("endpoint", builder(&emu).endpoint_url("")),
        ("blank endpoint", builder(&emu).endpoint_url(" ")),
        ("proxy", proxied(&emu, "")),
    ] {
        let e = b.build().expect_err(what);
        assert_eq!(e.kind(), ErrorKind::Config, "{what}: {e}");
        assert!(e.message().contains("empty"), "{what}: {e}");
    }
    // Before the fix, an empty endpoint meant "the default AWS endpoint" and an empty region
    // fell back to the environment.
    let e = Client::builder()
        .region("us-east-1")
        .endpoint_url("")
        .credentials(Credentials::new("AKIDEMULATOR", "emulator-secret", None))
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert_eq!(emu.request_count(), 0);
}

// ---- 2. attempts, retryable, enum-valued settings ----------------------------------------

#[test]
fn nothing_sent_is_zero_attempts() {
    let emu = emulator();
    let client = builder(&emu)
        .credentials_provider(ProcessProvider::new("false"))
        .build()
        .unwrap();
    let e = client
        .invoke_model_with_response_stream(&claude())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e}");
    assert_eq!(e.attempts(), 0, "nothing was sent: {e:?}");
    assert_eq!(emu.request_count(), 0);
    // One sent request is one attempt.
    let e = run(
        &builder(&emu).max_attempts(1).build().unwrap(),
        &fault("http=400"),
    )
    .unwrap();
    assert_eq!(e.attempts(), 1);
}

/// Every modeled error, in each form it exists in: the retryable flag is the kind's, whatever
/// the form (the documented table of `ErrorKind`).
#[test]
fn retryable_is_a_property_of_the_kind_in_both_forms() {
    let emu = emulator();
    let client = builder(&emu).max_attempts(1).build().unwrap();
    let table: [(&str, u16, ErrorKind, bool); 11] = [
        ("AccessDeniedException", 403, ErrorKind::AccessDenied, false),
        (
            "ResourceNotFoundException",
            404,
            ErrorKind::ResourceNotFound,
            false,
        ),
        ("ThrottlingException", 429, ErrorKind::Throttling, true),
        ("ModelTimeoutException", 408, ErrorKind::ModelTimeout, false),
        (
            "InternalServerException",
            500,
            ErrorKind::InternalServer,
            true,
        ),
        (
            "ServiceUnavailableException",
            503,
            ErrorKind::ServiceUnavailable,
            true,
        ),
        (
            "ModelStreamErrorException",
            424,
            ErrorKind::ModelStreamError,
            true,
        ),
        ("ValidationException", 400, ErrorKind::Validation, false),
        (
            "ServiceQuotaExceededException",
            400,
            ErrorKind::ServiceQuotaExceeded,
            false,
        ),
        (
            "ModelNotReadyException",
            429,
            ErrorKind::ModelNotReady,
            true,
        ),
        ("ModelErrorException", 424, ErrorKind::ModelError, false),
    ];
    for (shape, status, kind, retryable) in table {
        let e = run(&client, &fault(&format!("http={status}:{shape}"))).unwrap();
        assert_eq!(e.kind(), kind, "{shape}: {e}");
        assert_eq!(e.is_retryable(), retryable, "HTTP {shape}: {e}");
        let member = StreamException::MODELED
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(shape));
        if let Some(m) = member {
            let e = run(&client, &fault(&format!("exception={m}:after=1"))).unwrap();
            assert_eq!(e.kind(), kind, "{m}: {e}");
            assert_eq!(e.is_retryable(), retryable, "stream {m}: {e}");
        }
    }
    for (status, retryable) in [(502, true), (504, true), (409, false)] {
        let e = run(&client, &fault(&format!("http={status}"))).unwrap();
        assert_eq!(e.kind(), ErrorKind::UnmodeledService, "{e}");
        assert_eq!(e.is_retryable(), retryable, "HTTP {status}: {e}");
    }
}

#[test]
fn enum_values_ignore_ascii_case_and_surrounding_space_and_send_the_wire_value() {
    assert_eq!("enabled_full".parse::<Trace>().unwrap(), Trace::EnabledFull);
    assert_eq!(" Disabled ".parse::<Trace>().unwrap(), Trace::Disabled);
    assert_eq!(
        "OPTIMIZED".parse::<PerformanceConfigLatency>().unwrap(),
        PerformanceConfigLatency::Optimized
    );
    assert_eq!("Flex".parse::<ServiceTier>().unwrap(), ServiceTier::Flex);
    assert_eq!(
        "Adaptive".parse::<bedrock_stream::RetryMode>().unwrap(),
        bedrock_stream::RetryMode::Adaptive
    );
    for bad in ["enable", "ENABLED FULL", ""] {
        let e = bad.parse::<Trace>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    let emu = emulator();
    let client = builder(&emu).build().unwrap();
    let req = claude()
        .trace("enabled".parse().unwrap())
        .service_tier("PRIORITY".parse().unwrap());
    assert!(run(&client, &req).is_none());
    let r = &emu.requests()[0];
    assert_eq!(r.header("x-amzn-bedrock-trace"), Some("ENABLED"));
    assert_eq!(r.header("x-amzn-bedrock-service-tier"), Some("priority"));
}

// ---- 3. an error body cut by a timer --------------------------------------------------------

#[test]
fn an_error_body_cut_by_a_timer_is_that_timeout_not_an_empty_429() {
    let emu = emulator();
    let client = builder(&emu)
        .max_attempts(1)
        .read_idle_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = run(&client, &fault("stall-body=429")).unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timer(), Some(Timer::ReadIdle), "{e}");
    assert_eq!(e.http_status(), Some(429), "{e}");
    assert!(!e.message().contains("empty body"), "{e}");

    let client = builder(&emu)
        .max_attempts(1)
        .deadline(Some(Duration::from_millis(500)))
        .build()
        .unwrap();
    let e = run(&client, &fault("stall-body=503")).unwrap();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timer(), Some(Timer::Deadline), "{e}");
    assert!(!e.is_retryable());
    // The same for a 2xx body that is not an event stream (read to show what it says).
    let e = run(&client, &fault("stall-body=200")).unwrap();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.timer(), Some(Timer::Deadline), "{e}");
}

// ---- 4. the retry quota ---------------------------------------------------------------------

#[test]
fn the_retry_quota_empties_then_calls_fail_fast_and_it_refills_on_success() {
    let emu = emulator();
    let client = builder(&emu).max_attempts(3).build().unwrap();
    let failing = fault("http=503");
    // 500 tokens at 5 per retry: 50 calls of 3 attempts (2 retries each) use them all.
    for i in 0..50 {
        let e = run(&client, &failing).unwrap();
        assert_eq!(e.attempts(), 3, "call {i}: {e}");
    }
    assert_eq!(emu.request_count(), 150);
    // Empty: the next calls are not retried, and say why.
    for _ in 0..3 {
        let e = run(&client, &failing).unwrap();
        assert_eq!(e.kind(), ErrorKind::ServiceUnavailable);
        assert_eq!(e.attempts(), 1, "{e}");
        assert!(e.message().contains("retry quota"), "{e}");
    }
    assert_eq!(emu.request_count(), 153, "no retry reached the server");
    // A clone shares the quota.
    let e = run(&client.clone(), &failing).unwrap();
    assert_eq!(e.attempts(), 1);
    // Each success without retry gives one token back: five pay for one retry.
    for _ in 0..5 {
        assert!(run(&client, &claude()).is_none());
    }
    let e = run(&client, &failing).unwrap();
    assert_eq!(e.attempts(), 2, "one retry paid by five successes: {e}");
    // Another client has its own quota.
    let e = run(&builder(&emu).max_attempts(3).build().unwrap(), &failing).unwrap();
    assert_eq!(e.attempts(), 3);
}

#[test]
fn a_fleet_of_threads_shares_one_quota_of_100_retries() {
    let emu = emulator();
    let client = builder(&emu).max_attempts(3).build().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert!(run(&client, &fault("http=503")).is_some());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // 160 calls; without the quota they would send 480 requests. With it, exactly 100 retries
    // (500 tokens / 5), however the threads interleave.
    assert_eq!(emu.request_count(), 160 + 100);
}

#[test]
fn a_huge_backoff_with_a_deadline_does_not_panic() {
    let emu = emulator();
    let client = builder(&emu)
        .retry_backoff(Duration::MAX, Duration::MAX)
        .deadline(Some(Duration::from_secs(30)))
        .build()
        .unwrap();
    let started = Instant::now();
    // The first request fails with a retryable 503; the backoff cannot end before the
    // deadline, so the call ends at once with the 503.
    let e = run(&client, &fault("fail=1:503")).unwrap();
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    assert_eq!(e.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

// ---- 5. URL redaction ------------------------------------------------------------------------

#[test]
fn passwords_in_urls_never_show_in_debug_or_errors() {
    let emu = emulator();
    let b = proxied(&emu, "user:hunter3@proxy.example:3128")
        .endpoint_url("https://user:hunter2@bedrock.example");
    let debug = format!("{b:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("hunter3"), "{debug}");
    assert!(debug.contains("***@bedrock.example"), "{debug}");
    assert!(debug.contains("***@proxy.example:3128"), "{debug}");
    let e = b.build().unwrap_err();
    assert!(!e.to_string().contains("hunter"), "{e}");

    // Invalid URLs, with or without a password, are never echoed.
    for url in [
        "https://user:8080/hunter2@bedrock.example",
        "https://user:hunter2@",
        "bedrock.example/hunter2",
        &format!("https://{}:hunter2@h", "u".repeat(300)),
        "https://bad host/hunter2",
    ] {
        let e = builder(&emu).endpoint_url(url).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{url}: {e}");
    }
    for proxy in ["user:hunter2@bad host:1", "http://user:hunter2@[::1"] {
        let b = proxied(&emu, proxy);
        assert!(!format!("{b:?}").contains("hunter2"));
        let e = b.build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{proxy}: {e}");
        assert!(!e.to_string().contains("hunter2"), "{proxy}: {e}");
    }
    // The public redactor is the one used everywhere.
    assert_eq!(
        bedrock_stream::redact_url("user:pw@proxy:3128"),
        "***@proxy:3128"
    );
}

// ---- 6. text from the server ---------------------------------------------------------------

fn assert_clean(what: &str, s: &str) {
    assert!(
        !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{what} keeps a control character: {s:?}"
    );
}

#[test]
fn control_characters_from_the_server_never_reach_error_messages() {
    let emu = emulator();
    let client = builder(&emu).max_attempts(1).build().unwrap();
    // NUL, CR LF (a forged log line), ESC [ (a terminal escape), a bidi override.
    let nasty = "a%00b%0D%0AFORGED: line%1B[31mred%E2%80%AEx";
    for spec in [
        format!("http=400:ValidationException:message={nasty}"),
        format!("http=500:message={nasty}"),
        format!("exception=validationException:after=1:message={nasty}"),
        format!("exception=modelStreamErrorException:message={nasty}:original-message={nasty}"),
        format!("error=InternalFailure:after=1:message={nasty}"),
    ] {
        let e = run(&client, &fault(&spec)).unwrap();
        assert!(e.message().contains("FORGED"), "{spec}: {e}");
        assert_clean(&spec, e.message());
        assert_clean(&spec, &e.to_string());
        if let Some(m) = e.original_message() {
            assert_clean(&spec, m);
        }
    }
}

// ---- 8. dot-segment model ids ----------------------------------------------------------------

#[test]
fn dot_segment_model_ids_are_invalid_input() {
    let emu = emulator();
    let client = builder(&emu).build().unwrap();
    for id in [".", ".."] {
        let req = InvokeRequest::new(id, body());
        assert_eq!(req.path().unwrap_err().kind(), ErrorKind::InvalidInput);
        let e = client.invoke_model_with_response_stream(&req).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id}: {e}");
        assert_eq!(e.attempts(), 0);
    }
    // Dots inside an id are fine.
    assert!(InvokeRequest::new("...", body()).path().is_ok());
    assert!(InvokeRequest::new("a..b", body()).path().is_ok());
    assert_eq!(emu.request_count(), 0);
}

// ---- 9. CA bundles ---------------------------------------------------------------------------

#[test]
fn a_ca_bundle_block_that_is_not_a_certificate_is_refused() {
    let emu = Emulator::builder().tls(true).start().unwrap();
    let good = emu.ca_pem().unwrap().to_owned();
    // A CERTIFICATE block of valid base64 whose DER is not a certificate.
    let bad = "-----BEGIN CERTIFICATE-----\nMIIBCgKCAQEAq83vWcQ6pqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n-----END CERTIFICATE-----\n";
    for pem in [bad.to_owned(), format!("{good}{bad}")] {
        let e = builder(&emu).ca_bundle_pem(pem).build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        assert!(e.message().contains("not a valid X.509"), "{e}");
    }
    // The emulator's own CA still works, alone.
    let client = builder(&emu).ca_bundle_pem(good).build().unwrap();
    assert!(run(&client, &claude()).is_none());
}

// ---- the command line -------------------------------------------------------------------------

#[cfg(feature = "cli")]
mod cli {
    use super::*;
    use std::process::{Command, Stdio};

    fn bare() -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_bedrock-stream"));
        c.env_clear()
            .env(
                "HOME",
                std::env::temp_dir().join("bedrock-stream-hardening-no-home"),
            )
            .env("AWS_CONFIG_FILE", "/nonexistent/bedrock-stream-test/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/bedrock-stream-test/credentials",
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
            .env("AWS_SECRET_ACCESS_KEY", "emulator-secret")
            .stdin(Stdio::null());
        c
    }

    fn invoke(c: &mut Command, extra: &[&str]) -> (i32, String) {
        let dir = std::env::temp_dir().join(format!("bs-hardening-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let body_file = dir.join("body.json");
        std::fs::write(&body_file, body()).unwrap();
        let mut args = vec![
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body_file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = c.args(&args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    #[test]
    fn empty_region_or_endpoint_options_are_errors_and_empty_variables_are_unset() {
        let emu = emulator();
        let url = emu.endpoint_url();
        let (code, err) = invoke(
            bare().env("AWS_REGION", "us-east-1"),
            &["--endpoint-url", ""],
        );
        assert_eq!(code, 3, "a client (configuration) error: {err}");
        assert!(err.contains("empty"), "{err}");
        let (code, err) = invoke(&mut bare(), &["--endpoint-url", &url, "--region", ""]);
        assert_eq!(code, 3, "{err}");
        assert!(err.contains("empty"), "{err}");
        assert_eq!(emu.request_count(), 0);
        // An empty variable is unset, as in the AWS SDKs: AWS_REGION="" falls through to
        // AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_BEDROCK_RUNTIME="" to AWS_ENDPOINT_URL.
        let (code, err) = invoke(
            bare()
                .env("AWS_REGION", "")
                .env("AWS_DEFAULT_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "")
                .env("AWS_ENDPOINT_URL", &url),
            &[],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(emu.request_count(), 1);
    }

    #[test]
    fn enum_options_ignore_case_like_the_library() {
        let emu = emulator();
        let (code, err) = invoke(
            bare()
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ENDPOINT_URL", emu.endpoint_url()),
            &[
                "--trace",
                "enabled_full",
                "--service-tier",
                "Flex",
                "--performance-config-latency",
                "OPTIMIZED",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let r = &emu.requests()[0];
        assert_eq!(r.header("x-amzn-bedrock-trace"), Some("ENABLED_FULL"));
        assert_eq!(r.header("x-amzn-bedrock-service-tier"), Some("flex"));
        assert_eq!(
            r.header("x-amzn-bedrock-performanceconfig-latency"),
            Some("optimized")
        );
        let (code, err) = invoke(&mut bare(), &["--trace", "enable"]);
        assert_eq!(code, 2, "a usage error: {err}");
    }
}
