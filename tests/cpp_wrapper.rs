//! The C++ wrapper `examples-c/bedrock_stream.hpp`: `examples-c/cpp_tests.cpp` is built with
//! g++ and clang++, as C++17 and C++20, with `-Wall -Wextra -Werror -pedantic`, and run under
//! valgrind (no error, no leak) against the emulator started in this process; the TLS check
//! with the repository's `valgrind.supp` (ring's AES-GCM assembly gives memcheck false
//! positives, explained there). Callbacks returning the C convention's int must not compile.
//!
//! `cargo test --features emulator --test cpp_wrapper` (needs make, g++, clang++ and valgrind;
//! run `cargo build --lib --all-features` first). Without clang++ the tests fail, unless
//! `BEDROCK_STREAM_SKIP_CLANG=1`.
#![cfg(feature = "emulator")]

mod common;
use common::program::{make_examples, run_program, tempdir, Memcheck};
use common::{cdylib, profile_dir, root, tool_missing};
use std::path::PathBuf;
use std::process::Command;

use bedrock_stream::emulator::Emulator;

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

/// Builds cpp_tests with `cxx` as `std`; returns the program.
fn build(cxx: &str, std: &str) -> PathBuf {
    cdylib();
    let build = profile_dir().join(format!("cpp-wrapper-{cxx}-{std}"));
    let exe = build.join("cpp_tests");
    make_examples(
        &build,
        &[("CXX", cxx), ("CXXSTD", std)],
        &[exe.to_str().unwrap()],
    );
    exe
}

fn check_wrapper(cxx: &str, std: &str) {
    if !have(cxx) {
        return;
    }
    let exe = build(cxx, std);
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
            ] {
                let (ok, stderr) = compile(cxx, std, Some(define));
                assert!(!ok, "{cxx} {std} {define} compiled");
                assert!(stderr.contains(RESULT), "{cxx} {std} {define}: {stderr}");
                assert!(!stderr.contains(CALLABLE), "{cxx} {std} {define}: {stderr}");
            }
            let define = "BEDROCK_STREAM_COMPILE_FAIL_NOT_INVOCABLE";
            let (ok, stderr) = compile(cxx, std, Some(define));
            assert!(!ok, "{cxx} {std} {define} compiled");
            assert!(stderr.contains(CALLABLE), "{cxx} {std} {define}: {stderr}");
            assert!(!stderr.contains(RESULT), "{cxx} {std} {define}: {stderr}");
        }
    }
}
