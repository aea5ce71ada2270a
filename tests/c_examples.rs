//! Builds the C and C++ programs of `examples-c/` with `make` against the freshly built
//! `libbedrock_stream.so` and runs each against the emulator started in this process: the C
//! programs under `valgrind --leak-check=full --error-exitcode=1` when valgrind is installed,
//! error paths included (bad credentials, mid-stream exception, cancelled stream, NULL
//! arguments, every error kind in `errors.c`). What they print is checked against what the
//! Rust API says for the same request. Without valgrind the tests fail, unless
//! `BEDROCK_STREAM_SKIP_VALGRIND=1`, which runs the programs without it and says so.
//!
//! `cargo test --features emulator --test c_examples` (needs make, cc, c++).
#![cfg(feature = "emulator")]

mod common;
use common::program::{built_examples, run_example, Run};
use common::{profile_dir, root};
use std::path::Path;
use std::process::Command;

use bedrock_stream::emulator::{
    Emulator, Scenario, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY,
};
use bedrock_stream::extract::TextExtractor;
use bedrock_stream::{Client, Credentials, Event, InvokeRequest};

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

/// The examples, built once.
fn programs() -> &'static Path {
    built_examples("examples-c", &[])
}

/// Runs `program` with a clean environment pointing at `emulator`; C programs run under
/// valgrind (when installed) and any valgrind error or leak fails the test.
fn run(emulator: &Emulator, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_example(programs(), emulator, program, args, env)
}

fn claude_body(prompt: &str, max_tokens: u32) -> String {
    format!(
        r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":{max_tokens},"messages":[{{"role":"user","content":{}}}]}}"#,
        serde_json::Value::String(prompt.into())
    )
}

/// What the Rust API reads for the same request: text, stop reason, billed tokens, events.
#[derive(Debug)]
struct Expected {
    text: String,
    stop_reason: String,
    input_tokens: u64,
    output_tokens: u64,
    events: u64,
}

fn expected(emulator: &Emulator, prompt: &str, max_tokens: u32) -> Expected {
    let client = Client::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .credentials(Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
            None,
        ))
        .no_proxy()
        .build()
        .unwrap();
    let request = InvokeRequest::new(MODEL, claude_body(prompt, max_tokens));
    let mut extractor = TextExtractor::for_model_id(MODEL);
    let mut e = Expected {
        text: String::new(),
        stop_reason: String::new(),
        input_tokens: 0,
        output_tokens: 0,
        events: 0,
    };
    for event in client.invoke_model_with_response_stream(&request).unwrap() {
        let event = event.unwrap();
        e.events += 1;
        if let Event::Chunk(chunk) = &event {
            let info = extractor.process(chunk.bytes());
            e.text.push_str(info.text().unwrap_or(""));
            if let Some(s) = info.stop_reason() {
                e.stop_reason = s.to_owned();
            }
            if let Some(m) = info.metrics() {
                e.input_tokens = m.input_token_count.unwrap();
                e.output_tokens = m.output_token_count.unwrap();
            }
        }
    }
    assert!(e.text.contains(&format!("You said: “{prompt}”")), "{e:?}");
    e
}

fn summary(e: &Expected) -> String {
    format!(
        "{}\n--\nstop reason: {}\ntokens: {} in, {} out (invocation metrics)\nevents: {}\n",
        e.text, e.stop_reason, e.input_tokens, e.output_tokens, e.events
    )
}

// ---------------------------------------------------------------------------------------------

#[test]
fn stream_c_prints_the_text_as_it_arrives_and_the_usage() {
    let emu = Emulator::builder().start().unwrap();
    let want = expected(&emu, "Tell me about C", 512);
    let r = run(&emu, "stream", &[MODEL, "Tell me about C"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, summary(&want));
    let r = run(&emu, "stream", &["--version"], &[]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout,
        format!(
            "libbedrock_stream {0}, header {0}\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn stream_c_reports_bad_credentials() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "stream",
        &[MODEL, "hi"],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("error: stream failed: UNMODELED_SERVICE: Bedrock error InvalidSignatureException (HTTP 403)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("events before the failure: 0, retryable: no"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.request_count(), 1, "a signature failure is not retried");
}

#[test]
fn stream_c_reports_a_mid_stream_exception() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "stream",
        &[
            "emulator-fault:exception=throttlingException:after=3",
            "hi",
            "anthropic-claude",
        ],
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "error: stream failed: THROTTLING: Bedrock stream error throttlingException (HTTP 429)"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("events before the failure: 3, retryable: yes"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("request id: "), "{}", r.stderr);
    // Three chunks arrived before the exception: message_start, content_block_start and the
    // first text delta, which was printed.
    assert!(
        r.stdout.starts_with("Hello") && !r.stdout.contains("--"),
        "{}",
        r.stdout
    );
    assert_eq!(
        emu.request_count(),
        1,
        "no retry after events were delivered"
    );
}

#[test]
fn pull_c_reads_the_same_stream() {
    let emu = Emulator::builder().start().unwrap();
    let want = expected(&emu, "pull me", 512);
    let r = run(&emu, "pull", &["-m", MODEL, "-p", "pull me"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (first, rest) = r.stdout.split_once('\n').unwrap();
    assert!(
        first.starts_with("[request id ") && first.len() > 20,
        "{first}"
    );
    assert_eq!(rest, summary(&want));
}

#[test]
fn pull_c_cancels_a_stalled_stream_from_another_thread() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "pull",
        &[
            "-m",
            "emulator-fault:stall:after=2",
            "-f",
            "anthropic-claude",
            "-c",
            "2",
        ],
        &[],
    );
    assert_eq!(r.code, 3, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.ends_with("\n--\ncancelled after 2 events\n"),
        "{}",
        r.stdout
    );
    assert!(emu.wait_for_closed_connections(1, std::time::Duration::from_secs(10)));
}

#[test]
fn threads_c_shares_one_client_between_16_threads() {
    let emu = Emulator::builder().start().unwrap();
    let per_thread = expected(&emu, "thread 0", 256);
    let r = run(&emu, "threads", &[MODEL], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    for i in 0..16 {
        let want = expected(&emu, &format!("thread {i}"), 256);
        assert!(
            r.stdout.contains(&format!("thread {i}: {}\n", want.text)),
            "thread {i}: {}",
            r.stdout
        );
    }
    assert!(r.stdout.contains("streams ok: 16/16\n"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains(&format!("total events: {}\n", 16 * per_thread.events)),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(&format!(
            "total output tokens: {}\n",
            16 * per_thread.output_tokens
        )),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("stop reasons: 16, metrics: 16, own clients: 64/64\n"));
}

#[test]
fn errors_c_drives_every_error_kind_through_the_abi() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(&emu, "errors", &[], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("FAIL"), "{}", r.stdout);
    assert!(r.stdout.ends_with(", 0 failures\n"), "{}", r.stdout);
    // Every status a C program can meet is produced and checked (PANIC and INTERNAL report
    // bugs; tests/ffi.rs covers PANIC).
    let header = std::fs::read_to_string(root().join("include/bedrock_stream.h")).unwrap();
    let mut covered = 0;
    for line in header.lines() {
        let Some(rest) = line.trim().strip_prefix("BEDROCK_STREAM_STATUS_") else {
            continue;
        };
        let name = rest.split(' ').next().unwrap();
        if matches!(name, "OK" | "PANIC" | "INTERNAL") {
            continue;
        }
        assert!(
            r.stdout.contains(&format!("ok {name} ")),
            "errors.c does not check {name}:\n{}",
            r.stdout
        );
        covered += 1;
    }
    assert!(covered >= 25, "only {covered} statuses");
}

#[test]
fn stream_cpp_wraps_the_api_with_raii_lambdas_and_exceptions() {
    let emu = Emulator::builder().start().unwrap();
    let want = expected(&emu, "C++", 512);
    for args in [&[MODEL, "C++"][..], &["--pull", MODEL, "C++"][..]] {
        let r = run(&emu, "stream_cpp", args, &[]);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, summary(&want), "{args:?}");
    }
    // The lambda's exception comes back out of invoke.
    let r = run(
        &emu,
        "stream_cpp",
        &["--throw-after", "3", MODEL, "C++"],
        &[],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("error from the callback: the lambda gave up after 3 events"),
        "{}",
        r.stderr
    );
    // A service failure becomes bedrock_stream::Error with its fields, on the push and on the
    // pull path (the pull path once lost them: g++ read `err` before the call wrote it).
    let fault = "emulator-fault:exception=modelStreamErrorException:after=2:status=502";
    for args in [&[fault, "x"][..], &["--pull", fault, "x"][..]] {
        let r = run(&emu, "stream_cpp", args, &[]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("status MODEL_STREAM_ERROR, http 424, code modelStreamErrorException, events 2, retryable yes"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stderr.contains("originalStatusCode 502"), "{}", r.stderr);
    }
}

#[test]
fn the_shared_library_has_its_soname_and_exports_only_the_prefix() {
    let lib = profile_dir().join("libbedrock_stream.so");
    let _ = programs();
    let out = Command::new("readelf")
        .arg("-d")
        .arg(&lib)
        .output()
        .expect("readelf runs");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    assert!(
        dynamic.contains("Library soname: [libbedrock_stream.so.0]"),
        "{dynamic}"
    );
    let out = Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm runs");
    let symbols = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = symbols
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    assert!(names.len() > 50, "{symbols}");
    let foreign: Vec<&&str> = names
        .iter()
        .filter(|n| !n.starts_with("bedrock_stream_"))
        .collect();
    assert!(
        foreign.is_empty(),
        "exported symbols without the prefix: {foreign:?}"
    );
}

#[test]
fn dlopen_c_loads_uses_and_unloads_the_library_repeatedly() {
    let emu = Emulator::builder().start().unwrap();
    let want = expected(&emu, "dlopen", 64);
    let r = run(&emu, "dlopen", &[MODEL], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    let mut lines = vec!["round 0: 10 clients".to_string()];
    for round in 1..=3 {
        lines.push(format!(
            "round {round}: {} events, {} bytes of text",
            want.events,
            want.text.len()
        ));
    }
    assert_eq!(r.stdout, lines.join("\n") + "\n");
}

/// Issue 10 (legacy hosts): a client made and used before `fork()` (so a keep-alive connection
/// sits in its pool); then the parent and 3 children stream with it at once. Every process
/// succeeds, and no connection carries requests of two processes: each child opened its own.
#[test]
fn fork_c_children_open_their_own_connections() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(&emu, "fork", &[MODEL], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.ends_with("all processes streamed\n"),
        "{}",
        r.stdout
    );
    let pid_of = |body: &[u8]| -> u64 {
        let body = String::from_utf8_lossy(body);
        let rest = &body[body.find("process ").expect("a process id") + "process ".len()..];
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let reqs: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.model_id.is_some())
        .collect();
    assert_eq!(
        reqs.len(),
        1 + 4 * 3,
        "a warm-up call, then 3 calls in each of 4 processes"
    );
    let mut by_connection =
        std::collections::BTreeMap::<u64, std::collections::BTreeSet<u64>>::new();
    for r in &reqs {
        by_connection
            .entry(r.connection_id)
            .or_default()
            .insert(pid_of(&r.body));
    }
    for (conn, pids) in &by_connection {
        assert_eq!(
            pids.len(),
            1,
            "connection {conn} carried requests of processes {pids:?}"
        );
    }
    let pids: std::collections::BTreeSet<u64> = reqs.iter().map(|r| pid_of(&r.body)).collect();
    assert_eq!(pids.len(), 4);
    // The parent kept using its pooled connection: its calls reused connection 1.
    assert!(
        reqs.iter()
            .filter(|r| r.connection_id == reqs[0].connection_id)
            .count()
            > 1
    );
}

/// Issue 10 (legacy hosts): SIGALRM every millisecond, handler installed without SA_RESTART
/// (blocking calls fail with EINTR): the credential fetch (a credential_process that takes a
/// while), the connect and the streams (each read waits for the next event) complete normally.
#[test]
fn signals_c_streams_under_a_signal_every_millisecond() {
    signals_c(false);
}

/// The same with every timer off: reads then block without a timeout (ureq itself retries an
/// EINTR only when a timeout applies).
#[test]
fn signals_c_streams_under_a_signal_every_millisecond_without_timers() {
    signals_c(true);
}

fn signals_c(no_timers: bool) {
    // Every response waits a little before its headers and between its events, so that the
    // signals land in blocked reads.
    let emu = Emulator::builder()
        .chunk_delay(std::time::Duration::from_millis(5))
        .default_scenario("stall-headers:for=50ms".parse::<Scenario>().unwrap())
        .start()
        .unwrap();
    let dir = common::program::tempdir("signals-config");
    let marker = dir.join("credential-process-ran");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile sig]\ncredential_process = sh -c 'sleep 0.2; touch {}; echo \
             {{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"{DEFAULT_ACCESS_KEY_ID}\\\",\
             \\\"SecretAccessKey\\\":\\\"{DEFAULT_SECRET_ACCESS_KEY}\\\"}}'\n",
            marker.display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let r = run(
        &emu,
        "signals",
        if no_timers {
            &[MODEL, "3", "no-timers"]
        } else {
            &[MODEL, "3"]
        },
        &[
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_PROFILE", "sig"),
            ("AWS_CONFIG_FILE", config),
        ],
    );
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(marker.exists(), "the credential_process ran");
    let reqs: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.model_id.is_some())
        .collect();
    assert_eq!(reqs.len(), 3);
    let want = expected(&emu, "signals", 64);
    for i in 1..=3 {
        assert!(
            r.stdout
                .contains(&format!("call {i}: {} events, stopped\n", want.events)),
            "{}",
            r.stdout
        );
    }
    let signals: u64 = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("signals: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(signals >= 10, "{signals} signals");
    let _ = std::fs::remove_dir_all(&dir);
}
