//! Helpers shared by the tests that build and run the C and Go programs, and the C API
//! declarations shared by the tests that call it directly.

use std::path::PathBuf;

#[cfg(feature = "capi")]
pub mod capi;
#[cfg(feature = "emulator")]
pub mod program;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>`: the directory of this test binary's parent (`deps/`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The shared library cargo built (`cargo build --lib`; `cargo test` alone does not write it).
pub fn cdylib() -> PathBuf {
    let lib = profile_dir().join("libbedrock_stream.so");
    assert!(
        lib.exists(),
        "{} is missing: `cargo test` does not build the cdylib; run `cargo build --lib \
         --all-features` first (`make test` does)",
        lib.display()
    );
    lib
}

/// A tool a test needs is not installed. The test fails, naming what to install, unless
/// `skip_var` is `1`: then the test is reported as skipped on a line that `cargo test` shows
/// (written to the process's stderr directly, which the test harness does not capture) and
/// the caller goes on without the tool.
#[allow(dead_code)] // not every test binary that includes this module needs it
pub fn tool_missing(tool: &str, install: &str, skip_var: &str, what: &str) {
    use std::io::Write as _;
    assert!(
        std::env::var(skip_var).as_deref() == Ok("1"),
        "`{tool}` is not installed, so {what} cannot be tested: install {install} \
         (.ci/run does), or set {skip_var}=1 to skip this"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {what}: `{tool}` is not installed (install {install}; {skip_var}=1 is set)"
    );
}
