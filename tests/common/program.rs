//! Building the programs of `examples-c/` with `make` and running them against an emulator,
//! under `valgrind --leak-check=full` when it is installed (shared by the C and C++ tests).
#![allow(dead_code)] // each test binary uses a part

use super::{profile_dir, root, tool_missing};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use bedrock_stream::emulator::{Emulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY};

/// `make -C examples-c BUILD=<build> LIBDIR=<target/profile> INCDIR=<include> <vars> <targets>`;
/// panics with make's output when it fails.
pub fn make_examples(build: &Path, vars: &[(&str, &str)], targets: &[&str]) {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(root().join("examples-c"))
        .arg(format!("BUILD={}", build.display()))
        .arg(format!("LIBDIR={}", profile_dir().display()))
        .arg(format!("INCDIR={}", root().join("include").display()));
    for (k, v) in vars {
        cmd.arg(format!("{k}={v}"));
    }
    let out = cmd.args(targets).output().expect("make runs");
    assert!(
        out.status.success(),
        "building examples-c ({vars:?} {targets:?}) failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the `examples-c` programs `targets` (all of them when empty) once per test binary,
/// against the freshly built cdylib, into `target/<profile>/<dir>`; returns that directory.
pub fn built_examples(dir: &str, targets: &[&str]) -> &'static Path {
    static BUILT: OnceLock<(String, PathBuf)> = OnceLock::new();
    let (built_dir, path) = BUILT.get_or_init(|| {
        super::cdylib();
        let build = profile_dir().join(dir);
        let targets: Vec<String> = targets
            .iter()
            .map(|p| build.join(p).display().to_string())
            .collect();
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        make_examples(&build, &[], &targets);
        (dir.to_owned(), build)
    });
    assert_eq!(built_dir, dir, "one examples build per test binary");
    path
}

/// Runs the built example `program` (in `programs`) against `emulator` with a clean
/// environment, under valgrind (when installed): any valgrind error or leak fails the test.
pub fn run_example(
    programs: &Path,
    emulator: &Emulator,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    run_program(
        &programs.join(program),
        &emulator.endpoint_url(),
        args,
        env,
        Memcheck::Valgrind(&[]),
    )
}

/// `valgrind`; when it is missing the test fails, unless `BEDROCK_STREAM_SKIP_VALGRIND=1`.
pub fn valgrind() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let ok = Command::new("valgrind")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                tool_missing(
                    "valgrind",
                    "valgrind",
                    "BEDROCK_STREAM_SKIP_VALGRIND",
                    "the C programs' memory errors and leaks",
                );
            }
            ok.then(|| PathBuf::from("valgrind"))
        })
        .as_deref()
}

/// How a program ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// How to run a program.
pub enum Memcheck<'a> {
    /// Under valgrind (when installed) with these extra options; any error or leak fails the
    /// test.
    Valgrind(&'a [&'a str]),
    /// Without valgrind.
    Off,
}

/// Runs `exe` with a clean environment pointing at the emulator at `endpoint_url` (its
/// default credentials, region us-east-1, a fresh HOME without AWS files) plus `env`.
pub fn run_program(
    exe: &Path,
    endpoint_url: &str,
    args: &[&str],
    env: &[(&str, &str)],
    memcheck: Memcheck,
) -> Run {
    let name = exe.file_name().unwrap().to_string_lossy().into_owned();
    let home = tempdir(&name);
    let log = home.join("valgrind.log");
    let vg = match memcheck {
        Memcheck::Valgrind(extra) => valgrind().map(|vg| (vg, extra)),
        Memcheck::Off => None,
    };
    let mut cmd = match vg {
        Some((vg, extra)) => {
            let mut c = Command::new(vg);
            c.args(["--leak-check=full", "--error-exitcode=1"])
                .args(extra)
                .arg(format!("--log-file={}", log.display()))
                .arg(exe);
            c
        }
        None => Command::new(exe),
    };
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", endpoint_url)
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the program runs");
    let r = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    if vg.is_some() {
        let report = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            report.contains("ERROR SUMMARY: 0 errors from 0 contexts"),
            "valgrind found errors or leaks in {name} {args:?}:\n{report}\nstdout:\n{}\nstderr:\n{}",
            r.stdout,
            r.stderr
        );
        assert!(
            report.contains("definitely lost: 0 bytes")
                || report.contains("All heap blocks were freed"),
            "{name} {args:?} leaks:\n{report}"
        );
    }
    let _ = std::fs::remove_dir_all(&home);
    r
}

/// A fresh directory below the system's temporary directory.
pub fn tempdir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "bedrock_stream_c_{}_{}_{}",
        std::process::id(),
        tag.replace('/', "_"),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A Rust client of `emulator` with its default credentials (nothing from the environment):
/// what the tests compare the C programs and the C ABI with.
pub fn emulator_client(emulator: &Emulator) -> bedrock_stream::Client {
    bedrock_stream::Client::builder()
        .region("us-east-1")
        .endpoint_url(emulator.endpoint_url())
        .credentials(bedrock_stream::Credentials::new(
            DEFAULT_ACCESS_KEY_ID,
            DEFAULT_SECRET_ACCESS_KEY,
            None,
        ))
        .ignore_env_bearer_token(true)
        .no_proxy()
        .build()
        .unwrap()
}
