#!/usr/bin/env bash
# Regenerate every figure of BENCHMARKS.md (issue 7) in one run:
#   1. the machine (nproc, CPU model, memory);
#   2. the peers, built once and cached: bench-peers/ (AWS SDK for Rust) into
#      target/bench-peers, boto3 in a venv at target/bench-venv (the first build of the SDK
#      peer takes ~10 minutes on 2 cores; its clean build time is recorded then);
#   3. cargo bench --bench decoder (decoder vs its floor, about 1.5 minutes);
#   4. cargo bench --bench loopback: the emulator in-process, our client (Rust iterator, C
#      callback, C pull) vs the raw-socket floors, requests/s, 64/256 concurrent streams,
#      child-process peak RSS for 1 GiB streams (the bench re-executed, and examples-c/stream.c
#      linked statically and dynamically), and the peers against the same emulator;
#   5. footprint: stripped release .so size, package counts, clean release build times;
#   6. the dependency limit, measured: the tokens and 64k sections again with ureq-proto (ureq's
#      HTTP/1.1 layer) patched by scripts/ureq-proto-0.7.1-recvbody.patch (two lines: the
#      chunk-size parser scans 100 bytes of every HTTP chunk for ';', and the body logger walks
#      every 16 bytes with logging off), built from a copy of this checkout into
#      target/bench-ureq-patched (the crate itself always builds with the published ureq-proto).
# Output: tables on stdout (and a copy in target/bench-report.txt).
# Options (environment): BENCH_SCALE=0.2 for a quick pass; SKIP_DECODER=1; SKIP_PEERS=1;
# SKIP_FOOTPRINT=1; SKIP_UREQ_PATCH=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REPORT="$ROOT/target/bench-report.txt"
mkdir -p target
exec > >(tee "$REPORT") 2>&1

echo "# bench.sh $(date -u +%Y-%m-%dT%H:%MZ) at $(git rev-parse --short HEAD)"
echo "nproc: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); memory: $(free -g | awk '/Mem:/{print $2}') GiB; $(rustc --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

PEER_ENV=()
if [[ -z "${SKIP_PEERS:-}" ]]; then
  PEER_DIR="$ROOT/target/bench-peers"
  if [[ ! -x "$PEER_DIR/release/sdk-peer" ]]; then
    echo "building the SDK peer once (clean release build, timed) ..."
    mkdir -p "$PEER_DIR"
    (cd bench-peers && CARGO_TARGET_DIR="$PEER_DIR" /usr/bin/time -f "%e" -o "$PEER_DIR/clean-build-seconds.txt" \
      cargo build --release --locked > "$PEER_DIR/build.log" 2>&1)
  fi
  (cd bench-peers && CARGO_TARGET_DIR="$PEER_DIR" cargo build --release --locked -q)
  VENV="$ROOT/target/bench-venv"
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import boto3" 2>/dev/null; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q boto3
  fi
  echo "peers: $("$VENV/bin/python" -c 'import boto3,botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)'); aws-sdk-bedrockruntime $(grep -A1 'name = "aws-sdk-bedrockruntime"' bench-peers/Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p')"
  PEER_ENV=(BENCH_SDK_PEER="$PEER_DIR/release/sdk-peer" BENCH_BOTO3_PYTHON="$VENV/bin/python"
            BENCH_BOTO3_SCRIPT="$ROOT/bench-peers/boto3/peer.py")
fi

if [[ -z "${SKIP_DECODER:-}" ]]; then
  echo
  echo "# cargo bench --bench decoder"
  cargo bench --bench decoder 2>/dev/null | sed -n '/ratio to the floor/,$p'
fi

# Small real programs for the whole-process RSS: examples-c/stream.c, static (.a) and shared (.so).
cargo build --release --lib -q
RSS_DIR="$ROOT/target/bench-rss"
mkdir -p "$RSS_DIR"
cc -std=c99 -O2 -static -Iinclude examples-c/stream.c target/release/libbedrock_stream.a \
  -lpthread -ldl -lm -o "$RSS_DIR/stream-static" 2>/dev/null
# The .so by its soname (what `make install` links), found through the program's RUNPATH.
ln -sf "$ROOT/target/release/libbedrock_stream.so" "$RSS_DIR/libbedrock_stream.so.0"
cc -std=c99 -O2 -Iinclude examples-c/stream.c "$RSS_DIR/libbedrock_stream.so.0" \
  -Wl,-rpath,"$RSS_DIR" -o "$RSS_DIR/stream-shared"
"$RSS_DIR/stream-shared" --version > /dev/null
PEER_ENV+=(BENCH_RSS_PROGRAMS="C stream.c (static .a)=$RSS_DIR/stream-static,C stream.c (shared .so)=$RSS_DIR/stream-shared")

echo
echo "# cargo bench --features emulator --bench loopback"
env "${PEER_ENV[@]}" cargo bench --features emulator --bench loopback 2>/dev/null

if [[ -z "${SKIP_FOOTPRINT:-}" ]]; then
  echo
  echo "# footprint"
  FP="$ROOT/target/bench-footprint"
  rm -rf "$FP"
  mkdir -p "$FP"
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$FP" cargo build --release --lib -q
  end=$(date +%s.%N)
  strip -o "$FP/libbedrock_stream.stripped.so" "$FP/release/libbedrock_stream.so"
  so=$(stat -c %s "$FP/libbedrock_stream.stripped.so")
  ours_pkgs=$(cargo tree --prefix none --edges normal | sort -u | wc -l)
  sdk_pkgs=$(cd bench-peers && cargo tree --prefix none --edges normal | sort -u | wc -l)
  sdk_only=$(cd bench-peers && cargo tree --prefix none --edges normal -p aws-sdk-bedrockruntime | sort -u | wc -l)
  strip -o "$FP/sdk-peer.stripped" "$ROOT/target/bench-peers/release/sdk-peer" 2>/dev/null || true
  echo "| | ours (bedrock-stream) | AWS SDK for Rust peer |"
  echo "|---|---:|---:|"
  printf "| stripped release artefact | %.2f MiB (libbedrock_stream.so, C ABI included) | %s |\n" \
    "$(awk "BEGIN{print $so/1048576}")" \
    "$( [[ -f "$FP/sdk-peer.stripped" ]] && printf '%.2f MiB (sdk-peer binary: SDK + tokio + serde_json)' "$(awk "BEGIN{print $(stat -c %s "$FP/sdk-peer.stripped")/1048576}")" || echo n/a)"
  echo "| packages (cargo tree --prefix none --edges normal \| sort -u \| wc -l) | $ours_pkgs | $sdk_pkgs (peer crate; aws-sdk-bedrockruntime alone: $sdk_only) |"
  printf "| clean release build | %.0f s (cargo build --release --lib, this run) | %s s (cargo build --release of bench-peers, first build, cached) |\n" \
    "$(awk "BEGIN{print $end - $start}")" "$(cat "$ROOT/target/bench-peers/clean-build-seconds.txt" 2>/dev/null || echo n/a)"
fi
if [[ -z "${SKIP_UREQ_PATCH:-}" ]]; then
  echo
  echo "# dependency limit: tokens and 64k with ureq-proto patched (scripts/ureq-proto-0.7.1-recvbody.patch)"
  UP="$ROOT/target/bench-ureq-patched"
  src=$(cargo metadata --format-version 1 --locked 2>/dev/null |
    python3 -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="ureq-proto").rsplit("/",1)[0])')
  rm -rf "$UP/ureq-proto" "$UP/checkout"
  mkdir -p "$UP/checkout"
  cp -r "$src" "$UP/ureq-proto"
  patch -s -d "$UP/ureq-proto" -p1 < scripts/ureq-proto-0.7.1-recvbody.patch
  # A copy of the checkout, so that the patch never touches this one's Cargo.lock.
  tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$UP/checkout"
  (cd "$UP/checkout" && CARGO_TARGET_DIR="$UP/target" BENCH_ONLY=tokens,64k \
    cargo --config "patch.crates-io.ureq-proto.path='$UP/ureq-proto'" \
    bench --features emulator --bench loopback 2>/dev/null)
fi

echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "report: $REPORT"
