//! Build script: generates the C header into `OUT_DIR/include/bedrock_stream.h` with cbindgen
//! (the checked-in copy, `include/bedrock_stream.h`, is compared with a fresh generation by
//! `tests/header.rs`), and gives the shared library its SONAME on ELF platforms.
//!
//! Writes nothing outside `OUT_DIR`.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/ffi");

    // `libbedrock_stream.so.<major>`: what `make install` names the file and its symlink.
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        target_os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly"
    ) {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libbedrock_stream.so.{major}");
    }

    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("include");
    if let Err(e) = std::fs::create_dir_all(&out_dir) {
        println!("cargo:warning=cannot create {}: {e}", out_dir.display());
        return;
    }
    let config = match cbindgen::Config::from_file(manifest_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            println!("cargo:warning=cannot read cbindgen.toml: {e}");
            return;
        }
    };
    // Only the FFI module: the rest of the crate has `pub const`s that are not C API.
    match cbindgen::Builder::new()
        .with_config(config)
        .with_src(manifest_dir.join("src/ffi/mod.rs"))
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(out_dir.join("bedrock_stream.h"));
        }
        // The build itself does not need the header; tests/header.rs reports the problem.
        Err(e) => println!("cargo:warning=cbindgen could not generate the header: {e}"),
    }
}
