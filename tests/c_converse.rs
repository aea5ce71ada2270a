//! The C Converse examples (`examples-c/converse.c`, `examples-c/tools.c`) built with `make`
//! against the freshly built `libbedrock_stream.so` and run against the emulator under
//! `valgrind --leak-check=full` (see `tests/common/program.rs`), error paths included. What
//! they print is checked against what the Rust API reads for the same requests.
//!
//! `cargo build --all-features --lib && cargo test --all-features --test c_converse`
#![cfg(feature = "emulator")]

mod common;
use common::program::{built_examples, emulator_client as client, run_example, Run};
use std::path::Path;

use bedrock_stream::converse::{
    ContentBlock, ConverseRequest, ConverseStreamEvent, InferenceConfiguration, Message,
    MessageAccumulator, Role, ToolResultBlock, ToolSpecification,
};
use bedrock_stream::emulator::Emulator;
use serde_json::{json, Value};

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

/// The two programs, built once.
fn programs() -> &'static Path {
    built_examples("examples-c-converse", &["converse", "tools"])
}

fn run(emulator: &Emulator, program: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    run_example(programs(), emulator, program, args, env)
}

/// What converse.c prints for `prompt`, read with the Rust API from the same request; the
/// latency line (timing) is left out.
fn expected_converse(emu: &Emulator, prompt: &str, system: &str) -> String {
    let req = ConverseRequest::new(MODEL)
        .message(Message::user(prompt))
        .system_text(system)
        .inference_config(InferenceConfiguration {
            max_tokens: Some(512),
            ..Default::default()
        });
    let mut acc = MessageAccumulator::new();
    let (mut events, mut unknown) = (0, 0);
    for e in client(emu).converse_stream(&req).unwrap() {
        let e = e.unwrap();
        events += 1;
        unknown += usize::from(matches!(e, ConverseStreamEvent::Unknown(_)));
        acc.push(&e).unwrap();
    }
    let r = acc.finish().unwrap();
    let u = r.usage.unwrap();
    format!(
        "{}\n--\nstop reason: {}\ntokens: {} in, {} out, {} total\nevents: {events} ({unknown} of \
         unknown types)\n",
        r.message.text(),
        r.stop_reason.unwrap(),
        u.input_tokens,
        u.output_tokens,
        u.total_tokens
    )
}

/// Drops the `latency: N ms` line, checking it is there with a number.
fn without_latency(stdout: &str) -> String {
    let mut found = false;
    let kept: Vec<&str> = stdout
        .split_inclusive('\n')
        .filter(|l| {
            let latency = l
                .strip_prefix("latency: ")
                .and_then(|r| r.strip_suffix(" ms\n"))
                .is_some_and(|n| n.parse::<u64>().is_ok());
            found |= latency;
            !latency
        })
        .collect();
    assert!(found, "no latency line in {stdout}");
    kept.concat()
}

#[test]
fn converse_c_streams_the_answer_the_rust_api_reads() {
    let emu = Emulator::builder().start().unwrap();
    let want = expected_converse(&emu, "Tell me about C", "Be brief.");
    let r = run(
        &emu,
        "converse",
        &[MODEL, "Tell me about C", "Be brief."],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(without_latency(&r.stdout), want);
    assert!(want.contains("You said: “Tell me about C”"), "{want}");
    // The C builder sent what the Rust builder sends.
    let sent = emu.requests();
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].path.ends_with("/converse-stream"),
        "{}",
        sent[1].path
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&sent[1].body).unwrap(),
        serde_json::from_slice::<Value>(&sent[0].body).unwrap()
    );
}

#[test]
fn converse_c_reports_a_mid_stream_exception_with_its_fields() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "converse",
        &["emulator-fault:exception=throttlingException:after=2", "hi"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    for want in [
        "error: stream failed: THROTTLING: ",
        "code: throttlingException\n",
        "events before the failure: 2, retryable: yes\n",
        "request id: ",
    ] {
        assert!(r.stderr.contains(want), "{want:?} in {}", r.stderr);
    }
    assert!(!r.stdout.contains("--"), "{}", r.stdout);
    assert_eq!(
        emu.request_count(),
        1,
        "no retry after events were delivered"
    );
}

#[test]
fn converse_c_reports_http_errors_and_bad_input() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "converse",
        &[MODEL, "hi"],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: stream failed: UNMODELED_SERVICE: ")
            && r.stderr.contains("code: InvalidSignatureException\n"),
        "{}",
        r.stderr
    );
    // An empty system prompt is refused by the builder, before anything is sent.
    let before = emu.request_count();
    let r = run(&emu, "converse", &[MODEL, "hi", ""], &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "error: request failed: INVALID_INPUT: a system text block must not be empty"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(emu.request_count(), before);
}

/// What tools.c prints and sends, with the Rust API: the same loop with the same tool.
fn expected_tools(emu: &Emulator, prompt: &str) -> (String, Value) {
    let schema = json!({"type": "object", "properties": {"city": {"type": "string"}},
        "required": ["city"]});
    let mut req = ConverseRequest::new(MODEL)
        .message(Message::user(prompt))
        .tool(
            ToolSpecification::new("get_weather", schema)
                .description("The weather forecast for a city."),
        );
    let c = client(emu);
    let mut out = String::new();
    let mut turns = 0;
    loop {
        turns += 1;
        let r = c.converse_stream(&req).unwrap().accumulate().unwrap();
        out.push_str(&r.message.text());
        if !r.wants_tools() {
            let u = r.usage.unwrap();
            out.push_str(&format!(
                "\n--\nturns: {turns}\nstop reason: {}\ntokens: {} in, {} out (last turn)\n",
                r.stop_reason.unwrap(),
                u.input_tokens,
                u.output_tokens
            ));
            break;
        }
        let mut results = Vec::new();
        for t in r.message.tool_uses() {
            let result = json!({"forecast": "sunny", "celsius": 21, "for": t.input});
            out.push_str(&format!(
                "\n[tool {} {} -> {{\"forecast\":\"sunny\",\"celsius\":21,\"for\":{}}}]\n",
                t.name, t.input, t.input
            ));
            results.push(ContentBlock::ToolResult(ToolResultBlock::json(
                &t.tool_use_id,
                result,
            )));
        }
        req = req
            .message(r.message)
            .message(Message::new(Role::User, results));
    }
    (out, serde_json::to_value(&req).unwrap())
}

#[test]
fn tools_c_runs_a_whole_tool_use_round_trip() {
    let emu = Emulator::builder().start().unwrap();
    let prompt = "What is the weather in Zürich?";
    let (want, _) = expected_tools(&emu, prompt);
    let r = run(&emu, "tools", &[MODEL, prompt], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    // Tool use ids are random: compare the text, which does not contain them.
    assert_eq!(r.stdout, want);
    assert!(r
        .stdout
        .starts_with("Let me call get_weather.\n[tool get_weather {\"city\":\"Zürich\"} -> "));
    assert!(r.stdout.contains("\nThe tool answered: "), "{}", r.stdout);
    assert!(
        r.stdout.contains("turns: 2\nstop reason: end_turn\n"),
        "{}",
        r.stdout
    );
    // The second request carries the model's own message (its tool use, the input joined from
    // the split fragments) and the user's tool result for that id.
    let sent = emu.requests();
    assert_eq!(sent.len(), 4, "two turns in Rust, two in C");
    let second: Value = serde_json::from_slice(&sent[3].body).unwrap();
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{second}");
    assert_eq!(messages[1]["role"], "assistant");
    let tool_use = &messages[1]["content"][1]["toolUse"];
    assert_eq!(tool_use["name"], "get_weather");
    assert_eq!(tool_use["input"], json!({"city": "Zürich"}));
    let result = &messages[2]["content"][0]["toolResult"];
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(result["toolUseId"], tool_use["toolUseId"]);
    assert_eq!(result["status"], "success");
    assert_eq!(
        result["content"][0]["json"],
        json!({"forecast": "sunny", "celsius": 21, "for": {"city": "Zürich"}})
    );
    assert_eq!(
        second["toolConfig"]["tools"][0]["toolSpec"]["name"],
        "get_weather"
    );
}

#[test]
fn tools_c_reports_a_truncated_stream() {
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        "tools",
        &["emulator-fault:truncate:after=3:abrupt", "weather?"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("error: stream failed: TRUNCATED: "),
        "{}",
        r.stderr
    );
}
