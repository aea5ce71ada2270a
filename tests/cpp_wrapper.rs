//! The C++ wrapper `examples-c/bedrock_stream.hpp`: `examples-c/cpp_tests.cpp` is built with
//! g++ and clang++, as C++17 and C++20, with `-Wall -Wextra -Werror -pedantic`, and run under
//! valgrind (no error, no leak) against the emulator started in this process; the TLS check
//! with the repository's `valgrind.supp` (ring's AES-GCM assembly gives memcheck false
//! positives, explained there). Callbacks returning the C convention's int must not compile.
//! The Converse checks' request bodies are checked here as the emulator received them, and
//! `examples-c/tools.cpp` must print what `examples-c/tools.c` prints.
//!
//! `cargo test --features emulator --test cpp_wrapper` (needs make, g++, clang++ and valgrind;
//! run `cargo build --lib --all-features` first). Without clang++ the tests fail, unless
//! `BEDROCK_STREAM_SKIP_CLANG=1`.
#![cfg(feature = "emulator")]

mod common;
use common::program::{make_examples, run_program, tempdir, Memcheck};
use common::{cdylib, profile_dir, root, tool_missing};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use bedrock_stream::emulator::Emulator;
use serde_json::{json, Value};

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

/// Every check of cpp_tests.cpp, in order: each must print `ok NAME`.
const CHECKS: &[&str] = &[
    "callback_void_reads_everything",
    "pull_error_details",
    "range_for_error_details",
    "push_error_details",
    "open_error_details",
    "retries_and_attempts",
    "setter_error_details",
    "callback_bool_false_stops_without_throwing",
    "callback_flow_stop_stops_without_throwing",
    "callback_exception_is_rethrown",
    "cancel_before_the_call",
    "negative_durations_are_refused",
    "sub_millisecond_timeout_rounds_up",
    "embedded_nul_is_refused",
    "error_copies_never_throw",
    "error_constructor_frees_on_bad_alloc",
    "owned_events_outlive_the_stream",
    "usage_and_metrics_are_optionals",
    "unknown_events_are_delivered",
    "range_for_reads_every_event",
    "settings_reach_the_client",
    "converse_stream_push_and_pull",
    "converse_tool_use_round_trip",
    "converse_reasoning",
    "converse_unknown_events_and_members",
    "converse_not_streamed",
    "invoke_model_not_streamed",
    "converse_http_error_details",
    "converse_mid_stream_exception_details",
    "converse_cancel",
    "converse_callback_results",
    "converse_request_setters",
    "converse_request_every_member",
];

/// Whether `cxx` is installed; when it is not the test fails, unless
/// `BEDROCK_STREAM_SKIP_CLANG=1` (for clang++) says to skip it.
fn have(cxx: &str) -> bool {
    let ok = Command::new(cxx)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert_eq!(
            cxx, "clang++",
            "{cxx} is not installed (.ci/run installs it)"
        );
        tool_missing(
            "clang++",
            "clang",
            "BEDROCK_STREAM_SKIP_CLANG",
            "the C++ wrapper under clang",
        );
    }
    ok
}

/// Builds cpp_tests, tools_cpp and tools (C) with `cxx` as `std`; returns the directory.
fn build(cxx: &str, std: &str) -> PathBuf {
    cdylib();
    let build = profile_dir().join(format!("cpp-wrapper-{cxx}-{std}"));
    let targets: Vec<String> = ["cpp_tests", "tools_cpp", "tools"]
        .iter()
        .map(|p| build.join(p).display().to_string())
        .collect();
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    make_examples(&build, &[("CXX", cxx), ("CXXSTD", std)], &targets);
    build
}

/// tools.cpp prints what tools.c prints (the same tool-use round trip through the wrapper),
/// and reports a failure with its details.
fn check_tools_cpp(dir: &Path) {
    let emu = Emulator::builder().start().unwrap();
    let args = [MODEL, "What is the weather in Zürich?"];
    let c = run_program(
        &dir.join("tools"),
        &emu.endpoint_url(),
        &args,
        &[],
        Memcheck::Off,
    );
    assert_eq!(c.code, 0, "{}", c.stderr);
    let cpp = run_program(
        &dir.join("tools_cpp"),
        &emu.endpoint_url(),
        &args,
        &[],
        Memcheck::Valgrind(&[]),
    );
    assert_eq!(cpp.code, 0, "{}", cpp.stderr);
    assert_eq!(cpp.stdout, c.stdout);
    assert!(
        cpp.stdout
            .starts_with("Let me call get_weather.\n[tool get_weather {\"city\":\"Zürich\"} -> "),
        "{}",
        cpp.stdout
    );
    assert!(
        cpp.stdout.contains("turns: 2\nstop reason: end_turn\n"),
        "{}",
        cpp.stdout
    );
    // The second turns sent the same conversation (tool use ids aside).
    let second: Vec<Value> = emu
        .requests()
        .iter()
        .map(|q| serde_json::from_slice::<Value>(&q.body).unwrap())
        .filter(|b| b["messages"].as_array().is_some_and(|m| m.len() == 3))
        .map(|mut b| {
            let id = b["messages"][1]["content"][1]["toolUse"]["toolUseId"].take();
            assert_eq!(
                b["messages"][2]["content"][0]["toolResult"]["toolUseId"].take(),
                id
            );
            b
        })
        .collect();
    assert_eq!(second.len(), 2);
    assert_eq!(second[0], second[1]);

    let r = run_program(
        &dir.join("tools_cpp"),
        &emu.endpoint_url(),
        &["emulator-fault:exception=throttlingException:after=2", "hi"],
        &[],
        Memcheck::Valgrind(&[]),
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    for want in [
        "\nerror: THROTTLING: ",
        "code: throttlingException\n",
        "request id: ",
        "events before the failure: 2, retryable: yes\n",
    ] {
        assert!(r.stderr.contains(want), "{want:?} in {}", r.stderr);
    }
}

fn check_wrapper(cxx: &str, std: &str) {
    if !have(cxx) {
        return;
    }
    let dir = build(cxx, std);
    let exe = dir.join("cpp_tests");
    check_tools_cpp(&dir);
    let emu = Emulator::builder().start().unwrap();
    // The test program replaces operator new (to make allocations fail on purpose): valgrind
    // must leave the program's own operator new/delete alone.
    let r = run_program(
        &exe,
        &emu.endpoint_url(),
        &[],
        &[],
        Memcheck::Valgrind(&["--soname-synonyms=somalloc=nouserintercepts"]),
    );
    let context = format!("{cxx} {std}\nstdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, 0, "{context}");
    assert!(!r.stdout.contains("FAIL"), "{context}");
    for name in CHECKS {
        assert!(
            r.stdout.contains(&format!("ok {name}\n")),
            "{name} did not pass: {context}"
        );
    }
    assert!(
        r.stdout
            .ends_with(&format!("\n{} checks, 0 failures\n", CHECKS.len())),
        "{context}"
    );
    assert!(
        r.stdout
            .contains("text: Hello from the Bedrock emulator! You said: “C++ wrapper”."),
        "{context}"
    );
    // Config::user_agent_suffix reached the wire.
    let agents: Vec<String> = emu
        .requests()
        .iter()
        .filter(|q| String::from_utf8_lossy(&q.body).contains("user agent"))
        .map(|q| q.header("user-agent").unwrap_or("").to_owned())
        .collect();
    assert_eq!(agents.len(), 1, "{agents:?}");
    assert!(agents[0].ends_with(" cpp-tests/1.0"), "{agents:?}");
    assert!(emu
        .requests()
        .iter()
        .any(|q| q.model_id.as_deref() == Some(MODEL)));
    check_converse_wire(&emu);

    // ca_bundle_pem / ca_bundle_file against a TLS emulator (valgrind.supp: see above).
    let tls = Emulator::builder().tls(true).start().unwrap();
    let dir = tempdir("cpp-wrapper-ca");
    let ca = dir.join("ca.pem");
    tls.write_ca_pem(&ca).unwrap();
    let tls_url = tls.endpoint_url();
    let r = run_program(
        &exe,
        &emu.endpoint_url(),
        &["--tls"],
        &[
            ("CPP_TESTS_TLS_ENDPOINT", tls_url.as_str()),
            ("CPP_TESTS_CA_PEM_FILE", ca.to_str().unwrap()),
        ],
        Memcheck::Valgrind(&[
            "--soname-synonyms=somalloc=nouserintercepts",
            &format!("--suppressions={}", root().join("valgrind.supp").display()),
        ]),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        r.stdout, "ok ca_bundles_are_trusted\n1 checks, 0 failures\n",
        "{cxx} {std}: {}",
        r.stderr
    );
    assert_eq!(r.code, 0);
    assert!(
        tls.tls_handshake_failures() >= 1,
        "the untrusted attempt must fail"
    );
}

/// The Converse bodies the C++ checks sent, as the emulator received them.
fn check_converse_wire(emu: &Emulator) {
    let bodies: Vec<(String, Value)> = emu
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/converse") || q.path.ends_with("/converse-stream"))
        .map(|q| (q.path.clone(), serde_json::from_slice(&q.body).unwrap()))
        .collect();
    let find = |text: &str| -> Vec<&(String, Value)> {
        bodies
            .iter()
            .filter(|(_, b)| b.to_string().contains(text))
            .collect()
    };

    // The tool round trip's second turn: the model's own message (its tool use, the input
    // joined from the split fragments), then the tool result for that id.
    let turns = find("What is the weather in Zürich?");
    assert_eq!(turns.len(), 2, "{turns:?}");
    let second = &turns[1].1;
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{second}");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["content"][0]["text"],
        "Let me call get_weather."
    );
    let tool_use = &messages[1]["content"][1]["toolUse"];
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"city": "Zürich"}));
    assert_eq!(
        messages[2],
        json!({"role": "user", "content": [{"toolResult": {
            "toolUseId": tool_use["toolUseId"],
            "content": [{"json": {"forecast": "sunny", "celsius": 21, "for": {"city": "Zürich"}}}],
            "status": "success"}}]})
    );
    assert_eq!(
        second["toolConfig"]["tools"][0]["toolSpec"]["description"],
        "The weather forecast for a city."
    );

    // The reasoning went back with its signature.
    let next = find("reasoning sent back");
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].1["messages"][1]["content"][0]["reasoningContent"]["reasoningText"],
        json!({"text": "The user wants an answer; I will give one.",
               "signature": "RW11bGF0ZWQgc2lnbmF0dXJl"})
    );

    // Every setter of the builder, in the service model's names and types.
    let all = find("every setter");
    assert_eq!(all.len(), 1);
    let (path, body) = all[0];
    assert!(path.ends_with("/converse"), "{path}");
    let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\n");
    let notes = base64::engine::general_purpose::STANDARD.encode(b"some notes");
    assert_eq!(
        *body,
        json!({
            "messages": [
                {"role": "user", "content": [
                    {"text": "every setter"},
                    {"image": {"format": "png", "source": {"bytes": png}}},
                    {"document": {"format": "txt", "name": "notes", "source": {"bytes": notes}}},
                    {"cachePoint": {"type": "default"}}]},
                {"role": "assistant", "content": [
                    {"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather",
                                 "input": {"city": "Bern"}}}]},
                {"role": "user", "content": [
                    {"toolResult": {"toolUseId": "tooluse_1", "content": [{"json": {"celsius": 20}}],
                                    "status": "success"}},
                    {"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "sunny"}]}},
                    {"text": "and now?"}]}],
            "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 300, "temperature": 0.5, "topP": 0.25,
                                "stopSequences": ["STOP"]},
            "toolConfig": {
                "tools": [
                    {"toolSpec": {"name": "get_weather", "description": "The weather.",
                                  "inputSchema": {"json": {"type": "object",
                                      "properties": {"city": {"type": "string"}},
                                      "required": ["city"]}}}},
                    {"toolSpec": {"name": "no_description",
                                  "inputSchema": {"json": {"type": "object"}}}}],
                "toolChoice": {"tool": {"name": "get_weather"}}},
            "guardrailConfig": {"guardrailIdentifier": "abc123", "guardrailVersion": "DRAFT",
                                "trace": "enabled"},
            "additionalModelRequestFields": {"top_k": 50},
            "additionalModelResponseFieldPaths": ["/stop_sequence"],
            "requestMetadata": {"team": "cpp"},
            "performanceConfig": {"latency": "standard"},
            "serviceTier": {"type": "default"}
        }),
        "{body:#}"
    );

    // The setters of every other member (converse_request_every_member), as sent.
    let every = find("every member");
    assert_eq!(every.len(), 1);
    let b = &every[0].1;
    let two = base64::engine::general_purpose::STANDARD.encode(b"\x01\x02");
    assert_eq!(
        b["messages"][0]["content"],
        json!([
            {"text": "every member"},
            {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket-a/i.png", "bucketOwner": "123456789012"}}}},
            {"document": {"name": "big", "source": {"s3Location": {"uri": "s3://bucket-a/d.pdf"}}}},
            {"document": {"format": "txt", "name": "memo", "source": {"text": "plain"}, "context": "ctx", "citations": {"enabled": true}}},
            {"document": {"name": "parts", "source": {"content": [{"text": "one"}, {"text": "two"}]}}},
            {"video": {"format": "mp4", "source": {"bytes": two}}},
            {"video": {"format": "mov", "source": {"s3Location": {"uri": "s3://bucket-a/v.mov"}}}},
            {"audio": {"format": "mp3", "source": {"bytes": two}}},
            {"audio": {"format": "wav", "source": {"s3Location": {"uri": "s3://bucket-a/a.wav", "bucketOwner": "123456789012"}}}},
            {"guardContent": {"text": {"text": "guarded", "qualifiers": ["query", "grounding_source"]}}},
            {"guardContent": {"image": {"format": "jpeg", "source": {"bytes": two}}}},
            {"cachePoint": {"type": "default", "ttl": "1h"}},
            {"searchResult": {"source": "kb", "title": "KB", "content": [{"text": "first"}, {"text": "second"}]}},
            {"toolAddition": {"tool": {"type": "mcp", "name": "lookup", "serverName": "srv"}}},
            {"toolRemoval": {"tool": {"name": "lookup"}}}
        ]),
        "{b:#}"
    );
    assert_eq!(
        b["messages"][1]["content"],
        json!([
            {"reasoningContent": {"reasoningText": {"text": "thinking", "signature": "sig"}}},
            {"reasoningContent": {"redactedContent": two}},
            {"citationsContent": {"content": [{"text": "Paris."}], "citations": [
                {"title": "Atlas", "source": "atlas.pdf", "sourceContent": [{"text": "the capital"}],
                 "location": {"documentPage": {"documentIndex": 0, "start": 3}}},
                {"location": {"web": {"url": "https://example.com"}}}]}},
            {"toolUse": {"toolUseId": "tu_1", "name": "web_search", "input": {}, "type": "server_tool_use"}}
        ])
    );
    assert_eq!(
        b["messages"][2]["content"],
        json!([{"toolResult": {"toolUseId": "tu_1", "status": "success", "type": "custom",
                               "content": [{"json": {"n": 1}}, {"text": "result text"}]}}])
    );
    assert_eq!(
        b["system"],
        json!([{"text": "sys"}, {"guardContent": {"text": {"text": "rules"}}},
               {"guardContent": {"image": {"format": "png", "source": {"bytes": two}}}},
               {"cachePoint": {"type": "default"}}])
    );
    assert_eq!(b["toolConfig"]["tools"][0]["toolSpec"]["strict"], true);
    assert_eq!(
        b["toolConfig"]["tools"].as_array().unwrap()[1..],
        [
            json!({"systemTool": {"name": "nova_grounding"}}),
            json!({"cachePoint": {"type": "default", "ttl": "5m"}})
        ]
    );
    assert_eq!(b["projectIdentifier"], "proj_1");
    assert_eq!(b["promptVariables"], json!({"city": {"text": "Paris"}}));
    assert_eq!(
        b["outputConfig"],
        json!({"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": "{\"type\":\"object\"}", "name": "answer"}}}, "effort": "low"})
    );

    // from_json: sent as given.
    let given = find("from json");
    assert_eq!(given.len(), 1);
    assert_eq!(
        given[0].1,
        json!({"messages": [{"role": "user", "content": [{"text": "from json"}]}]})
    );
}

#[test]
fn cpp_wrapper_gxx_cxx17() {
    check_wrapper("g++", "c++17");
}

#[test]
fn cpp_wrapper_gxx_cxx20() {
    check_wrapper("g++", "c++20");
}

#[test]
fn cpp_wrapper_clang_cxx17() {
    check_wrapper("clang++", "c++17");
}

#[test]
fn cpp_wrapper_clang_cxx20() {
    check_wrapper("clang++", "c++20");
}

/// Compiles cpp_tests.cpp with `-D<define>` (syntax only); returns (success, stderr).
fn compile(cxx: &str, std: &str, define: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(cxx);
    cmd.arg(format!("-std={std}"))
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only"])
        .arg(format!("-I{}", root().join("include").display()))
        .arg(format!("-I{}", root().join("examples-c").display()));
    if let Some(d) = define {
        cmd.arg(format!("-D{d}"));
    }
    let out = cmd
        .arg(root().join("examples-c/cpp_tests.cpp"))
        .output()
        .expect("the compiler runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cpp_callbacks_returning_int_do_not_compile() {
    const RESULT: &str = "the callback must return void, bool (true = continue) or \
                          bedrock_stream::Flow -- not int";
    const CALLABLE: &str = "the callback must be callable with `const Event&`";
    for cxx in ["g++", "clang++"] {
        if !have(cxx) {
            continue;
        }
        for std in ["c++17", "c++20"] {
            // The same file compiles without the faulty callback...
            let (ok, stderr) = compile(cxx, std, None);
            assert!(ok, "{cxx} {std}: {stderr}");
            // ...and not with it, for the reason the static_assert gives.
            for define in [
                "BEDROCK_STREAM_COMPILE_FAIL_INT_CALLBACK",
                "BEDROCK_STREAM_COMPILE_FAIL_INT32_CALLBACK",
                "BEDROCK_STREAM_COMPILE_FAIL_CONVERSE_INT_CALLBACK",
            ] {
                let (ok, stderr) = compile(cxx, std, Some(define));
                assert!(!ok, "{cxx} {std} {define} compiled");
                assert!(stderr.contains(RESULT), "{cxx} {std} {define}: {stderr}");
                assert!(!stderr.contains(CALLABLE), "{cxx} {std} {define}: {stderr}");
            }
            for define in [
                "BEDROCK_STREAM_COMPILE_FAIL_NOT_INVOCABLE",
                // A callback taking Client::invoke's Event given to converse_stream.
                "BEDROCK_STREAM_COMPILE_FAIL_CONVERSE_EVENT_CALLBACK",
            ] {
                let (ok, stderr) = compile(cxx, std, Some(define));
                assert!(!ok, "{cxx} {std} {define} compiled");
                assert!(stderr.contains(CALLABLE), "{cxx} {std} {define}: {stderr}");
                assert!(!stderr.contains(RESULT), "{cxx} {std} {define}: {stderr}");
            }
        }
    }
}
