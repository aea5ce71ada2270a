//! Build script: gives the shared library its SONAME on ELF platforms.
//!
//! The C header is not generated here: `include/bedrock_stream.h` is checked in, and
//! `tests/header.rs` regenerates it with cbindgen (a dev-dependency) and fails when it drifts, so
//! a program that depends on this crate never compiles cbindgen.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    // `libbedrock_stream.so.<major>`: what `make install` names the file and its symlink.
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        target_os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbedrock_stream.so.{major}");
    }
}
