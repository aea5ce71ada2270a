//! The Go package of `examples-c/go/` (cgo over `libbedrock_stream.so`): `go vet` and
//! `gofmt` are clean, its test suite passes against the emulator started in this process, and
//! the example program `cmd/stream` prints what the Rust API reads for the same request,
//! reports failures with their details and stops on Ctrl-C.
//!
//! `cargo test --features emulator --test go_example` (needs `go` >= 1.19 and a C compiler).
//! Without `go` on PATH the tests fail, unless `BEDROCK_STREAM_SKIP_GO=1`, which skips them on
//! a line `cargo test` shows. Go writes only below `target/<profile>/go/` (build cache,
//! GOPATH, temporary files, the binary); no network is used (`GOPROXY=off`; the package has
//! no dependencies).
#![cfg(feature = "emulator")]

mod common;
use common::{cdylib, profile_dir, root, tool_missing};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use bedrock_stream::emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};
use bedrock_stream::extract::TextExtractor;
use bedrock_stream::{Client, Credentials, Event, InvokeRequest};

const MODEL: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

fn package_dir() -> PathBuf {
    root().join("examples-c/go")
}

/// Everything Go writes goes below this directory.
fn go_dir() -> PathBuf {
    profile_dir().join("go")
}

/// Whether `go` can be used; without it the test fails, or is skipped (and says so) when
/// `BEDROCK_STREAM_SKIP_GO=1`.
fn have_go() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let found = Command::new("go")
            .arg("version")
            .env("GOTOOLCHAIN", "local")
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            tool_missing(
                "go",
                "golang-go (Go >= 1.19)",
                "BEDROCK_STREAM_SKIP_GO",
                "the Go package examples-c/go",
            );
        }
        found
    })
}

/// A directory holding `libbedrock_stream.so.0` (the SONAME the Go binaries record) and
/// `libbedrock_stream.so` (for `-lbedrock_stream`), both leading to the library cargo built.
fn lib_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let lib = cdylib();
        let dir = go_dir().join("lib");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, target) in [
            ("libbedrock_stream.so.0", lib.clone()),
            (
                "libbedrock_stream.so",
                PathBuf::from("libbedrock_stream.so.0"),
            ),
        ] {
            // Replace atomically: another test process may be using the link.
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            let _ = std::fs::remove_file(&tmp);
            std::os::unix::fs::symlink(&target, &tmp).unwrap();
            std::fs::rename(&tmp, dir.join(name)).unwrap();
        }
        dir
    })
}

/// A `go` (or `gofmt`) command in `examples-c/go` with a clean, self-contained environment.
fn go_command(program: &str) -> Command {
    let go = go_dir();
    let lib = lib_dir();
    for sub in ["cache", "path", "tmp", "home"] {
        std::fs::create_dir_all(go.join(sub)).unwrap();
    }
    let mut cmd = Command::new(program);
    cmd.current_dir(package_dir())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", go.join("home"))
        .env("GOENV", "off")
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        .env("GOMODCACHE", go.join("path/pkg/mod"))
        .env("GOTMPDIR", go.join("tmp"))
        .env("TMPDIR", go.join("tmp"))
        .env("GOFLAGS", "-mod=mod -buildvcs=false")
        .env("GOPROXY", "off")
        .env("GOSUMDB", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GO111MODULE", "on")
        .env("CGO_ENABLED", "1")
        // Go's build cache does not see headers outside the package: tie the cached cgo
        // objects to the header's contents.
        .env(
            "CGO_CFLAGS",
            format!("-O2 -g -DBSGO_HEADER_HASH={:x}", header_hash()),
        )
        // Comes before the package's own #cgo LDFLAGS, so this library is the one linked;
        // the rpath lets the binaries find it without LD_LIBRARY_PATH.
        .env(
            "CGO_LDFLAGS",
            format!("-L{0} -Wl,-rpath,{0}", lib.display()),
        );
    cmd
}

fn header_hash() -> u64 {
    use std::hash::{Hash, Hasher};
    let header = std::fs::read(root().join("include/bedrock_stream.h")).unwrap();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    header.hash(&mut h);
    h.finish()
}

fn output(cmd: &mut Command) -> (bool, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("go runs");
    (
        status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    )
}

/// `cmd/stream` linked with the shared library, built once.
fn stream_program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let exe = go_dir().join("bin/stream");
        let (ok, out) = output(
            go_command("go")
                .args(["build", "-o"])
                .arg(&exe)
                .arg("./cmd/stream"),
        );
        assert!(ok, "go build ./cmd/stream failed:\n{out}");
        exe
    })
}

/// `cmd/stream` linked with the static archive: `-L` names a directory that holds only
/// `libbedrock_stream.a`, plus the system libraries Rust's std needs on glibc Linux.
fn static_stream_program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let archive = profile_dir().join("libbedrock_stream.a");
        assert!(
            archive.exists(),
            "{} was not built by cargo",
            archive.display()
        );
        let dir = go_dir().join("static");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".libbedrock_stream.a.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&archive, &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("libbedrock_stream.a")).unwrap();
        let exe = go_dir().join("bin/stream-static");
        let (ok, out) = output(
            go_command("go")
                .args(["build", "-o"])
                .arg(&exe)
                .arg("./cmd/stream")
                .env(
                    "CGO_LDFLAGS",
                    format!("-L{} -lm -ldl -lpthread", dir.display()),
                ),
        );
        assert!(ok, "go build ./cmd/stream (static) failed:\n{out}");
        exe
    })
}

/// How a program ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The example program's environment: the emulator and its credentials, nothing else.
fn program_command(emulator: &Emulator, home: &Path) -> Command {
    program_command_for(stream_program(), emulator, home)
}

fn program_command_for(program: &Path, emulator: &Emulator, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.endpoint_url())
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY);
    cmd
}

fn home(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = go_dir().join("tmp").join(format!(
        "home_{}_{tag}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(emulator: &Emulator, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Run {
    let home = home("stream");
    let mut cmd = program_command(emulator, &home);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the program runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn claude_body(prompt: &str, max_tokens: u32) -> String {
    format!(
        r#"{{"anthropic_version":"bedrock-2023-05-31","max_tokens":{max_tokens},"messages":[{{"role":"user","content":{}}}]}}"#,
        serde_json::Value::String(prompt.into())
    )
}

/// What the Rust API prints for the same request, in the program's format.
fn expected_summary(emulator: &Emulator, prompt: &str) -> String {
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
    let request = InvokeRequest::new(MODEL, claude_body(prompt, 512));
    let mut extractor = TextExtractor::for_model_id(MODEL);
    let (mut text, mut stop, mut tokens, mut events) = (String::new(), String::new(), (0, 0), 0);
    for event in client.invoke_model_with_response_stream(&request).unwrap() {
        let event = event.unwrap();
        events += 1;
        if let Event::Chunk(chunk) = &event {
            let info = extractor.process(chunk.bytes());
            text.push_str(info.text().unwrap_or(""));
            if let Some(s) = info.stop_reason() {
                stop = s.to_owned();
            }
            if let Some(m) = info.metrics() {
                tokens = (m.input_token_count.unwrap(), m.output_token_count.unwrap());
            }
        }
    }
    assert!(text.contains(&format!("You said: “{prompt}”")), "{text}");
    format!(
        "{text}\n--\nstop reason: {stop}\ntokens: {} in, {} out (invocation metrics)\nevents: {events}\n",
        tokens.0, tokens.1
    )
}

// ---------------------------------------------------------------------------------------------

#[test]
fn go_vet_and_gofmt_are_clean() {
    if !have_go() {
        return;
    }
    let (ok, out) = output(go_command("go").args(["vet", "./..."]));
    assert!(ok, "go vet ./... failed:\n{out}");
    let (ok, out) = output(go_command("gofmt").args(["-l", "."]));
    assert!(ok, "gofmt failed:\n{out}");
    assert_eq!(out, "", "files gofmt would change");
}

/// The names of the Go tests that must run and pass (a skip is a failure here).
const GO_TESTS: &[&str] = &[
    "TestVersionMatchesTheHeader",
    "TestInvokeStreamsText",
    "TestOpenReadsTheSameStream",
    "TestMidStreamExceptionIsTypedWithEventsDelivered",
    "TestBadCredentialsGiveATyped403",
    "TestContextCancelsTheStream",
    "TestCallbackErrorStopsTheStream",
    "TestGoroutinesShareOneClientWithoutMixingErrors",
    "TestUnknownEventsAreDelivered",
    "TestClosedClient",
    "TestEveryRequestMemberIsSent",
    "TestInvalidInputFailsBeforeSending",
];

fn go_test(emulator: &Emulator, args: &[&str]) -> String {
    let (ok, out) = output(
        go_command("go")
            .args(["test", "-count=1", "-v", "-timeout", "300s"])
            .args(args)
            .env("BEDROCK_STREAM_TEST_ENDPOINT", emulator.endpoint_url()),
    );
    assert!(ok, "go test {args:?} failed:\n{out}");
    assert!(!out.contains("--- SKIP"), "a Go test was skipped:\n{out}");
    out
}

#[test]
fn go_test_passes_against_the_emulator() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let out = go_test(&emu, &["./..."]);
    for name in GO_TESTS {
        assert!(
            out.contains(&format!("--- PASS: {name} ")),
            "{name} did not pass:\n{out}"
        );
    }
    // 32 goroutines x 6 rounds alone make 192 requests.
    assert!(
        emu.request_count() > 200,
        "{} requests",
        emu.request_count()
    );
}

/// The goroutine, cancellation and callback tests again under the race detector, where Go
/// supports it with cgo.
#[test]
fn go_concurrency_tests_pass_under_the_race_detector() {
    if !have_go() {
        return;
    }
    if !(cfg!(target_os = "linux")
        && cfg!(target_env = "gnu")
        && cfg!(any(target_arch = "x86_64", target_arch = "aarch64")))
    {
        eprintln!("note: the race detector is not used on this platform");
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let out = go_test(
        &emu,
        &[
            "-race",
            "-run",
            "Goroutines|Context|Callback|ClosedClient",
            ".",
        ],
    );
    assert!(
        out.contains("--- PASS: TestGoroutinesShareOneClientWithoutMixingErrors "),
        "{out}"
    );
}

#[test]
fn go_stream_example_prints_the_text_as_it_arrives_and_the_usage() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let want = expected_summary(&emu, "Tell me about Go");
    for args in [
        &["Tell", "me", "about", "Go"][..],
        &["-pull", "Tell me about Go"][..],
    ] {
        let r = run(&emu, args, &[], "");
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, want, "{args:?}");
    }
    // The prompt from standard input.
    let r = run(&emu, &[], &[], "Tell me about Go\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, want);

    let r = run(&emu, &["-version"], &[], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!("libbedrock_stream {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn go_stream_example_reports_failures_with_their_details() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let r = run(
        &emu,
        &["hi"],
        &[("AWS_SECRET_ACCESS_KEY", "not-the-secret")],
        "",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    for want in [
        "error: stream failed: UNMODELED_SERVICE: Bedrock error InvalidSignatureException (HTTP 403)",
        "code: InvalidSignatureException, HTTP status: 403\n",
        "request id: ",
        "events before the failure: 0, retryable: no\n",
    ] {
        assert!(r.stderr.contains(want), "{want:?} not in:\n{}", r.stderr);
    }
    assert_eq!(emu.request_count(), 1, "a signature failure is not retried");

    for pull in [false, true] {
        let mut args = vec![
            "-model",
            "emulator-fault:exception=throttlingException:after=3",
            "-family",
            "anthropic-claude",
        ];
        if pull {
            args.push("-pull");
        }
        args.push("hi");
        let before = emu.request_count();
        let r = run(&emu, &args, &[], "");
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        // Three chunks arrived before the exception; the third carried the first text.
        assert!(
            r.stdout.starts_with("Hello") && !r.stdout.contains("--"),
            "{args:?}: {}",
            r.stdout
        );
        for want in [
            "error: stream failed: THROTTLING: Bedrock stream error throttlingException (HTTP 429)",
            "code: throttlingException, HTTP status: 429\n",
            "events before the failure: 3, retryable: yes\n",
        ] {
            assert!(r.stderr.contains(want), "{want:?} not in:\n{}", r.stderr);
        }
        assert_eq!(
            emu.request_count(),
            before + 1,
            "no retry after events were delivered"
        );
    }
}

/// Ctrl-C cancels the context; the package cancels the stream through the C cancel handle
/// from another goroutine, and the program reports how many events had arrived.
#[test]
fn go_stream_example_stops_on_ctrl_c() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    for pull in [false, true] {
        let home = home("sigint");
        let mut cmd = program_command(&emu, &home);
        // Three chunks (the third carries text), then silence until the client hangs up.
        cmd.args([
            "-model",
            "emulator-fault:stall:after=3",
            "-family",
            "anthropic-claude",
        ]);
        if pull {
            cmd.arg("-pull");
        }
        let mut child = cmd
            .arg("hi")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // Wait until the first text was printed: the stream is then stalled after 3 events.
        let mut got = Vec::new();
        let mut buf = [0u8; 256];
        while !String::from_utf8_lossy(&got).contains("Hello") {
            let n = stdout.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "the program ended early: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        let kill = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        // A program that ignores the cancellation would wait for the stalled stream forever:
        // give up (and fail) after a generous bound rather than hang the test suite.
        let mut status = None;
        for _ in 0..1200 {
            status = child.try_wait().unwrap();
            if status.is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pull {pull}: the program did not stop on SIGINT");
        }
        let status = status.unwrap();
        stdout.read_to_end(&mut got).unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let _ = std::fs::remove_dir_all(&home);
        let stdout = String::from_utf8_lossy(&got);
        assert_eq!(status.code(), Some(130), "pull {pull}: {stdout}\n{stderr}");
        assert!(
            stdout.ends_with("\n--\ncancelled after 3 events\n"),
            "pull {pull}: {stdout}\n{stderr}"
        );
    }
    assert!(emu.wait_for_closed_connections(2, std::time::Duration::from_secs(10)));
}

/// The static archive works for cgo too (what Alpine/musl users link): the binary needs no
/// libbedrock_stream at run time and streams like the shared build.
#[test]
fn go_stream_example_links_the_static_archive() {
    if !have_go() {
        return;
    }
    let exe = static_stream_program();
    let out = Command::new("readelf")
        .arg("-d")
        .arg(exe)
        .output()
        .expect("readelf runs");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{dynamic}");
    assert!(!dynamic.contains("bedrock_stream"), "{dynamic}");
    let emu = Emulator::builder().start().unwrap();
    let want = expected_summary(&emu, "static");
    let home = home("static");
    let out = program_command_for(exe, &emu, &home)
        .arg("static")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}
