//! The Go package of `examples-c/go/` (cgo over `libbedrock_stream.so`), used the way a Go
//! developer would: the library is installed into a prefix (`make install`, from the debug
//! build), and a module outside the repository gets the package by its module path with
//! `go get` (from a module proxy in a directory, `GOPROXY=file://...`, that serves this
//! checkout's `examples-c/go` as the zip Go would download from a tag; no `replace`) and
//! builds with nothing but pkg-config. There `go vet` is clean, the package's tests and
//! examples pass against the emulator started in this process (with cgocheck=2, and the
//! concurrency tests under `-race`), the README's Quick start program runs, and `cmd/stream`
//! (`go install ...@latest`, as the README says) prints what the Rust API reads for the same
//! request, reports failures with their details and stops on Ctrl-C. In the repository,
//! `gofmt` is clean and `go vet -tags bedrockstream_intree` too.
//!
//! `cargo test --features emulator --test go_example` (needs `go` >= 1.19, a C compiler,
//! `make` and `pkg-config`). Without `go` on PATH the tests fail, unless
//! `BEDROCK_STREAM_SKIP_GO=1`, which skips them on a line `cargo test` shows. Go writes only
//! below `target/<profile>/go/` (build cache, GOPATH, the prefix, the user module, the
//! binaries, the module proxy); no network is used (the package has no dependencies).
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

/// The module path of the package (its `go.mod`).
const MODULE: &str = "github.com/bedrock-stream/bedrock-stream/examples-c/go";

/// A `go` (or `gofmt`) command in `examples-c/go`, building with the in-tree flags (the
/// `bedrockstream_intree` tag: this checkout's header, the library of [`lib_dir`]).
fn go_command(program: &str) -> Command {
    let lib = lib_dir();
    let mut cmd = go_env(program);
    cmd.current_dir(package_dir())
        .env(
            "GOFLAGS",
            "-mod=mod -buildvcs=false -p=2 -tags=bedrockstream_intree",
        )
        // Comes before the package's own #cgo LDFLAGS, so this library is the one linked;
        // the rpath lets the binaries find it without LD_LIBRARY_PATH.
        .env(
            "CGO_LDFLAGS",
            format!("-L{0} -Wl,-rpath,{0}", lib.display()),
        );
    cmd
}

/// A `go` command in the user module ([`user_module`]), outside the repository: the package
/// comes by its module path from the module proxy ([`module_proxy`]) and links with
/// pkg-config against the installed prefix ([`prefix`]); programs find the library through
/// `LD_LIBRARY_PATH`, as the README says.
fn user_command(program: &str) -> Command {
    let mut cmd = user_env(program);
    cmd.current_dir(user_module())
        .env("GOFLAGS", "-mod=mod -buildvcs=false -p=2");
    cmd
}

/// [`go_env`] as a user has it: the module proxy instead of the network, pkg-config and the
/// loader pointed at the installed prefix.
fn user_env(program: &str) -> Command {
    let prefix = prefix();
    let mut cmd = go_env(program);
    cmd.env("GOPROXY", format!("file://{}", module_proxy().display()))
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .env("LD_LIBRARY_PATH", prefix.join("lib"));
    cmd
}

/// `go` with a clean, self-contained environment (no network, everything below [`go_dir`]).
fn go_env(program: &str) -> Command {
    let go = go_dir();
    for sub in ["cache", "path", "tmp", "home"] {
        std::fs::create_dir_all(go.join(sub)).unwrap();
    }
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", go.join("home"))
        .env("GOENV", "off")
        .env("GOCACHE", go.join("cache"))
        .env("GOPATH", go.join("path"))
        .env("GOMODCACHE", go.join("path/pkg/mod"))
        .env("GOTMPDIR", go.join("tmp"))
        .env("TMPDIR", go.join("tmp"))
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
        );
    cmd
}

/// A prefix where the library is installed by `make install PREFIX=...` (lib, header,
/// `bedrock_stream.pc`), once per test process. `make install` would build a release
/// library first (minutes): `-o lib` skips that and `RELEASE_DIR` points the install at the
/// debug build cargo made; the static libraries for `Libs.private` are rustc's usual list
/// for glibc Linux.
fn prefix() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        cdylib(); // says what to do when the shared library was not built
        let dir = go_dir().join("prefix");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let native = go_dir().join("native-static-libs");
        std::fs::write(&native, "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc\n").unwrap();
        let (ok, out) = output(
            Command::new("make")
                .current_dir(root())
                .args(["--no-print-directory", "-o", "lib", "install"])
                .arg(format!("PREFIX={}", dir.display()))
                .arg(format!("RELEASE_DIR={}", profile_dir().display()))
                .arg(format!("NATIVE_LIBS={}", native.display())),
        );
        assert!(ok, "make install failed:\n{out}");
        assert!(
            dir.join("lib/pkgconfig/bedrock_stream.pc").exists(),
            "{out}"
        );
        dir
    })
}

/// The version the module proxy serves the package as: the crate's (the Go module is
/// tagged `examples-c/go/v<version>` with the crate's `v<version>`).
fn module_version() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// Go's module zip maker for [`module_proxy`]: the rules of `go mod download`'s zips (every
/// regular file below the module's directory, except VCS directories and directories that
/// hold another module), with Go's own archive/zip.
const MODZIP_GO: &str = r#"package main

import (
	"archive/zip"
	"io/fs"
	"log"
	"os"
	"path/filepath"
)

// modzip DIR MODULE@VERSION OUT.zip
func main() {
	dir, prefix, out := os.Args[1], os.Args[2]+"/", os.Args[3]
	f, err := os.Create(out)
	if err != nil {
		log.Fatal(err)
	}
	w := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".hg", ".svn", ".bzr", "vendor":
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); rel != "." && err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		zw, err := w.Create(prefix + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		_, err = zw.Write(data)
		return err
	})
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		log.Fatal(err)
	}
}
"#;

/// A module proxy in a directory (`GOPROXY=file://...`, no network) that serves this
/// checkout's `examples-c/go` as [`MODULE`] at [`module_version`]: what `go get` downloads
/// from a tag of the repository. The module cache is emptied first, so that `go get` takes
/// this checkout's files and not those of an earlier run.
fn module_proxy() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let (ok, out) = output(go_env("go").args(["clean", "-modcache"]));
        assert!(ok, "go clean -modcache failed:\n{out}");
        let dir = go_dir().join("proxy");
        let _ = std::fs::remove_dir_all(&dir);
        let at_v = dir.join(MODULE).join("@v");
        std::fs::create_dir_all(&at_v).unwrap();
        let version = module_version();
        std::fs::write(at_v.join("list"), format!("{version}\n")).unwrap();
        std::fs::write(
            at_v.join(format!("{version}.info")),
            format!(r#"{{"Version":"{version}","Time":"2026-01-01T00:00:00Z"}}"#),
        )
        .unwrap();
        std::fs::copy(
            package_dir().join("go.mod"),
            at_v.join(format!("{version}.mod")),
        )
        .unwrap();
        let tool = go_dir().join("modzip.go");
        std::fs::write(&tool, MODZIP_GO).unwrap();
        let (ok, out) = output(
            go_env("go")
                .args(["run"])
                .arg(&tool)
                .arg(package_dir())
                .arg(format!("{MODULE}@{version}"))
                .arg(at_v.join(format!("{version}.zip"))),
        );
        assert!(ok, "making the module zip failed:\n{out}");
        dir
    })
}

/// A module outside the repository, as a user creates it: `go mod init`, `main.go` is the
/// README's Quick start program (copied from examples-c/go/README.md), and `go get` adds the
/// package by its module path, downloaded from [`module_proxy`] (no `replace`).
fn user_module() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = go_dir().join("user");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("main.go"), readme_program()).unwrap();
        for args in [
            &["mod", "init", "example.com/user"][..],
            &["get", &format!("{MODULE}@{}", module_version())][..],
        ] {
            let (ok, out) = output(user_env("go").current_dir(&dir).args(args));
            assert!(ok, "go {args:?} failed:\n{out}");
        }
        let go_mod = std::fs::read_to_string(dir.join("go.mod")).unwrap();
        assert!(
            go_mod.contains(&format!("require {MODULE} {}", module_version()))
                && !go_mod.contains("replace"),
            "{go_mod}"
        );
        dir
    })
}

/// The first Go code block of examples-c/go/README.md that is a whole program.
fn readme_program() -> String {
    let readme = std::fs::read_to_string(package_dir().join("README.md")).unwrap();
    readme
        .split("```go\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .find(|block| block.starts_with("package main\n"))
        .expect("examples-c/go/README.md has a ```go block with a whole program")
        .to_owned()
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

/// `cmd/stream` installed once as the README says (`go install MODULE/cmd/stream@latest`,
/// outside any module), linked with the installed shared library through pkg-config.
fn stream_program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let bin = go_dir().join("bin");
        let (ok, out) = output(
            user_env("go")
                .current_dir(go_dir())
                .env("GOBIN", &bin)
                .args(["install", &format!("{MODULE}/cmd/stream@latest")]),
        );
        assert!(ok, "go install {MODULE}/cmd/stream@latest failed:\n{out}");
        bin.join("stream")
    })
}

/// `cmd/stream` linked with the static archive as the README says: `-L` names a directory
/// that holds only `libbedrock_stream.a`, plus the system libraries of
/// `pkg-config --static --libs-only-l bedrock_stream`.
fn static_stream_program() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let archive = prefix().join("lib/libbedrock_stream.a");
        let dir = go_dir().join("static");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!(".libbedrock_stream.a.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&archive, &tmp).unwrap();
        std::fs::rename(&tmp, dir.join("libbedrock_stream.a")).unwrap();
        let (ok, libs) = output(
            Command::new("pkg-config")
                .args(["--static", "--libs-only-l", "bedrock_stream"])
                .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig")),
        );
        assert!(ok, "pkg-config --static failed: {libs}");
        let libs = libs.trim().replace("-lbedrock_stream", "");
        let exe = go_dir().join("bin/stream-static");
        let (ok, out) = output(
            user_command("go")
                .args(["build", "-o"])
                .arg(&exe)
                .arg(format!("{MODULE}/cmd/stream"))
                .env("CGO_LDFLAGS", format!("-L{} {libs}", dir.display())),
        );
        assert!(ok, "go build {MODULE}/cmd/stream (static) failed:\n{out}");
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
        // The loader finds the installed library (the static build does not need it).
        .env("LD_LIBRARY_PATH", prefix().join("lib"))
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

/// What the Rust API reads for the same request.
struct Expected {
    text: String,
    stop: String,
    tokens: (u64, u64),
    events: usize,
}

fn expected(emulator: &Emulator, prompt: &str) -> Expected {
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
    Expected {
        text,
        stop,
        tokens,
        events,
    }
}

/// What the Rust API prints for the same request, in the program's format.
fn expected_summary(emulator: &Emulator, prompt: &str) -> String {
    let Expected {
        text,
        stop,
        tokens,
        events,
    } = expected(emulator, prompt);
    format!(
        "{text}\n--\nstop reason: {stop}\ntokens: {} in, {} out (invocation metrics)\nevents: {events}\n",
        tokens.0, tokens.1
    )
}

/// A binary linked as a user links it: it needs the library by its SONAME and records no
/// path of this checkout (no rpath from the in-tree flags).
fn assert_links_the_installed_library(exe: &Path) {
    let out = Command::new("readelf")
        .arg("-d")
        .arg(exe)
        .output()
        .expect("readelf runs");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{dynamic}");
    assert!(
        dynamic.contains("Shared library: [libbedrock_stream.so.0]"),
        "{dynamic}"
    );
    assert!(
        !dynamic.contains("RPATH") && !dynamic.contains("RUNPATH"),
        "{dynamic}"
    );
}

// ---------------------------------------------------------------------------------------------

#[test]
fn go_vet_and_gofmt_are_clean() {
    if !have_go() {
        return;
    }
    // In the repository, with the in-tree flags.
    let (ok, out) = output(go_command("go").args(["vet", "./..."]));
    assert!(ok, "go vet -tags bedrockstream_intree ./... failed:\n{out}");
    let (ok, out) = output(go_command("gofmt").args(["-l", "."]));
    assert!(ok, "gofmt failed:\n{out}");
    assert_eq!(out, "", "files gofmt would change");
    // As a user gets it: by module path, pkg-config against the installed library.
    let (ok, out) = output(user_command("go").args(["vet", &format!("{MODULE}/..."), "."]));
    assert!(ok, "go vet {MODULE}/... (pkg-config) failed:\n{out}");
}

/// The names of the Go tests and examples that must run and pass (a skip is a failure here).
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
    "TestMaxAttemptsBounds",
    "TestClosedClient",
    "TestEveryRequestMemberIsSent",
    "TestInvalidInputFailsBeforeSending",
    "TestPanicNilInCallbackStopsTheStream",
    "TestGoexitInCallbackClosesTheConnection",
    "TestCloseFromACallback",
    "TestZeroValuesAreSafe",
    "TestSentinelErrorsAndTimeout",
    "Example",
    "ExampleClient_Open",
    "ExampleClient_Invoke_stop",
    "ExampleError",
    // Converse (converse*.go)
    "TestConverseStreamPushAndPull",
    "TestConverseToolUseRoundTrip",
    "TestConverseReasoningGuardrailAndUnknownMembers",
    "TestConverseErrorsAreTypedWithTheirDetails",
    "TestConverseCallbackStopsTheStream",
    "TestConverseContextCancels",
    "TestConverseGoroutinesShareOneRequest",
    "TestInvokeModel",
    "TestConverseRequestBuilderErrors",
    "TestConverseRequestMembersAreSent",
    "TestConverseRequestEveryOtherMemberIsSent",
    "ExampleClient_ConverseStream",
    "ExampleClient_Converse",
];

/// `go test` of the package from the user module (by module path, pkg-config), with
/// cgocheck=2: every pointer passed to C is checked.
fn go_test(emulator: &Emulator, args: &[&str]) -> String {
    let mut cmd = user_command("go");
    cmd.args(["test", "-count=1", "-v", "-timeout", "300s"])
        .args(args)
        .arg(format!("{MODULE}/..."))
        .env("BEDROCK_STREAM_TEST_ENDPOINT", emulator.endpoint_url());
    cgocheck2(&mut cmd);
    let (ok, out) = output(&mut cmd);
    assert!(ok, "go test {args:?} {MODULE}/... failed:\n{out}");
    assert!(!out.contains("--- SKIP"), "a Go test was skipped:\n{out}");
    out
}

/// Full cgo pointer checking: `GODEBUG=cgocheck=2` up to Go 1.20; from Go 1.21 on that
/// setting is ignored, and the checks are compiled in with `GOEXPERIMENT=cgocheck2`.
fn cgocheck2(cmd: &mut Command) {
    if go_minor() >= 21 {
        cmd.env("GOEXPERIMENT", "cgocheck2");
    } else {
        cmd.env("GODEBUG", "cgocheck=2");
    }
}

#[test]
fn go_test_passes_against_the_emulator() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let out = go_test(&emu, &[]);
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
            "Goroutines|Context|Callback|ClosedClient|Sentinel",
        ],
    );
    for name in [
        "TestPanicNilInCallbackStopsTheStream",
        "TestGoexitInCallbackClosesTheConnection",
        "TestCloseFromACallback",
        "TestConverseContextCancels",
        "TestConverseCallbackStopsTheStream",
        "TestConverseGoroutinesShareOneRequest",
    ] {
        assert!(out.contains(&format!("--- PASS: {name} ")), "{out}");
    }
    assert!(
        out.contains("--- PASS: TestGoroutinesShareOneClientWithoutMixingErrors "),
        "{out}"
    );
}

/// The README's Quick start program, built in the user module with nothing but pkg-config
/// (`go build -o` outside the source tree), prints the answer and the stop reason.
#[test]
fn go_readme_program_builds_outside_the_repository_and_runs() {
    if !have_go() {
        return;
    }
    let exe = go_dir().join("bin/readme-program");
    let (ok, out) = output(user_command("go").args(["build", "-o"]).arg(&exe).arg("."));
    assert!(ok, "go build of the README program failed:\n{out}");
    assert_links_the_installed_library(&exe);
    let emu = Emulator::builder().start().unwrap();
    let want = expected(&emu, "Tell me about Go");
    let home = home("readme");
    let out = program_command_for(&exe, &emu, &home).output().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n(stop reason: {})\n", want.text, want.stop)
    );
}

#[test]
fn go_stream_example_prints_the_text_as_it_arrives_and_the_usage() {
    if !have_go() {
        return;
    }
    assert_links_the_installed_library(stream_program());
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

/// The minor version of the Go toolchain (`go1.19.8` -> 19).
fn go_minor() -> u32 {
    let (ok, out) = output(go_env("go").args(["env", "GOVERSION"]));
    assert!(ok, "{out}");
    out.trim()
        .strip_prefix("go1.")
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("go version {out:?}"))
}

/// The iterator form (`iter.go`, `//go:build go1.23`) and its tests and example. With Go
/// 1.23 or later they run from the user module like the rest. An older Go never compiles
/// those files; so that they cannot rot unseen, a copy of the package is built and tested with
/// the go1.23 tag set and `iter` replaced by a package with the same `Seq2` type.
#[test]
fn go_iterator_form_works() {
    if !have_go() {
        return;
    }
    let emu = Emulator::builder().start().unwrap();
    let run = [
        "-run",
        "TestStreamAllAndClientEvents|TestCloseInsideTheLoop|TestConverseAllAndConverseEvents|ExampleClient_Events",
    ];
    let out = if go_minor() >= 23 {
        go_test(&emu, &run)
    } else {
        let copy = go_dir().join("iter-check");
        let _ = std::fs::remove_dir_all(&copy);
        std::fs::create_dir_all(copy.join("iterstub")).unwrap();
        for entry in std::fs::read_dir(package_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, copy.join(path.file_name().unwrap())).unwrap();
            }
        }
        for file in ["iter.go", "converse_iter.go"] {
            let iter = std::fs::read_to_string(copy.join(file)).unwrap();
            assert!(iter.contains("\t\"iter\"\n"), "{iter}");
            std::fs::write(
                copy.join(file),
                iter.replace("\t\"iter\"\n", &format!("\titer \"{MODULE}/iterstub\"\n")),
            )
            .unwrap();
        }
        std::fs::write(
            copy.join("iterstub/stub.go"),
            "// Package iterstub has the Seq2 of Go 1.23's iter.\npackage iterstub\n\n\
             type Seq2[K, V any] func(yield func(K, V) bool)\n",
        )
        .unwrap();
        // The copy keeps the #cgo CFLAGS of link_intree.go relative to the package: give
        // the header's directory explicitly.
        let (ok, out) = output(
            go_command("go")
                .current_dir(&copy)
                .env(
                    "GOFLAGS",
                    "-mod=mod -buildvcs=false -p=2 -tags=bedrockstream_intree,go1.23",
                )
                .env(
                    "CGO_CFLAGS",
                    format!(
                        "-O2 -g -DBSGO_HEADER_HASH={:x} -I{}",
                        header_hash(),
                        root().join("include").display()
                    ),
                )
                .args(["test", "-count=1", "-v", "-timeout", "300s"])
                .args(run)
                .arg(".")
                .env("BEDROCK_STREAM_TEST_ENDPOINT", emu.endpoint_url()),
        );
        assert!(
            ok,
            "go test of the iterator form (go1.23 tag, stub iter) failed:\n{out}"
        );
        out
    };
    for name in [
        "TestStreamAllAndClientEvents",
        "TestCloseInsideTheLoop",
        "TestConverseAllAndConverseEvents",
        "ExampleClient_Events",
    ] {
        assert!(out.contains(&format!("--- PASS: {name} ")), "{out}");
    }
}
