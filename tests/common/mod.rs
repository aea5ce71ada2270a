//! Helpers shared by the tests that build and run the C and Go programs.

use std::path::PathBuf;

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
