#!/usr/bin/env bash
# Builds every fuzz target once and runs each for a bounded time; prints one summary table.
#
#   bash fuzz/run.sh [SECONDS_PER_TARGET]        (default 60)
#
# Environment:
#   FUZZ_TARGETS     targets to run, space-separated (default: all of them)
#   FUZZ_BACKEND     the crypto backend auth-runtime is fuzzed on: aws-lc (default; the oracle
#                    then uses the RustCrypto crates) or rust-crypto (the oracle uses aws-lc-rs);
#                    each has its own target directory, so switching does not rebuild the other
#   FUZZ_SANITIZER   none (default) or address; address needs -Zsanitizer, which this script
#                    enables on a stable toolchain with RUSTC_BOOTSTRAP=1
#   FUZZ_TOOLCHAIN   a rustup toolchain argument for cargo, e.g. +stable (default: none)
#
# Exits non-zero if a target crashes, hangs (-timeout), runs out of memory, or does not
# build. Crashing inputs are kept in fuzz/artifacts/<target>/ (rust-crypto backend:
# fuzz/artifacts/backend-rust-crypto/<target>/; see fuzz/README.md).
# New corpus entries go to fuzz/corpus/<target>/ (ignored by git); the committed seeds in
# fuzz/seeds/<target>/ are only read.
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
fi
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$fuzz_dir"

targets="${FUZZ_TARGETS:-token bearer jwks macro_args vocabulary}"
sanitizer="${FUZZ_SANITIZER:-none}"
backend="${FUZZ_BACKEND:-aws-lc}"
case "$backend" in
    aws-lc | rust-crypto) ;;
    *)
        echo "FUZZ_BACKEND must be aws-lc or rust-crypto, not '$backend'" >&2
        exit 2
        ;;
esac
toolchain=()
if [ -n "${FUZZ_TOOLCHAIN:-}" ]; then
    toolchain=("$FUZZ_TOOLCHAIN")
fi
cargo_cmd=(cargo "${toolchain[@]}")

# cargo-fuzz passes nightly-only flags for sanitizers (-Zsanitizer=...): a stable toolchain
# accepts them with RUSTC_BOOTSTRAP=1. Without a sanitizer every flag is stable.
if [ "$sanitizer" != none ]; then
    export RUSTC_BOOTSTRAP=1
fi

if ! "${cargo_cmd[@]}" fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    "${cargo_cmd[@]}" install cargo-fuzz --locked
fi

host="$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')"
target_dir="$fuzz_dir/target"
build_args=(--release --debug-assertions --sanitizer "$sanitizer")
if [ "$backend" != aws-lc ]; then
    # The default feature is backend-aws-lc; the features are mutually exclusive.
    build_args+=(--no-default-features --features "backend-$backend")
    target_dir="$target_dir/backend-$backend"
fi
if [ "$sanitizer" != none ]; then
    # Its own directory, so switching sanitizers does not rebuild the other.
    target_dir="$target_dir/sanitizer-$sanitizer"
fi
if [ "$target_dir" != "$fuzz_dir/target" ]; then
    build_args+=(--target-dir "$target_dir")
fi
bin_dir="$target_dir/$host/release"

echo "== building fuzz targets (release, debug assertions, sanitizer: $sanitizer, backend: $backend)"
build_start=$SECONDS
if [ -z "${FUZZ_TARGETS:-}" ]; then
    # Every target in one cargo invocation.
    "${cargo_cmd[@]}" fuzz build "${build_args[@]}"
else
    for target in $targets; do
        "${cargo_cmd[@]}" fuzz build "${build_args[@]}" "$target"
    done
fi
build_time=$((SECONDS - build_start))
echo "== built in ${build_time}s"

# Per-target options: a token may be longer than the verifier's 8 KiB cap.
options_for() {
    case "$1" in
        token) echo "-max_len=12288" ;;
        *) echo "" ;;
    esac
}

# Crashes and logs of the second backend apart, so a CI run of both keeps both.
artifacts_root="$fuzz_dir/artifacts"
if [ "$backend" != aws-lc ]; then
    artifacts_root="$artifacts_root/backend-$backend"
fi

declare -A status execs speed coverage corpus took
failed=0
run_start=$SECONDS
for target in $targets; do
    # One corpus for both backends: the inputs mean the same to each.
    corpus_dir="$fuzz_dir/corpus/$target"
    seeds_dir="$fuzz_dir/seeds/$target"
    artifacts="$artifacts_root/$target"
    log="$artifacts_root/$target.log"
    mkdir -p "$corpus_dir" "$seeds_dir" "$artifacts"
    echo "== fuzzing $target for ${seconds}s (log: ${log#"$fuzz_dir"/})"
    start=$SECONDS
    set +e
    # shellcheck disable=SC2046 # the options are words
    timeout --signal=INT --kill-after=30 $((seconds + 300)) \
        "$bin_dir/$target" "$corpus_dir" "$seeds_dir" \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" $(options_for "$target") >"$log" 2>&1
    code=$?
    set -e
    took[$target]=$((SECONDS - start))
    execs[$target]="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    if [ -z "${execs[$target]}" ]; then
        # No final stats (a crash): the last "#N" status line.
        execs[$target]="$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')"
    fi
    last="$(grep -E '^#[0-9]+' "$log" | tail -1)"
    speed[$target]="$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$last")"
    coverage[$target]="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")"
    corpus[$target]="$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")"
    if [ "$code" -eq 0 ]; then
        status[$target]=ok
    else
        failed=1
        status[$target]="FAILED ($code)"
        echo "!! $target failed with exit code $code; end of its log:"
        tail -n 40 "$log" | sed 's/^/   /'
        crash="$(ls -t "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* \
            "$artifacts"/leak-* "$artifacts"/slow-unit-* 2>/dev/null | head -1 || true)"
        if [ -n "$crash" ]; then
            echo "!! input: ${crash#"$fuzz_dir"/} (base64 below)"
            base64 -w0 "$crash"
            echo
            echo "!! reproduce: $bin_dir/$target $crash"
        fi
    fi
done
run_time=$((SECONDS - run_start))

echo
echo "== fuzzing summary: ${seconds}s per target, backend $backend, sanitizer $sanitizer, build ${build_time}s, runs ${run_time}s"
printf '%-12s %-12s %14s %10s %9s %8s %7s\n' target status executions "exec/s" coverage corpus "time"
# shellcheck disable=SC2086
for target in $targets; do
    printf '%-12s %-12s %14s %10s %9s %8s %6ss\n' "$target" "${status[$target]}" \
        "${execs[$target]:-?}" "${speed[$target]:-?}" "${coverage[$target]:-?}" \
        "${corpus[$target]:-?}" "${took[$target]}"
done
exit "$failed"
