#!/usr/bin/env bash
# Compile time of the macros: `cargo check` of a crate with 200 annotated axum handlers
# against the same crate with the annotations removed and against the same handlers under
# `#[tracing::instrument]` (an attribute macro users already pay for), after their
# dependencies are built. The three crates are checked in turn within each run, so that a
# drift of the machine's speed hits them alike; each figure is the median over the runs.
# Usage: scripts/compile-time.sh [handlers] [runs]
# With OPTIMIZE_MACROS=1 both crates build proc macros optimized
# (`[profile.dev.build-override] opt-level = 3`), as README suggests for large services.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
handlers=${1:-200}
runs=${2:-5}
work=$root/target/compile-time
if [ "${OPTIMIZE_MACROS:-0}" = 1 ]; then work=$work-optimized; fi
mkdir -p "$work"

make_crate() { # name, annotated (yes / no / instrument)
  local dir=$work/$1
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
auth = { path = "$root", features = ["axum"] }
axum = { version = "0.8", default-features = false, features = ["http1", "tokio"] }
tracing = { version = "0.1", default-features = false, features = ["std", "attributes"] }

[package.metadata.auth.roles]
admin = ["user"]
user = []

[workspace]
TOML
  if [ "${OPTIMIZE_MACROS:-0}" = 1 ]; then
    printf '\n[profile.dev.build-override]\nopt-level = 3\n' >> "$dir/Cargo.toml"
  fi
  {
    echo "use axum::{Router, routing::get};"
    if [ "$2" = yes ]; then echo "use auth::Claims;"; fi
    for i in $(seq 1 "$handlers"); do
      case "$2" in
        yes)
          if [ $((i % 2)) = 0 ]; then echo "#[auth::requires_role(\"user\")]"; else echo "#[auth::protected]"; fi
          echo "pub async fn h$i(claims: Claims) -> String { claims.sub.unwrap_or_default() }" ;;
        instrument)
          echo "#[tracing::instrument]"
          echo "pub async fn h$i() -> String { String::from(\"h$i\") }" ;;
        *)
          echo "pub async fn h$i() -> String { String::from(\"h$i\") }" ;;
      esac
    done
    echo "pub fn app(verifier: auth::Verifier) -> Router {"
    echo "    Router::new()"
    for i in $(seq 1 "$handlers"); do echo "        .route(\"/h$i\", get(h$i))"; done
    echo "        .with_state(verifier)"
    echo "}"
  } > "$dir/src/lib.rs"
}

make_crate with_macros yes
make_crate with_instrument instrument
make_crate without_macros no
crates=(with_macros with_instrument without_macros)
export CARGO_TARGET_DIR=$work/target
for crate in "${crates[@]}"; do
  cargo check -q --manifest-path "$work/$crate/Cargo.toml"   # dependencies, once
done

check_once() { # crate -> seconds of `cargo check` after touching its source
  touch "$work/$1/src/lib.rs"
  local start end
  start=$(date +%s.%N)
  cargo check -q --manifest-path "$work/$1/Cargo.toml"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A samples
for _ in $(seq 1 "$runs"); do
  for crate in "${crates[@]}"; do
    samples[$crate]+="$(check_once "$crate") "
  done
done
with=$(tr ' ' '\n' <<<"${samples[with_macros]}" | grep . | median)
instrument=$(tr ' ' '\n' <<<"${samples[with_instrument]}" | grep . | median)
without=$(tr ' ' '\n' <<<"${samples[without_macros]}" | grep . | median)
echo "handlers: $handlers, runs: $runs (median of cargo check after touching the crate)"
echo "with #[protected]/#[requires_role]: ${with}s"
echo "with #[tracing::instrument]:        ${instrument}s"
echo "without either:                     ${without}s"
echo "ratio to without:                   $(echo "scale=2; $with / $without" | bc)"
echo "our added cost / instrument's:      $(echo "scale=2; ($with - $without) / ($instrument - $without)" | bc)"
