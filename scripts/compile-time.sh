#!/usr/bin/env bash
# Compile time of the macros: `cargo check` of a crate with 200 annotated axum handlers
# against the same crate with the annotations removed, after their dependencies are built.
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

make_crate() { # name, annotated (yes/no)
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
      if [ "$2" = yes ]; then
        if [ $((i % 2)) = 0 ]; then echo "#[auth::requires_role(\"user\")]"; else echo "#[auth::protected]"; fi
        echo "pub async fn h$i(claims: Claims) -> String { claims.sub.unwrap_or_default() }"
      else
        echo "pub async fn h$i() -> String { String::from(\"h$i\") }"
      fi
    done
    echo "pub fn app(verifier: auth::Verifier) -> Router {"
    echo "    Router::new()"
    for i in $(seq 1 "$handlers"); do echo "        .route(\"/h$i\", get(h$i))"; done
    echo "        .with_state(verifier)"
    echo "}"
  } > "$dir/src/lib.rs"
}

make_crate with_macros yes
make_crate without_macros no
export CARGO_TARGET_DIR=$work/target
for crate in with_macros without_macros; do
  cargo check -q --manifest-path "$work/$crate/Cargo.toml"   # dependencies, once
done

time_check() { # crate -> median seconds of `cargo check` after touching its source
  local crate=$1 samples=()
  for _ in $(seq 1 "$runs"); do
    touch "$work/$crate/src/lib.rs"
    local start end
    start=$(date +%s.%N)
    cargo check -q --manifest-path "$work/$crate/Cargo.toml"
    end=$(date +%s.%N)
    samples+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

with=$(time_check with_macros)
without=$(time_check without_macros)
echo "handlers: $handlers, runs: $runs (median of cargo check after touching the crate)"
echo "with #[protected]/#[requires_role]: ${with}s"
echo "without the macros:                 ${without}s"
echo "ratio: $(echo "scale=2; $with / $without" | bc)"
