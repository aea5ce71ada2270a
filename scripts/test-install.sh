#!/usr/bin/env bash
# `make test-install`: the C library as a user installs and links it, following README.md to
# the letter.
#
#   1. The README's C program (the block marked `<!-- test-install: program -->`) compiles with
#      -Wall -Wextra -Werror -pedantic as C99 and as C++17; the C++ object is linked by the
#      shared, static, fully static and no-install routes as well, and run once with an
#      application-inference-profile ARN as its model id (the family read from the chunks).
#      Its C++ program (`cpp-program`) is built and run as the README says, and compiled by
#      g++ and clang++ as C++17 and C++20.
#   2. The README's linking commands run as printed, with HOME a temporary directory (so
#      $HOME/.local is a fresh prefix) and the repository reached as $HOME/src/bedrock-stream:
#      install, then the shared, static, fully static and no-install routes, then CMake with
#      each imported target. Every program built is run against the emulator and must print
#      its answer; how each is linked is checked with readelf.
#   3. The installed archive exports only bedrock_stream_* symbols, the same set as the shared
#      library, and links next to another Rust static library.
#   4. The CMake package still works after a DESTDIR install moved elsewhere, and
#      examples-c/stream.c builds from the installed pkg-config file alone.
#
#   5. The README's program, from the installed release library, runs under valgrind over HTTP
#      and HTTPS with the installed suppressions file (valgrind.supp): 0 errors, no leak; and
#      without a region it prints the configuration error and exits 1, leak-free.
#
# Needs: cargo, make, cc, c++, pkg-config, cmake, GNU binutils (ld, objcopy, nm, readelf),
# valgrind.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
CARGO="${CARGO:-cargo}"
version="$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
major="${version%%.*}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/bedrock-stream-install.XXXXXX")"
emulator_pid=""
tls_emulator_pid=""
cleanup() {
    for pid in $emulator_pid $tls_emulator_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '\n== test-install: %s\n' "$*" >&2; }
fail() {
    echo "test-install: FAILED: $*" >&2
    exit 1
}
for tool in make cc c++ pkg-config cmake ld objcopy nm readelf valgrind; do
    command -v "$tool" >/dev/null 2>&1 || fail "\`$tool\` is not installed (.ci/run installs it)"
done

# The fenced block after the line `<!-- test-install: NAME -->` of README.md.
block() {
    local text
    text="$(awk -v marker="<!-- test-install: $1 -->" '
        $0 == marker { want = 1; next }
        want == 1 && /^```/ { want = 2; next }
        want == 2 && /^```/ { exit }
        want == 2 { print }' "$root/README.md")"
    [ -n "$text" ] || fail "README.md has no fenced block after '<!-- test-install: $1 -->'"
    printf '%s\n' "$text"
}

# Runs `./NAME` (or the command given) and checks that it printed the emulator's answer.
answer='You said: “Hello!”'
expect_answer() {
    local out
    out="$("$@")" || fail "$* failed (exit $?)"
    case "$out" in
    *"$answer"*) ;;
    *) fail "$* did not print the answer; it printed: $out" ;;
    esac
}

# ---- the emulator ---------------------------------------------------------------------------
step "starting the emulator"
"$CARGO" build --quiet --all-features --bin bedrock-stream
"$root/target/debug/bedrock-stream" emulator --port 0 --endpoint-file "$tmp/endpoint" \
    >"$tmp/emulator.out" 2>"$tmp/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 300); do
    [ -s "$tmp/endpoint" ] && break
    kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited: $(cat "$tmp/emulator.log")"
    sleep 0.1
done
[ -s "$tmp/endpoint" ] || fail "the emulator did not start within 30 s"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK AWS_ENDPOINT_URL LD_LIBRARY_PATH \
    PKG_CONFIG_PATH CMAKE_PREFIX_PATH
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
while IFS='=' read -r name value; do
    export "$name=$value"
done < <(sed -n 's/^export //p' "$tmp/emulator.out")
[ -n "${AWS_ENDPOINT_URL_BEDROCK_RUNTIME:-}" ] || fail "no endpoint in the emulator's banner"

# ---- a user's home: the checkout in ~/src/bedrock-stream, hello.c in the current directory ---
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export HOME="$tmp/home"
mkdir -p "$HOME/src" "$tmp/work"
ln -s "$root" "$HOME/src/bedrock-stream"
cd "$tmp/work"
block program >hello.c

step "the README's program as C99 and C++17 with -Wall -Wextra -Werror -pedantic"
(
    set -x
    cc -std=c99 -Wall -Wextra -Werror -pedantic -I"$root/include" -c hello.c -o hello-c.o
    c++ -x c++ -std=c++17 -Wall -Wextra -Werror -pedantic -I"$root/include" -c hello.c \
        -o hello-cxx.o
)

# Each README block runs in a shell that first ran the install block (exports included).
readme() {
    {
        echo 'set -ex'
        block install
        for name in "$@"; do block "$name"; done
    } >"$tmp/readme.sh"
    bash "$tmp/readme.sh" >"$tmp/readme.out" 2>"$tmp/readme.err" || {
        cat "$tmp/readme.err" >&2
        fail "README block(s) $* failed (the trace is above)"
    }
    grep -c -F "$answer" "$tmp/readme.out" || true
}
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }

step "README: make install PREFIX=\$HOME/.local, then the shared library with pkg-config"
[ "$(readme shared)" = 1 ] || fail "./hello (shared) did not print the answer"
case " $(needed hello)" in *" libbedrock_stream.so.$major "*) ;; *) fail "hello (shared) needs: $(needed hello)" ;; esac
prefix="$HOME/.local"
test -f "$prefix/lib/libbedrock_stream.so.$version" && test -L "$prefix/lib/libbedrock_stream.so.$major"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[ "$(pkg-config --modversion bedrock_stream)" = "$version" ] || fail "pkg-config version"
[ "$(pkg-config --modversion bedrock_stream_static)" = "$version" ] || fail "pkg-config version"
# The C++ object of the same program, linked the same way.
c++ hello-cxx.o -o hello-cxx $(pkg-config --libs bedrock_stream) \
    -Wl,-rpath,"$(pkg-config --variable=libdir bedrock_stream)"
expect_answer ./hello-cxx
# A model id that names no family (an application inference profile ARN): the family is
# recognised from the chunks, so the program still prints the answer.
expect_answer ./hello-cxx "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3"

step "valgrind on the release library, with the installed suppressions file"
supp="$prefix/share/bedrock_stream/valgrind.supp"
test -f "$supp" || fail "make install did not install $supp"
"$root/target/debug/bedrock-stream" emulator --port 0 --tls --ca-file "$tmp/ca.pem" \
    --endpoint-file "$tmp/endpoint-tls" >/dev/null 2>"$tmp/emulator-tls.log" &
tls_emulator_pid=$!
for _ in $(seq 1 300); do
    [ -s "$tmp/endpoint-tls" ] && break
    kill -0 "$tls_emulator_pid" 2>/dev/null || fail "the TLS emulator exited: $(cat "$tmp/emulator-tls.log")"
    sleep 0.1
done
[ -s "$tmp/endpoint-tls" ] || fail "the TLS emulator did not start within 30 s"
# The README's valgrind command as printed (--error-exitcode: any error fails), over HTTP and
# over HTTPS, where ring's AES-GCM assembly gives the false positives the file suppresses.
[ "$(readme valgrind)" = 1 ] || fail "./hello under valgrind (HTTP) did not print the answer"
(
    export AWS_ENDPOINT_URL_BEDROCK_RUNTIME="$(cat "$tmp/endpoint-tls")" AWS_CA_BUNDLE="$tmp/ca.pem"
    [ "$(readme valgrind)" = 1 ] || fail "./hello under valgrind (HTTPS) did not print the answer"
    grep -q "ERROR SUMMARY: 0 errors" "$tmp/readme.err" || fail "valgrind: $(cat "$tmp/readme.err")"
    # For the record: what the file suppresses.
    valgrind --log-file="$tmp/valgrind.log" ./hello >/dev/null
    echo "valgrind ./hello over HTTPS: 0 errors with $supp; without it:" \
        "$(grep -o 'ERROR SUMMARY: .*' "$tmp/valgrind.log")" >&2
)

# Without a region the program says so (not "the argument 'client' is NULL") and frees
# everything on that path too.
status=0
out="$(env -u AWS_REGION -u AWS_DEFAULT_REGION valgrind --leak-check=full --error-exitcode=99 \
    --log-file="$tmp/valgrind.log" ./hello 2>&1)" || status=$?
[ "$status" = 1 ] || fail "./hello without a region exited $status: $out $(cat "$tmp/valgrind.log")"
case "$out" in
*"error: CONFIG: configuration error: no AWS region is configured"*) ;;
*) fail "./hello without a region printed: $out" ;;
esac

step "README: the C++ program (hello.cpp) with the installed bedrock_stream.hpp"
block cpp-program >hello.cpp
# Pulled once, then pushed: the answer twice.
[ "$(readme cpp)" = 2 ] || fail "./hello-cpp did not print the answer twice"
grep -q 'stopped = 1)' "$tmp/readme.out" ||
    fail "./hello-cpp did not stop at the stop reason: $(cat "$tmp/readme.out")"
case " $(needed hello-cpp)" in *" libbedrock_stream.so.$major "*) ;; *) fail "hello-cpp needs: $(needed hello-cpp)" ;; esac
cmp "$prefix/include/bedrock_stream.hpp" "$root/examples-c/bedrock_stream.hpp" ||
    fail "make install did not install examples-c/bedrock_stream.hpp"
for cxx in g++ clang++; do
    command -v "$cxx" >/dev/null 2>&1 || continue
    for std in c++17 c++20; do
        (set -x; "$cxx" -std=$std -Wall -Wextra -Werror -pedantic -I"$prefix/include" -c hello.cpp \
            -o "hello-cpp-$cxx-$std.o") || fail "hello.cpp with $cxx -std=$std"
    done
done

step "README: the static archive, and a fully static executable"
[ "$(readme static)" = 2 ] || fail "./hello (static) did not print the answer twice"
[ -z "$(needed hello)" ] || fail "the fully static hello needs: $(needed hello)"
file_type="$(readelf -h hello | sed -n 's/.*Type: *//p')"
readelf -l hello | grep -q INTERP && fail "the fully static hello has a program interpreter"
echo "fully static hello: $file_type, no NEEDED, no interpreter" >&2
cc hello.c -o hello-archive $(pkg-config --cflags --libs bedrock_stream_static)
case " $(needed hello-archive)" in *libbedrock_stream*) fail "hello-archive needs the .so" ;; esac
expect_answer ./hello-archive
c++ hello-cxx.o -o hello-cxx-archive $(pkg-config --libs bedrock_stream_static)
case " $(needed hello-cxx-archive)" in *libbedrock_stream*) fail "hello-cxx-archive needs the .so" ;; esac
expect_answer ./hello-cxx-archive
c++ -static hello-cxx.o -o hello-cxx-static $(pkg-config --static --libs bedrock_stream)
[ -z "$(needed hello-cxx-static)" ] || fail "the fully static hello-cxx needs: $(needed hello-cxx-static)"
expect_answer ./hello-cxx-static

step "README: without installing (make lib; target/release)"
rm -f hello "$root/target/release/libbedrock_stream.so.$major" # make lib must make it
[ "$(readme no-install)" = 1 ] || fail "./hello (no install) did not print the answer"
case " $(needed hello)" in *" libbedrock_stream.so.$major "*) ;; *) fail "hello (no install) needs: $(needed hello)" ;; esac
test -L "$root/target/release/libbedrock_stream.so.$major"
c++ hello-cxx.o -o hello-cxx-tree -L"$root/target/release" -lbedrock_stream \
    -Wl,-rpath,"$root/target/release"
expect_answer ./hello-cxx-tree

step "README: CMake, with each imported target"
for target in bedrock_stream bedrock_stream_static; do
    mkdir -p "$tmp/cmake-$target"
    cp hello.c "$tmp/cmake-$target/"
    block cmake | sed "s/bedrock_stream::bedrock_stream)/bedrock_stream::$target)/" \
        >"$tmp/cmake-$target/CMakeLists.txt"
    grep -q "bedrock_stream::$target)" "$tmp/cmake-$target/CMakeLists.txt" ||
        fail "the README's CMakeLists.txt does not link bedrock_stream::bedrock_stream"
    (
        cd "$tmp/cmake-$target"
        { echo 'set -ex'; block cmake-build; } >build.sh
        bash build.sh >out 2>err || { cat err out >&2; fail "CMake build with $target"; }
        grep -q -F "$answer" out || fail "./build/hello ($target) did not print the answer"
    )
    case "$target:$(needed "$tmp/cmake-$target/build/hello")" in
    bedrock_stream:*libbedrock_stream.so.$major*) ;;
    bedrock_stream_static:*libbedrock_stream*) fail "the static CMake target links the .so" ;;
    bedrock_stream_static:*) ;;
    *) fail "the CMake shared target does not link libbedrock_stream.so.$major" ;;
    esac
done

step "the installed archive exports only the API"
# Global or weak, defined: readelf's columns are Num Value Size Type Bind Vis Ndx Name.
defined_globals() {
    readelf -sW "$@" 2>/dev/null |
        awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 != "" { print $8 }' | sort -u
}
defined_globals "$prefix/lib/libbedrock_stream.a" >"$tmp/archive.syms"
readelf --dyn-syms -W "$prefix/lib/libbedrock_stream.so.$version" |
    awk '$7 != "UND" && $8 ~ /^bedrock_stream_/ { print $8 }' | sort -u >"$tmp/so.syms"
[ -s "$tmp/so.syms" ] || fail "no bedrock_stream_* symbol in the .so"
others="$(grep -v '^bedrock_stream_' "$tmp/archive.syms" || true)"
[ -z "$others" ] || fail "the archive exports other symbols: $(echo $others | head -c 2000)"
diff -u "$tmp/so.syms" "$tmp/archive.syms" >&2 || fail "the archive and the .so export different APIs"
echo "libbedrock_stream.a: $(wc -l <"$tmp/archive.syms") global symbols, the .so's API exactly" >&2
# A program that defines a symbol the Rust standard library also defines (as another Rust
# static library built by another rustc does): "multiple definition" with cargo's archive.
cat >"$tmp/clash.c" <<'EOF'
#include <bedrock_stream.h>
#include <stdio.h>
int rust_eh_personality(void);
int rust_eh_personality(void) { return 0; }
int main(void) { return puts(bedrock_stream_version()) >= 0 && rust_eh_personality() == 0 ? 0 : 1; }
EOF
cc "$tmp/clash.c" -o clash $(pkg-config --cflags --libs bedrock_stream_static) ||
    fail "the archive clashes with a program's own rust_eh_personality"
[ "$(./clash)" = "$version" ] || fail "clash: $(./clash)"
# Another Rust static library (its own copy of std) in the same program.
cat >"$tmp/other.rs" <<'EOF'
#[no_mangle]
pub extern "C" fn other_rust_library_len(s: *const std::ffi::c_char) -> usize {
    // SAFETY: the caller passes a NUL-terminated string.
    let s = unsafe { std::ffi::CStr::from_ptr(s) };
    s.to_string_lossy().into_owned().len()
}
EOF
rustc --edition 2021 --crate-type staticlib --crate-name other -o "$tmp/libother.a" "$tmp/other.rs"
cat >"$tmp/two.c" <<'EOF'
#include <bedrock_stream.h>
#include <stdio.h>
#include <string.h>
size_t other_rust_library_len(const char *s);
int main(void) {
    const char *v = bedrock_stream_version();
    return other_rust_library_len(v) == strlen(v) && puts(v) >= 0 ? 0 : 1;
}
EOF
cc "$tmp/two.c" -o two $(pkg-config --cflags bedrock_stream) "$prefix/lib/libbedrock_stream.a" \
    "$tmp/libother.a" $(pkg-config --static --libs-only-l bedrock_stream | sed 's/-lbedrock_stream//') ||
    fail "the archive does not link next to another Rust static library"
[ "$(./two)" = "$version" ] || fail "two: $(./two)"

step "CMake package of a DESTDIR install, moved"
make -C "$root" --no-print-directory install DESTDIR="$tmp/stage" PREFIX=/opt/bedrock-stream >/dev/null
mv "$tmp/stage/opt/bedrock-stream" "$tmp/moved"
for target in bedrock_stream bedrock_stream_static; do
    dir="$tmp/moved-$target"
    mkdir -p "$dir"
    cp hello.c "$dir/"
    block cmake | sed "s/bedrock_stream::bedrock_stream)/bedrock_stream::$target)/" >"$dir/CMakeLists.txt"
    (
        cd "$dir"
        cmake -S . -B build -DCMAKE_PREFIX_PATH="$tmp/moved" >log 2>&1 &&
            cmake --build build >>log 2>&1 || { cat log >&2; fail "CMake, moved install, $target"; }
    )
    expect_answer "$dir/build/hello"
done
# find_package with an incompatible version must fail.
mkdir -p "$tmp/cmake-version"
block cmake | sed "s/find_package(bedrock_stream [0-9.]*/find_package(bedrock_stream $((major + 1)).0/" \
    >"$tmp/cmake-version/CMakeLists.txt"
cp hello.c "$tmp/cmake-version/"
if cmake -S "$tmp/cmake-version" -B "$tmp/cmake-version/build" -DCMAKE_PREFIX_PATH="$tmp/moved" \
    >/dev/null 2>&1; then
    fail "find_package(bedrock_stream $((major + 1)).0) accepted version $version"
fi

step "examples-c/stream.c from the installed pkg-config file alone"
cc -std=c99 -Wall -Wextra -Werror -pedantic -o stream "$root/examples-c/stream.c" \
    $(pkg-config --cflags --libs bedrock_stream) -Wl,-rpath,"$prefix/lib"
./stream --version
cc -static -std=c99 -Wall -Wextra -Werror -pedantic -o stream-static "$root/examples-c/stream.c" \
    $(pkg-config --static --cflags --libs bedrock_stream)
./stream-static --version

echo "test-install: ok" >&2
