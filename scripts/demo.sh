#!/usr/bin/env bash
# The bedrock-stream demo, on this machine only (no AWS account needed):
#
#   1. builds the `bedrock-stream` tool and the C library (one cargo build --features cli),
#   2. starts the local Bedrock Runtime emulator on a free port, in the background,
#   3. streams an answer with `bedrock-stream chat` so you watch the text arrive,
#   4. builds and runs the C examples: `examples-c/stream.c` (InvokeModelWithResponseStream,
#      Claude model ids) and `examples-c/converse.c` (ConverseStream, any model id),
#   5. stops the emulator, also on Ctrl-C or on any error.
#
# Usage: scripts/demo.sh ["your prompt"]
#
# Settings (environment):
#   DEMO_MODEL_ID      model id to ask (default: anthropic.claude-3-5-haiku-20241022-v1:0)
#   DEMO_CHUNK_DELAY   seconds between two streamed frames (default: 0.08)
#   DEMO_CHUNKS        number of text chunks in the answer (default: 20)
#   DEMO_SKIP_BUILD=1  do not build; use BEDROCK_STREAM_BIN (or the last debug build)
#   DEMO_SKIP_C=1      skip the C examples
#   BEDROCK_STREAM_BIN path of a bedrock-stream binary to use
#   CARGO              the cargo to build with (default: cargo)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

model_id="${DEMO_MODEL_ID:-anthropic.claude-3-5-haiku-20241022-v1:0}"
prompt="${1:-Explain in two sentences why streaming responses feel faster.}"
chunk_delay="${DEMO_CHUNK_DELAY:-0.08}"
chunks="${DEMO_CHUNKS:-20}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo="${CARGO:-cargo}"

if [ -t 2 ]; then
    bold=$'\033[1m' dim=$'\033[2m' reset=$'\033[0m'
else
    bold='' dim='' reset=''
fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset" >&2; }
note() { printf '%s%s%s\n' "$dim" "$*" "$reset" >&2; }

workdir="$(mktemp -d "${TMPDIR:-/tmp}/bedrock-stream-demo.XXXXXX")"
emulator_pid=""

stop_emulator() {
    if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
        kill "$emulator_pid" 2>/dev/null || true
        wait "$emulator_pid" 2>/dev/null || true
        note "emulator stopped"
    fi
    emulator_pid=""
}

on_exit() {
    local status=$?
    stop_emulator
    rm -rf "$workdir"
    exit "$status"
}
trap on_exit EXIT
# The background emulator ignores SIGINT (non-interactive shell): the EXIT trap stops it.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. build -------------------------------------------------------------------------------
if [ "${DEMO_SKIP_BUILD:-0}" = 1 ]; then
    bin="${BEDROCK_STREAM_BIN:-$target_dir/debug/bedrock-stream}"
else
    step "Building bedrock-stream and the C library (cargo build --features cli --bin bedrock-stream --lib)"
    note "The first build compiles about 100 crates: a few minutes on a small machine; cargo shows its progress."
    # One build, one feature set: the C example below links the library built here.
    "$cargo" build --features cli --bin bedrock-stream --lib
    bin="$target_dir/debug/bedrock-stream"
fi
if [ ! -x "$bin" ]; then
    echo "demo: $bin is missing; run without DEMO_SKIP_BUILD=1" >&2
    exit 1
fi

# ---- 2. the emulator ------------------------------------------------------------------------
step "Starting the local Bedrock emulator (bedrock-stream emulator --port 0)"
"$bin" emulator --port 0 --chunk-delay "$chunk_delay" --chunks "$chunks" \
    --endpoint-file "$workdir/endpoint" >"$workdir/emulator.out" 2>"$workdir/emulator.log" &
emulator_pid=$!
for _ in $(seq 1 300); do
    [ -s "$workdir/endpoint" ] && break
    if ! kill -0 "$emulator_pid" 2>/dev/null; then
        echo "demo: the emulator exited:" >&2
        cat "$workdir/emulator.log" >&2
        exit 1
    fi
    sleep 0.1
done
if [ ! -s "$workdir/endpoint" ]; then
    echo "demo: the emulator did not start within 30 s" >&2
    exit 1
fi
endpoint="$(cat "$workdir/endpoint")"
note "listening on $endpoint; a client only needs these variables (and no leftover token):"
grep '^unset \|^export ' "$workdir/emulator.out" | sed 's/^/    /' >&2

# Exactly what the emulator printed, and nothing from a real AWS setup.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK AWS_ENDPOINT_URL
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
while IFS='=' read -r name value; do
    export "$name=$value"
done < <(sed -n 's/^export //p' "$workdir/emulator.out")

# ---- 3. bedrock-stream chat -----------------------------------------------------------------
step "bedrock-stream chat --model-id $model_id \"$prompt\""
"$bin" chat --model-id "$model_id" "$prompt"
note "(the line above is the summary, on stderr: time to first token, tokens/s, tokens, stop reason)"

# ---- 4. the C examples ----------------------------------------------------------------------
# examples-c/stream.c builds an Anthropic Claude request (InvokeModelWithResponseStream): it runs
# for Claude model ids only. examples-c/converse.c uses ConverseStream: any model id.
if [ "${DEMO_SKIP_C:-0}" = 1 ]; then
    note "DEMO_SKIP_C=1: skipping the C examples"
elif [ ! -f examples-c/stream.c ]; then
    note "examples-c/stream.c is not in this checkout: skipping the C examples"
else
    step "Building the C examples (make -C examples-c build/stream build/converse)"
    # Built in step 1 already (the same features: nothing to do), unless DEMO_SKIP_BUILD=1.
    "$cargo" build --features cli --lib
    c_programs=(stream)
    [ -f examples-c/converse.c ] && c_programs+=(converse)
    if [ -f examples-c/Makefile ]; then
        make --no-print-directory -C examples-c LIBDIR="$target_dir/debug" \
            "${c_programs[@]/#/build/}" >&2
        c_dir="$root/examples-c/build"
    else
        c_dir="$workdir"
        for p in "${c_programs[@]}"; do
            cc -std=c99 -Wall -I include "examples-c/$p.c" \
                -L "$target_dir/debug" -lbedrock_stream -Wl,-rpath,"$target_dir/debug" -o "$c_dir/$p"
        done
    fi
    if [[ "$model_id" != *anthropic.claude* ]]; then
        note "examples-c/stream.c builds Claude requests only: skipping it for $model_id"
    else
        step "examples-c/stream $model_id \"$prompt\""
        "$c_dir/stream" "$model_id" "$prompt"
    fi
    if [ -x "$c_dir/converse" ]; then
        step "examples-c/converse $model_id \"$prompt\" (ConverseStream: one request shape for every model)"
        "$c_dir/converse" "$model_id" "$prompt"
    fi
fi

# ---- 5. done --------------------------------------------------------------------------------
step "Stopping the emulator"
stop_emulator
cat >&2 <<EOF

${bold}Against real Amazon Bedrock${reset}: leave AWS_ENDPOINT_URL_BEDROCK_RUNTIME unset, set
AWS_REGION (e.g. us-east-1) and your credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, or a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK), and use a model id your account
has access to, e.g.:
    cargo run --features cli -- chat --model-id us.anthropic.claude-3-5-haiku-20241022-v1:0 "Hello"
EOF
