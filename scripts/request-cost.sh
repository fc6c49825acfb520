#!/usr/bin/env bash
# Instructions per request over real loopback HTTP: the release build of
# examples/request_cost.rs, whole server process under `valgrind --tool=callgrind`, one
# keep-alive client outside it. Each case is run twice, with SMALL and LARGE requests; the
# difference divided by LARGE - SMALL is the cost of one request, without start-up and
# shutdown. Every protected case is set beside the open route sent exactly the same request
# (same Authorization header), so that only the authentication work differs.
# The cached and refused cases vary by about 1 % from run to run (hash seeds and buffer
# alignment differ between processes), so each figure is the median of REPEAT runs.
# Usage: scripts/request-cost.sh [ALG] [SMALL] [LARGE] [REPEAT]   (default RS256 300 1300 3)
set -euo pipefail
cd "$(dirname "$0")/.."
alg=${1:-RS256}
small=${2:-300}
large=${3:-1300}
repeat=${4:-3}
command -v valgrind >/dev/null || { echo "valgrind is not installed: apt-get install -y valgrind" >&2; exit 1; }
cargo build -q --release --example request_cost
bin=target/release/examples/request_cost
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" prepare "$work" "$alg" "$large"
addr=127.0.0.1:18200

total() { # path tokens count status -> instructions of the whole server run
  local out=$work/callgrind.out
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" serve "$work" "$addr" 2>"$work/valgrind.log" &
  local server=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null && break
    sleep 0.1
  done
  "$bin" send "$addr" "$1" "$2" "$3" "$4"
  kill -INT "$server"
  wait "$server"
  awk '/^summary:|^totals:/ {print $2; exit}' "$out"
}

per_request() { # path tokens status [runs] -> median instructions per request
  local a b runs=${4:-$repeat}
  for _ in $(seq 1 "$runs"); do
    a=$(total "$1" "$2" "$small" "$3")
    b=$(total "$1" "$2" "$large" "$3")
    echo $(( (b - a) / (large - small) ))
  done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

printf '%s, instructions per request (callgrind, %s and %s requests)\n' "$alg" "$small" "$large"
printf '%-34s %10s %10s %8s\n' case open protected ratio
row() { # tokens label protected-path status [runs]
  local open protected
  open=$(per_request /open "$1" 200 "${5:-$repeat}")
  protected=$(per_request "$3" "$1" "$4" "${5:-$repeat}")
  printf '%-34s %10s %10s %8s\n' "$2" "$open" "$protected" "$(echo "scale=3; $protected / $open" | bc)"
}
row "$work/valid" "valid token, cached (200)" /auth 200
row "$work/valid" "same, handler owns its Claims" /copy 200
row none "no token (401)" /auth 401
row "$work/valid" "valid token, missing role (403)" /role 403
for refused in bad-signature wrong-audience wrong-issuer expired not-yet-valid unknown-kid malformed; do
  row "$work/$refused" "repeated $refused (401)" /auth 401
done
# A signature check each time: the run-to-run variation does not matter beside it.
row "$work/fresh" "fresh valid token each time (200)" /auth 200 1
row "$work/forged-fresh" "fresh forgery each time (401)" /auth 401 1
