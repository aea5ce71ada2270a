//! Integration tests of the `bedrock-stream` binary: every subcommand is run as a process
//! against an in-process emulator on 127.0.0.1 (port 0), including the error outcomes and their
//! exit codes, and `decode` runs over every public event-stream test vector in `tests/data`.
#![cfg(feature = "cli")]

use std::collections::BTreeSet;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use bedrock_stream::emulator::{self, Emulator, ModelFamily};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_bedrock-stream");
const SECRET: &str = "emulator-secret";

// Exit codes documented in `bedrock-stream --help`.
const OK: i32 = 0;
const LOCAL_IO: i32 = 1;
const USAGE: i32 = 2;
const CLIENT: i32 = 3;
const SERVICE: i32 = 4;
const STREAM: i32 = 5;
const PROTOCOL: i32 = 6;
const TRANSPORT: i32 = 7;
const TIMEOUT: i32 = 8;

const CLAUDE: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/// A scratch directory of this test process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bedrock-stream-cli-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The binary with a hermetic environment.
fn bare() -> Command {
    let mut c = Command::new(BIN);
    hermetic(&mut c);
    c
}

/// No inherited AWS settings, no ~/.aws, no IMDS, no stdin.
fn hermetic(c: &mut Command) {
    c.env_clear()
        .env(
            "HOME",
            std::env::temp_dir().join("bedrock-stream-cli-test-no-home"),
        )
        .env("AWS_CONFIG_FILE", "/nonexistent/bedrock-stream-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/bedrock-stream-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
}

/// The binary pointed at `emu` with the emulator's default credentials.
fn at(emu: &Emulator) -> Command {
    let mut c = bare();
    c.env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
        .env("AWS_SECRET_ACCESS_KEY", SECRET);
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Every stdout line, each of which must be one JSON object.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l:?}\n{self}"));
                assert!(v.is_object(), "{l}");
                v
            })
            .collect()
    }

    fn last(&self) -> Value {
        self.json_lines()
            .pop()
            .unwrap_or_else(|| panic!("no output\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

fn run(cmd: &mut Command, args: &[&str]) -> Run {
    run_with_stdin(cmd, args, None)
}

fn run_with_stdin(cmd: &mut Command, args: &[&str], stdin: Option<&[u8]>) -> Run {
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("spawn bedrock-stream");
    if let Some(input) = stdin {
        let mut w = child.stdin.take().unwrap();
        w.write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited by signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn claude_body() -> Vec<u8> {
    ModelFamily::AnthropicClaude.example_body("Hello there")
}

/// `invoke --model-id MODEL --body FILE ARGS...`
fn invoke(emu: &Emulator, model: &str, extra: &[&str]) -> Run {
    let scratch = Scratch::new();
    let body = scratch.file("body.json", &claude_body());
    let mut args = vec![
        "invoke",
        "--model-id",
        model,
        "--body",
        body.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&mut at(emu), &args)
}

fn fault(spec: &str) -> String {
    format!("emulator-fault:{spec},family=claude")
}

fn b64(v: &Value) -> Vec<u8> {
    B64.decode(v.as_str().expect("base64 string")).unwrap()
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ------------------------------------------------------------------------------------------
// --help and the command line
// ------------------------------------------------------------------------------------------

#[test]
fn help_exists_for_everything_and_documents_the_exit_codes() {
    let top = run(&mut bare(), &["--help"]);
    assert_eq!(top.code, OK, "{top}");
    for needle in [
        "chat",
        "invoke",
        "decode",
        "emulator",
        "--region",
        "--profile",
        "--endpoint-url",
        "--connect-timeout",
        "--response-timeout",
        "--read-timeout",
        "--deadline",
        "--max-attempts",
        "--verbose",
    ] {
        assert!(
            top.stdout.contains(needle),
            "top-level help lacks {needle}\n{top}"
        );
    }
    for (code, class) in [
        (CLIENT, "client"),
        (SERVICE, "service"),
        (STREAM, "stream"),
        (PROTOCOL, "protocol"),
        (TRANSPORT, "transport"),
        (TIMEOUT, "timeout"),
    ] {
        assert!(
            top.stdout.contains(&format!("  {code}  {class}")),
            "exit code {code} for {class} is not documented\n{top}"
        );
    }
    let members = [
        "--content-type",
        "--accept",
        "--trace",
        "--guardrail-identifier",
        "--guardrail-version",
        "--performance-config-latency",
        "--service-tier",
        "--request-metadata",
        "--project-identifier",
    ];
    let invoke = run(&mut bare(), &["invoke", "--help"]);
    assert_eq!(invoke.code, OK, "{invoke}");
    for needle in members
        .iter()
        .chain(&["--model-id", "--body", "outcome", "bytes_b64"])
    {
        assert!(
            invoke.stdout.contains(needle),
            "invoke help lacks {needle}\n{invoke}"
        );
    }
    let chat = run(&mut bare(), &["chat", "--help"]);
    for needle in members
        .iter()
        .chain(&["--max-tokens", "--temperature", "--system", "PROMPT"])
    {
        assert!(
            chat.stdout.contains(needle),
            "chat help lacks {needle}\n{chat}"
        );
    }
    let decode = run(&mut bare(), &["decode", "--help"]);
    for needle in ["--bedrock", "payload_b64", "offset"] {
        assert!(
            decode.stdout.contains(needle),
            "decode help lacks {needle}\n{decode}"
        );
    }
    let emulator = run(&mut bare(), &["emulator", "--help"]);
    for needle in ["--port", "--fault", "--chunk-delay", "--endpoint-file"] {
        assert!(
            emulator.stdout.contains(needle),
            "emulator help lacks {needle}\n{emulator}"
        );
    }
    // Each command lists only its own options: the client options are chat's and invoke's.
    let client_only = [
        "--profile",
        "--endpoint-url",
        "--connect-timeout",
        "--response-timeout",
        "--read-timeout",
        "--deadline",
        "--max-attempts",
        "--ca-bundle",
        "--verbose",
    ];
    for needle in client_only {
        assert!(!emulator.stdout.contains(needle), "{needle}\n{emulator}");
        assert!(!decode.stdout.contains(needle), "{needle}\n{decode}");
        assert!(chat.stdout.contains(needle), "{needle}\n{chat}");
        assert!(invoke.stdout.contains(needle), "{needle}\n{invoke}");
    }
    assert!(!decode.stdout.contains("--region"), "{decode}");
    // The emulator's --region has its own default and does not claim AWS_REGION's.
    let region_line = emulator
        .stdout
        .lines()
        .skip_while(|l| !l.contains("--region"))
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        region_line.contains("[default: us-east-1]")
            && !region_line.contains("default: AWS_REGION"),
        "{region_line}"
    );
    // Ctrl-C's exit code is in the table.
    assert!(
        top.stdout.contains("  130  interrupted by Ctrl-C"),
        "exit code 130 is not documented\n{top}"
    );
}

#[test]
fn client_options_belong_to_chat_and_invoke_only() {
    for (args, command) in [
        // (`--fault` makes an emulator that ignored the option stop at once, not serve.)
        (
            &[
                "--region",
                "eu-west-1",
                "emulator",
                "--fault",
                "no-such-fault",
            ][..],
            "emulator",
        ),
        (&["-v", "decode", "/nonexistent/capture.bin"], "decode"),
    ] {
        let r = run(&mut bare(), args);
        assert_eq!(r.code, USAGE, "{args:?}\n{r}");
        assert!(
            r.stderr
                .contains(&format!("`{command}` takes no client option")),
            "{r}"
        );
    }
    for args in [
        &["emulator", "--profile", "x", "--fault", "no-such-fault"][..],
        &["decode", "--endpoint-url", "http://127.0.0.1:1"],
    ] {
        let r = run(&mut bare(), args);
        assert_eq!(r.code, USAGE, "{args:?}\n{r}");
    }
    // The emulator does not read AWS_REGION: its banner says the region it serves.
    let emu = EmulatorProcess::start_with_env(&[], &[("AWS_REGION", "ap-south-1")]);
    assert!(
        emu.exports()
            .contains(&("AWS_REGION".into(), "us-east-1".into())),
        "{}",
        emu.banner
    );
    drop(emu);
}

#[test]
fn chat_without_a_prompt_on_a_terminal_is_a_usage_error_that_matches_the_help() {
    let help = run(&mut bare(), &["chat", "--help"]);
    assert!(
        help.stdout.contains("[PROMPT]")
            && help.stdout.contains("Required when stdin is a terminal"),
        "{help}"
    );
    // `script` gives the command a terminal for stdin.
    let cmd = format!("'{BIN}' chat --model-id {CLAUDE}; echo \"exit=$?\"");
    let mut c = Command::new("script");
    hermetic(&mut c);
    c.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let r = run(&mut c, &["-qec", &cmd, "/dev/null"]);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("exit=2"), "{r}");
    assert!(
        all.contains("the PROMPT argument is required when stdin is a terminal")
            && all.contains("Usage: bedrock-stream chat [OPTIONS] --model-id <ID> [PROMPT]"),
        "{r}"
    );
}

#[test]
fn chat_ctrl_c_ends_the_line_and_exits_130() {
    let emu = Emulator::builder()
        .chunk_delay(Duration::from_millis(300))
        .text_chunks(40)
        .start()
        .unwrap();
    let mut cmd = at(&emu);
    cmd.args(["chat", "--model-id", CLAUDE, "A slow answer, please"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Wait for the first text, then interrupt like Ctrl-C does.
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("Hello") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "the answer ended early: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    stdout.read_to_end(&mut seen).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code();
    let out = String::from_utf8_lossy(&seen);
    assert_eq!(code, Some(130), "{out}\n{stderr}");
    assert!(out.ends_with('\n'), "the partial line is ended: {out:?}");
    assert!(!out.contains("🦀"), "interrupted before the end: {out:?}");
    assert!(stderr.contains("bedrock-stream: interrupted"), "{stderr}");
}

#[test]
fn transport_errors_name_the_host_and_the_attempts() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{closed}");
    let r = run(
        bare()
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
            .env("AWS_SECRET_ACCESS_KEY", SECRET),
        &[
            "chat",
            "--model-id",
            CLAUDE,
            "--endpoint-url",
            &url,
            "--max-attempts",
            "2",
            "hi",
        ],
    );
    assert_eq!(r.code, TRANSPORT, "{r}");
    assert!(r.stderr.contains(&format!("[host {closed}]")), "{r}");
    assert!(r.stderr.contains("[2 attempts]"), "{r}");
}

#[test]
fn a_bad_command_line_exits_2_with_nothing_on_stdout() {
    for args in [
        &["frobnicate"][..],
        &["invoke", "--model-id", "m"],
        &[
            "invoke",
            "--model-id",
            "m",
            "--body",
            "-",
            "--trace",
            "enable",
        ],
        &["chat", "--model-id", "m", "--read-timeout", "-1", "hi"],
        &["chat", "--model-id", "m", "--max-attempts", "0", "hi"],
    ] {
        let r = run(&mut bare(), args);
        assert_eq!(r.code, USAGE, "{args:?}\n{r}");
        assert!(r.stdout.is_empty(), "{args:?}\n{r}");
    }
}

// ------------------------------------------------------------------------------------------
// chat
// ------------------------------------------------------------------------------------------

#[test]
fn chat_builds_each_family_body_and_streams_the_text_with_a_summary() {
    let emu = Emulator::builder().start().unwrap();
    for family in emulator::families() {
        let model = family.example_model_id();
        let r = run(
            &mut at(&emu),
            &[
                "chat",
                "--model-id",
                model,
                "--temperature",
                "0.2",
                "Hello there",
            ],
        );
        assert_eq!(r.code, OK, "{model}\n{r}");
        // The emulator validates the body for the family and echoes the prompt back.
        assert!(r.stdout.contains("Hello there"), "{model}\n{r}");
        assert!(
            r.stdout.contains("🦀"),
            "{model}: multi-byte text intact\n{r}"
        );
        assert!(r.stdout.ends_with('\n'), "{model}\n{r}");
        assert!(r.stderr.contains("time to first token"), "{model}\n{r}");
        assert!(r.stderr.contains("tokens/s"), "{model}\n{r}");
        assert!(
            !r.stderr.contains("n/a"),
            "{model}: every number is known\n{r}"
        );
        assert!(r.stderr.contains("stop reason "), "{model}\n{r}");
    }
    let recorded = emu.requests();
    assert_eq!(recorded.len(), emulator::families().count());
    for req in recorded {
        assert_eq!(req.status, 200, "{:?}", req.model_id);
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let text = body.to_string();
        assert!(text.contains("0.2"), "temperature missing: {text}");
        assert!(!text.contains("\"stream\""), "{text}");
    }
}

#[test]
fn chat_max_tokens_lands_in_each_family_limit_field() {
    let emu = Emulator::builder().text_chunks(8).start().unwrap();
    for family in emulator::families() {
        let model = family.example_model_id();
        let r = run(
            &mut at(&emu),
            &[
                "chat",
                "--model-id",
                model,
                "--max-tokens",
                "3",
                "Count to ten",
            ],
        );
        assert_eq!(r.code, OK, "{model}\n{r}");
        // The emulator stops at the request's limit: 3 of its 8 pieces.
        assert!(r.stderr.contains("output tokens 3 "), "{model}\n{r}");
    }
}

#[test]
fn chat_reads_the_prompt_from_stdin_and_uses_the_system_prompt() {
    let emu = Emulator::builder().start().unwrap();
    let r = run_with_stdin(
        &mut at(&emu),
        &[
            "chat",
            "--model-id",
            CLAUDE,
            "--system",
            "Answer in French.",
            "-",
        ],
        Some(b"What is a crab?\n"),
    );
    assert_eq!(r.code, OK, "{r}");
    assert!(r.stdout.contains("What is a crab?"), "{r}");
    let req = &emu.requests()[0];
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["system"], "Answer in French.");
    assert_eq!(body["messages"][0]["content"][0]["text"], "What is a crab?");
    assert_eq!(body["max_tokens"], 512);
}

#[test]
fn chat_print_body_sends_nothing() {
    let emu = Emulator::builder().start().unwrap();
    for family in emulator::families() {
        let r = run(
            &mut at(&emu),
            &[
                "chat",
                "--model-id",
                family.example_model_id(),
                "--print-body",
                "Q?",
            ],
        );
        assert_eq!(r.code, OK, "{r}");
        let lines = r.json_lines();
        assert_eq!(lines.len(), 1, "{r}");
        assert!(lines[0].to_string().contains("Q?"), "{r}");
    }
    assert_eq!(emu.request_count(), 0);
}

#[test]
fn chat_family_can_be_forced_and_unknown_families_are_refused_before_sending() {
    let emu = Emulator::builder().start().unwrap();
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    let r = run(&mut at(&emu), &["chat", "--model-id", arn, "hi"]);
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(r.stderr.contains("--family"), "{r}");
    assert_eq!(emu.request_count(), 0);
    let r = run(
        &mut at(&emu),
        &["chat", "--model-id", arn, "--family", "nonsense", "hi"],
    );
    assert_eq!(r.code, CLIENT, "{r}");
    let model = fault("normal");
    let r = run(
        &mut at(&emu),
        &[
            "chat",
            "--model-id",
            &model,
            "--family",
            "anthropic-claude",
            "hi",
        ],
    );
    assert_eq!(r.code, OK, "{r}");
    assert!(r.stdout.contains("hi"), "{r}");
}

#[test]
fn chat_errors_keep_the_partial_text_and_exit_with_the_class_code() {
    let emu = Emulator::builder().text_chunks(8).start().unwrap();
    let model = fault("exception=throttlingException:after=4");
    let r = run(
        &mut at(&emu),
        &[
            "chat",
            "--model-id",
            &model,
            "--family",
            "anthropic-claude",
            "hi",
        ],
    );
    assert_eq!(r.code, STREAM, "{r}");
    assert!(
        r.stdout.starts_with("Hello"),
        "partial text was printed\n{r}"
    );
    assert!(r.stderr.contains("throttlingException"), "{r}");
    assert!(
        !r.stderr.contains("time to first token"),
        "no summary on failure\n{r}"
    );

    let model = fault("http=429");
    let r = run(
        &mut at(&emu),
        &[
            "--max-attempts",
            "1",
            "chat",
            "--model-id",
            &model,
            "--family",
            "anthropic-claude",
            "hi",
        ],
    );
    assert_eq!(r.code, SERVICE, "{r}");
    assert!(r.stdout.is_empty(), "{r}");
    assert!(
        r.stderr.contains("ThrottlingException") && r.stderr.contains("429"),
        "{r}"
    );

    let r = run(&mut at(&emu), &["chat", "--model-id", CLAUDE, "   "]);
    assert_eq!(r.code, CLIENT, "empty prompt\n{r}");
}

// ------------------------------------------------------------------------------------------
// invoke
// ------------------------------------------------------------------------------------------

#[test]
fn invoke_prints_one_line_per_event_then_ok() {
    let emu = Emulator::builder().text_chunks(5).start().unwrap();
    let r = invoke(&emu, CLAUDE, &[]);
    assert_eq!(r.code, OK, "{r}");
    let lines = r.json_lines();
    assert_eq!(lines.last().unwrap().to_string(), r#"{"outcome":"ok"}"#);
    let events = &lines[..lines.len() - 1];
    let mut text = String::new();
    for e in events {
        assert_eq!(e["event"], "chunk", "{e}");
        let bytes = b64(&e["bytes_b64"]);
        let doc: Value = serde_json::from_slice(&bytes).expect("chunk is the model's JSON");
        // `text` is present exactly when the document is a text delta, and equals it.
        match doc["delta"]["text"].as_str() {
            Some(t) => {
                assert_eq!(e["text"], t, "{e}");
                text.push_str(t);
            }
            None => assert!(e.get("text").is_none(), "{e}"),
        }
    }
    assert_eq!(
        events.len(),
        5 + 5,
        "5 text chunks and 5 framing documents\n{r}"
    );
    assert!(text.contains("Hello there"), "{text}");
    assert!(
        r.stderr.is_empty(),
        "nothing on stderr without --verbose\n{r}"
    );
}

#[test]
fn invoke_reads_the_body_from_stdin_and_forces_a_family() {
    let emu = Emulator::builder().start().unwrap();
    let model = fault("normal");
    let r = run_with_stdin(
        &mut at(&emu),
        &[
            "invoke",
            "--model-id",
            &model,
            "--family",
            "anthropic-claude",
            "--body",
            "-",
        ],
        Some(&claude_body()),
    );
    assert_eq!(r.code, OK, "{r}");
    let text: String = r
        .json_lines()
        .iter()
        .filter_map(|l| l["text"].as_str().map(str::to_owned))
        .collect();
    assert!(text.contains("Hello there"), "{r}");
    assert_eq!(emu.requests()[0].body, claude_body());
}

/// The text of every chunk line of `invoke`.
fn chunk_text(r: &Run) -> String {
    r.json_lines()
        .iter()
        .filter_map(|l| l["text"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn invoke_recognises_every_family_from_its_chunks_under_an_arn() {
    // An application inference profile ARN names no family: the text is read from the chunks'
    // shapes, for every family the emulator serves.
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    let scratch = Scratch::new();
    for family in emulator::families() {
        let emu = Emulator::builder()
            .default_family(family)
            .text_chunks(6)
            .start()
            .unwrap();
        let body = scratch.file("body.json", &family.example_body("What is a crab?"));
        let r = run(
            &mut at(&emu),
            &[
                "invoke",
                "--model-id",
                arn,
                "--body",
                body.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, OK, "{family}: {r}");
        let text = chunk_text(&r);
        assert!(
            text.contains("You said: \u{201c}What is a crab?\u{201d}")
                && text.ends_with("\u{1F980}"),
            "{family}: {text:?}\n{r}"
        );
        assert_eq!(emu.requests()[0].model_id.as_deref(), Some(arn));
    }
}

/// A captured body of `chunk` events carrying these documents.
fn chunk_capture(docs: &[&str]) -> Vec<u8> {
    use bedrock_stream::eventstream::{Header, Message};
    let mut out = Vec::new();
    for doc in docs {
        let payload = serde_json::json!({ "bytes": B64.encode(doc) }).to_string();
        let headers = vec![
            Header::new(":event-type", "chunk"),
            Header::new(":content-type", "application/json"),
            Header::new(":message-type", "event"),
        ];
        Message::new(headers, payload.into_bytes())
            .encode_into(&mut out)
            .unwrap();
    }
    out
}

#[test]
fn decode_says_a_json_html_or_text_file_is_not_an_event_stream() {
    for (bytes, what) in [
        (
            &br#"{"message":"The security token included in the request is invalid."}"#[..],
            "JSON",
        ),
        (b"\n  [1, 2]", "JSON"),
        (b"<html><body>502 Bad Gateway</body></html>\n", "HTML"),
        ("Service Unavailable — réessayez\n".as_bytes(), "text"),
    ] {
        for extra in [&[][..], &["--bedrock"]] {
            let r = decode_bytes(bytes, extra);
            assert_eq!(r.code, PROTOCOL, "{r}");
            let lines = r.json_lines();
            assert_eq!(lines.len(), 1, "{r}");
            assert_eq!(lines[0]["error"]["kind"], "not_an_event_stream", "{r}");
            let message = lines[0]["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with(&format!("this file looks like {what}, not an event stream")),
                "{r}"
            );
        }
    }
    // A real capture still decodes, whatever its first frame's size.
    let capture = chunk_capture(&[r#"{"outputText":"x"}"#]);
    assert_eq!(decode_bytes(&capture, &[]).code, OK);
    // Binary garbage is still a checksum error, not "text".
    let r = decode_bytes(&[0, 0, 0, 32, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8], &[]);
    assert_eq!(r.code, PROTOCOL, "{r}");
    assert_eq!(
        r.last()["error"]["kind"],
        "prelude_checksum_mismatch",
        "{r}"
    );
}

#[test]
fn decode_recognises_no_family_in_unknown_or_ambiguous_chunks_then_keeps_the_first_found() {
    let arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3";
    let capture = chunk_capture(&[
        r#"{"completion":"unknown shape","stop":null}"#,
        r#"{"generation":"Llama","outputText":"or Titan?"}"#,
        r#"{"outputText":"Titan","index":0,"completionReason":null}"#,
        r#"{"generation":"not read: the family is Titan now","stop_reason":null}"#,
        r#"{"outputText":"!","index":0,"completionReason":"FINISH"}"#,
    ]);
    let r = decode_bytes(&capture, &["--bedrock", "--model-id", arn]);
    assert_eq!(r.code, OK, "{r}");
    let texts: Vec<Option<String>> = r
        .json_lines()
        .iter()
        .map(|l| l["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        texts,
        [None, None, Some("Titan".into()), None, Some("!".into())],
        "{r}"
    );
}

#[test]
fn invoke_sends_every_request_member_as_its_header() {
    let emu = Emulator::builder().start().unwrap();
    let r = invoke(
        &emu,
        CLAUDE,
        &[
            "--content-type",
            "application/json",
            "--accept",
            "application/json",
            "--trace",
            "ENABLED_FULL",
            "--guardrail-identifier",
            "gr123abc",
            "--guardrail-version",
            "DRAFT",
            "--performance-config-latency",
            "optimized",
            "--service-tier",
            "flex",
            "--request-metadata",
            r#"{"team":"search"}"#,
            "--project-identifier",
            "proj_1",
        ],
    );
    assert_eq!(r.code, OK, "{r}");
    let req = &emu.requests()[0];
    for (name, value) in [
        ("content-type", "application/json"),
        ("x-amzn-bedrock-accept", "application/json"),
        ("x-amzn-bedrock-trace", "ENABLED_FULL"),
        ("x-amzn-bedrock-guardrailidentifier", "gr123abc"),
        ("x-amzn-bedrock-guardrailversion", "DRAFT"),
        ("x-amzn-bedrock-performanceconfig-latency", "optimized"),
        ("x-amzn-bedrock-service-tier", "flex"),
        ("x-amzn-bedrock-request-metadata", r#"{"team":"search"}"#),
        ("x-amzn-bedrock-projectidentifier", "proj_1"),
    ] {
        assert_eq!(req.header(name), Some(value), "{name}");
    }
    assert_eq!(req.model_id.as_deref(), Some(CLAUDE));
    assert!(
        req.path.contains("%3A"),
        "the model id is label-encoded: {}",
        req.path
    );
}

/// One error scenario: the fault spec, extra flags, and what the final line must say.
struct ErrorCase {
    spec: &'static str,
    flags: &'static [&'static str],
    exit: i32,
    kind: &'static str,
    code: Option<&'static str>,
    http_status: Option<u64>,
    events: u64,
    retryable: bool,
    fields: &'static [(&'static str, &'static str)],
}

#[test]
fn invoke_error_outcomes_have_their_fields_and_exit_codes() {
    let emu = Emulator::builder().text_chunks(4).start().unwrap();
    let cases = [
        ErrorCase {
            spec: "http=429",
            flags: &["--max-attempts", "1"],
            exit: SERVICE,
            kind: "service",
            code: Some("ThrottlingException"),
            http_status: Some(429),
            events: 0,
            retryable: true,
            fields: &[],
        },
        ErrorCase {
            spec: "http=400:ValidationException:message=bad input",
            flags: &[],
            exit: SERVICE,
            kind: "service",
            code: Some("ValidationException"),
            http_status: Some(400),
            events: 0,
            retryable: false,
            fields: &[],
        },
        ErrorCase {
            spec: "http=424:ModelErrorException",
            flags: &[],
            exit: SERVICE,
            kind: "service",
            code: Some("ModelErrorException"),
            http_status: Some(424),
            events: 0,
            retryable: false,
            fields: &[("originalStatusCode", ""), ("resourceName", "")],
        },
        ErrorCase {
            spec: "exception=throttlingException:after=2",
            flags: &[],
            exit: STREAM,
            kind: "stream",
            code: Some("throttlingException"),
            http_status: Some(429),
            events: 2,
            retryable: true,
            fields: &[],
        },
        ErrorCase {
            spec: "exception=modelStreamErrorException:after=1:status=502:original-message=upstream down",
            flags: &[],
            exit: STREAM,
            kind: "stream",
            code: Some("modelStreamErrorException"),
            http_status: Some(424),
            events: 1,
            retryable: true,
            fields: &[("originalStatusCode", "502"), ("originalMessage", "upstream down")],
        },
        ErrorCase {
            spec: "error=InternalFailure:after=3",
            flags: &[],
            exit: STREAM,
            kind: "stream",
            code: Some("InternalFailure"),
            http_status: None,
            events: 3,
            retryable: true,
            fields: &[],
        },
        ErrorCase {
            spec: "bad-crc:after=2",
            flags: &[],
            exit: PROTOCOL,
            kind: "protocol",
            code: None,
            http_status: None,
            events: 2,
            retryable: false,
            fields: &[("decodeError", "message_checksum_mismatch")],
        },
        ErrorCase {
            spec: "truncate:after=1",
            flags: &[],
            exit: PROTOCOL,
            kind: "protocol",
            code: None,
            http_status: None,
            events: 1,
            retryable: true,
            fields: &[("decodeError", "truncated")],
        },
        ErrorCase {
            spec: "json-200",
            flags: &["--max-attempts", "1"],
            exit: PROTOCOL,
            kind: "protocol",
            code: None,
            http_status: Some(200),
            events: 0,
            retryable: false,
            fields: &[],
        },
        ErrorCase {
            spec: "stall:after=1",
            flags: &["--read-timeout", "0.3"],
            exit: TIMEOUT,
            kind: "timeout",
            code: None,
            http_status: None,
            events: 1,
            retryable: true,
            fields: &[("timer", "read-idle")],
        },
        ErrorCase {
            spec: "stall:after=1",
            flags: &["--deadline", "0.5"],
            exit: TIMEOUT,
            kind: "timeout",
            code: None,
            http_status: None,
            events: 1,
            retryable: false,
            fields: &[("timer", "deadline")],
        },
        ErrorCase {
            spec: "stall-headers",
            flags: &["--response-timeout", "0.3", "--max-attempts", "1"],
            exit: TIMEOUT,
            kind: "timeout",
            code: None,
            http_status: None,
            events: 0,
            retryable: true,
            fields: &[],
        },
    ];
    for c in &cases {
        let model = fault(c.spec);
        let r = invoke(&emu, &model, c.flags);
        let what = format!("{}\n{r}", c.spec);
        assert_eq!(r.code, c.exit, "{what}");
        let lines = r.json_lines();
        let last = lines.last().unwrap();
        assert_eq!(last["outcome"], "error", "{what}");
        assert_eq!(last["kind"], c.kind, "{what}");
        assert_eq!(last["code"].as_str(), c.code, "{what}");
        assert_eq!(last["http_status"].as_u64(), c.http_status, "{what}");
        assert_eq!(last["events_delivered"], c.events, "{what}");
        assert_eq!(last["retryable"], c.retryable, "{what}");
        assert!(
            last["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
        if c.events > 0 || c.http_status.is_some() {
            // A response arrived: its request id is reported.
            assert!(
                last["request_id"].as_str().is_some_and(|m| !m.is_empty()),
                "{what}"
            );
        }
        for (name, value) in c.fields {
            let got = &last["fields"][name];
            assert!(!got.is_null(), "fields.{name} missing: {what}");
            if !value.is_empty() {
                let got = got
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| got.to_string());
                assert_eq!(&got, value, "fields.{name}: {what}");
            }
        }
        // Every event delivered before the error was printed, and nothing else.
        assert_eq!(lines.len() as u64, c.events + 1, "{what}");
        assert!(
            lines[..lines.len() - 1]
                .iter()
                .all(|l| l["event"] == "chunk"),
            "{what}"
        );
    }
}

#[test]
fn invoke_retries_before_the_first_event_and_reports_attempts() {
    let emu = Emulator::builder().start().unwrap();
    let model = fault("fail=2:503");
    let r = invoke(&emu, &model, &["--max-attempts", "3"]);
    assert_eq!(r.code, OK, "{r}");
    assert_eq!(emu.request_count(), 3);

    let emu = Emulator::builder().start().unwrap();
    let r = invoke(&emu, &model, &["--max-attempts", "2"]);
    assert_eq!(r.code, SERVICE, "{r}");
    let last = r.last();
    assert_eq!(last["attempts"], 2, "{r}");
    assert_eq!(last["http_status"], 503, "{r}");
    assert_eq!(last["code"], "ServiceUnavailableException", "{r}");
    assert_eq!(emu.request_count(), 2);
}

/// `invoke --save-body FILE` with `extra`: the run and the saved bytes.
fn invoke_saving(emu: &Emulator, model: &str, extra: &[&str]) -> (Run, Vec<u8>) {
    let scratch = Scratch::new();
    let saved = scratch.0.join("saved.bin");
    let mut args = vec!["--save-body", saved.to_str().unwrap()];
    args.extend_from_slice(extra);
    let r = invoke(emu, model, &args);
    let bytes = fs::read(&saved).unwrap_or_else(|e| panic!("no saved body ({e})\n{r}"));
    (r, bytes)
}

/// The chunk lines of `invoke` or `decode --bedrock` output: (bytes, text).
fn chunk_lines(r: &Run) -> Vec<(Vec<u8>, Value)> {
    r.json_lines()
        .iter()
        .filter(|l| l["event"] == "chunk")
        .map(|l| (b64(&l["bytes_b64"]), l["text"].clone()))
        .collect()
}

#[test]
fn invoke_save_body_captures_the_stream_as_received_for_decode() {
    let emu = Emulator::builder().start().unwrap();
    // The README's round trip: the stream saved, then decoded to the same events.
    let (r, saved) = invoke_saving(&emu, CLAUDE, &[]);
    assert_eq!(r.code, OK, "{r}");
    let events = chunk_lines(&r);
    assert!(events.len() > 3, "{r}");
    let d = decode_bytes(&saved, &["--bedrock", "--model-id", CLAUDE]);
    assert_eq!(d.code, OK, "{d}");
    assert_eq!(chunk_lines(&d), events, "{d}");
    // A corrupt stream is saved as received (a re-encoding could not carry the bad CRC): the
    // decoder finds the same damage after the same events.
    let (r, saved) = invoke_saving(&emu, &fault("bad-crc:after=2"), &[]);
    assert_eq!(r.code, PROTOCOL, "{r}");
    let d = decode_bytes(&saved, &["--bedrock"]);
    assert_eq!(d.code, PROTOCOL, "{d}");
    assert_eq!(chunk_lines(&d), chunk_lines(&r), "{d}");
    assert_eq!(
        d.last()["error"]["kind"],
        "message_checksum_mismatch",
        "{d}"
    );
    // --no-stream: the whole body.
    let (r, saved) = invoke_saving(&emu, CLAUDE, &["--no-stream"]);
    assert_eq!(r.code, OK, "{r}");
    assert_eq!(saved, b64(&r.json_lines()[0]["body_b64"]), "{r}");
}

#[test]
fn invoke_save_body_keeps_an_error_body_and_only_the_last_attempt() {
    let emu = Emulator::builder().start().unwrap();
    // An error response: its JSON body, which decode recognises as JSON.
    let (r, saved) = invoke_saving(&emu, &fault("http=429"), &["--max-attempts", "1"]);
    assert_eq!(r.code, SERVICE, "{r}");
    let body: Value = serde_json::from_slice(&saved).expect("the saved error body is JSON");
    assert_eq!(body["message"], r.last()["message"], "{r}");
    let d = decode_bytes(&saved, &[]);
    assert_eq!(d.code, PROTOCOL, "{d}");
    assert_eq!(d.last()["error"]["kind"], "not_an_event_stream", "{d}");
    assert!(
        d.last()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("this file looks like JSON, not an event stream"),
        "{d}"
    );
    // Two failed attempts, then a stream: the file holds the stream alone.
    let (r, saved) = invoke_saving(&emu, &fault("fail=2:503"), &["--max-attempts", "3", "-v"]);
    assert_eq!(r.code, OK, "{r}");
    assert!(r.stderr.contains("(attempt 3)"), "{r}");
    let d = decode_bytes(&saved, &["--bedrock", "--family", "anthropic-claude"]);
    assert_eq!(d.code, OK, "{d}");
    assert_eq!(chunk_lines(&d), chunk_lines(&r), "{d}");
    // A file that cannot be created: a client error before anything is sent.
    let before = emu.request_count();
    let r = invoke(
        &emu,
        CLAUDE,
        &["--save-body", "/nonexistent/bedrock-stream-test/saved.bin"],
    );
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(
        r.last()["message"]
            .as_str()
            .unwrap()
            .contains("--save-body"),
        "{r}"
    );
    assert_eq!(emu.request_count(), before);
}

#[test]
fn invoke_reports_unknown_events_and_carries_on() {
    let emu = Emulator::builder().start().unwrap();
    let model = fault("unknown-event=futureEvent:after=1");
    let r = invoke(&emu, &model, &[]);
    assert_eq!(r.code, OK, "{r}");
    let lines = r.json_lines();
    assert_eq!(lines[1]["event"], "unknown", "{r}");
    assert_eq!(lines[1]["event_type"], "futureEvent", "{r}");
    assert!(lines.len() > 3, "the stream went on after it\n{r}");
    assert_eq!(lines.last().unwrap()["outcome"], "ok");
}

#[test]
fn invoke_client_and_transport_errors() {
    let emu = Emulator::builder().start().unwrap();
    // Refused locally: nothing reaches the emulator.
    for flags in [
        &["--guardrail-identifier", "abc"][..],
        &["--guardrail-identifier", "abc", "--guardrail-version", "0"],
        &["--request-metadata", "not json"],
        &["--content-type", "application/json\u{1}"],
    ] {
        let r = invoke(&emu, CLAUDE, flags);
        assert_eq!(r.code, CLIENT, "{flags:?}\n{r}");
        assert_eq!(r.last()["kind"], "client", "{r}");
    }
    let r = run(
        &mut at(&emu),
        &[
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            "/nonexistent/body.json",
        ],
    );
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(r.last()["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/body.json"));
    assert_eq!(emu.request_count(), 0);

    // Wrong secret: the emulator answers 403 like AWS.
    let scratch = Scratch::new();
    let body = scratch.file("b.json", &claude_body());
    let r = run(
        at(&emu).env("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        &[
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, SERVICE, "{r}");
    assert_eq!(r.last()["http_status"], 403, "{r}");
    assert_eq!(r.last()["code"], "InvalidSignatureException", "{r}");

    // Nothing listens: a transport error.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let r = run(
        &mut at(&emu),
        &[
            "--endpoint-url",
            &url,
            "--max-attempts",
            "1",
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, TRANSPORT, "{r}");
    assert_eq!(r.last()["kind"], "transport", "{r}");
}

#[test]
fn global_options_override_the_environment() {
    let emu = Emulator::builder().region("eu-west-3").start().unwrap();
    let scratch = Scratch::new();
    let body = scratch.file("b.json", &claude_body());
    let mut cmd = bare();
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDEMULATOR")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:9");
    let r = run(
        &mut cmd,
        &[
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
            "--region",
            "eu-west-3",
            "--endpoint-url",
            &emu.endpoint_url(),
            "--connect-timeout",
            "2.5",
            "--response-timeout",
            "30",
            "--read-timeout",
            "0",
            "--deadline",
            "60",
        ],
    );
    assert_eq!(
        r.code, OK,
        "signed for the --region, sent to the --endpoint-url\n{r}"
    );
}

#[test]
fn profile_selects_the_shared_config_profile() {
    let emu = Emulator::builder().region("eu-west-1").start().unwrap();
    let scratch = Scratch::new();
    // An explicit --profile wins over the environment's keys (as in the AWS CLI): its own keys
    // sign.
    let config = scratch.file(
        "config",
        format!(
            "[profile demo]\nregion = eu-west-1\naws_access_key_id = AKIDEMULATOR\n\
             aws_secret_access_key = {SECRET}\n"
        )
        .as_bytes(),
    );
    let body = scratch.file("b.json", &claude_body());
    let with_config = || {
        let mut c = bare();
        c.env("AWS_CONFIG_FILE", &config)
            .env("AWS_ACCESS_KEY_ID", "AKIDNOTUSED")
            .env("AWS_SECRET_ACCESS_KEY", "not-used")
            .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url());
        c
    };
    let args = [
        "invoke",
        "--model-id",
        CLAUDE,
        "--body",
        body.to_str().unwrap(),
    ];
    let r = run(
        &mut with_config(),
        &[&["--profile", "demo"][..], &args].concat(),
    );
    assert_eq!(r.code, OK, "the region comes from the profile\n{r}");
    // No region anywhere without it: refused before sending.
    let r = run(&mut with_config(), &args);
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(
        r.last()["message"].as_str().unwrap().contains("region"),
        "{r}"
    );
    let r = run(
        &mut with_config(),
        &[&["--profile", "nosuch"][..], &args].concat(),
    );
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(
        r.last()["message"].as_str().unwrap().contains("nosuch"),
        "{r}"
    );
    assert_eq!(emu.request_count(), 1);
}

#[test]
fn verbose_shows_the_exchange_and_never_a_secret() {
    let token = "session-token-must-not-leak";
    let secret = "session-secret-must-not-leak";
    let emu = Emulator::builder()
        .session_credentials("AKIDSESSIONTEST", secret, token)
        .start()
        .unwrap();
    let scratch = Scratch::new();
    let body = scratch.file("b.json", &claude_body());
    let metadata = r#"{"team":"metadata-must-not-leak"}"#;
    let mut cmd = at(&emu);
    cmd.env("AWS_ACCESS_KEY_ID", "AKIDSESSIONTEST")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", token);
    let r = run(
        &mut cmd,
        &[
            "--verbose",
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
            "--request-metadata",
            metadata,
            "--trace",
            "ENABLED",
        ],
    );
    assert_eq!(r.code, OK, "{r}");
    let req = &emu.requests()[0];
    assert!(r.stderr.contains("> POST http://127.0.0.1:"), "{r}");
    assert!(r.stderr.contains("invoke-with-response-stream"), "{r}");
    assert!(r.stderr.contains("< HTTP 200"), "{r}");
    assert!(
        r.stderr.contains(&req.request_id),
        "the request id is shown\n{r}"
    );
    assert!(r.stderr.contains("X-Amzn-Bedrock-Trace: ENABLED"), "{r}");
    assert!(r.stderr.contains(" ms"), "timings are shown\n{r}");
    let everything = format!("{}{}", r.stdout, r.stderr);
    for secret_text in [
        secret,
        token,
        "metadata-must-not-leak",
        "Signature=",
        "Authorization",
    ] {
        assert!(
            !everything.contains(secret_text),
            "{secret_text:?} leaked\n{r}"
        );
    }

    // A failing call, and bearer authentication, in verbose mode.
    let emu = Emulator::builder().start().unwrap();
    let mut cmd = bare();
    cmd.env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.endpoint_url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-emulator");
    let model = fault("exception=validationException:after=1");
    let r = run(
        &mut cmd,
        &[
            "-v",
            "chat",
            "--model-id",
            &model,
            "--family",
            "anthropic-claude",
            "hi",
        ],
    );
    assert_eq!(r.code, STREAM, "{r}");
    assert!(r.stderr.contains("validationException"), "{r}");
    assert!(
        !r.stderr.contains("bedrock-api-key-emulator"),
        "bearer token leaked\n{r}"
    );
    assert!(!r.stdout.contains("bedrock-api-key-emulator"), "{r}");
}

// ------------------------------------------------------------------------------------------
// decode
// ------------------------------------------------------------------------------------------

fn decode_bytes(bytes: &[u8], extra: &[&str]) -> Run {
    let scratch = Scratch::new();
    let file = scratch.file("capture.bin", bytes);
    let mut args = vec!["decode", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&mut bare(), &args)
}

/// Where each header name first appears in the raw line (the output keeps wire order).
fn assert_header_order(line: &str, names: &[&str]) {
    let mut last = 0;
    for n in names {
        let key = serde_json::to_string(n).unwrap() + ":";
        let at = line[last..]
            .find(&key)
            .unwrap_or_else(|| panic!("header {n} missing or out of order in {line}"));
        last += at + key.len();
    }
}

#[test]
fn decode_every_positive_test_vector_file() {
    let dir = data().join("eventstream");
    let mut seen = 0;
    for entry in fs::read_dir(dir.join("encoded/positive")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let expect = read_json(&dir.join("decoded/positive").join(&name));
        let r = run(&mut bare(), &["decode", path.to_str().unwrap()]);
        assert_eq!(r.code, OK, "{name}\n{r}");
        let lines = r.json_lines();
        assert_eq!(lines.len(), 1, "{name}\n{r}");
        let got = &lines[0];
        assert_eq!(got["offset"], 0, "{name}");
        assert_eq!(
            b64(&got["payload_b64"]),
            B64.decode(expect["payload"].as_str().unwrap()).unwrap(),
            "{name}"
        );
        let headers = expect["headers"].as_array().unwrap();
        assert_eq!(
            got["headers"].as_object().unwrap().len(),
            headers.len(),
            "{name}\n{r}"
        );
        let names: Vec<&str> = headers
            .iter()
            .map(|h| h["name"].as_str().unwrap())
            .collect();
        assert_header_order(r.stdout.lines().next().unwrap(), &names);
        for h in headers {
            let hname = h["name"].as_str().unwrap();
            let v = &got["headers"][hname];
            let want = &h["value"];
            match h["type"].as_u64().unwrap() {
                0..=5 => assert_eq!(v, want, "{name} {hname}"),
                6 => assert_eq!(v["bytes_b64"], *want, "{name} {hname}"),
                7 => {
                    let s = String::from_utf8(B64.decode(want.as_str().unwrap()).unwrap()).unwrap();
                    assert_eq!(v.as_str(), Some(s.as_str()), "{name} {hname}");
                }
                8 => assert_eq!(v["timestamp_ms"], *want, "{name} {hname}"),
                9 => {
                    let raw = B64.decode(want.as_str().unwrap()).unwrap();
                    let hex: String = v["uuid"].as_str().unwrap().replace('-', "");
                    assert_eq!(unhex(&hex), raw, "{name} {hname}");
                }
                t => panic!("type {t}"),
            }
        }
        seen += 1;
    }
    assert_eq!(seen, 14, "all 14 positive vectors");
}

#[test]
fn decode_every_negative_test_vector_file_ends_with_an_error_line() {
    let dir = data().join("eventstream");
    let manifest = read_json(&dir.join("manifest.json"));
    let mut seen = 0;
    for e in manifest["entries"].as_array().unwrap() {
        if e["class"] != "negative" {
            continue;
        }
        let name = e["name"].as_str().unwrap();
        let acceptable: BTreeSet<&str> = e["acceptable_errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        let path = dir.join("encoded/negative").join(name);
        let r = run(&mut bare(), &["decode", path.to_str().unwrap()]);
        assert_eq!(r.code, PROTOCOL, "{name}\n{r}");
        let lines = r.json_lines();
        assert_eq!(
            lines.len(),
            1,
            "one message, damaged: only the error line\n{name}\n{r}"
        );
        let err = &lines[0]["error"];
        let kind = err["kind"].as_str().unwrap();
        assert!(
            acceptable.contains(kind),
            "{name}: {kind} not in {acceptable:?}"
        );
        assert_eq!(err["offset"], 0, "{name}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
        // The Bedrock view fails the same way.
        let r = run(
            &mut bare(),
            &["decode", "--bedrock", path.to_str().unwrap()],
        );
        assert_eq!(r.code, PROTOCOL, "{name}\n{r}");
        assert_eq!(r.last()["error"]["kind"], kind, "{name}");
        seen += 1;
    }
    assert_eq!(seen, 19, "all 19 negative vectors");
}

#[test]
fn decode_the_spec_vectors_frames_and_negatives() {
    let v = read_json(&data().join("vectors/eventstream_vectors.json"));
    let frames = v["frames"].as_array().unwrap();
    let mut all = Vec::new();
    let mut offsets = Vec::new();
    for f in frames {
        let name = f["name"].as_str().unwrap();
        let bytes = unhex(f["hex"].as_str().unwrap());
        let r = decode_bytes(&bytes, &[]);
        assert_eq!(r.code, OK, "{name}\n{r}");
        let got = &r.json_lines()[0];
        let expect = &f["expect"];
        assert_eq!(
            b64(&got["payload_b64"]),
            expect["payload"]["utf8"].as_str().unwrap().as_bytes(),
            "{name}"
        );
        for h in expect["headers"].as_array().unwrap() {
            let hname = h["name"].as_str().unwrap();
            let value = &got["headers"][hname];
            match h["type"].as_u64().unwrap() {
                6 => assert_eq!(value["bytes_b64"], h["value"]["base64"], "{name} {hname}"),
                8 => assert_eq!(value["timestamp_ms"], h["value"], "{name} {hname}"),
                9 => assert_eq!(value["uuid"], h["value"], "{name} {hname}"),
                _ => assert_eq!(value, &h["value"], "{name} {hname}"),
            }
        }
        offsets.push(all.len() as u64);
        all.extend_from_slice(&bytes);
    }

    // All frames in one capture: one line each, at its offset.
    let r = decode_bytes(&all, &[]);
    assert_eq!(r.code, OK, "{r}");
    let got: Vec<u64> = r
        .json_lines()
        .iter()
        .map(|l| l["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(got, offsets);

    for n in v["negative"].as_array().unwrap() {
        let name = n["name"].as_str().unwrap();
        let want = match n["expect_error"].as_str().unwrap() {
            "PreludeChecksumMismatch" => "prelude_checksum_mismatch",
            "MessageChecksumMismatch" => "message_checksum_mismatch",
            "InvalidHeadersLength" => "invalid_headers_length",
            "InvalidHeaderValue" => "invalid_header_value",
            "InvalidMessageLength" => "invalid_message_length",
            s if s.starts_with("InvalidHeaderValueType") => "invalid_header_type",
            s if s.starts_with("Incomplete") => "truncated",
            other => panic!("unmapped expectation {other}"),
        };
        let bad = unhex(n["hex"].as_str().unwrap());
        // Every good message before the damage is printed, then the error at its offset.
        let mut capture = all.clone();
        capture.extend_from_slice(&bad);
        let r = decode_bytes(&capture, &[]);
        assert_eq!(r.code, PROTOCOL, "{name}\n{r}");
        let lines = r.json_lines();
        assert_eq!(lines.len(), frames.len() + 1, "{name}\n{r}");
        let err = &lines.last().unwrap()["error"];
        assert_eq!(err["kind"], want, "{name}\n{r}");
        assert_eq!(err["offset"], all.len() as u64, "{name}");
    }
}

#[test]
fn decode_bedrock_view_of_the_spec_streams() {
    let v = read_json(&data().join("vectors/eventstream_vectors.json"));
    for s in v["bedrock_streams"].as_array().unwrap() {
        let name = s["name"].as_str().unwrap();
        let bytes = B64.decode(s["base64"].as_str().unwrap()).unwrap();
        let family = if name.contains("claude") {
            "anthropic-claude"
        } else if name.contains("titan") {
            "amazon-titan-text"
        } else {
            "meta-llama"
        };
        let r = decode_bytes(&bytes, &["--bedrock", "--family", family]);
        assert_eq!(r.code, OK, "{name}\n{r}");
        let lines = r.json_lines();
        let expect = s["expect_events"].as_array().unwrap();
        assert_eq!(lines.len(), expect.len(), "{name}\n{r}");
        for (got, want) in lines.iter().zip(expect) {
            match want["kind"].as_str().unwrap() {
                "chunk" => {
                    assert_eq!(got["event"], "chunk", "{name}");
                    assert_eq!(
                        b64(&got["bytes_b64"]),
                        want["decoded_bytes"].as_str().unwrap().as_bytes(),
                        "{name}"
                    );
                }
                "exception" => {
                    assert_eq!(got["event"], "exception", "{name}");
                    assert_eq!(got["kind"], "stream", "{name}");
                    assert_eq!(got["code"], want["exception_type"], "{name}");
                    let p = &want["payload"];
                    assert_eq!(got["message"], p["message"], "{name}");
                    if let Some(s) = p.get("originalStatusCode") {
                        assert_eq!(&got["fields"]["originalStatusCode"], s, "{name}");
                        assert_eq!(got["fields"]["originalMessage"], p["originalMessage"]);
                    }
                }
                "unknown_event" => {
                    assert_eq!(got["event"], "unknown", "{name}");
                    assert_eq!(got["event_type"], want["event_type"], "{name}");
                }
                k => panic!("{k}"),
            }
        }
        let text: String = lines.iter().filter_map(|l| l["text"].as_str()).collect();
        match name {
            "bedrock_claude_messages_stream" => assert_eq!(text, "Hello there!"),
            "bedrock_titan_text_stream" => assert_eq!(text, "Hello world."),
            "bedrock_stream_then_exception" => assert_eq!(text, "Hi"),
            _ => {}
        }
        // Without a family it is recognised from the chunks' shapes: the same events and text.
        let plain = decode_bytes(&bytes, &["--bedrock"]);
        assert_eq!(plain.code, OK);
        let plain_lines = plain.json_lines();
        assert_eq!(plain_lines.len(), expect.len());
        if name.contains("claude") || name.contains("titan") || name.contains("then_exception") {
            let plain_text: String = plain_lines
                .iter()
                .filter_map(|l| l["text"].as_str())
                .collect();
            assert_eq!(plain_text, text, "{name}");
        }
    }
}

#[test]
fn decode_bedrock_view_of_error_messages_and_invalid_events() {
    let v = read_json(&data().join("vectors/eventstream_vectors.json"));
    let frame = |n: &str| {
        let f = v["frames"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .unwrap();
        unhex(f["hex"].as_str().unwrap())
    };
    let mut capture = frame("bedrock_chunk_minimal");
    capture.extend(frame("unmodeled_error"));
    let r = decode_bytes(&capture, &["--bedrock"]);
    assert_eq!(r.code, OK, "{r}");
    let lines = r.json_lines();
    assert_eq!(b64(&lines[0]["bytes_b64"]), br#"{"type":"message_stop"}"#);
    assert_eq!(lines[1]["event"], "error", "{r}");
    assert_eq!(lines[1]["code"], "InternalFailure", "{r}");
    assert_eq!(lines[1]["message"], "An internal error occurred.", "{r}");

    // A valid frame that is not a Bedrock event: the frame view prints it, the Bedrock view
    // stops there with invalid_event.
    let mut capture = frame("bedrock_chunk_minimal");
    let first_len = capture.len() as u64;
    capture.extend(frame("payload_only"));
    capture.extend(frame("bedrock_chunk_minimal"));
    assert_eq!(decode_bytes(&capture, &[]).json_lines().len(), 3);
    let r = decode_bytes(&capture, &["--bedrock"]);
    assert_eq!(r.code, PROTOCOL, "{r}");
    let lines = r.json_lines();
    assert_eq!(lines.len(), 2, "{r}");
    assert_eq!(lines[1]["error"]["kind"], "invalid_event", "{r}");
    assert_eq!(lines[1]["error"]["offset"], first_len, "{r}");
}

#[test]
fn decode_reads_stdin_and_reports_truncation_and_unreadable_files() {
    let v = read_json(&data().join("vectors/eventstream_vectors.json"));
    let bytes = unhex(v["frames"][1]["hex"].as_str().unwrap());
    let r = run_with_stdin(&mut bare(), &["decode", "-"], Some(&bytes));
    assert_eq!(r.code, OK, "{r}");
    assert_eq!(r.json_lines().len(), 1);
    let r = run_with_stdin(&mut bare(), &["decode"], Some(&bytes[..bytes.len() - 3]));
    assert_eq!(r.code, PROTOCOL, "{r}");
    assert_eq!(r.last()["error"]["kind"], "truncated", "{r}");
    let r = run(&mut bare(), &["decode", "/nonexistent/capture.bin"]);
    assert_eq!(r.code, LOCAL_IO, "{r}");
    assert_eq!(r.last()["error"]["kind"], "io", "{r}");
    // A smaller cap refuses a message from its prelude.
    let r = decode_bytes(&bytes, &["--max-message-len", "20"]);
    assert_eq!(r.code, PROTOCOL, "{r}");
    assert_eq!(r.last()["error"]["kind"], "message_too_large", "{r}");
}

// ------------------------------------------------------------------------------------------
// emulator
// ------------------------------------------------------------------------------------------

/// A `bedrock-stream emulator` child process, killed on drop.
struct EmulatorProcess {
    child: Child,
    endpoint: String,
    banner: String,
    _scratch: Scratch,
}

impl EmulatorProcess {
    fn start(flags: &[&str]) -> EmulatorProcess {
        Self::start_with_env(flags, &[])
    }

    fn start_with_env(flags: &[&str], env: &[(&str, &str)]) -> EmulatorProcess {
        let scratch = Scratch::new();
        let endpoint_file = scratch.0.join("endpoint");
        let mut cmd = bare();
        cmd.envs(env.iter().copied());
        cmd.args(["emulator", "--port", "0", "--endpoint-file"])
            .arg(&endpoint_file)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let started = Instant::now();
        while !endpoint_file.exists() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the emulator exited: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the emulator did not start"
            );
            thread::sleep(Duration::from_millis(20));
        }
        let endpoint = fs::read_to_string(&endpoint_file)
            .unwrap()
            .trim()
            .to_owned();
        // The banner is complete before the endpoint file appears; `# faults:` is its last line.
        let mut banner = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        while !banner.contains("\n# faults: ") {
            let mut line = String::new();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "banner ended early: {banner}"
            );
            banner.push_str(&line);
        }
        EmulatorProcess {
            child,
            endpoint,
            banner,
            _scratch: scratch,
        }
    }

    /// The `export NAME=VALUE` lines of the banner.
    fn exports(&self) -> Vec<(String, String)> {
        self.banner
            .lines()
            .filter_map(|l| l.trim().strip_prefix("export "))
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Kills the process and returns its stderr (the request log).
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        err
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn emulator_prints_the_variables_that_point_a_client_at_it() {
    let emu = EmulatorProcess::start(&["--chunk-delay", "0.005", "--chunks", "3"]);
    assert!(
        emu.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        emu.endpoint
    );
    let exports = emu.exports();
    let names: Vec<&str> = exports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            "AWS_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY"
        ],
        "{}",
        emu.banner
    );
    assert_eq!(exports[0].1, emu.endpoint);
    // The command it suggests runs this very binary (`cargo run` does not put it on the PATH).
    assert!(
        emu.banner
            .contains(&format!("# then: {BIN} chat --model-id ")),
        "{}",
        emu.banner
    );
    // Exactly what the banner says, and nothing else, makes a working client.
    let mut cmd = bare();
    for (k, v) in &exports {
        cmd.env(k, v);
    }
    let r = run(
        &mut cmd,
        &["chat", "--model-id", CLAUDE, "Hi from the test"],
    );
    assert_eq!(r.code, OK, "{r}");
    assert!(r.stdout.contains("Hi from the test"), "{r}");
    let mut cmd = bare();
    for (k, v) in &exports {
        cmd.env(k, v);
    }
    let scratch = Scratch::new();
    let body = scratch.file("b.json", &claude_body());
    let r = run(
        &mut cmd,
        &[
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, OK, "{r}");
    let texts = r
        .json_lines()
        .iter()
        .filter(|l| l.get("text").is_some())
        .count();
    assert_eq!(texts, 3, "--chunks 3 reached the emulator\n{r}");
    let log = emu.stop();
    assert!(
        log.contains("/invoke-with-response-stream -> 200"),
        "request log: {log}"
    );
    assert!(
        !log.contains(SECRET) && !log.contains("Signature="),
        "{log}"
    );
}

#[test]
fn emulator_banner_says_to_unset_leftover_tokens_and_warns_when_they_are_set() {
    let unset = "unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK";
    let emu = EmulatorProcess::start(&[]);
    assert!(
        emu.banner.lines().any(|l| l == unset) && emu.banner.contains("403"),
        "{}",
        emu.banner
    );
    let log = emu.stop();
    assert!(!log.contains("is set in this shell"), "{log}");
    // With the leftovers in the emulator's own shell, stderr names each one.
    let emu = EmulatorProcess::start_with_env(
        &[],
        &[
            ("AWS_SESSION_TOKEN", "leftover-session-token"),
            ("AWS_BEARER_TOKEN_BEDROCK", "leftover-api-key"),
        ],
    );
    // What the warning is about: a client with a leftover token is refused.
    let mut cmd = bare();
    for (k, v) in emu.exports() {
        cmd.env(k, v);
    }
    cmd.env("AWS_SESSION_TOKEN", "leftover-session-token");
    let r = run(&mut cmd, &["chat", "--model-id", CLAUDE, "hi"]);
    assert_eq!(r.code, SERVICE, "{r}");
    assert!(r.stderr.contains("403"), "{r}");
    let log = emu.stop();
    for name in ["AWS_SESSION_TOKEN", "AWS_BEARER_TOKEN_BEDROCK"] {
        assert!(
            log.contains(&format!("bedrock-stream: {name} is set in this shell"))
                && log.contains(unset),
            "{log}"
        );
    }
    assert!(
        !log.contains("leftover-"),
        "values are never printed: {log}"
    );
}

#[test]
fn emulator_default_fault_and_region_options() {
    let emu =
        EmulatorProcess::start(&["--fault", "http=503", "--region", "eu-central-1", "--quiet"]);
    let exports = emu.exports();
    assert!(
        exports.contains(&("AWS_REGION".into(), "eu-central-1".into())),
        "{}",
        emu.banner
    );
    let mut cmd = bare();
    for (k, v) in &exports {
        cmd.env(k, v);
    }
    let scratch = Scratch::new();
    let body = scratch.file("b.json", &claude_body());
    let r = run(
        &mut cmd,
        &[
            "--max-attempts",
            "1",
            "invoke",
            "--model-id",
            CLAUDE,
            "--body",
            body.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, SERVICE, "{r}");
    assert_eq!(r.last()["code"], "ServiceUnavailableException", "{r}");
    let log = emu.stop();
    assert!(log.is_empty(), "--quiet: {log}");

    let r = run(
        &mut bare(),
        &["emulator", "--port", "0", "--fault", "no-such-fault"],
    );
    assert_eq!(r.code, USAGE, "{r}");
    assert!(r.stderr.contains("no-such-fault"), "{r}");
    // A port in use.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let r = run(&mut bare(), &["emulator", "--port", &port]);
    assert_eq!(r.code, LOCAL_IO, "{r}");
}

// ------------------------------------------------------------------------------------------
// scripts/demo.sh
// ------------------------------------------------------------------------------------------

/// `bash scripts/demo.sh` using the binary under test (no build, no C example).
fn demo(chunk_delay: &str) -> Command {
    let mut c = Command::new("bash");
    c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.sh"));
    hermetic(&mut c);
    c.env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DEMO_SKIP_BUILD", "1")
        .env("DEMO_SKIP_C", "1")
        .env("DEMO_CHUNK_DELAY", chunk_delay)
        .env("BEDROCK_STREAM_BIN", BIN);
    c
}

/// The emulator endpoint the demo printed.
fn demo_endpoint(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=")
        })
        .unwrap_or_else(|| panic!("no endpoint in the demo output:\n{stderr}"))
        .to_owned()
}

fn assert_nothing_listens(endpoint: &str) {
    let addr = endpoint.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the emulator at {endpoint} still accepts connections"
    );
}

#[test]
fn demo_streams_the_answer_and_stops_the_emulator() {
    let r = run(&mut demo("0"), &["What is a crab?"]);
    assert_eq!(r.code, OK, "{r}");
    assert!(
        r.stdout.contains("What is a crab?"),
        "the chat answer is on stdout\n{r}"
    );
    assert!(r.stderr.contains("time to first token"), "{r}");
    assert!(r.stderr.contains("emulator stopped"), "{r}");
    assert!(r.stderr.contains("Against real Amazon Bedrock"), "{r}");
    assert_nothing_listens(&demo_endpoint(&r.stderr));
}

#[test]
fn demo_shows_the_build_progress() {
    // A stand-in cargo that says what it was asked and "builds" the tool by linking this one.
    let scratch = Scratch::new();
    let calls = scratch.0.join("cargo-calls");
    let fake = scratch.file(
        "cargo",
        format!(
            "#!/bin/sh\necho \"$@\" >> '{calls}'\necho '   Compiling bedrock-stream (fake cargo)' >&2\n\
             mkdir -p \"$CARGO_TARGET_DIR/debug\"\nln -sf '{BIN}' \"$CARGO_TARGET_DIR/debug/bedrock-stream\"\n",
            calls = calls.display()
        )
        .as_bytes(),
    );
    Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    let mut cmd = demo("0");
    cmd.env_remove("DEMO_SKIP_BUILD")
        .env("CARGO", &fake)
        .env("CARGO_TARGET_DIR", scratch.0.join("target"));
    let r = run(&mut cmd, &["hi"]);
    assert_eq!(r.code, OK, "{r}");
    assert!(
        r.stderr.contains("Compiling bedrock-stream (fake cargo)"),
        "{r}"
    );
    assert!(r.stderr.contains("a few minutes"), "{r}");
    // The variables shown clear a real setup's leftover tokens first.
    assert!(
        r.stderr.contains(
            "unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK\n    export AWS_ENDPOINT_URL"
        ),
        "{r}"
    );
    let calls = fs::read_to_string(&calls).unwrap();
    // The tool and the C example's library in one build (one feature set).
    assert!(
        calls.contains("build --features cli --bin bedrock-stream --lib"),
        "{calls}"
    );
    assert!(
        !calls.contains("--quiet"),
        "cargo must show its progress: {calls}"
    );
}

#[test]
fn demo_stops_the_emulator_on_ctrl_c_and_on_errors() {
    use std::os::unix::process::CommandExt;
    use std::sync::{Arc, Mutex};

    // A slow stream, interrupted like Ctrl-C does: SIGINT to the whole process group.
    let mut cmd = demo("0.5");
    cmd.arg("A slow answer, please")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().unwrap();
    let collected = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    for pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let collected = Arc::clone(&collected);
        readers.push(thread::spawn(move || {
            let mut pipe = pipe;
            let mut buf = [0u8; 256];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }));
    }
    let started = Instant::now();
    loop {
        let seen = collected.lock().unwrap().clone();
        if seen.contains("Hello") {
            break; // text is streaming in
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the demo ended early:\n{seen}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no text came:\n{seen}"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    for r in readers {
        r.join().unwrap();
    }
    let out = collected.lock().unwrap().clone();
    assert_eq!(code, Some(130), "{out}");
    assert!(out.contains("emulator stopped"), "{out}");
    assert!(
        !out.contains("Against real Amazon Bedrock"),
        "the demo did not go on\n{out}"
    );
    assert_nothing_listens(&demo_endpoint(&out));

    // A failing step (an unknown model family) ends the demo with its exit code, and the
    // emulator is stopped too.
    let mut cmd = demo("0");
    cmd.env(
        "DEMO_MODEL_ID",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/x",
    );
    let r = run(&mut cmd, &["hi"]);
    assert_eq!(r.code, CLIENT, "{r}");
    assert!(r.stderr.contains("emulator stopped"), "{r}");
    assert_nothing_listens(&demo_endpoint(&r.stderr));
}
